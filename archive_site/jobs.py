"""Worker-side jobs of the project: the reconcile thread every worker runs."""
from __future__ import annotations

from django.conf import settings

from . import rqjobs
from .periodic import PeriodicThread

_reconciler: PeriodicThread | None = None


def start_reconciler() -> PeriodicThread | None:
    """Worker warm-up (settings.RQ_WORKER_WARMUP): a reconcile pass over every kind of job
    row every JOB_RECONCILE_INTERVAL seconds in a daemon thread of the worker process, so
    lost jobs are found without a separate scheduler. One per worker process; the pass is
    safe to run from several at once. Returns the thread (None when the interval is 0)."""
    global _reconciler
    if settings.JOB_RECONCILE_INTERVAL > 0 and (_reconciler is None or not _reconciler.is_alive()):
        _reconciler = PeriodicThread("job-reconciler", lambda: float(settings.JOB_RECONCILE_INTERVAL), rqjobs.reconcile)
        _reconciler.start()
    return _reconciler
