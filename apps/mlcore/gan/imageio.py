"""Reading scans: one error type, EXIF orientation, 16-bit luma, a pixel limit.

Every image the package reads goes through ``open_image`` so that a corrupt, truncated,
oversized or unsupported file raises ``ImageReadError`` and nothing else, whatever Pillow
or the operating system raised underneath.
"""
from __future__ import annotations

import os
import warnings
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

# 150 megapixels: above the 100-MP scans the archive holds, below Pillow's own hard
# decompression-bomb limit (about 179 MP), which still applies on top of this one.
DEFAULT_MAX_PIXELS = 150_000_000

# Modes whose samples are wider than 8 bits; their luma is kept at 16 bits.
WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
# Modes Pillow cannot reduce to luma, refused with a message instead of guessed at.
UNSUPPORTED_MODES = ("F", "LAB")


class ImageReadError(Exception):
    """The file is not an image this package can read: corrupt, truncated, too large or of an unsupported kind."""


def open_image(
    src: str | os.PathLike | BinaryIO,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    draft_size: tuple[int, int] | None = None,
) -> Image.Image:
    """Open, fully decode and orient an image from a path or a binary file object.

    The pixel count is checked against ``max_pixels`` from the header, before anything
    is decoded, so a decompression bomb costs nothing. The image is then decoded in full
    (a truncated file fails here, not later), its EXIF orientation is applied, and its
    first frame is returned in its own mode (L, I;16, I, RGB, RGBA, P, LA, CMYK …).
    ``draft_size`` lets JPEG decoding skip detail: the decoder scales by a power of two
    while keeping both sides at least that large (used by training, never for masters).
    Any failure raises ``ImageReadError`` with a message a user can act on.
    """
    name = getattr(src, "name", src)
    try:
        with warnings.catch_warnings():
            # The explicit max_pixels check below replaces Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(src)
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise ImageReadError(
                    f"{name}: {width}×{height} is {width * height / 1e6:.0f} megapixels, "
                    f"more than the allowed {max_pixels / 1e6:.0f}"
                )
            if image.mode in UNSUPPORTED_MODES:
                raise ImageReadError(f"{name}: images in mode {image.mode} are not supported; save it as 8- or 16-bit")
            if draft_size is not None and image.format == "JPEG":
                image.draft(None, draft_size)
            image.load()
            return ImageOps.exif_transpose(image)
    except ImageReadError:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        # UnidentifiedImageError and truncated-file errors are OSErrors; broken headers
        # surface as SyntaxError/ValueError/EOFError depending on the plugin.
        raise ImageReadError(f"{name}: not a readable image ({error})") from error


def luma_image(image: Image.Image) -> Image.Image:
    """Reduce an image to its luma: mode ``I;16`` for 16-bit scans, ``L`` for everything else.

    Colour images are reduced with Pillow's BT.601 weights (the ones ``colorspace``
    uses); palette, alpha and CMYK images go through their RGB meaning, alpha ignored.
    16-bit modes (``I;16*``, and ``I`` holding 16-bit data) keep their full precision,
    values of ``I`` outside [0, 65535] being clipped. An ``L`` or ``I;16`` image is
    returned as it is, without a copy.
    """
    if image.mode in UNSUPPORTED_MODES:
        raise ImageReadError(f"images in mode {image.mode} are not supported; save it as 8- or 16-bit")
    if image.mode in ("L", "I;16"):
        return image
    if image.mode in WIDE_MODES:
        samples = np.asarray(image)
        if image.mode == "I":
            samples = np.clip(samples, 0, 65535)
        return Image.fromarray(samples.astype(np.uint16))
    return image.convert("L")
