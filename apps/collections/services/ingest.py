"""Ingest: the one way a master scan enters the archive, whatever the entry point (API,
portal upload, admin, CSV import, `manage.py import_photos`, demo data).

validate (a real image of an allowed format, within the size, pixel and decode-memory
limits, decoded through to the end by strips, never whole) →
checksum → refuse duplicates in the collection → store the master byte for byte → row
(EXIF in extra_metadata) → derivatives job on the `default` queue once committed.
A refused file leaves nothing behind: no row and no stored file.
"""
from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyvips
from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from PIL import ExifTags, Image, UnidentifiedImageError

from archive_site.storage import files_delete

from .. import imaging
from ..models import Collection, MetadataChange, Photograph
from .derivatives import derivatives_enqueue_on_commit
from .metadata import photograph_metadata_clean

# A pixel whose channels differ by more than this (of 255) is coloured; the 99th percentile
# is used so JPEG chroma noise in a scanned black-and-white print does not count.
GRAYSCALE_TOLERANCE = 8
_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif", "WEBP": ".webp"}
_GRAY_MODES = {"1", "L", "LA", "I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
_CHUNK = 1024 * 1024


class IngestRefused(Exception):
    """A file the archive will not take, with a reason code an interface can act on."""

    DUPLICATE = "duplicate"
    IDENTIFIER_TAKEN = "identifier_taken"
    CORRUPT = "corrupt"
    TOO_LARGE = "too_large"
    TOO_MANY_PIXELS = "too_many_pixels"
    UNSUPPORTED_FORMAT = "unsupported_format"

    def __init__(self, code: str, message: str, *, existing: Photograph | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.existing = existing


@dataclass(frozen=True)
class ImageInspection:
    """What ingest learns about a file before storing it."""

    sha256: str
    file_size: int
    format: str
    mime_type: str
    width: int
    height: int
    mode: str
    bit_depth: int
    is_grayscale: bool
    exif: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    photograph: Photograph


def _size_of(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is not None:
        return int(size)
    file.seek(0, 2)
    size = file.tell()
    file.seek(0)
    return size


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(_CHUNK), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _json_safe(value: Any) -> Any:
    if isinstance(value, bytes):
        text = value.decode("ascii", errors="ignore").replace("\x00", "").strip()
        return text if text.isprintable() else None
    if isinstance(value, str):
        return value.replace("\x00", "").strip()
    if isinstance(value, (tuple, list)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (int, bool)) or value is None:
        return value
    try:
        number = float(Fraction(value)) if not isinstance(value, float) else value
    except (TypeError, ValueError, ZeroDivisionError):
        return str(value)
    return number if np.isfinite(number) else None


def _exif(image: Image.Image) -> dict[str, Any]:
    """Readable EXIF tags (main IFD, Exif IFD, GPS) by name; binary blobs such as MakerNote dropped."""
    if image.format == "PNG" and "exif" not in image.info:
        return {}  # Pillow would decode the whole image to look for an eXIf chunk after the pixels
    try:
        exif = image.getexif()
    except Exception:  # a broken EXIF block must not refuse an otherwise good scan
        return {}
    tags: dict[str, Any] = {}
    sections = [(exif, ExifTags.TAGS)]
    for ifd, names in ((ExifTags.IFD.Exif, ExifTags.TAGS), (ExifTags.IFD.GPSInfo, ExifTags.GPSTAGS)):
        try:
            sections.append((exif.get_ifd(ifd), names))
        except Exception:
            continue
    for section, names in sections:
        for tag, value in section.items():
            name = names.get(tag, str(tag))
            if name in {"ExifOffset", "GPSInfo", "MakerNote", "UserComment", "PrintImageMatching"}:
                continue
            safe = _json_safe(value)
            if safe not in (None, "", []) and len(str(safe)) <= 1000:
                tags[name] = safe
    return tags


def _bit_depth(image: Image.Image, head: bytes) -> int:
    if image.format == "TIFF":
        bits = image.tag_v2.get(258)
        if bits:
            return int(max(bits) if isinstance(bits, tuple) else bits)
    if image.format == "PNG" and len(head) > 24:
        return head[24]  # IHDR bit depth
    if image.mode == "1":
        return 1
    if image.mode.startswith("I;16"):
        return 16
    if image.mode in {"I", "F"}:
        return 32
    return 8


def _looks_grayscale(sample: Image.Image) -> bool:
    pixels = np.asarray(sample.convert("RGB"), dtype=np.int16)
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return bool(np.percentile(spread, 99) <= GRAYSCALE_TOLERANCE)


def _decode_bytes(image: Image.Image, bit_depth: int) -> tuple[int, str]:
    """The most decoded pixel memory reading `image` by strips needs at once, and why.
    Interlaced PNG, progressive JPEG, WebP and single-strip TIFF can only be decoded whole."""
    width, height = image.size
    row = width * len(image.getbands()) * max(1, bit_depth // 8)
    if image.format == "PNG" and image.info.get("interlace"):
        return row * height, "an interlaced PNG is decoded whole"
    if image.format == "JPEG" and (image.info.get("progressive") or image.info.get("progression")):
        return 2 * width * height * len(image.getbands()), "a progressive JPEG is decoded whole"
    if image.format == "WEBP":
        return row * height, "a WebP image is decoded whole"
    if image.format == "TIFF":
        tile_width, tile_length = image.tag_v2.get(322), image.tag_v2.get(323)
        if tile_width and tile_length:
            return row * int(tile_length) * 2, "a tiled TIFF is decoded by rows of tiles"
        rows = int(image.tag_v2.get(278) or height)
        return row * min(rows, height), "a TIFF is decoded by strips"
    return row * 16, "decoded by strips"


def image_inspect(*, file: IO[bytes], filename: str) -> ImageInspection:
    """Check that `file` is a whole image of an allowed format within the limits; read its
    technical facts. Raises IngestRefused; writes nothing."""
    size = _size_of(file)
    if size > settings.INGEST_MAX_BYTES:
        raise IngestRefused(
            IngestRefused.TOO_LARGE,
            f"{filename} is {size / 1e6:.1f} MB; the limit is {settings.INGEST_MAX_BYTES / 1e6:.1f} MB.",
        )
    if size == 0:
        raise IngestRefused(IngestRefused.CORRUPT, f"{filename} is empty.")
    sha256 = _sha256(file)
    head = file.read(64)
    file.seek(0)
    allowed = [name.upper() for name in settings.INGEST_ALLOWED_FORMATS]
    too_many = f"{filename} is refused: more than {settings.INGEST_MAX_PIXELS:,} pixels (a possible decompression bomb)."
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(file) as image:
                if image.format not in allowed:
                    raise IngestRefused(
                        IngestRefused.UNSUPPORTED_FORMAT,
                        f"{filename} is a {image.format} image; accepted formats are {', '.join(allowed)}.",
                    )
                width, height = image.size
                if width * height > settings.INGEST_MAX_PIXELS:
                    raise IngestRefused(IngestRefused.TOO_MANY_PIXELS, too_many)
                fmt, mode = image.format, image.mode
                bit_depth = _bit_depth(image, head)
                decode_bytes, why = _decode_bytes(image, bit_depth)
                if decode_bytes > settings.INGEST_MAX_DECODE_BYTES:
                    raise IngestRefused(
                        IngestRefused.TOO_MANY_PIXELS,
                        f"{filename} is refused: decoding it needs {decode_bytes / 1e6:,.0f} MB of memory at once ({why}); "
                        f"the limit is {settings.INGEST_MAX_DECODE_BYTES / 1e6:,.0f} MB. Save it as a baseline JPEG, a non-interlaced PNG or a tiled TIFF.",
                    )
                exif = _exif(image)
                image.verify()
            # Read every pixel (a truncated or damaged file fails here) by strips, keeping
            # only a small sample: memory stays far below the decoded image's size.
            sample = imaging.decode_sample(file)
            is_grayscale = mode in _GRAY_MODES or _looks_grayscale(sample)
        except IngestRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise IngestRefused(IngestRefused.TOO_MANY_PIXELS, too_many) from None
        except UnidentifiedImageError:
            raise IngestRefused(
                IngestRefused.UNSUPPORTED_FORMAT,
                f"{filename} is not an image in an accepted format ({', '.join(allowed)}).",
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError, pyvips.Error) as exc:
            raise IngestRefused(IngestRefused.CORRUPT, f"{filename} is damaged and cannot be read ({exc}).") from None
        finally:
            file.seek(0)
    return ImageInspection(
        sha256=sha256, file_size=size, format=fmt, mime_type=Image.MIME.get(fmt, "application/octet-stream"),
        width=width, height=height, mode=mode, bit_depth=bit_depth, is_grayscale=is_grayscale, exif=exif,
    )


def _refuse_if_taken(*, collection: Collection, sha256: str, identifier: str, filename: str) -> None:
    existing = Photograph.objects.filter(collection=collection, sha256=sha256).first()
    if existing is not None:
        raise IngestRefused(
            IngestRefused.DUPLICATE,
            f'{filename} is already in "{collection.title}" as {existing.identifier} "{existing.display_title}".',
            existing=existing,
        )
    existing = Photograph.objects.filter(collection=collection, identifier=identifier).first()
    if existing is not None:
        raise IngestRefused(
            IngestRefused.IDENTIFIER_TAKEN,
            f'The identifier {identifier} is already used in "{collection.title}" by "{existing.display_title}".',
            existing=existing,
        )


def _default_identifier(metadata: dict[str, Any], filename: str) -> dict[str, Any]:
    if not str(metadata.get("identifier") or "").strip():
        return {**metadata, "identifier": Path(filename).stem}
    return metadata


def photograph_ingest_check(*, collection: Collection, file: IO[bytes], filename: str, identifier: str = "") -> ImageInspection:
    """Every check photograph_ingest makes, without writing anything (for form validation
    and CSV dry runs). Raises IngestRefused."""
    inspection = image_inspect(file=file, filename=filename)
    _refuse_if_taken(collection=collection, sha256=inspection.sha256, identifier=identifier or Path(filename).stem, filename=filename)
    return inspection


def photograph_ingest(
    *, collection: Collection, file: IO[bytes], filename: str, metadata: dict[str, Any] | None = None,
    user, source: str = MetadataChange.Source.API,
) -> IngestResult:
    """Validate, checksum and store a master scan and create its Photograph; derivatives are
    built by a job enqueued on commit. Raises IngestRefused (the file) or ValidationError
    (the metadata); either way nothing is left behind. `source` is recorded for auditing."""
    cleaned = photograph_metadata_clean(_default_identifier(dict(metadata or {}), filename))
    inspection = photograph_ingest_check(collection=collection, file=file, filename=filename, identifier=cleaned["identifier"])
    extra = dict(cleaned.pop("extra_metadata", {}) or {})
    if inspection.exif:
        extra["exif"] = inspection.exif
    extra.setdefault("ingest", {"source": source, "original_filename": Path(filename).name})
    cleaned["format"] = cleaned.get("format") or inspection.mime_type

    storage = Photograph._meta.get_field("master").storage
    name = f"masters/{inspection.sha256[:2]}/{inspection.sha256}{_EXTENSIONS.get(inspection.format, '')}"
    stored: str | None = None
    try:
        with transaction.atomic():
            file.seek(0)
            stored = storage.save(name, file if isinstance(file, File) else File(file, name=name))
            photograph = Photograph.objects.create(
                collection=collection,
                master=stored,
                original_filename=Path(filename).name[:255],
                sha256=inspection.sha256,
                file_size=inspection.file_size,
                width=inspection.width,
                height=inspection.height,
                mode=inspection.mode,
                bit_depth=inspection.bit_depth,
                is_grayscale=inspection.is_grayscale,
                extra_metadata=extra,
                created_by=user if getattr(user, "is_authenticated", False) else None,
                **cleaned,
            )
            derivatives_enqueue_on_commit(photograph_ids=[photograph.pk])
    except IntegrityError:
        # Another upload of the same file or identifier won the race: report it like a duplicate.
        files_delete([stored], storage=storage)
        _refuse_if_taken(collection=collection, sha256=inspection.sha256, identifier=cleaned["identifier"], filename=filename)
        raise
    except BaseException:
        files_delete([stored], storage=storage)
        raise
    return IngestResult(photograph=photograph)
