"""Photo / drawing filter, duplicate hashes, crops and the normalised output image.

Thresholds are documented in docs/DATASET.md (Pipeline and thresholds).
"""
from __future__ import annotations

import hashlib
import io
import re

import numpy as np
from PIL import Image

from apps.mlcore.gan.metrics import colourfulness

MIN_SHORT_SIDE = 128          # below this an image is "too_small"
MIN_OUTPUT_SHORT_SIDE = 256   # images that end up below this are dropped ("under_256")
OUTPUT_SHORT_SIDE = 384       # normalised short side (never upscaled)
JPEG_QUALITY = 92
JPEG_SUBSAMPLING = 2          # 4:2:0
CROP_MIN_SHORT_SIDE = 2 * OUTPUT_SHORT_SIDE  # large pictures: short side at least this ...
CROP_MIN_LONG_SIDE = 1280                    # ... and long side at least this give 4 extra crops

# photo / drawing filter thresholds, measured on the normalised image
MIN_COLOURFULNESS = 12.0      # Hasler & Suesstrunk M; below ~15 is "not colourful"
MAX_TOP_COLOURS = 0.95        # 8 most frequent 4-bit colours cover more: flat fill / pattern
MAX_FLAT_FRACTION = 0.45      # pixels equal to all 4 neighbours (luminance) ...
FLAT_TOP_COLOURS = 0.70       # ... together with this top-8-colour coverage: a drawing
MIN_GRADIENT_ENTROPY = 0.5    # bits; below this the picture is a smooth synthetic gradient
MAX_FLAT_CUTOUT = 0.20        # flat fraction of a cut-out's opaque pixels above which it is drawn
MAX_TRANSPARENT = 0.01        # non-cutout images with more see-through pixels are cut-outs
NEAR_DUP_BITS = 4             # dHash Hamming distance for "near_duplicate"


def _luma(rgb: np.ndarray) -> np.ndarray:
    a = rgb.astype(np.float32)
    return 0.299 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2]


def drawing_features(rgb: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """Cheap statistics that separate photographs from drawings / flat graphics.

    top_colours   fraction of pixels in the 8 most frequent colours (4 bits/channel)
    flat          fraction of pixels whose luminance equals all 4 neighbours
    grad_entropy  entropy (bits) of the quantised gradient-magnitude histogram
    """
    h, w, _ = rgb.shape
    if mask is None:
        mask = np.ones((h, w), bool)
    px = rgb[mask]
    n = len(px)
    if n == 0:
        return {"top_colours": 1.0, "flat": 1.0, "grad_entropy": 0.0}
    q4 = (px >> 4).astype(np.int32)
    codes = (q4[:, 0] << 8) | (q4[:, 1] << 4) | q4[:, 2]
    counts = np.bincount(codes, minlength=4096)
    top = float(np.sort(counts)[-8:].sum()) / n

    y = np.rint(_luma(rgb)).astype(np.int16)
    inner = mask[1:-1, 1:-1] & mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    c = y[1:-1, 1:-1]
    same = ((c == y[:-2, 1:-1]) & (c == y[2:, 1:-1]) & (c == y[1:-1, :-2]) & (c == y[1:-1, 2:]))
    m = inner.sum()
    flat = float((same & inner).sum()) / m if m else 1.0

    gx = np.abs(y[1:-1, 2:] - y[1:-1, :-2]).astype(np.int32)
    gy = np.abs(y[2:, 1:-1] - y[:-2, 1:-1]).astype(np.int32)
    g = np.minimum(gx + gy, 255)[inner]
    if len(g):
        hist = np.bincount(g // 4, minlength=64).astype(np.float64)
        p = hist[hist > 0] / hist.sum()
        ent = float(-(p * np.log2(p)).sum())
    else:
        ent = 0.0
    return {"top_colours": top, "flat": flat, "grad_entropy": ent}


def classify(rgb: np.ndarray, mask: np.ndarray | None = None) -> tuple[str | None, dict]:
    """Return (drop_reason or None, features) for a normalised RGB image.

    With a mask (the opaque pixels of a cut-out) there is no background to
    excuse flat areas, so any flat region above MAX_FLAT_CUTOUT is a drawing."""
    feats = drawing_features(rgb, mask)
    px = rgb if mask is None else rgb[mask]
    feats["colourfulness"] = colourfulness(px) if px.size else 0.0
    if feats["colourfulness"] < MIN_COLOURFULNESS:
        return "near_grayscale", feats
    if mask is not None and feats["flat"] > MAX_FLAT_CUTOUT:
        return "drawing_flat", feats
    if feats["top_colours"] > MAX_TOP_COLOURS:
        return "drawing_few_colours", feats
    if feats["flat"] > MAX_FLAT_FRACTION and feats["top_colours"] > FLAT_TOP_COLOURS:
        return "drawing_flat", feats
    if feats["grad_entropy"] < MIN_GRADIENT_ENTROPY:
        return "drawing_smooth", feats
    return None, feats


def pixel_hash(img: Image.Image) -> str:
    """sha256 of the image reduced to 16x16 RGB at 4 bits/channel."""
    small = img.convert("RGB").resize((16, 16), Image.Resampling.BOX)
    return hashlib.sha256((np.asarray(small) >> 4).astype(np.uint8).tobytes()).hexdigest()


def dhash(img: Image.Image) -> int:
    """64-bit difference hash of the luminance."""
    g = np.asarray(img.convert("L").resize((9, 8), Image.Resampling.BOX), dtype=np.int16)
    bits = (g[:, 1:] > g[:, :-1]).reshape(-1)
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    return bin(a ^ b).count("1")


def target_size(w: int, h: int, short: int = OUTPUT_SHORT_SIDE) -> tuple[int, int]:
    """Size with the short side at most `short`, aspect kept, never upscaled."""
    s = min(w, h)
    if s <= short:
        return w, h
    k = short / s
    return max(1, round(w * k)), max(1, round(h * k))


def is_large(w: int, h: int) -> bool:
    """Wallpaper-sized: worth several crops."""
    return min(w, h) >= CROP_MIN_SHORT_SIDE and max(w, h) >= CROP_MIN_LONG_SIDE


def crop_boxes(w: int, h: int, large: bool = True) -> list[tuple[str, tuple[int, int, int, int]]]:
    """The samples cut from one image: the full frame, plus, for large images
    (short side >= 2 x 384, long side >= 1280), four square crops of half the
    short side centred on the four quadrants (they do not overlap)."""
    boxes = [("full", (0, 0, w, h))]
    s = min(w, h)
    if not large or s < CROP_MIN_SHORT_SIDE:
        return boxes
    side = s // 2
    for tag, (fx, fy) in (("q1", (0.25, 0.25)), ("q2", (0.75, 0.25)),
                          ("q3", (0.25, 0.75)), ("q4", (0.75, 0.75))):
        cx, cy = round(w * fx), round(h * fy)
        x0 = min(max(0, cx - side // 2), w - side)
        y0 = min(max(0, cy - side // 2), h - side)
        boxes.append((tag, (x0, y0, x0 + side, y0 + side)))
    return boxes


def group_key(source: str, path: str) -> str:
    """Identity of one picture that a package ships in several resolutions."""
    m = re.match(r"(.*/wallpapers/[^/]+)/contents/images[^/]*/", path)
    if m:
        return f"{source}:{m.group(1)}"
    stem = re.sub(r"[_-]?\d{3,5}x\d{3,5}(?=\.[A-Za-z]+$)", "", path)
    stem = re.sub(r"\.[A-Za-z]+$", "", stem)
    return f"{source}:{stem}"


def transparency_fraction(im: Image.Image) -> float:
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        a = np.asarray(im.convert("RGBA"))[..., 3]
        return float((a < 250).mean())
    return 0.0


def resize_short(im: Image.Image, short: int = OUTPUT_SHORT_SIDE) -> Image.Image:
    size = target_size(*im.size, short=short)
    if size == im.size:
        return im
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def jpeg_bytes(im: Image.Image) -> bytes:
    """RGB JPEG, quality 92, standard 4:2:0 chroma (4:4:4 costs ~20 % more and
    the set must stay small), Huffman-optimised where libjpeg's one-shot
    buffer (1 byte/pixel) is big enough, no metadata."""
    for optimize in (True, False):
        buf = io.BytesIO()
        try:
            im.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=optimize, subsampling=JPEG_SUBSAMPLING)
        except OSError:
            if not optimize:
                raise
            continue
        return buf.getvalue()
    raise AssertionError("unreachable")
