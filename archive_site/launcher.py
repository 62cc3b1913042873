"""The one-command start (`./bin/start` → `manage.py start`): prepare the database, then run
the web server and one RQ worker until Ctrl-C, and stop everything this process started.
A child that dies after the start (a worker killed by the OOM killer or `kill -9`) is
started again after a backoff that doubles with each quick death; the others keep running.

Setup steps run as child processes so the supervisor itself stays small (it never imports
torch). The embedded PostgreSQL/Redis were started, or found running, when the settings
were imported; only the ones this process started are stopped on exit.
"""
from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import get_commands
from django.db import connections

from archive_site import embedded
from archive_site.management.commands.ensure_admin import login_hint
from archive_site.services import AdminAccount, admin_ensure

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
# Optional setup commands other apps provide: run when they exist.
OPTIONAL_SETUP = (("ensure_default_model", ()), ("load_demo_data", ("--if-empty",)))
READY_TIMEOUT_S = 180
STOP_GRACE_S = 10
# Restart backoff: 1 s, doubling per death up to START_RESTART_MAX_S (a minute); a child that
# ran a minute counts as healthy again and its next restart is quick.
RESTART_FIRST_S = 1.0
RESTART_HEALTHY_AFTER_S = 60.0


class LaunchError(RuntimeError):
    pass


def optional_setup_commands(*, demo_data: bool) -> list[tuple[str, tuple[str, ...]]]:
    """The setup commands of OPTIONAL_SETUP that are installed (demo data only if asked)."""
    available = get_commands()
    return [(name, args) for name, args in OPTIONAL_SETUP if name in available and (demo_data or name != "load_demo_data")]


def _die_with_parent() -> None:
    # Children get SIGTERM if the supervisor is killed outright (kill -9), so nothing is orphaned.
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen
    # The signal that asks this program for a graceful stop.
    stop_signal: int = signal.SIGTERM
    started_at: float = field(default_factory=time.monotonic)
    backoff_s: float = RESTART_FIRST_S
    restart_at: float | None = None  # when a dead child is due to be started again


@dataclass
class Launcher:
    host: str
    port: int
    web_workers: int = 2
    web_threads: int = 4
    reload: bool = False
    demo_data: bool = True
    out: object = sys.stdout
    children: list[Child] = field(default_factory=list)
    # Signals received (SIGINT/SIGTERM): the run winds down when this is not empty.
    signals: list[int] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def say(self, message: str) -> None:
        self.out.write(message + "\n")
        self.out.flush()

    # --- setup -------------------------------------------------------------------------------

    def _manage(self, *args: str) -> None:
        if self.signals:
            raise LaunchError("interrupted")
        self.say(f"→ manage.py {' '.join(args)}")
        result = subprocess.run([sys.executable, str(MANAGE_PY), *args])
        if result.returncode != 0:
            raise LaunchError(f"manage.py {' '.join(args)} failed (exit {result.returncode})")

    def setup(self) -> AdminAccount:
        self._manage("migrate", "--no-input")
        account = admin_ensure(
            username=os.environ.get("DJANGO_ADMIN_USER", "admin"),
            email=os.environ.get("DJANGO_ADMIN_EMAIL", "admin@localhost"),
            password=os.environ.get("DJANGO_ADMIN_PASSWORD") or None,
        )
        connections.close_all()  # the supervisor keeps no database connection open
        for name, args in optional_setup_commands(demo_data=self.demo_data):
            self._manage(name, *args)
        self._manage("collectstatic", "--no-input", "--verbosity", "0")
        return account

    # --- processes -----------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], stop_signal: int = signal.SIGTERM) -> None:
        # Own process group: a Ctrl-C in the terminal reaches only the supervisor, which then
        # stops each child the graceful way (gunicorn: SIGTERM, rq: warm shutdown).
        self.children.append(Child(name, argv, self._popen(argv), stop_signal))

    @staticmethod
    def _popen(argv: list[str]) -> subprocess.Popen:
        return subprocess.Popen(argv, preexec_fn=_die_with_parent, process_group=0)

    def supervise(self) -> None:
        """Keep the children running until a signal (SIGINT/SIGTERM) arrives."""
        while not self.signals:
            self.supervise_once()
            time.sleep(0.5)

    def supervise_once(self) -> None:
        """Start again, after its backoff, any child that died; leave the others alone."""
        now = time.monotonic()
        for child in self.children:
            if child.process.poll() is None:
                continue
            if child.restart_at is None:
                ran_for = now - child.started_at
                if ran_for >= RESTART_HEALTHY_AFTER_S:
                    child.backoff_s = RESTART_FIRST_S
                child.restart_at = now + child.backoff_s
                self.say(f"! the {child.name} process exited (code {child.process.returncode}) after {ran_for:.0f}s; starting it again in {child.backoff_s:.0f}s")
                child.backoff_s = min(child.backoff_s * 2, settings.START_RESTART_MAX_S)
            elif now >= child.restart_at:
                try:
                    process = self._popen(child.argv)
                except (OSError, subprocess.SubprocessError) as error:
                    # E.g. its interpreter is being reinstalled: try again later, keep the rest running.
                    child.restart_at = now + child.backoff_s
                    self.say(f"! the {child.name} process could not be started ({error}); trying again in {child.backoff_s:.0f}s")
                    child.backoff_s = min(child.backoff_s * 2, settings.START_RESTART_MAX_S)
                    continue
                child.process, child.started_at, child.restart_at = process, now, None
                self.say(f"→ {child.name} started again (pid {child.process.pid})")

    def start_web(self) -> None:
        argv = [
            sys.executable, "-m", "gunicorn", "archive_site.wsgi:application",
            "--bind", f"{self.host}:{self.port}",
            "--workers", str(self.web_workers),
            "--threads", str(self.web_threads),
            "--timeout", "120",
            "--graceful-timeout", str(STOP_GRACE_S // 2),
            "--access-logfile", "-",
        ]
        if self.reload:
            argv.append("--reload")
        self._spawn("web", argv)

    def start_worker(self) -> None:
        # One worker on every queue; RQ_WORKER_CLASS runs jobs in-process (no fork after CUDA init).
        argv = [sys.executable, str(MANAGE_PY), "rqworker", *settings.RQ_QUEUES, "--worker-class", settings.RQ_WORKER_CLASS]
        # rq treats SIGINT/SIGTERM alike: finish the current job, then exit; a second signal is a cold stop.
        self._spawn("worker", argv, stop_signal=signal.SIGINT)

    def _exited(self) -> Child | None:
        return next((child for child in self.children if child.process.poll() is not None), None)

    def wait_ready(self) -> dict:
        """Poll /healthz until the database and Redis answer and a worker is registered."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer yet"
        while time.monotonic() < deadline and not self.signals:
            if (dead := self._exited()) is not None:
                raise LaunchError(f"the {dead.name} process exited (code {dead.process.returncode}) during start")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=5) as response:
                    body = json.load(response)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = str(exc)
            else:
                if body["database"]["ok"] and body["redis"]["ok"] and body["workers"].get("count", 0) >= 1:
                    return body
                last = json.dumps(body)
            time.sleep(0.5)
        if self.signals:
            raise LaunchError("interrupted")
        raise LaunchError(f"the system did not become healthy within {READY_TIMEOUT_S}s: {last}")

    def _wait_children(self, timeout: float) -> list[Child]:
        deadline = time.monotonic() + timeout
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        return [child for child in self.children if child.process.poll() is None]

    def stop(self) -> None:
        """Ask every child to stop, escalate after a grace period, then stop the embedded
        servers this process started."""
        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(child.stop_signal)
        for child in self._wait_children(STOP_GRACE_S):
            # A second SIGINT is rq's cold shutdown: it abandons the job it is running.
            self.say(f"  {child.name} still running after {STOP_GRACE_S}s; forcing it")
            child.process.send_signal(signal.SIGINT if child.name == "worker" else signal.SIGKILL)
        for child in self._wait_children(5):
            child.process.kill()
        self._wait_children(5)
        owned = embedded.started_here()
        if owned:
            self.say(f"→ stopping the embedded {' and '.join(sorted(owned))} this command started")
            embedded.stop(owned)

    # --- the whole run ---------------------------------------------------------------------------

    def banner(self, account: AdminAccount) -> str:
        owned = embedded.started_here()

        def where(variable: str, server: str) -> str:
            if os.environ.get(variable):
                return f"from {variable}"
            return f"embedded under {embedded.VAR_DIR}, " + ("started now, stopped on exit" if server in owned else "already running, left running on exit")

        return "\n".join(
            [
                "",
                "Chroma Archive is running",
                f"  Portal    {self.base_url}/",
                f"  Admin     {self.base_url}/admin/",
                f"  API       {self.base_url}/api/  (docs {self.base_url}/api/docs/)",
                f"  Health    {self.base_url}/healthz",
                f"  Worker    one RQ worker on {', '.join(settings.RQ_QUEUES)}",
                f"  Database  PostgreSQL {where('DATABASE_URL', 'postgres')}",
                f"  Queues    Redis {where('REDIS_URL', 'redis')}",
                "",
                login_hint(account, self.base_url),
                "",
                "Press Ctrl-C to stop.",
            ]
        )

    def run(self) -> int:
        def on_signal(signum, frame):
            self.signals.append(signum)

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        try:
            account = self.setup()
            self.start_web()
            self.start_worker()
            self.wait_ready()
            self.say(self.banner(account))
            self.supervise()
            self.say("\nStopping…")
            return 0
        except LaunchError as exc:
            if self.signals:  # Ctrl-C during setup also interrupts the step that was running
                self.say("\nStopping…")
                return 130
            self.say(f"error: {exc}")
            return 1
        finally:
            # Ignore further Ctrl-C while we take things down cleanly.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            self.stop()
            self.say("Stopped.")
