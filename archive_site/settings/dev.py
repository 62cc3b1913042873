"""Development: DEBUG on, and the embedded PostgreSQL/Redis under var/ where no URLs are set."""
from .base import *  # noqa: F401,F403
from .base import DATABASE_URL, REDIS_URL, cache_config, database_config, env, env_bool, rq_queues

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")

if not DATABASE_URL or not REDIS_URL:
    from archive_site import embedded

    if not DATABASE_URL:
        DATABASE_URL = embedded.postgres_url()
    if not REDIS_URL:
        REDIS_URL = embedded.redis_url()
    DATABASES = {"default": database_config(DATABASE_URL)}
    RQ_QUEUES = rq_queues(REDIS_URL)
    CACHES = cache_config(REDIS_URL)
