"""Pyramids of variants: the pyramidal tiled TIFF the IIIF image service cuts a variant's
tiles from, as it does for photographs (apps.collections.services.derivatives).

A variant's pyramid is a derivative job on the `default` queue, enqueued when the variant
rows commit; it is stored at a name derived from the variant (no column records it), so
its presence in storage is its state. A reconcile pass (part of every reconcile) enqueues
the job again for variants whose pyramid is missing and whose job was lost; deleting a
variant deletes its pyramid (receivers).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from rq import Retry
from rq.job import JobStatus

from apps.collections.services.derivatives import pyramid_store
from archive_site.rqjobs import ReconcileAction, db_retrying, enqueue_replacing, fetch_job, lost_job_reason

from ..models import Variant

logger = logging.getLogger(__name__)

PYRAMID_FOLDER = "colorizations/pyramids"
JOB_FUNCTION = "apps.colorize.jobs.build_variant_pyramid"


def variant_pyramid_name(variant_id: int) -> str:
    """Where the pyramid of variant `variant_id` is stored (media storage)."""
    return f"{PYRAMID_FOLDER}/{variant_id}.tif"


def _job_id(variant_id: int) -> str:
    return f"variant-pyramid-{variant_id}"


def variant_build_pyramid(*, variant_id: int) -> Variant | None:
    """Write the variant's pyramid from its full-resolution image unless it is there already.
    None when the variant is gone — also when it was deleted while the pyramid was being
    written, which is then removed, so a deleted variant leaves no file."""
    variant = db_retrying(Variant.objects.filter(pk=variant_id).first, what=f"variant {variant_id}")
    if variant is None:
        return None
    name = variant_pyramid_name(variant_id)
    storage = variant.image.storage
    if storage.exists(name):
        return variant
    with variant.image.open("rb") as image:
        pyramid_store(storage=storage, name=name, image=image)
    if not db_retrying(Variant.objects.filter(pk=variant_id).exists, what=f"variant {variant_id}"):
        storage.delete(name)  # its own deletion ran before the pyramid existed
        return None
    return variant


def variant_pyramids_enqueue(*, variant_ids: list[int]) -> None:
    """Put the pyramid jobs of these variants on the `default` queue (a live one is kept).
    A failure to reach Redis is logged: `variant_pyramids_reconcile` enqueues them again."""
    retries = settings.RQ_QUEUE_SETTINGS["default"]["retries"]
    for variant_id in variant_ids:
        try:
            enqueue_replacing("default", JOB_FUNCTION, variant_id, job_id=_job_id(variant_id),
                              retry=Retry(max=retries) if retries else None)
        except Exception:
            logger.exception("variant %s: enqueueing its pyramid failed; reconcile_jobs will retry", variant_id)


def variant_pyramids_enqueue_on_commit(*, variant_ids: list[int]) -> None:
    transaction.on_commit(lambda: variant_pyramids_enqueue(variant_ids=variant_ids), robust=True)


def variant_pyramids_reconcile(*, grace_seconds: float | None = None) -> list[ReconcileAction]:
    """Enqueue the pyramid job again for variants older than `grace_seconds` (default
    DERIVATIVES_ENQUEUE_GRACE) that have no pyramid and whose job was lost (gone from Redis,
    finished or stopped without a pyramid, its worker dead). A job that failed is left in
    RQ's failed registry with its error, not run again every pass. One storage listing and
    one query per pass, whatever the number of variants. Part of every reconcile pass."""
    grace = settings.DERIVATIVES_ENQUEUE_GRACE if grace_seconds is None else grace_seconds
    try:
        _, files = default_storage.listdir(PYRAMID_FOLDER)
    except (FileNotFoundError, NotADirectoryError):
        files = []
    present = {int(name.removesuffix(".tif")) for name in files if name.removesuffix(".tif").isdigit()}
    cutoff = timezone.now() - timedelta(seconds=grace)
    actions = []
    for variant_id in Variant.objects.filter(created_at__lte=cutoff).values_list("pk", flat=True).iterator():
        if variant_id in present:
            continue
        job = fetch_job("default", _job_id(variant_id))
        if job is not None and (job.get_status(refresh=False) == JobStatus.FAILED or lost_job_reason(job, "default") is None):
            continue
        variant_pyramids_enqueue(variant_ids=[variant_id])
        actions.append(ReconcileAction("variant", variant_id, "requeued", "its pyramid is missing and its job was lost"))
    return actions
