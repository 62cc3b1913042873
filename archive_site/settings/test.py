"""Tests: the real services (DATABASE_URL/REDIS_URL, as CI sets them) or the embedded ones,
test-only queue names so a test run never touches a live system's queues, fast hashing."""
import os

# The embedded servers under var/ are shared by every test run of this checkout (two
# terminals, the dev server): there each run gets its own queues and test database.
os.environ.setdefault("RQ_QUEUE_PREFIX", "test-" if os.environ.get("REDIS_URL") else f"test-{os.getpid()}-")

from .base import RQ_WORKER_WARMUP, env_list, rq_queues  # noqa: E402
from .dev import *  # noqa: E402,F401,F403
from .dev import REDIS_URL  # noqa: E402

DEBUG = False
RQ_QUEUE_PREFIX = os.environ["RQ_QUEUE_PREFIX"]
RQ_QUEUES = rq_queues(REDIS_URL)
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"]["TEST"] = {"NAME": f"test_chroma_{os.getpid()}"}  # noqa: F405
# Worker warm-ups a test adds to its worker subprocess (tests/support/slow_jobs.py).
RQ_WORKER_WARMUP = [*RQ_WORKER_WARMUP, *env_list("TEST_WORKER_WARMUP")]
# Throttle counts per test process, emptied before each test (tests/conftest.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# No benchmark unless a test makes one (tests/support/mlcore.py: a tiny one in a temporary folder).
MLCORE_BENCHMARK_DIR = os.environ.get("MLCORE_BENCHMARK_DIR", "")
