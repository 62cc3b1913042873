"""The API's throttles (settings.REST_FRAMEWORK). A module of their own: DRF imports the
default throttle classes while `rest_framework.views` loads, so this one must not import it."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rest_framework import throttling

logger = logging.getLogger(__name__)


class _OutageTolerant:
    """Throttle counts live in the default cache (Redis). While it cannot be reached (a Redis
    restart) requests go through, logged, instead of failing with a 500; logins stay guarded
    by django-axes, whose records are in the database."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except RedisError:
            logger.warning("%s skipped: the cache holding its counts cannot be reached", type(self).__name__, exc_info=True)
            return True


class AnonymousThrottle(_OutageTolerant, throttling.AnonRateThrottle):
    """The anonymous API's rate (API_ANON_RATE), per address: settings.REST_FRAMEWORK's default."""


class LoginThrottle(_OutageTolerant, throttling.ScopedRateThrottle):
    """The rate of a view's `throttle_scope` (the token endpoint: "login", API_LOGIN_RATE)."""
