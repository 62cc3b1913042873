"""Scoring model versions on the benchmark set (settings.MLCORE_BENCHMARK_DIR): now, in this
process (`model_version_benchmark`, the job body and `manage.py evaluate_benchmark`), or
queued on the `training` queue (`model_version_benchmark_request`). Every version's score
is stored on it with the benchmark's id, so all versions compare in one table."""
from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from archive_site.rqjobs import LIVE_JOB_STATES, enqueue_replacing, fetch_job

from .. import registry
from ..gan import benchmark as scoring
from ..gan.benchmark import Benchmark, BenchmarkError
from ..models import ModelVersion, ModelVersionEvent
from ..selectors import benchmark_current
from .history import model_version_record
from .jsonvalues import finite

logger = logging.getLogger(__name__)

Kind = ModelVersionEvent.Kind
JOB_FUNCTION = "apps.mlcore.jobs.score_benchmark"
QUEUE = "training"


def benchmark_configured(*, verify: bool = True) -> Benchmark:
    """The configured benchmark, checked; ValidationError saying what is wrong otherwise."""
    try:
        benchmark = benchmark_current(verify=verify)
    except BenchmarkError as error:
        raise ValidationError(f"The benchmark set cannot be used: {error}") from error
    if benchmark is None:
        raise ValidationError("No benchmark set is configured (MLCORE_BENCHMARK_DIR is empty).")
    return benchmark


def benchmark_summary(record: dict) -> dict:
    """What a history event keeps of a benchmark record."""
    return {"benchmark": record.get("id"), "images": record.get("images"), "scores": record.get("scores"), "spread": record.get("spread")}


def benchmark_job_id(model_version_id: int) -> str:
    return f"{settings.RQ_QUEUE_PREFIX}benchmark-model-version-{model_version_id}"


def model_version_benchmark_store(*, model_version: ModelVersion, record: dict, user=None) -> ModelVersion:
    """Keep a benchmark record (from `gan.benchmark.score`) on the version, and say so in its history."""
    with transaction.atomic():
        locked = ModelVersion.objects.select_for_update().get(pk=model_version.pk)
        locked.benchmark = finite({**record, "evaluated_at": timezone.now().isoformat()})
        locked.save(update_fields=["benchmark"])
        model_version_record(locked, Kind.BENCHMARKED, user=user, details=benchmark_summary(locked.benchmark))
    return locked


def model_version_benchmark(*, model_version: ModelVersion, user=None, progress=None) -> ModelVersion:
    """Score `model_version` on the configured benchmark here and now, and store the result
    (scores, per-seed values and spreads, the grayscale input's scores, the benchmark id).
    A failure is recorded in the version's history and raised as a ValidationError."""
    benchmark = benchmark_configured()
    started = time.perf_counter()
    try:
        colorizer = registry.colorizer_for(model_version)
        [record] = scoring.score([colorizer], benchmark, device=settings.MLCORE_DEVICE, progress=progress)
    except Exception as error:
        logger.exception("benchmark scoring of model version %s failed", model_version.pk)
        message = f"Scoring {model_version} on benchmark {benchmark.id} failed: {type(error).__name__}: {error}"
        model_version_record(model_version, Kind.BENCHMARK_FAILED, user=user, details={"benchmark": benchmark.id, "error": message})
        raise ValidationError(message) from error
    record["seconds"] = round(time.perf_counter() - started, 1)
    record["device"] = str(colorizer.device)
    return model_version_benchmark_store(model_version=model_version, record=record, user=user)


def model_version_benchmark_request(*, model_version: ModelVersion, user=None, if_configured: bool = False) -> bool:
    """Queue the scoring of `model_version` on the benchmark: a job on the `training` queue
    once the transaction commits (one per version: a request while one waits or runs
    changes nothing). Returns whether it was queued. Without a configured benchmark:
    ValidationError, or nothing when `if_configured`."""
    try:
        benchmark = benchmark_configured(verify=False)
    except ValidationError:
        if if_configured:
            return False
        raise
    job_id = benchmark_job_id(model_version.pk)
    existing = fetch_job(QUEUE, job_id)
    if existing is not None and existing.get_status() in LIVE_JOB_STATES:
        return False
    model_version_record(model_version, Kind.BENCHMARK_REQUESTED, user=user, details={"benchmark": benchmark.id})
    version_id = model_version.pk

    def enqueue():
        enqueue_replacing(QUEUE, JOB_FUNCTION, version_id, job_id=job_id, description=f"Score model version {version_id} on the benchmark")

    transaction.on_commit(enqueue, robust=True)
    return True
