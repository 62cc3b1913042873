"""Settings of the colorize app, each overridable in Django settings (or the environment)."""
from __future__ import annotations

import os

from django.conf import settings


def _setting(name: str, default: float, kind=int):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return kind(value)


def queue_name() -> str:
    """The unprefixed RQ queue colorizations run on."""
    return getattr(settings, "COLORIZE_QUEUE", "gpu")


def max_variants() -> int:
    """Most variants one request may ask for (they go through the network as one batch)."""
    return _setting("COLORIZE_MAX_VARIANTS", 16)


def max_bulk_photographs() -> int:
    """Most photographs one bulk request (a collection, a search result) may cover."""
    return _setting("COLORIZE_MAX_BULK", 500)


def reconcile_interval() -> float:
    """Seconds between the reconciliation passes a worker runs in the background (0: none)."""
    return _setting("COLORIZE_RECONCILE_INTERVAL", 60, float)


def enqueue_grace() -> int:
    """Seconds a queued request may lack its job before reconcile calls it lost (the enqueue
    happens just after the commit)."""
    return _setting("COLORIZE_ENQUEUE_GRACE", 30)


def heartbeat_interval() -> float:
    """Seconds between the heartbeats a running job writes to its request row."""
    return _setting("COLORIZE_HEARTBEAT_INTERVAL", 10, float)


def heartbeat_stale() -> int:
    """Seconds without a heartbeat after which a running request's worker is taken for dead."""
    return _setting("COLORIZE_HEARTBEAT_STALE", 120)
