"""Image files made on the fly: good scans and bad files for ingest, grey and colour scans
for colorization. No Django."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def jpeg_bytes(width: int = 64, height: int = 48, *, colour: bool = True, seed: int = 0, exif: dict | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    if colour:
        pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        pixels[..., 0] = 255  # strongly red: clearly not grayscale
        image = Image.fromarray(pixels, "RGB")
    else:
        image = Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8), "L")
    buffer = io.BytesIO()
    kwargs = {"quality": 90}
    if exif:
        info = Image.Exif()
        for tag, value in exif.items():
            info[tag] = value
        kwargs["exif"] = info
    image.save(buffer, "JPEG", **kwargs)
    return buffer.getvalue()


def gray_as_rgb_jpeg(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    """A black-and-white scan saved as RGB JPEG: still grayscale for the archive."""
    rng = np.random.default_rng(seed)
    gray = rng.integers(0, 256, (height, width), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.stack([gray] * 3, axis=2), "RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def png_bytes(width: int = 40, height: int = 30, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (10, 200, 30) if mode == "RGB" else 128).save(buffer, "PNG")
    return buffer.getvalue()


def tiff16_bytes(width: int = 50, height: int = 40) -> bytes:
    """A 16-bit grayscale TIFF using the full range."""
    ramp = np.linspace(0, 65535, width * height, dtype=np.uint16).reshape(height, width)
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, "TIFF")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A few hundred bytes that declare a 30000×30000 image (900 megapixels)."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 16)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


def truncated_jpeg() -> bytes:
    """The first half of a real JPEG: the header reads fine, the pixels do not."""
    data = jpeg_bytes(256, 256, seed=3)
    return data[: len(data) // 2]


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def grey_scan(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """A grayscale JPEG scan with structure a network can colour."""
    from tests.support.gan import gradient_rgb

    return jpeg(gradient_rgb(width, height, seed=seed).convert("L"))


def colour_scan(width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    from tests.support.gan import gradient_rgb

    return jpeg(gradient_rgb(width, height, seed=seed))


def pixels(field_file) -> np.ndarray:
    """The RGB pixels of a stored image file."""
    with field_file.open("rb") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))
