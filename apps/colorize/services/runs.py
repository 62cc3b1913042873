"""Running a colorization request: what the `gpu` job does, all or nothing."""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from rq.timeouts import JobTimeoutException

from apps.mlcore import colorizing
from apps.mlcore.registry import ModelUnavailable
from archive_site.rqjobs import Attempt, attempt_start, job_row_move
from archive_site.scratch import scratch_dir
from archive_site.storage import files_delete

from ..models import ColorizationRequest, Variant
from .pyramids import variant_pyramids_enqueue_on_commit

logger = logging.getLogger(__name__)

Status = ColorizationRequest.Status


class _Superseded(Exception):
    """The row moved on without this run (reconcile gave up on it or re-queued it)."""


def request_folder(colorization_request: ColorizationRequest) -> str:
    """Storage folder of a request's files: one per request, so a failed run can be swept whole."""
    return f"colorizations/{colorization_request.photograph_id}/{colorization_request.pk}"


def discard_request_files(colorization_request: ColorizationRequest) -> int:
    """Delete what runs of a request that has no variant rows left in storage (a killed
    worker cannot clean up after itself). Returns the number of files removed."""
    if colorization_request.variants.exists():
        return 0
    folder = request_folder(colorization_request)
    try:
        _, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    files_delete(f"{folder}/{name}" for name in files)
    return len(files)


def _store(colorization_request: ColorizationRequest, rendering: colorizing.Rendering, stored: list[str]) -> list[Variant]:
    """Copy the rendered files into media storage, appending each name to `stored` as soon as it exists."""
    folder = request_folder(colorization_request)
    variants = []
    for rendered in rendering.variants:
        names = []
        for path in (rendered.image_path, rendered.thumbnail_path):
            with open(path, "rb") as handle:
                name = default_storage.save(f"{folder}/{path.name}", File(handle, name=path.name))
            stored.append(name)
            names.append(name)
        variants.append(
            Variant(
                request=colorization_request,
                photograph_id=colorization_request.photograph_id,
                seed=rendered.seed,
                image=names[0],
                thumbnail=names[1],
                image_sha256=rendered.sha256,
                width=rendered.width,
                height=rendered.height,
                provenance=rendered.provenance,
                metrics=rendered.metrics,
            )
        )
    return variants


def _user_message(error: BaseException, colorization_request: ColorizationRequest) -> str:
    if isinstance(error, JobTimeoutException):
        return f"The colorization took longer than the queue's limit of {colorization_request.timeout} s."
    if isinstance(error, colorizing.ImageReadError):
        return f"The master file could not be read: {error}"
    if isinstance(error, FileNotFoundError):
        return "The master file is missing from storage."
    if isinstance(error, ModelUnavailable):
        return f"The model is unavailable: {error}"
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return f"{type(error).__name__}: {error}"


# Errors that the same attempt would meet again: no retry.
PERMANENT_ERRORS = (colorizing.ImageReadError, FileNotFoundError, ModelUnavailable, ValidationError)


def _record_failure(attempt: Attempt, error: BaseException, *, may_retry: bool) -> None:
    """Record the error: back to the queue when a retry will come, else failed."""
    row = ColorizationRequest.objects.get(pk=attempt.row_id)
    message = _user_message(error, row)
    if may_retry and not isinstance(error, PERMANENT_ERRORS) and row.attempts < row.max_attempts:
        attempt.end(Status.QUEUED, event="retrying", error=f"Attempt {attempt.number} of {row.max_attempts} failed: {message}")
    else:
        attempt.end(Status.FAILED, error=message)


def colorization_run(*, request_id: int, may_retry: bool = False) -> ColorizationRequest:
    """Run a request (the `gpu` job body); idempotent: a finished request is left as it is.

    Marks it running (a new attempt), colorizes every seed in one batch through the mlcore
    seam, copies the files into storage, then creates the variant rows and marks it
    succeeded in one transaction. Any failure removes the files written and records the
    error: the request never has half its variants. A cancel asked for meanwhile is
    honoured between stages. After a transient failure, with attempts left and
    `may_retry` (the caller will run it again: RQ's retry), the request goes back to
    `queued`; otherwise it ends `failed`. Returns the request as it ended.
    """
    started = attempt_start(ColorizationRequest, request_id, related=("photograph", "model_version"))
    if started is None:
        return ColorizationRequest.objects.get(pk=request_id)
    colorization_request, attempt = started
    workdir = scratch_dir(f"colorize-{request_id}")
    stored: list[str] = []
    clock = time.perf_counter()

    def progress(fraction: float, stage: str) -> None:
        attempt.update(progress=round(min(max(fraction, 0.0), 1.0), 3), stage=stage)

    try:
        with attempt.heartbeating():
            return _colorize(colorization_request, attempt, workdir, stored, clock, progress)
    except colorizing.ColorizationCancelled:
        files_delete(stored)
        attempt.end(Status.CANCELLED)
    except _Superseded:
        files_delete(stored)
        logger.warning("colorization request %s: attempt %s was superseded; its files were removed", request_id, attempt.number)
    except BaseException as error:
        files_delete(stored)
        logger.exception("colorization request %s: attempt %s failed", request_id, attempt.number)
        _record_failure(attempt, error, may_retry=may_retry)
        if not isinstance(error, Exception):
            raise  # KeyboardInterrupt, SystemExit: recorded, and the worker still stops
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ColorizationRequest.objects.get(pk=request_id)


def _colorize(colorization_request: ColorizationRequest, attempt: Attempt, workdir: Path, stored: list[str], clock: float, progress) -> ColorizationRequest:
    """The attempt's work: render every seed, store the files, then the variant rows and the success in one transaction."""
    discard_request_files(colorization_request)
    photograph = colorization_request.photograph
    with photograph.master.open("rb") as master:
        rendering = colorizing.colorize_master(
            model_version=colorization_request.model_version,
            master=master,
            seeds=colorization_request.seeds,
            working_size=colorization_request.working_size,
            provenance={
                "request_id": colorization_request.pk,
                "photograph_id": photograph.pk,
                "photograph_identifier": photograph.identifier,
                "photograph_sha256": photograph.sha256,
                "model_version_id": colorization_request.model_version_id,
                "parameters": {"working_size": colorization_request.working_size, **colorization_request.params},
            },
            workdir=workdir,
            compare_with_original=not photograph.is_grayscale,
            progress=progress,
            should_cancel=attempt.should_stop,
        )
    storing = time.perf_counter()
    variants = _store(colorization_request, rendering, stored)
    timings = {**rendering.timings, "store": round(time.perf_counter() - storing, 4), "model_was_loaded": rendering.model_was_loaded}
    with transaction.atomic():
        row = attempt.locked()
        if row is None:
            raise _Superseded()
        if row.cancel_requested:
            raise colorizing.ColorizationCancelled()
        Variant.objects.bulk_create(variants)
        variant_pyramids_enqueue_on_commit(variant_ids=[variant.pk for variant in variants])
        timings["total"] = round(time.perf_counter() - clock, 4)
        return job_row_move(row, Status.SUCCEEDED, timings={**timings, "seed_diversity": rendering.seed_diversity})
