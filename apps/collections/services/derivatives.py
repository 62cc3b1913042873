"""Derivatives of a master: a thumbnail and a display copy, 8-bit sRGB JPEG, upright, and
the pyramidal tiled TIFF the IIIF image service cuts tiles from. The master itself is only
read, by strips or at a reduced scale (imaging), never decoded whole."""
from __future__ import annotations

import io
import logging
import shutil
from datetime import timedelta
from typing import BinaryIO

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageCms, ImageOps
from rq import Retry

from archive_site.rqjobs import LIVE_JOB_STATES, ReconcileAction, db_retrying, enqueue_replacing, fetch_job
from archive_site.scratch import scratch_dir

from .. import imaging
from ..models import Photograph

logger = logging.getLogger(__name__)

DISPLAY_SIZE = 2000
THUMBNAIL_SIZE = 400
_SRGB = ImageCms.createProfile("sRGB")


def photograph_pyramid_name(photograph: Photograph) -> str:
    """Where the photograph's pyramidal tiled TIFF is stored (media storage)."""
    return f"derivatives/{photograph.pk}/pyramid.tif"


class _StagedFile(File):
    """A finished file on local disk: FileSystemStorage moves it into place (one rename when
    it is on the same filesystem) instead of copying it, so a reader never opens half of it."""

    def temporary_file_path(self) -> str:
        return self.name


def pyramid_store(*, storage: Storage, name: str, image: BinaryIO) -> str:
    """Write the pyramidal tiled TIFF of `image` (a master or any other full-resolution
    file, open for reading) and put it at the fixed `name` in `storage`, replacing what was
    there; returns `name`. Readers find a pyramid by its name, so it appears whole: staged
    in a scratch folder of FILE_UPLOAD_TEMP_DIR and moved in (object storages publish an upload
    whole anyway)."""
    work = scratch_dir("pyramid", parent=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        pyramid = work / "pyramid.tif"
        imaging.pyramid_write(image, pyramid)
        storage.delete(name)
        with pyramid.open("rb") as handle:
            saved = storage.save(name, _StagedFile(handle, name=str(pyramid)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if saved != name:  # another writer put one there meanwhile: keep theirs, leave no copy
        storage.delete(saved)
    return name


def _to_8bit(image: Image.Image) -> Image.Image:
    """16/32-bit grayscale to 8-bit, keeping the range the scan actually uses (a 12-bit
    sensor in a 16-bit container would otherwise look black)."""
    pixels = np.asarray(image)
    top = int(pixels.max()) if pixels.size else 0
    shift = max(top.bit_length() - 8, 0)
    return Image.fromarray((pixels >> shift).astype(np.uint8) if pixels.dtype.kind in "ui" else np.clip(pixels, 0, 255).astype(np.uint8), "L")


def _flatten(image: Image.Image, mode: str) -> Image.Image:
    background = Image.new(mode, image.size, 255 if mode == "L" else (255, 255, 255))
    background.paste(image.convert(mode + "A"), mask=image.convert(mode + "A").getchannel("A"))
    return background


def display_image(image: Image.Image) -> Image.Image:
    """An 8-bit L or sRGB RGB image for the web, whatever the master's mode and profile."""
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    if image.mode in {"I", "I;16", "I;16L", "I;16B", "I;16N", "F"}:
        return _to_8bit(image)
    if image.mode == "1":
        return image.convert("L")
    if image.mode in {"LA", "La"}:
        return _flatten(image, "L")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in {"RGBA", "RGBa", "PA"}:
        image = _flatten(image, "RGB")
    if icc and image.mode in {"RGB", "CMYK"}:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            logger.warning("ignoring an unreadable ICC profile")
    return image if image.mode in {"L", "RGB"} else image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue())


def photograph_build_derivatives(*, photograph_id: int) -> Photograph | None:
    """Build (or rebuild when missing) the display copy, thumbnail and pyramid. Idempotent: a
    photograph whose derivatives are ready and present is left alone. Records failure on
    the row and re-raises so the queue can retry. None when the photograph is gone."""
    photograph = db_retrying(Photograph.objects.filter(pk=photograph_id).first, what=f"photograph {photograph_id}")
    if photograph is None:
        return None
    storage = photograph.master.storage
    if (
        photograph.derivatives_status == Photograph.DerivativesStatus.READY
        and photograph.display and photograph.thumbnail
        and storage.exists(photograph.display.name) and storage.exists(photograph.thumbnail.name)
        and storage.exists(photograph_pyramid_name(photograph))
    ):
        return photograph
    try:
        with photograph.master.open("rb") as master:
            display = display_image(imaging.decode_reduced(master, at_least=DISPLAY_SIZE))
            pyramid_store(storage=storage, name=photograph_pyramid_name(photograph), image=master)
        display.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.LANCZOS)
        thumbnail = display.copy()
        thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
        old = [f.name for f in (photograph.display, photograph.thumbnail) if f]
        display_name = storage.save(f"derivatives/{photograph.pk}/display.jpg", _jpeg(display, 85))
        thumbnail_name = storage.save(f"derivatives/{photograph.pk}/thumbnail.jpg", _jpeg(thumbnail, 80))
    except Exception as exc:
        error = str(exc)[:2000]
        db_retrying(lambda: Photograph.objects.filter(pk=photograph.pk).update(
            derivatives_status=Photograph.DerivativesStatus.FAILED, derivatives_error=error), what=f"photograph {photograph_id}")
        raise
    # update(), not save(): a metadata edit committed meanwhile must not be overwritten.
    db_retrying(lambda: Photograph.objects.filter(pk=photograph.pk).update(
        display=display_name, thumbnail=thumbnail_name,
        derivatives_status=Photograph.DerivativesStatus.READY, derivatives_error="",
    ), what=f"photograph {photograph_id}")
    for name in old:
        if name not in (display_name, thumbnail_name):
            storage.delete(name)
    photograph.refresh_from_db()
    return photograph


def derivatives_enqueue(*, photograph_id: int) -> None:
    """Put the photograph's derivatives job on the `default` queue (replacing a finished one).
    A failure to reach Redis is logged: `derivatives_reconcile` enqueues it again."""
    retries = settings.RQ_QUEUE_SETTINGS["default"]["retries"]
    try:
        enqueue_replacing("default", "apps.collections.jobs.build_derivatives", photograph_id,
                          job_id=f"derivatives-{photograph_id}", retry=Retry(max=retries) if retries else None)
    except Exception:
        logger.exception("photograph %s: enqueueing its derivatives failed; reconcile_jobs will retry", photograph_id)


def derivatives_enqueue_on_commit(*, photograph_ids: list[int]) -> None:
    transaction.on_commit(lambda: [derivatives_enqueue(photograph_id=pk) for pk in photograph_ids], robust=True)


def photographs_rebuild_derivatives(*, photograph_ids: list[int]) -> int:
    """Build the derivatives of these photographs again (their job is enqueued on commit);
    returns how many were queued."""
    with transaction.atomic():
        count = Photograph.objects.filter(pk__in=photograph_ids).update(derivatives_status=Photograph.DerivativesStatus.PENDING)
        derivatives_enqueue_on_commit(photograph_ids=list(photograph_ids))
    return count


def derivatives_reconcile(*, grace_seconds: float | None = None) -> list[ReconcileAction]:
    """Re-enqueue the derivatives of photographs still pending `grace_seconds` (default
    DERIVATIVES_ENQUEUE_GRACE) after ingest whose job is gone (Redis flushed, enqueue
    failed after commit, job failed or stopped). Part of every reconcile pass."""
    grace = settings.DERIVATIVES_ENQUEUE_GRACE if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    pending = Photograph.objects.filter(derivatives_status=Photograph.DerivativesStatus.PENDING, created_at__lte=cutoff)
    actions = []
    for photograph_id in pending.values_list("pk", flat=True).iterator():
        job = fetch_job("default", f"derivatives-{photograph_id}")
        if job is not None and job.get_status(refresh=False) in LIVE_JOB_STATES:
            continue
        derivatives_enqueue(photograph_id=photograph_id)
        actions.append(ReconcileAction("photograph", photograph_id, "requeued", "its derivatives job was lost"))
    return actions
