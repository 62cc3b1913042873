"""RQ entry points of the model app: they take ids and call services (STYLE.md)."""
from __future__ import annotations

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
