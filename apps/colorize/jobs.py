"""RQ entry points of the colorize app: they take ids and call services (STYLE.md)."""
from __future__ import annotations

from rq import get_current_job

from . import services
from .models import ColorizationRequest


class ColorizationFailed(Exception):
    """Raised by the job after the service recorded a failure, so RQ marks the job failed too."""


def run_colorization(request_id: int) -> str:
    """The `gpu` job of a colorization request. RQ's job state follows the row: a run that
    failed fails the job, retried by RQ only when the row went back to the queue."""
    job = get_current_job()
    may_retry = bool(job is not None and job.retries_left)
    colorization_request = services.colorization_run(request_id=request_id, may_retry=may_retry)
    if colorization_request.status == ColorizationRequest.Status.QUEUED and may_retry:
        raise ColorizationFailed(f"{colorization_request.error} (will retry)")
    if colorization_request.status == ColorizationRequest.Status.FAILED:
        if job is not None:
            job.retries_left = 0  # the row says failed for good: no RQ retry
        raise ColorizationFailed(colorization_request.error)
    return colorization_request.status


def build_variant_pyramid(variant_id: int) -> str:
    """The `default` job that writes a variant's pyramid (the IIIF tiles' source)."""
    return "ready" if services.variant_build_pyramid(variant_id=variant_id) else "gone"
