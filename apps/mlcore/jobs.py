"""RQ entry points of the model app: they take ids and call services (STYLE.md)."""
from __future__ import annotations

from django.conf import settings

from archive_site.periodic import PeriodicThread

from . import services
from .models import TrainingRun


class TrainingFailed(Exception):
    """Raised by the job after the service recorded a failure, so RQ marks the job failed too."""


def run_training(run_id: int) -> str:
    """The `training` job of a training run; the run's row says how it ended."""
    training_run = services.training_run_execute(run_id=run_id)
    if training_run.status == TrainingRun.Status.FAILED:
        raise TrainingFailed(training_run.error)
    return training_run.status


_reconciler: PeriodicThread | None = None


def start_reconciler() -> PeriodicThread | None:
    """Worker warm-up (settings.RQ_WORKER_WARMUP): re-queue or fail lost training runs every
    MLCORE_TRAINING_RECONCILE_INTERVAL seconds (default 60; 0 turns it off) in a daemon thread."""
    global _reconciler
    interval = float(getattr(settings, "MLCORE_TRAINING_RECONCILE_INTERVAL", 60))
    if interval > 0 and (_reconciler is None or not _reconciler.is_alive()):
        _reconciler = PeriodicThread("training-reconciler", lambda: interval, services.training_runs_reconcile)
        _reconciler.start()
    return _reconciler
