"""Pixels of big masters with bounded memory: libvips (through pyvips) decodes by strips or
at a reduced scale, never the whole image at once, and cuts IIIF images from a pyramid.

- `decode_sample` reads a master through to the end (a damaged file fails) and returns a
  small sample, for ingest's checks.
- `decode_reduced` returns the master shrunk to at least a given size in its own mode
  (16-bit stays 16-bit, the ICC profile is kept), for the display copy and thumbnail.
- `pyramid_write` makes the pyramidal tiled TIFF of a master (upright, 8-bit L, LA, RGB or
  RGBA: what the image service works in); `pyramid_render` answers a planned IIIF request
  from it by reading only the tiles of the one level that suits the output, so a tile
  costs about the same for a 1 and a 200 megapixel master.

No Django: callers pass open files and paths.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import pyvips
from PIL import Image

from apps.collections import iiif

# Our own derivative cache keeps rendered images; libvips' operation cache would only hold
# decoded pixels of the last requests in memory.
pyvips.cache_set_max(0)

PYRAMID_TILE = 256
_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _source(file: BinaryIO) -> pyvips.SourceCustom:
    """A libvips source reading a Python file (local, uploaded or in object storage). The
    caller keeps it referenced until the last pixel is read: libvips calls back into it."""
    file.seek(0)
    source = pyvips.SourceCustom()
    source.on_read(file.read)
    source.on_seek(file.seek)
    return source


def _load(source: pyvips.SourceCustom, **options) -> pyvips.Image:
    return pyvips.Image.new_from_source(source, "", access="sequential", fail_on="error", **options)


def _orientation(image: pyvips.Image) -> int:
    return image.get("orientation") if image.get_typeof("orientation") else 1


def _eight_bit(image: pyvips.Image) -> pyvips.Image:
    """L, LA, RGB or RGBA in 8 bits, as `iiif.working_mode` makes them (16-bit: the top byte)."""
    if image.interpretation in ("cmyk", "lab", "labs", "labq", "xyz", "lch", "cmc", "hsv", "scrgb"):
        image = image.colourspace("srgb")
    if image.bands > 4:
        image = image[:4]
    if image.format == "ushort":
        image = image >> 8
    elif image.format in ("float", "double"):
        image = image * 255
    if image.format != "uchar":
        image = image.cast("uchar")
    return image.copy(interpretation="b-w" if image.bands <= 2 else "srgb")


def _pillow(image: pyvips.Image) -> Image.Image:
    """An 8-bit libvips image (1–4 bands) as a Pillow image in L, LA, RGB or RGBA."""
    return Image.frombytes(_MODES[image.bands], (image.width, image.height), image.write_to_memory())


def decode_sample(file: BinaryIO, *, size: int = 256) -> Image.Image:
    """Decode the whole file by strips (a truncated or damaged one raises pyvips.Error) and
    return it shrunk to fit `size`×`size`, 8-bit, as stored (no EXIF rotation)."""
    source = _source(file)
    sample = pyvips.Image.thumbnail_source(source, size, height=size, no_rotate=True, option_string="fail_on=error")
    return _pillow(_eight_bit(sample))


def decode_reduced(file: BinaryIO, *, at_least: int) -> Image.Image:
    """The master shrunk by a whole factor to no less than `at_least` pixels on its longer
    side, upright, in a Pillow mode close to its own (L, I;16, I, F, LA, RGB, RGBA, CMYK)
    with its ICC profile in `info`."""
    source = _source(file)
    image = _load(source)
    factor = max(1, max(image.width, image.height) // at_least)
    if image.get("vips-loader").startswith("jpegload") and factor > 1:
        source = _source(file)
        image = _load(source, shrink=max(s for s in (1, 2, 4, 8) if s <= factor))  # DCT scaling while decoding
    remaining = max(1, max(image.width, image.height) // at_least)
    if remaining > 1:
        image = image.shrink(remaining, remaining)
    image = image.copy_memory().autorot()
    if image.format == "ushort" and image.bands == 1:
        mode = "I;16"
    elif image.format in ("float", "double") and image.bands == 1:
        image, mode = image.cast("float"), "F"
    elif image.format in ("int", "uint") and image.bands == 1:
        image, mode = image.cast("int"), "I"
    else:
        if image.format != "uchar":
            image = (image >> 8 if image.format == "ushort" else image).cast("uchar")
        mode = "CMYK" if image.interpretation == "cmyk" and image.bands == 4 else _MODES[min(image.bands, 4)]
        if image.bands > 4:
            image = image[:4]
    reduced = Image.frombytes(mode, (image.width, image.height), image.write_to_memory())
    if image.get_typeof("icc-profile-data"):
        reduced.info["icc_profile"] = image.get("icc-profile-data")
    return reduced


def pyramid_write(master: BinaryIO, destination: Path) -> tuple[int, int]:
    """Write the pyramidal tiled TIFF of `master` to `destination`; return its (upright)
    size. JPEG masters get JPEG tiles (quality 90), others lossless deflate tiles."""
    source = _source(master)
    image = _load(source)
    lossy = image.get("vips-loader").startswith("jpegload")
    if _orientation(image) != 1:
        # Turning needs random access: libvips keeps a large decoded image in a temporary
        # file, not in memory.
        source = _source(master)
        image = pyvips.Image.new_from_source(source, "", access="random", fail_on="error").autorot()
    image = _eight_bit(image)
    compression = {"compression": "jpeg", "Q": 90} if lossy and image.bands in (1, 3) else {"compression": "deflate", "predictor": "horizontal"}
    image.tiffsave(str(destination), tile=True, tile_width=PYRAMID_TILE, tile_height=PYRAMID_TILE, pyramid=True, bigtiff=True, **compression)
    return image.width, image.height


def pyramid_render(plan: iiif.Plan, pyramid: BinaryIO, *, jpeg_quality: int = 85) -> bytes:
    """Encode the planned image from a pyramid written by `pyramid_write`: the smallest
    level that still has the output's resolution, only the tiles under the region."""
    x, y, w, h = plan.region
    scale = min(plan.width / w, plan.height / h)  # output pixels per full-resolution pixel
    source = _source(pyramid)
    top = pyvips.Image.tiffload_source(source)
    pages = top.get("n-pages") if top.get_typeof("n-pages") else 1
    level = 0
    while level + 1 < pages and scale * 2 ** (level + 1) <= 1:
        level += 1
    if level:
        source = _source(pyramid)
        image = pyvips.Image.tiffload_source(source, page=level)
    else:
        image = top
    fx, fy = image.width / plan.full_width, image.height / plan.full_height
    left, upper = math.floor(x * fx), math.floor(y * fy)
    right = min(image.width, max(left + 1, math.ceil((x + w) * fx)))
    lower = min(image.height, max(upper + 1, math.ceil((y + h) * fy)))
    region = _pillow(image.crop(left, upper, right - left, lower - upper))
    box = (x * fx - left, y * fy - upper, min((x + w) * fx - left, region.width), min((y + h) * fy - upper, region.height))
    return iiif.finish(plan, region, box, jpeg_quality=jpeg_quality)
