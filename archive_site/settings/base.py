"""Settings shared by every environment. Everything that differs between machines comes from
the environment; the defaults are safe for development only (see dev.py / production.py)."""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_rq",
    "axes",
    "csp",
    "archive_site",
    "apps.collections",
    "apps.mlcore",
    "apps.colorize",
    "apps.harvest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "archive_site.auth.TokenAuthenticationMiddleware",  # the API token on every route (IIIF, media)
    "archive_site.middleware.RejectBadInputMiddleware",  # NUL / undecodable input → 400, not a 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a login lockout into the lockout page
]

# Content-Security-Policy (django-csp): scripts, styles, fonts, images and fetches from this
# site only; nothing inline except style attributes (positions of annotation boxes come from
# data; a style attribute cannot run script). Views may widen it with csp_update (Redoc).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *[f"'sha256-{digest}'" for digest in (
            # The fixed <style> elements of vendored code (tests/foundation/test_security_headers.py
            # recomputes them, so an upgrade that changes one fails there):
            "9xTiqzfwFaL2SGb1rmr8gysEwVVjIvqWAgmZgqFqpEE=",  # OpenSeadragon 6.1.1's mobile focus rule
            "KKjBAGERxCMkpnyRzzx30Ft5uJyWEE4TggCMJ9MJhMw=",  # django-rq admin pages
            "3HT4TFoCN6UZR/IBz5IGZ/l8VEv+BIOqCR558/XA3Jg=",
            "v5MY146GJAjl1QbCe2MklIw9r0xCNOWCEWSPd53tlgQ=",
        )]],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    },
}

ROOT_URLCONF = "archive_site.urls"
WSGI_APPLICATION = "archive_site.wsgi.application"
ASGI_APPLICATION = "archive_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "archive_site.context_processors.portal",
            ],
        },
    },
]

# --- Services -----------------------------------------------------------------------------
# DATABASE_URL / REDIS_URL point at real services; dev.py and test.py fall back to the
# embedded servers under var/ when they are unset.
DATABASE_URL = env("DATABASE_URL")
REDIS_URL = env("REDIS_URL")


def database_config(url: str) -> dict:
    return dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True)


DATABASES = {"default": database_config(DATABASE_URL)} if DATABASE_URL else {}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_config(redis_url: str | None) -> dict:
    """The default cache holds the API throttle counts, shared by every web worker."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": "cache"}}


CACHES = cache_config(REDIS_URL)

# RQ queues: each with its own timeout, result and failure TTLs (seconds). The names are
# prefixed in tests (RQ_QUEUE_PREFIX) so a test run never touches a live system's queues.
RQ_QUEUE_PREFIX = env("RQ_QUEUE_PREFIX", "")
RQ_QUEUE_SETTINGS = {
    "default": {"timeout": env_int("RQ_DEFAULT_TIMEOUT", 600), "result_ttl": 3600, "failure_ttl": 7 * 86400, "retries": 2},
    "gpu": {"timeout": env_int("RQ_GPU_TIMEOUT", 1800), "result_ttl": 3600, "failure_ttl": 7 * 86400, "retries": 1},
    "training": {"timeout": env_int("RQ_TRAINING_TIMEOUT", 48 * 3600), "result_ttl": 86400, "failure_ttl": 30 * 86400, "retries": 0},
}


def rq_queues(redis_url: str | None) -> dict:
    return {
        f"{RQ_QUEUE_PREFIX}{name}": {"URL": redis_url or "", "DEFAULT_TIMEOUT": conf["timeout"], "DEFAULT_RESULT_TTL": conf["result_ttl"]}
        for name, conf in RQ_QUEUE_SETTINGS.items()
    }


RQ_QUEUES = rq_queues(REDIS_URL)
RQ_SHOW_ADMIN_LINK = True
# The worker class for GPU workers (and the one-command dev start): jobs run in the worker
# process itself (no fork after CUDA initialisation), so loaded models stay in memory
# between jobs. RQ_WORKER_WARMUP lists dotted paths of callables it runs once at start
# (e.g. loading the active model), before the first job; "path@gpu" only in workers that
# listen to the gpu queue.
RQ_WORKER_CLASS = env("RQ_WORKER_CLASS", "archive_site.worker.ArchiveWorker")
RQ_WORKER_WARMUP: list[str] = [
    "apps.mlcore.registry.warm_active@gpu",  # load the active model before the first colorization (gpu workers only)
    "archive_site.jobs.start_reconciler",  # re-queue or fail lost jobs of every kind (JOB_RECONCILE_INTERVAL)
    "archive_site.scratch.scratch_sweep",  # remove the scratch folders a killed worker on this host left
]
# Services enqueue explicitly inside transaction.on_commit (STYLE.md), so the queue itself
# enqueues at once and returns the job.
RQ = {"COMMIT_MODE": "auto"}

# --- Auth ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes): a username is locked out from one address after
# AXES_FAILURE_LIMIT failed logins (portal, admin, API token) until AXES_COOLOFF_MINUTES have
# passed; keyed on the pair, so an attacker cannot lock a user out from everywhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = AXES_COOLOFF_MINUTES / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "archive_site.views.login_locked_out"
AXES_COOLOFF_MESSAGE = f"Too many failed login attempts: try again in {AXES_COOLOFF_MINUTES} minutes."
# Behind a reverse proxy: how many proxies add to X-Forwarded-For (0 = use REMOTE_ADDR).
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Media is never served from a public URL: views check permissions and stream the file.
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL"),
            "region_name": env("AWS_S3_REGION_NAME"),
            "access_key": env("AWS_ACCESS_KEY_ID"),
            "secret_key": env("AWS_SECRET_ACCESS_KEY"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    # No explicit location: FileSystemStorage follows MEDIA_ROOT (tests point it at a temporary folder).
    MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Ingest limits (all configurable) -----------------------------------------------------
INGEST_MAX_BYTES = env_int("INGEST_MAX_BYTES", 512 * 1024 * 1024)
INGEST_MAX_PIXELS = env_int("INGEST_MAX_PIXELS", 250_000_000)
# Decoded pixels one decode may hold at once: masters are read by strips, so only files that
# can only be decoded whole (interlaced PNG, progressive JPEG, WebP, single-strip TIFF) reach it.
INGEST_MAX_DECODE_BYTES = env_int("INGEST_MAX_DECODE_BYTES", 512 * 1024 * 1024)
INGEST_ALLOWED_FORMATS = env_list("INGEST_ALLOWED_FORMATS", "JPEG,PNG,TIFF,WEBP")
IMPORT_ROOT = Path(env("IMPORT_ROOT", str(BASE_DIR / "var" / "import")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- IIIF image service (docs/IIIF.md) ----------------------------------------------------
# The most one image response may hold, after rotation (declared in info.json).
IIIF_MAX_WIDTH = env_int("IIIF_MAX_WIDTH", 10_000)
IIIF_MAX_HEIGHT = env_int("IIIF_MAX_HEIGHT", 10_000)
IIIF_MAX_AREA = env_int("IIIF_MAX_AREA", 25_000_000)
# Renders at once per web process; a request that waits longer than IIIF_RENDER_WAIT_S for a
# slot is answered 503 with Retry-After, so image work cannot take every web thread.
IIIF_RENDER_SLOTS = env_int("IIIF_RENDER_SLOTS", 2)
IIIF_RENDER_WAIT_S = env_float("IIIF_RENDER_WAIT_S", 5)
# Rendered images: where, how many bytes at most (least recently used go first), how often
# a web process trims the folder after writing to it (also: manage.py trim_iiif_cache).
IIIF_CACHE_ROOT = env("IIIF_CACHE_ROOT")  # unset: MEDIA_ROOT/iiif-cache
IIIF_CACHE_MAX_BYTES = env_int("IIIF_CACHE_MAX_BYTES", 2 * 1024**3)
IIIF_CACHE_TRIM_INTERVAL_S = env_float("IIIF_CACHE_TRIM_INTERVAL_S", 300)

# `./bin/start` starts a child that died (the worker, gunicorn) again after a backoff of 1 s
# that doubles with each quick death up to this many seconds.
START_RESTART_MAX_S = env_float("START_RESTART_MAX_S", 60)

# --- Job rows (archive_site.rqjobs) ---------------------------------------------------------
# One reconcile thread per worker re-queues or fails every kind of job row whose job was
# lost, every JOB_RECONCILE_INTERVAL seconds (0: off; `manage.py reconcile_jobs` does one pass).
# Per kind (prefix COLORIZE_, MLCORE_TRAINING_, CSV_IMPORT_): ENQUEUE_GRACE, seconds a queued
# row may lack its job (the enqueue follows the commit); HEARTBEAT_INTERVAL, seconds between
# a running job's heartbeats; HEARTBEAT_STALE, seconds of silence after which its worker is
# taken for dead.
JOB_RECONCILE_INTERVAL = env_float("JOB_RECONCILE_INTERVAL", 60)
# Transient database errors (a PostgreSQL restart) in a job's row writes are retried this
# many times, waiting 1, 2, 4 … seconds, before they count against the attempt.
JOB_DB_RETRY_DELAYS = [float(value) for value in env_list("JOB_DB_RETRY_DELAYS", "1,2,4,8,15")]

COLORIZE_QUEUE = env("COLORIZE_QUEUE", "gpu")
COLORIZE_MAX_VARIANTS = env_int("COLORIZE_MAX_VARIANTS", 16)  # one request's variants go through the network as one batch
COLORIZE_MAX_BULK = env_int("COLORIZE_MAX_BULK", 500)  # photographs one bulk request (a collection, a search) may cover
COLORIZE_ENQUEUE_GRACE = env_float("COLORIZE_ENQUEUE_GRACE", 30)
COLORIZE_HEARTBEAT_INTERVAL = env_float("COLORIZE_HEARTBEAT_INTERVAL", 10)
COLORIZE_HEARTBEAT_STALE = env_float("COLORIZE_HEARTBEAT_STALE", 120)

# Working folders and checkpoints of training runs, shared by the workers that may resume
# one (unset: MEDIA_ROOT/training-runs, following MEDIA_ROOT wherever it is set).
MLCORE_TRAINING_DIR = env("MLCORE_TRAINING_DIR")
MLCORE_TRAINING_MAX_ATTEMPTS = env_int("MLCORE_TRAINING_MAX_ATTEMPTS", 3)  # a resume is an attempt
MLCORE_TRAINING_CACHE_MB = env_int("MLCORE_TRAINING_CACHE_MB", 2048)  # RAM for decoded training images
MLCORE_TRAINING_ENQUEUE_GRACE = env_float("MLCORE_TRAINING_ENQUEUE_GRACE", 60)
MLCORE_TRAINING_HEARTBEAT_INTERVAL = env_float("MLCORE_TRAINING_HEARTBEAT_INTERVAL", 10)
MLCORE_TRAINING_HEARTBEAT_STALE = env_float("MLCORE_TRAINING_HEARTBEAT_STALE", 300)

CSV_IMPORT_ENQUEUE_GRACE = env_float("CSV_IMPORT_ENQUEUE_GRACE", 300)
CSV_IMPORT_HEARTBEAT_INTERVAL = env_float("CSV_IMPORT_HEARTBEAT_INTERVAL", 10)
CSV_IMPORT_HEARTBEAT_STALE = env_float("CSV_IMPORT_HEARTBEAT_STALE", 300)
# Photographs whose derivatives are still pending this long after ingest get their job again.
DERIVATIVES_ENQUEUE_GRACE = env_float("DERIVATIVES_ENQUEUE_GRACE", 300)

# --- Model ----------------------------------------------------------------------------------
SHIPPED_MODEL_PATH = Path(env("SHIPPED_MODEL_PATH", str(BASE_DIR / "apps" / "mlcore" / "weights" / "default.pt")))
MLCORE_DEVICE = env("MLCORE_DEVICE", "auto")
# The benchmark every model version is scored on (apps.mlcore.gan.benchmark): a folder with
# benchmark.json and its images; the default is the shipped model's hold-out split, in the
# repository. Empty: no benchmark (versions compare on their runs' hold-outs only).
MLCORE_BENCHMARK_DIR = env("MLCORE_BENCHMARK_DIR", str(BASE_DIR / "apps" / "mlcore" / "benchmark"))
# Local copies of weights kept in remote (S3) storage, named by sha256.
MODEL_CACHE_DIR = Path(env("MODEL_CACHE_DIR", str(BASE_DIR / "var" / "model-cache")))

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes DRF answer 401 (not 403) to missing or
    # bad credentials.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "archive_site.pagination.ArchivePagination",
    # Anonymous clients are throttled per address; the token endpoint has its own, tighter
    # scope (archive_site.throttles.LoginThrottle, "login"). Counts live in the default cache (Redis); while
    # it cannot be reached the throttles let requests through.
    "DEFAULT_THROTTLE_CLASSES": ["archive_site.throttles.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_ANON_RATE", "300/min"), "login": env("API_LOGIN_RATE", "10/min")},
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "archive_site.openapi.ArchiveAutoSchema",
    "EXCEPTION_HANDLER": "archive_site.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Chroma Archive API",
    "DESCRIPTION": "Collections, photographs, colorizations, reviews and model versions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components, so uploads are typed binary (not uri).
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the error format (archive_site.openapi).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "archive_site.openapi.error_responses"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets shared by several models get one schema name each.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "archive_site.jobrows.JobRow.Status",  # every job row: requests, training runs, CSV imports
        "ReviewStateEnum": "apps.colorize.models.Variant.ReviewState",
        "ModelVersionStatusEnum": "apps.mlcore.models.ModelVersion.Status",
    },
}

# --- Public access to pixels (apps.collections.access) ----------------------------------------
# Per rights statement URI: "metadata", "thumbnail", "display" or "master"; unlisted URIs
# keep the defaults of access.DEFAULT_ACCESS_BY_RIGHTS, unknown ones ACCESS_DEFAULT_LEVEL.
ACCESS_BY_RIGHTS: dict[str, str] = {}
ACCESS_DEFAULT_LEVEL = env("ACCESS_DEFAULT_LEVEL", "thumbnail")
ACCESS_DISPLAY_MAX_SIDE = env_int("ACCESS_DISPLAY_MAX_SIDE", 1200)  # px, longest side of the public display copy

# --- People ---------------------------------------------------------------------------------
# Whom the portal tells people to ask for a role they lack (the 403 page): an address of the
# archive's administrators; empty: "the archive's administrators" without an address.
ARCHIVE_CONTACT_EMAIL = env("ARCHIVE_CONTACT_EMAIL", "")

# --- Harvesting (apps.harvest: OAI-PMH) ------------------------------------------------------
OAI_REPOSITORY_NAME = env("OAI_REPOSITORY_NAME", "Chroma Archive")
# Namespace of record identifiers (oai:<it>:photograph-<id>): the archive's domain name.
OAI_REPOSITORY_IDENTIFIER = env("OAI_REPOSITORY_IDENTIFIER", "chroma-archive.example.org")
OAI_ADMIN_EMAIL = env("OAI_ADMIN_EMAIL", "archive@example.org")
OAI_PAGE_SIZE = env_int("OAI_PAGE_SIZE", 100)  # records per response before a resumption token

# CORS (django-cors-headers) for reads by other sites: the API, OAI-PMH and the records.
# Without credentials, so a browser never sends a visitor's session cookie cross-site: other
# sites read what the public may see (or what an explicit token allows). IIIF sets its own
# headers (public images only).
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_URLS_REGEX = r"^/(api/|oai|records/)"
CORS_EXPOSE_HEADERS = ["Link", "ETag", "Last-Modified"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"pgserver": {"level": "WARNING"}, "pyvips": {"level": "WARNING"}},
}
