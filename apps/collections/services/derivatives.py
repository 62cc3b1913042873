"""Derivatives of a master: a thumbnail and a display copy, 8-bit sRGB JPEG, upright, and
the pyramidal tiled TIFF the IIIF image service cuts tiles from. The master itself is only
read, by strips or at a reduced scale (imaging), never decoded whole."""
from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import numpy as np
from django.core.files import File
from django.core.files.base import ContentFile
from PIL import Image, ImageCms, ImageOps

from .. import imaging
from ..models import Photograph

logger = logging.getLogger(__name__)

DISPLAY_SIZE = 2000
THUMBNAIL_SIZE = 400
_SRGB = ImageCms.createProfile("sRGB")


def photograph_pyramid_name(photograph: Photograph) -> str:
    """Where the photograph's pyramidal tiled TIFF is stored (media storage)."""
    return f"derivatives/{photograph.pk}/pyramid.tif"


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
    photograph = Photograph.objects.filter(pk=photograph_id).first()
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
        with photograph.master.open("rb") as master, tempfile.TemporaryDirectory() as work:
            display = display_image(imaging.decode_reduced(master, at_least=DISPLAY_SIZE))
            pyramid = Path(work) / "pyramid.tif"
            imaging.pyramid_write(master, pyramid)
            # A fixed name (the image service finds it by the photograph): replace, not rename.
            storage.delete(photograph_pyramid_name(photograph))
            with pyramid.open("rb") as handle:
                storage.save(photograph_pyramid_name(photograph), File(handle))
        display.thumbnail((DISPLAY_SIZE, DISPLAY_SIZE), Image.Resampling.LANCZOS)
        thumbnail = display.copy()
        thumbnail.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
        old = [f.name for f in (photograph.display, photograph.thumbnail) if f]
        display_name = storage.save(f"derivatives/{photograph.pk}/display.jpg", _jpeg(display, 85))
        thumbnail_name = storage.save(f"derivatives/{photograph.pk}/thumbnail.jpg", _jpeg(thumbnail, 80))
    except Exception as exc:
        Photograph.objects.filter(pk=photograph.pk).update(derivatives_status=Photograph.DerivativesStatus.FAILED, derivatives_error=str(exc)[:2000])
        raise
    # update(), not save(): a metadata edit committed meanwhile must not be overwritten.
    Photograph.objects.filter(pk=photograph.pk).update(
        display=display_name, thumbnail=thumbnail_name,
        derivatives_status=Photograph.DerivativesStatus.READY, derivatives_error="",
    )
    for name in old:
        if name not in (display_name, thumbnail_name):
            storage.delete(name)
    photograph.refresh_from_db()
    return photograph
