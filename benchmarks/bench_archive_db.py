"""Shared set-up for the archive benchmarks: Django on a database of their own (never the
development or test data), private media and queue names, and a small timing report."""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _database_url(name: str) -> tuple[str, str]:
    """(server URL for CREATE DATABASE, URL of the benchmark database)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.path.insert(0, str(BASE_DIR))
        from archive_site import embedded

        url = embedded.postgres_url()
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def setup_django(database: str) -> None:
    """Point Django at `database` (created if missing, then migrated) and set it up."""
    import psycopg

    server_url, bench_url = _database_url(database)
    with psycopg.connect(server_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone():
            connection.execute(f'CREATE DATABASE "{database}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive_site.settings.dev")
    os.environ["DEBUG"] = "0"  # DEBUG keeps every query in memory: not what production runs
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["RQ_QUEUE_PREFIX"] = "bench-"
    os.environ["MEDIA_ROOT"] = os.environ.get("BENCH_MEDIA_ROOT") or tempfile.mkdtemp(prefix="bench-media-")
    # Without DEBUG, pages need collected (hashed) static files, as in production.
    os.environ["STATIC_ROOT"] = tempfile.mkdtemp(prefix="bench-static-")
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} | {percentile(values, 95) * 1000:.1f}"


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), platform.processor())
    except (OSError, subprocess.CalledProcessError):
        model = platform.processor()
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"
