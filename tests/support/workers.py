"""Real RQ worker processes for tests, and waiting on a state a test can observe."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]


class WorkerProcess:
    """A real `manage.py rqworker` (the GPU workers' class) on the test queues, in its own process."""

    def __init__(self, media_root: Path, env: dict[str, str]):
        from django.conf import settings
        from django.db import connection

        db = connection.settings_dict
        host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
        netloc = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
        if host.startswith("/"):
            database_url = f"postgresql://{netloc}/{db['NAME']}?host={quote(host)}"
        else:
            database_url = f"postgresql://{netloc}{host}:{db['PORT'] or 5432}/{db['NAME']}"
        self.log = media_root.parent / f"worker-{time.monotonic_ns()}.log"
        queues = [settings.RQ_QUEUE_PREFIX + name for name in ("gpu", "default")]
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "archive_site.settings.test",
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.RQ_QUEUES[queues[0]]["URL"],
            "MEDIA_ROOT": str(media_root),
            "RQ_QUEUE_PREFIX": settings.RQ_QUEUE_PREFIX,
            "MLCORE_DEVICE": "cpu",
            "JOB_RECONCILE_INTERVAL": "0",
            **env,
        }
        self.argv = [sys.executable, str(ROOT / "manage.py"), "rqworker", *queues, "--worker-class", settings.RQ_WORKER_CLASS]
        self.process: subprocess.Popen | None = None

    def start(self, *extra: str) -> WorkerProcess:
        self.handle = open(self.log, "ab")
        self.process = subprocess.Popen([*self.argv, *extra], cwd=ROOT, env=self.env, stdout=self.handle, stderr=subprocess.STDOUT)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


def wait_for(predicate, *, timeout: float = 60, interval: float = 0.1, message=lambda: "condition"):
    """Poll `predicate` until it answers something true; `message()` explains a timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message() if callable(message) else message}")
