"""IIIF Image API 3.0: parse an image request, plan it against an image's size, render it.

Pure Python and Pillow, no Django: the views in `iiif_views.py` find the image (through
the source registry of `iiif_sources.py`), check access and cache; this module only
knows pixels. Compliance level 2, plus mirroring, arbitrary rotation, upscaling with `^`,
bitonal quality, WebP and TIFF, and the canonical and profile link headers.

The order of operations is the specification's: region, size, rotation (mirror first),
quality, format. A request that cannot be satisfied raises `IIIFError` (HTTP 400) with a
message that says which parameter is wrong. The service's `Limits` (maxWidth, maxHeight,
maxArea) and the encoders' own limits apply to what is returned, after rotation.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROTOCOL = "http://iiif.io/api/image"
PROFILE = "level2"
PROFILE_URI = "http://iiif.io/api/image/3/level2.json"
TILE_SIZE = 512
SMALLEST_LISTED_SIZE = 64

# format extension → (Pillow format, media type, can carry transparency)
FORMATS = {
    "jpg": ("JPEG", "image/jpeg", False),
    "png": ("PNG", "image/png", True),
    "webp": ("WEBP", "image/webp", True),
    "tif": ("TIFF", "image/tiff", True),
}
# The largest side each encoder can write (JPEG and WebP store sizes in 16 and 14 bits).
ENCODER_MAX_SIDE = {"jpg": 65_535, "png": 2**31 - 1, "webp": 16_383, "tif": 2**31 - 1}
QUALITIES = ("default", "color", "gray", "bitonal")
# Beyond what level 2 requires (https://iiif.io/api/image/3.0/compliance/).
EXTRA_FORMATS = ["webp", "tif"]
EXTRA_QUALITIES = ["bitonal"]
EXTRA_FEATURES = ["canonicalLinkHeader", "mirroring", "profileLinkHeader", "rotationArbitrary", "sizeUpscaling"]

EXIF_ORIENTATION = 0x0112
TRANSPOSING_ORIENTATIONS = {2, 3, 4, 5, 6, 7, 8}
QUARTER_TURN_ORIENTATIONS = {5, 6, 7, 8}

_INT = r"\d+"
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_REGION_PIXELS = re.compile(rf"^({_INT}),({_INT}),({_INT}),({_INT})$")
_REGION_PERCENT = re.compile(rf"^pct:({_NUM}),({_NUM}),({_NUM}),({_NUM})$")
_SIZE_WH = re.compile(rf"^(!)?({_INT})?,({_INT})?$")
_SIZE_PERCENT = re.compile(rf"^pct:({_NUM})$")
_ROTATION = re.compile(rf"^(!)?({_NUM})$")


class IIIFError(ValueError):
    """A request the service cannot satisfy; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Limits:
    """The most one response may hold, declared in info.json as maxWidth, maxHeight and
    maxArea and enforced on the output after rotation."""

    max_width: int
    max_height: int
    max_area: int

    def narrowed(self, other: Limits | None) -> Limits:
        """The stricter of two sets of limits (e.g. the service's and an image's access level)."""
        if other is None:
            return self
        return Limits(min(self.max_width, other.max_width), min(self.max_height, other.max_height), min(self.max_area, other.max_area))

    def fits(self, width: int, height: int) -> bool:
        return width <= self.max_width and height <= self.max_height and width * height <= self.max_area


@dataclass(frozen=True)
class ImageRequest:
    """The parsed path parameters, not yet related to an image's size."""

    region: tuple  # ("full",) | ("square",) | ("px", x, y, w, h) | ("pct", x, y, w, h)
    size: tuple  # (upscale, kind, *values): kind is max | w | h | wh | confined | pct
    mirror: bool
    degrees: float
    quality: str
    format: str


@dataclass(frozen=True)
class Plan:
    """What to cut from the full image and what to return, in pixels."""

    full_width: int
    full_height: int
    region: tuple[int, int, int, int]  # x, y, w, h in full-image pixels
    width: int  # output size before rotation
    height: int
    mirror: bool
    degrees: float
    quality: str
    format: str

    @property
    def media_type(self) -> str:
        return FORMATS[self.format][1]

    @property
    def canonical(self) -> str:
        """The canonical `{region}/{size}/{rotation}/{quality}.{format}` of this request."""
        x, y, w, h = self.region
        region = "full" if self.region == (0, 0, self.full_width, self.full_height) else f"{x},{y},{w},{h}"
        if (self.width, self.height) == (w, h):
            size = "max"
        else:
            size = ("^" if self.width > w or self.height > h else "") + f"{self.width},{self.height}"
        degrees = _format_number(self.degrees)
        rotation = ("!" if self.mirror else "") + degrees
        return f"{region}/{size}/{rotation}/{self.quality}.{self.format}"


def parse_request(region: str, size: str, rotation: str, quality_format: str) -> ImageRequest:
    """Parse the four path segments after the identifier; raise IIIFError on a bad one."""
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot:
        raise IIIFError(f"Missing format: expected {{quality}}.{{format}}, got {quality_format!r}.")
    if quality not in QUALITIES:
        raise IIIFError(f"Unsupported quality {quality!r}: use one of {', '.join(QUALITIES)}.")
    if fmt not in FORMATS:
        raise IIIFError(f"Unsupported format {fmt!r}: use one of {', '.join(FORMATS)}.")
    mirror, degrees = _parse_rotation(rotation)
    return ImageRequest(_parse_region(region), _parse_size(size), mirror, degrees, quality, fmt)


def _parse_region(value: str) -> tuple:
    if value in ("full", "square"):
        return (value,)
    if match := _REGION_PIXELS.match(value):
        x, y, w, h = (int(v) for v in match.groups())
        kind = "px"
    elif match := _REGION_PERCENT.match(value):
        x, y, w, h = (float(v) for v in match.groups())
        if x > 100 or y > 100:
            raise IIIFError(f"Invalid region {value!r}: percentages are at most 100.")
        kind = "pct"
    else:
        raise IIIFError(f"Invalid region {value!r}: use full, square, x,y,w,h or pct:x,y,w,h.")
    if w <= 0 or h <= 0:
        raise IIIFError(f"Invalid region {value!r}: width and height must be greater than zero.")
    return (kind, x, y, w, h)


def _parse_size(value: str) -> tuple:
    upscale = value.startswith("^")
    body = value[1:] if upscale else value
    if body == "max":
        return (upscale, "max")
    if match := _SIZE_PERCENT.match(body):
        pct = float(match.group(1))
        if pct <= 0:
            raise IIIFError(f"Invalid size {value!r}: the percentage must be greater than zero.")
        if pct > 100 and not upscale:
            raise IIIFError(f"Invalid size {value!r}: more than 100% needs the ^ prefix.")
        return (upscale, "pct", pct)
    if match := _SIZE_WH.match(body):
        confined, w, h = match.group(1) is not None, match.group(2), match.group(3)
        w, h = (int(w) if w else None), (int(h) if h else None)
        if confined and (w is None or h is None):
            raise IIIFError(f"Invalid size {value!r}: !w,h needs both a width and a height.")
        if w is None and h is None:
            raise IIIFError(f"Invalid size {value!r}: give a width, a height or both.")
        if w == 0 or h == 0:
            raise IIIFError(f"Invalid size {value!r}: width and height must be greater than zero.")
        kind = "confined" if confined else "wh" if (w and h) else "w" if w else "h"
        return (upscale, kind, w, h)
    raise IIIFError(f"Invalid size {value!r}: use max, w,, ,h, w,h, !w,h or pct:n, optionally after ^.")


def _parse_rotation(value: str) -> tuple[bool, float]:
    match = _ROTATION.match(value)
    if not match:
        raise IIIFError(f"Invalid rotation {value!r}: use a number of degrees from 0 to 360, optionally after !.")
    degrees = float(match.group(2))
    if degrees > 360:
        raise IIIFError(f"Invalid rotation {value!r}: at most 360 degrees.")
    return match.group(1) is not None, degrees % 360


def _round(value: float) -> int:
    return int(math.floor(value + 0.5))


def oriented_size(width: int, height: int, orientation: int | None) -> tuple[int, int]:
    """The size of a `width`×`height` image once its EXIF orientation is applied."""
    return (height, width) if orientation in QUARTER_TURN_ORIENTATIONS else (width, height)


def confined_size(width: int, height: int, box_width: int, box_height: int) -> str:
    """A size parameter for "at most box_width×box_height" that never asks for upscaling.

    `!w,h` larger than the image is refused without `^` (the official validator's
    size_noup test expects 400 for it), so images that fit the box are asked for at "max".
    """
    if width <= box_width and height <= box_height:
        return "max"
    return f"!{box_width},{box_height}"


def rotated_size(width: int, height: int, degrees: float) -> tuple[int, int]:
    """The size of a `width`×`height` image rotated by `degrees` with its corners kept (as
    `_apply_rotation` does; the same arithmetic as Pillow's `rotate(expand=True)`)."""
    if degrees in (0, 180):
        return width, height
    if degrees in (90, 270):
        return height, width
    angle = math.radians(degrees)
    cos, sin = round(math.cos(angle), 15), round(math.sin(angle), 15)
    cx, cy = width / 2, height / 2
    corners = [(cos * (x - cx) + sin * (y - cy) + cx, -sin * (x - cx) + cos * (y - cy) + cy) for x, y in ((0, 0), (width, 0), (width, height), (0, height))]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return math.ceil(max(xs)) - math.floor(min(xs)), math.ceil(max(ys)) - math.floor(min(ys))


def max_size(width: int, height: int, limits: Limits | None, degrees: float = 0) -> tuple[int, int]:
    """The largest output the service returns for a `width`×`height` region without ^: the
    region scaled down, aspect ratio kept, until it fits the limits once rotated."""
    if limits is None:
        return width, height
    scale = 1.0
    while True:
        w, h = max(1, int(width * scale)), max(1, int(height * scale))
        rw, rh = rotated_size(w, h, degrees)
        if limits.fits(rw, rh) or (w, h) == (1, 1):
            return w, h
        # Shrink by the largest overshoot; the loop absorbs the rounding of the rotated box.
        overshoot = max(rw / limits.max_width, rh / limits.max_height, math.sqrt(rw * rh / limits.max_area))
        scale *= min(1 / overshoot, 0.999)


def plan_request(request: ImageRequest, width: int, height: int, *, limits: Limits | None = None) -> Plan:
    """Resolve a parsed request against a `width`×`height` image.

    `limits` are the service's for one response, checked on the output after rotation:
    "max" is scaled down to them and larger explicit sizes are refused (400). Sizes an
    encoder cannot write are refused too.
    """
    rx, ry, rw, rh = _resolve_region(request.region, width, height)
    ow, oh = _resolve_size(request.size, rw, rh, limits, request.degrees)
    out_w, out_h = rotated_size(ow, oh, request.degrees)
    if limits is not None and not limits.fits(out_w, out_h):
        raise IIIFError(
            f"The requested image would be {out_w}×{out_h} pixels{' after rotation' if (out_w, out_h) != (ow, oh) else ''}; "
            f"this service returns at most {limits.max_width}×{limits.max_height} and {limits.max_area} pixels in all "
            "(maxWidth, maxHeight, maxArea in info.json)."
        )
    encoder_max = ENCODER_MAX_SIDE[request.format]
    if max(out_w, out_h) > encoder_max:
        raise IIIFError(f"The requested image would be {out_w}×{out_h} pixels; {request.format} images can be at most {encoder_max} pixels on a side.")
    return Plan(width, height, (rx, ry, rw, rh), ow, oh, request.mirror, request.degrees, request.quality, request.format)


def _resolve_region(region: tuple, width: int, height: int) -> tuple[int, int, int, int]:
    kind = region[0]
    if kind == "full":
        return 0, 0, width, height
    if kind == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if kind == "px":
        x, y, w, h = region[1:]
    else:
        px, py, pw, ph = region[1:]
        x, y = _round(px * width / 100), _round(py * height / 100)
        w, h = max(1, _round(pw * width / 100)), max(1, _round(ph * height / 100))
    if x >= width or y >= height:
        raise IIIFError(f"The region starts outside the image, which is {width}×{height} pixels.")
    return x, y, min(w, width - x), min(h, height - y)


def _resolve_size(size: tuple, rw: int, rh: int, limits: Limits | None, degrees: float) -> tuple[int, int]:
    upscale, kind = size[0], size[1]
    if kind == "max":
        # The service never upscales on its own, so ^max is max.
        return max_size(rw, rh, limits, degrees)
    if kind == "pct":
        pct = size[2]
        ow, oh = _round(rw * pct / 100), _round(rh * pct / 100)
    else:
        w, h = size[2], size[3]
        if kind == "w":
            ow, oh = w, _round(rh * w / rw)
        elif kind == "h":
            ow, oh = _round(rw * h / rh), h
        elif kind == "wh":
            ow, oh = w, h
        else:  # confined: the largest size with the region's aspect ratio inside w×h
            scale = min(w / rw, h / rh)
            ow, oh = min(w, _round(rw * scale)), min(h, _round(rh * scale))
    if ow < 1 or oh < 1:
        raise IIIFError(f"The requested size rounds to {ow}×{oh} pixels: ask for a larger one.")
    if not upscale and (ow > rw or oh > rh):
        raise IIIFError(f"The requested size {ow}×{oh} is larger than the region ({rw}×{rh}): use ^ to upscale.")
    return ow, oh


def render(plan: Plan, source: BinaryIO, *, jpeg_quality: int = 85) -> bytes:
    """Encode the planned image from an open master file.

    JPEG masters are decoded at 1/2, 1/4 or 1/8 scale where the output allows it (DCT
    scaling through `draft`), and other formats are shrunk with `reducing_gap`. The whole
    master is still decoded: images with a pyramid are rendered by `imaging.pyramid_render`
    instead. A master past Pillow's decompression-bomb limit is not decoded here at all
    (IIIFError 503: its pyramid is what serves it).
    """
    try:
        image = Image.open(source)
    except Image.DecompressionBombError:
        raise IIIFError("This image is too large to render until its tiled derivative is ready: try again later.", status=503) from None
    with image:
        full_w, full_h = image.size
        x, y, w, h = plan.region
        scale = min(plan.width / w, plan.height / h)
        if image.format == "JPEG" and scale < 1:
            image.draft(None, (max(1, math.ceil(full_w * scale)), max(1, math.ceil(full_h * scale))))
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
        if orientation in TRANSPOSING_ORIENTATIONS:
            # Served upright, as the derivatives are: the plan is in upright pixels.
            full_w, full_h = oriented_size(full_w, full_h, orientation)
            image = ImageOps.exif_transpose(image)
        fx, fy = image.size[0] / full_w, image.size[1] / full_h
        box = (x * fx, y * fy, (x + w) * fx, (y + h) * fy)
        return finish(plan, working_mode(image), box, jpeg_quality=jpeg_quality)


def finish(plan: Plan, image: Image.Image, box: tuple[float, float, float, float], *, jpeg_quality: int = 85) -> bytes:
    """Scale the region `box` of `image` (in L, LA, RGB or RGBA; `box` in its pixels) to the
    planned size, rotate, apply the quality and encode."""
    if box == (0, 0, *image.size) and (plan.width, plan.height) == image.size:
        out = image.copy()
    else:
        out = image.resize((plan.width, plan.height), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    out = _apply_rotation(out, plan)
    out = _apply_quality(out, plan.quality)
    return _encode(out, plan.format, jpeg_quality)


def working_mode(image: Image.Image) -> Image.Image:
    """Bring any master mode to L, LA, RGB or RGBA (16-bit scans become 8-bit)."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode.startswith("I;16") or mode in ("I", "F"):
        if mode != "F":
            image = image.convert("I")
            image = image.point(lambda value: value * (1 / 256))
        else:
            image = image.point(lambda value: value * 255)
        return image.convert("L")
    if mode == "1":
        return image.convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if mode == "PA" or "transparency" in image.info else "RGB")
    return image.convert("RGB")  # CMYK, YCbCr, LAB, HSV


def _apply_rotation(image: Image.Image, plan: Plan) -> Image.Image:
    if plan.mirror:
        image = ImageOps.mirror(image)
    degrees = plan.degrees
    if degrees == 0:
        return image
    quarter = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
    if degrees in quarter:
        return image.transpose(quarter[degrees])
    # Arbitrary angles leave corners: transparent where the format allows, white otherwise.
    if FORMATS[plan.format][2] and image.mode in ("L", "RGB"):
        image = image.convert(image.mode + "A")
    fill = {"L": 255, "RGB": (255, 255, 255), "LA": (255, 0), "RGBA": (255, 255, 255, 0)}[image.mode]
    return image.rotate(-degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)


def _apply_quality(image: Image.Image, quality: str) -> Image.Image:
    alpha = image.mode in ("LA", "RGBA")
    if quality == "color":
        return image.convert("RGBA" if alpha else "RGB")
    if quality == "gray":
        return image.convert("LA" if alpha else "L")
    if quality == "bitonal":
        return image.convert("L").point(lambda value: 255 if value >= 128 else 0).convert("1")
    return image  # default: a grayscale master stays grayscale


def _encode(image: Image.Image, fmt: str, jpeg_quality: int) -> bytes:
    pil_format, _, keeps_alpha = FORMATS[fmt]
    if not keeps_alpha and image.mode in ("LA", "RGBA"):
        background = Image.new(image.mode[:-1], image.size, 255 if image.mode == "LA" else (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    if pil_format == "JPEG" and image.mode == "1":
        image = image.convert("L")
    options = {
        "JPEG": {"quality": jpeg_quality},
        "PNG": {"compress_level": 6},
        "WEBP": {"quality": 85},
        "TIFF": {"compression": "tiff_deflate"},
    }[pil_format]
    buffer = io.BytesIO()
    image.save(buffer, pil_format, **options)
    return buffer.getvalue()


def info_document(service_id: str, width: int, height: int, *, limits: Limits | None = None, rights: str | None = None) -> dict:
    """The image information (`info.json`) of a `width`×`height` image served at `service_id`."""
    largest_w, largest_h = max_size(width, height, limits)
    factors = [1]
    while math.ceil(max(width, height) / factors[-1]) > TILE_SIZE:
        factors.append(factors[-1] * 2)
    sizes = []
    factor = 1
    while True:
        w, h = math.ceil(width / factor), math.ceil(height / factor)
        if w <= largest_w and h <= largest_h:
            sizes.append({"width": w, "height": h})
        if max(w, h) <= SMALLEST_LISTED_SIZE or (w == 1 and h == 1):
            break
        factor *= 2
    document = {
        "@context": CONTEXT,
        "id": service_id,
        "type": "ImageService3",
        "protocol": PROTOCOL,
        "profile": PROFILE,
        "width": width,
        "height": height,
    }
    if limits is not None:
        document.update({"maxWidth": limits.max_width, "maxHeight": limits.max_height, "maxArea": limits.max_area})
    document.update(
        {
            "sizes": sorted(sizes, key=lambda size: size["width"]),
            "tiles": [{"width": TILE_SIZE, "height": TILE_SIZE, "scaleFactors": factors}],
            "extraFormats": EXTRA_FORMATS,
            "extraQualities": EXTRA_QUALITIES,
            "extraFeatures": EXTRA_FEATURES,
        }
    )
    if rights:
        document["rights"] = rights
    return document


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
