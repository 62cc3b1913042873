"""The embedded PostgreSQL and Redis: idempotent, safe to start from two processes at once,
and stop leaves no server behind. Runs on a private var/ folder, never the developer's."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]


def _embedded(var_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "CHROMA_VAR_DIR": str(var_dir)}
    return subprocess.run([sys.executable, "-m", "archive_site.embedded", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check, timeout=120)


def _status(var_dir: Path) -> dict:
    return json.loads(_embedded(var_dir, "status", "--json", check=False).stdout)


def _gone(pid: int) -> bool:
    """True when the process has exited (a zombie not yet reaped by PID 1 counts as exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture(scope="module")
def var_dir():
    # Not under pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to mode 0700, which
    # locks out the system user pgserver runs postgres as (when we are root). Short, too:
    # unix socket paths are limited to about 100 characters.
    # One folder for the module: initdb runs once; each test starts from stopped servers.
    path = Path(tempfile.mkdtemp(prefix="chroma-emb-")) / "var"
    yield path
    _embedded(path, "stop", check=False)
    shutil.rmtree(path.parent, ignore_errors=True)


@pytest.mark.slow
def test_two_processes_starting_at_once_share_one_pair_of_servers_and_stop_ends_them(var_dir):
    env = {**os.environ, "CHROMA_VAR_DIR": str(var_dir)}
    starters = [
        subprocess.Popen([sys.executable, "-m", "archive_site.embedded", "start", "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [json.loads(p.communicate(timeout=120)[0]) for p in starters]
    assert all(p.returncode == 0 for p in starters)
    assert results[0]["DATABASE_URL"] == results[1]["DATABASE_URL"]
    assert results[0]["REDIS_URL"] == results[1]["REDIS_URL"]
    # Each server was started by exactly one of them.
    started = results[0]["started"] + results[1]["started"]
    assert sorted(started) == ["postgres", "redis"]

    status = _status(var_dir)
    assert len(status["postgres"]["pids"]) == 1 and len(status["redis"]["pids"]) == 1
    with psycopg.connect(results[0]["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(results[0]["REDIS_URL"]).ping()

    # Idempotent: a third start starts nothing.
    assert json.loads(_embedded(var_dir, "start", "--json").stdout)["started"] == []

    pids = status["postgres"]["pids"] + status["redis"]["pids"]
    _embedded(var_dir, "stop")
    assert _embedded(var_dir, "status", check=False).returncode == 3
    assert all(_gone(pid) for pid in pids)


@pytest.mark.slow
def test_a_redis_that_lost_its_socket_is_replaced_not_orphaned(var_dir):
    _embedded(var_dir, "start")
    orphan = _status(var_dir)["redis"]["pids"][0]
    (var_dir / "redis" / "redis.sock").unlink()

    assert json.loads(_embedded(var_dir, "start", "--json").stdout)["started"] == ["redis"]
    pids = _status(var_dir)["redis"]["pids"]
    assert len(pids) == 1 and pids[0] != orphan
    assert _gone(orphan)
    _embedded(var_dir, "stop")


@pytest.mark.slow
def test_stop_ends_a_server_whose_pid_file_is_gone(var_dir):
    _embedded(var_dir, "start")
    postmaster = _status(var_dir)["postgres"]["pids"][0]
    (var_dir / "redis" / "redis.pid").unlink()
    _embedded(var_dir, "stop")
    assert _status(var_dir)["redis"]["running"] is False
    assert _gone(postmaster)


@pytest.mark.slow
def test_start_recovers_from_a_stale_pid_file_left_by_a_crash(var_dir):
    _embedded(var_dir, "stop")
    # What an interrupted initdb leaves behind: a negative pid and no status line.
    (var_dir / "pgdata" / "postmaster.pid").write_text(f"-999999\n{var_dir / 'pgdata'}\n1795759847\n5432\n\n\n  2290241        57\n")
    url = json.loads(_embedded(var_dir, "start", "--json").stdout)["DATABASE_URL"]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    _embedded(var_dir, "stop")
