"""RQ entry points of the model app: they take ids and call services (STYLE.md)."""
from __future__ import annotations

from . import services
from .models import ModelVersion, TrainingRun


class TrainingFailed(Exception):
    """Raised by the job after the service recorded a failure, so RQ marks the job failed too."""


def run_training(run_id: int) -> str:
    """The `training` job of a training run; the run's row says how it ended."""
    training_run = services.training_run_execute(run_id=run_id)
    if training_run.status == TrainingRun.Status.FAILED:
        raise TrainingFailed(training_run.error)
    return training_run.status


def score_benchmark(model_version_id: int) -> dict:
    """The `training` job that scores a model version on the benchmark set; a failure is in
    the version's history (and raised, so RQ marks the job failed)."""
    version = services.model_version_benchmark(model_version=ModelVersion.objects.get(pk=model_version_id))
    return version.benchmark["scores"]
