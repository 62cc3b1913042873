"""Asking for colorizations: create (one photograph or many), cancel, re-run, and the enqueue they share."""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis.exceptions import RedisError

from apps.collections.models import Photograph
from apps.mlcore.models import ModelVersion
from apps.mlcore.selectors import model_version_active
from archive_site.rqjobs import LIVE_JOB_STATES, fetch_job, job_enqueue_on_commit, job_row_cancel

from ..models import ColorizationBatch, ColorizationRequest

logger = logging.getLogger(__name__)

# Seeds stay below 2**53 so they survive JSON in every browser and client unchanged.
MAX_SEED = 2**53 - 1
RANDOM_SEED_BOUND = 2**31
MIN_WORKING_SIZE = 64
MAX_WORKING_SIZE = 1024
DEFAULT_WORKING_SIZE = 256


class ColorizationRefused(Exception):
    """A request that is valid but cannot be accepted now; `code` says why, `existing` is the request in the way."""

    def __init__(self, message: str, *, code: str, existing: ColorizationRequest | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.existing = existing


def request_fingerprint(*, photograph_id: int, model_version_id: int, seeds: Sequence[int], working_size: int, params: dict) -> str:
    """sha256 of what makes two requests the same work: photograph, model version, seeds (as a set), parameters."""
    identity = {"photograph": photograph_id, "model_version": model_version_id, "seeds": sorted(seeds), "working_size": working_size, "params": params}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def job_id_for(fingerprint: str) -> str:
    """The deterministic RQ job id of a request (namespaced like the queues, so test runs and
    deployments sharing one Redis never collide)."""
    return f"{settings.RQ_QUEUE_PREFIX}colorize-{fingerprint}"


def _clean_seeds(*, n_variants: int | None, seeds: Sequence[int] | None) -> list[int]:
    limit = settings.COLORIZE_MAX_VARIANTS
    if (n_variants is None) == (seeds is None):
        raise ValidationError({"seeds": "Ask for a number of variants or for explicit seeds (one of the two)."})
    if seeds is None:
        if not 1 <= n_variants <= limit:
            raise ValidationError({"n_variants": f"Ask for between 1 and {limit} variants."})
        chosen: set[int] = set()
        while len(chosen) < n_variants:
            chosen.add(secrets.randbelow(RANDOM_SEED_BOUND))
        return sorted(chosen)
    seeds = list(seeds)
    if not 1 <= len(seeds) <= limit:
        raise ValidationError({"seeds": f"Give between 1 and {limit} seeds."})
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise ValidationError({"seeds": f"Seeds are whole numbers from 0 to {MAX_SEED}; {seed!r} is not."})
    if len(set(seeds)) != len(seeds):
        raise ValidationError({"seeds": "Each seed may appear only once: the same seed gives the same variant."})
    return seeds


def _clean_model_version(model_version: ModelVersion | None) -> ModelVersion:
    if model_version is None:
        model_version = model_version_active()
        if model_version is None:
            raise ValidationError({"model_version": "No model version is active; a curator must activate one first."})
    if model_version.status == ModelVersion.Status.RETIRED:
        raise ValidationError({"model_version": f"{model_version} is retired; choose another version."})
    return model_version


def _clean_working_size(working_size: int, model_version: ModelVersion) -> int:
    multiple = model_version.input_multiple
    low = max(MIN_WORKING_SIZE, multiple)
    if not isinstance(working_size, int) or not low <= working_size <= MAX_WORKING_SIZE:
        raise ValidationError({"working_size": f"The working size is a short side from {low} to {MAX_WORKING_SIZE} pixels."})
    return working_size


def colorization_request_create(
    *,
    photograph: Photograph,
    user,
    n_variants: int | None = None,
    seeds: Sequence[int] | None = None,
    model_version: ModelVersion | None = None,
    working_size: int = DEFAULT_WORKING_SIZE,
    params: dict | None = None,
    batch: ColorizationBatch | None = None,
) -> ColorizationRequest:
    """Store a request for `n_variants` random seeds (stored) or explicit `seeds`, and enqueue its job on commit.

    The model version defaults to the active one. An identical request (same photograph,
    model version, seeds and parameters) that is still queued or running is refused with
    ColorizationRefused(code="duplicate", existing=…); the database enforces it too.
    """
    seeds = _clean_seeds(n_variants=n_variants, seeds=seeds)
    model_version = _clean_model_version(model_version)
    working_size = _clean_working_size(working_size, model_version)
    params = dict(params or {})
    fingerprint = request_fingerprint(photograph_id=photograph.pk, model_version_id=model_version.pk, seeds=seeds, working_size=working_size, params=params)
    _refuse_duplicate(fingerprint)
    queue_name = settings.COLORIZE_QUEUE
    queue_conf = settings.RQ_QUEUE_SETTINGS[queue_name]
    colorization_request = ColorizationRequest(
        photograph=photograph,
        model_version=model_version,
        seeds=seeds,
        working_size=working_size,
        params=params,
        fingerprint=fingerprint,
        queue_name=queue_name,
        job_id=job_id_for(fingerprint),
        max_attempts=1 + int(queue_conf.get("retries", 0)),
        timeout=int(queue_conf["timeout"]),
        requested_by=_requester(user),
        batch=batch,
    )
    try:
        with transaction.atomic():
            colorization_request.save()
    except IntegrityError:
        # Lost a race with an identical request committed a moment ago.
        _refuse_duplicate(fingerprint)
        raise
    job_enqueue_on_commit(colorization_request)
    return colorization_request


def _requester(user):
    return user if user is not None and user.is_authenticated else None


def _refuse_duplicate(fingerprint: str) -> None:
    existing = ColorizationRequest.objects.filter(fingerprint=fingerprint, status__in=ColorizationRequest.ACTIVE_STATUSES).first()
    if existing is not None:
        raise ColorizationRefused(
            f"An identical colorization (request #{existing.pk}) is already {existing.status}; "
            "wait for it or cancel it, or ask for other seeds.",
            code="duplicate",
            existing=existing,
        )
    try:
        job = fetch_job(settings.COLORIZE_QUEUE, job_id_for(fingerprint))
    except (RedisError, OSError):
        # Redis is down: the row is still the record (and the database refuses duplicates);
        # the job is enqueued by reconcile once Redis is back.
        logger.warning("Redis unavailable while checking for a duplicate colorization job", exc_info=True)
        return
    if job is not None and job.get_status() in LIVE_JOB_STATES:
        raise ColorizationRefused(
            "An identical colorization is still on a worker (it was cancelled or given up on, but has not stopped yet); try again in a minute.",
            code="duplicate",
        )


@dataclass
class BulkResult:
    batch: ColorizationBatch
    created: list[ColorizationRequest] = field(default_factory=list)
    refused: list[tuple[Photograph, str]] = field(default_factory=list)


def colorization_request_create_many(
    *,
    photographs: Iterable[Photograph],
    user,
    n_variants: int | None = None,
    seeds: Sequence[int] | None = None,
    model_version: ModelVersion | None = None,
    working_size: int = DEFAULT_WORKING_SIZE,
    params: dict | None = None,
    label: str = "",
) -> BulkResult:
    """One request per photograph of a selection (a collection, a search result, photographs
    ticked in the portal), recorded together as one ColorizationBatch (`label` says what was
    selected) so their progress can be followed as one.

    Invalid arguments refuse the whole batch; a photograph that already has an identical
    request queued or running is reported in `refused` (kept on the batch) and the others go ahead.
    """
    photographs = list(photographs)
    limit = settings.COLORIZE_MAX_BULK
    if not photographs:
        raise ValidationError("The selection holds no photographs.")
    if len(photographs) > limit:
        raise ValidationError(f"The selection holds {len(photographs)} photographs; at most {limit} can be requested at once.")
    _clean_seeds(n_variants=n_variants, seeds=seeds)  # refuse bad arguments before creating anything
    model_version = _clean_model_version(model_version)
    working_size = _clean_working_size(working_size, model_version)
    with transaction.atomic():
        result = BulkResult(batch=ColorizationBatch.objects.create(label=label[:200], requested_by=_requester(user)))
        for photograph in photographs:
            try:
                result.created.append(
                    colorization_request_create(
                        photograph=photograph, user=user, n_variants=n_variants, seeds=seeds,
                        model_version=model_version, working_size=working_size, params=params, batch=result.batch,
                    )
                )
            except ColorizationRefused as refusal:
                result.refused.append((photograph, refusal.message))
        if result.refused:
            result.batch.refused = [{"photograph": photograph.pk, "message": message} for photograph, message in result.refused]
            result.batch.save(update_fields=["refused"])
    return result


def colorization_request_cancel(*, colorization_request: ColorizationRequest, user) -> ColorizationRequest:
    """Cancel a queued request at once (its job is cancelled too); ask a running one to stop
    at its next stage (it ends `cancelled`, with no variants)."""
    return job_row_cancel(colorization_request, who=_who(user))


def _who(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else "the system"


def colorization_request_rerun(*, colorization_request: ColorizationRequest, user) -> ColorizationRequest:
    """Queue a failed or cancelled request again, with a fresh attempt budget and the queue's current timeout."""
    with transaction.atomic():
        locked = ColorizationRequest.objects.select_for_update().get(pk=colorization_request.pk)
        if locked.status not in (ColorizationRequest.Status.FAILED, ColorizationRequest.Status.CANCELLED):
            raise ValidationError(f"Only failed or cancelled requests can be re-run; #{locked.pk} is {locked.status}.")
        _refuse_duplicate(locked.fingerprint)
        queue_conf = settings.RQ_QUEUE_SETTINGS[locked.queue_name]
        locked.status = ColorizationRequest.Status.QUEUED
        locked.progress = 0.0
        locked.stage = ""
        locked.error = ""
        locked.attempts = 0
        locked.max_attempts = 1 + int(queue_conf.get("retries", 0))
        locked.timeout = int(queue_conf["timeout"])
        locked.cancel_requested = False
        locked.queued_at = timezone.now()
        locked.started_at = locked.finished_at = locked.heartbeat_at = None
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            _refuse_duplicate(locked.fingerprint)
            raise
        job_enqueue_on_commit(locked)
    return locked
