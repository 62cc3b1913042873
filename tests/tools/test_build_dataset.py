"""Tests of the data set builder tools/dataset/ (tiny generated data, no network).

Run with:  .venv/bin/python -m pytest tests/tools -p no:django
"""
from __future__ import annotations

import base64
import csv
import io
import json
import struct
import sys
import tarfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # `pytest -p no:django` does not put the repository on the path

from tools.dataset import build as build_module  # noqa: E402
from tools.dataset import extraction, filters, sources, split  # noqa: E402
from tools.dataset.build import BuildOptions, build  # noqa: E402


# ---------------------------------------------------------------- helpers
def encode(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def photo_like(w=320, h=240, seed=0) -> np.ndarray:
    """Smooth colour field plus fine noise: what the filters should accept."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    base = np.stack([
        120 + 80 * np.sin(xx / 37.0 + yy / 53.0),
        110 + 70 * np.cos(xx / 29.0 - yy / 41.0),
        90 + 60 * np.sin((xx + yy) / 61.0),
    ], axis=-1)
    base += rng.normal(0, 9, size=base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def drawing_like(w=320, h=240) -> np.ndarray:
    a = np.full((h, w, 3), (250, 250, 245), np.uint8)
    a[20:120, 30:150] = (220, 40, 40)
    a[100:220, 160:300] = (30, 90, 200)
    a[150:200, 40:120] = (40, 180, 60)
    return a


def make_rcc(files: dict[str, tuple[bytes, bool]]) -> bytes:
    """A minimal Qt .rcc (format 3) with one folder 'res' holding the files.

    files: name -> (payload, zlib-compress?)"""
    names = b""
    name_off = {}
    for n in ["res", *files]:
        name_off[n] = len(names)
        enc = n.encode("utf-16-be")
        names += struct.pack(">HI", len(n), 0) + enc
    data = b""
    data_off = {}
    for n, (payload, compress) in files.items():
        blob = struct.pack(">I", len(payload)) + zlib.compress(payload) if compress else payload
        data_off[n] = len(data)
        data += struct.pack(">I", len(blob)) + blob
    node = 22
    tree = b""
    # 0: root dir -> child 1 ; 1: res dir -> children 2..
    tree += struct.pack(">IHII", 0, 2, 1, 1) + b"\0" * 8
    tree += struct.pack(">IHII", name_off["res"], 2, len(files), 2) + b"\0" * 8
    for n, (_, compress) in files.items():
        tree += struct.pack(">IHHHI", name_off[n], 1 if compress else 0, 0, 0, data_off[n]) + b"\0" * 8
    assert len(tree) == node * (2 + len(files))
    header_len = 24
    tree_at = header_len
    data_at = tree_at + len(tree)
    names_at = data_at + len(data)
    header = b"qres" + struct.pack(">IIIII", 3, tree_at, data_at, names_at, 0)
    return header + tree + data + names


# ---------------------------------------------------------------- carving
def test_carve_riff_webp_finds_every_embedded_file():
    a = encode(Image.fromarray(photo_like(64, 48, 1)), "WEBP", quality=80)
    b = encode(Image.fromarray(drawing_like(40, 30)), "WEBP", lossless=True)
    wav = b"RIFF" + struct.pack("<I", 12) + b"WAVEfmt xxxx"
    truncated = b"RIFF" + struct.pack("<I", 10_000) + b"WEBPVP8 "
    blob = b"\x00junk" + a + b"more junk RIFF" + wav + b + b"\xff" * 7 + truncated
    found = extraction.carve_riff_webp(blob)
    assert [d for _, d in found] == [a, b]
    assert found[0][0] == 5
    for _, d in found:
        assert (8 + struct.unpack("<I", d[4:8])[0]) == len(d)
        Image.open(io.BytesIO(d)).load()


def test_carve_riff_webp_empty_and_no_match():
    assert extraction.carve_riff_webp(b"") == []
    assert extraction.carve_riff_webp(b"RIFF") == []
    assert extraction.carve_riff_webp(b"nothing here") == []


def test_carve_jpeg_and_png_ignore_random_markers():
    jpg = encode(Image.fromarray(photo_like(48, 32, 2)), "JPEG", quality=90)
    png = encode(Image.fromarray(drawing_like(30, 20)), "PNG")
    blob = b"\xff\xd8\xff\x00 fake soi " + jpg + b"\x89PNG junk" + png + b"\xff\xd8\xff\xe0\x00"
    jpegs = extraction.carve_jpeg(blob)
    assert [d for _, d in jpegs] == [jpg]
    pngs = extraction.carve_png(blob)
    assert [d for _, d in pngs] == [png]
    Image.open(io.BytesIO(pngs[0][1])).load()


def test_parse_rcc_lists_plain_and_compressed_files():
    webp = encode(Image.fromarray(photo_like(32, 32, 3)), "WEBP")
    svg = b'<svg><image href="data:image/png;base64,' + base64.b64encode(
        encode(Image.new("RGB", (4, 4), "red"), "PNG")) + b'"/></svg>'
    blob = make_rcc({"a.webp": (webp, False), "b.svg": (svg, True)})
    files = dict(extraction.parse_rcc(blob))
    assert files == {"res/a.webp": webp, "res/b.svg": svg}
    # the carver finds the same WebP without understanding the container
    assert [d for _, d in extraction.carve_riff_webp(blob)] == [webp]
    (emb,) = extraction.embedded_data_uris(files["res/b.svg"])
    assert Image.open(io.BytesIO(emb)).size == (4, 4)


def test_parse_rcc_rejects_other_files():
    with pytest.raises(ValueError):
        extraction.parse_rcc(b"RIFF0000WEBP" + b"\0" * 20)


def test_images_from_rcc_falls_back_to_carving():
    webp = encode(Image.fromarray(photo_like(32, 32, 4)), "WEBP")
    stats = {}
    cands = extraction.images_from_rcc("x.rcc", b"garbage" + webp, stats)
    assert [c.data for c in cands] == [webp]
    assert cands[0].path == "x.rcc@7"
    assert "notes" in stats


# ---------------------------------------------------------------- filters
def test_classify_measures_colourfulness_on_the_masked_pixels_only():
    a = np.zeros((10, 10, 3), np.uint8)
    a[:, :5] = (255, 0, 0)
    a[:, 5:] = (128, 128, 128)
    mask = np.zeros((10, 10), bool)
    mask[:, 5:] = True
    reason, feats = filters.classify(a, mask)
    assert reason == "near_grayscale"
    assert feats["colourfulness"] == pytest.approx(0.0, abs=1e-9)
    assert filters.classify(a)[1]["colourfulness"] > 50
    assert filters.classify(a, np.zeros((10, 10), bool))[1]["colourfulness"] == 0.0


def test_classify_accepts_photo_like_and_rejects_drawings():
    reason, feats = filters.classify(photo_like())
    assert reason is None, feats
    reason, _ = filters.classify(drawing_like())
    assert reason in ("drawing_flat", "drawing_few_colours")
    gray = np.repeat(photo_like()[..., :1], 3, axis=2)
    assert filters.classify(gray)[0] == "near_grayscale"
    h, w = 240, 320
    ramp = np.zeros((h, w, 3), np.uint8)
    ramp[..., 0] = np.linspace(0, 255, w)[None, :]
    ramp[..., 2] = np.linspace(255, 0, h)[:, None]
    assert filters.classify(ramp)[0] in ("drawing_smooth", "drawing_flat")


def test_classify_cutout_uses_mask():
    img = photo_like()
    mask = np.zeros(img.shape[:2], bool)
    mask[40:200, 60:260] = True
    flat = img.copy()
    flat[~mask] = 255  # white surround is ignored
    assert filters.classify(flat, mask)[0] is None
    cartoon = drawing_like()
    cmask = np.zeros(cartoon.shape[:2], bool)
    cmask[20:220, 30:300] = True
    assert filters.classify(cartoon, cmask)[0] in ("drawing_flat", "drawing_few_colours")


# ---------------------------------------------------------------- dedup
def test_pixel_hash_ignores_encoding_and_scale():
    img = Image.fromarray(photo_like(64, 48, 5))
    same = Image.open(io.BytesIO(encode(img, "PNG")))
    bigger = img.resize((128, 96), Image.Resampling.NEAREST)
    assert filters.pixel_hash(img) == filters.pixel_hash(same) == filters.pixel_hash(bigger)
    other = Image.fromarray(photo_like(64, 48, 6)[::-1].copy())
    assert filters.pixel_hash(other) != filters.pixel_hash(img)


def test_dhash_near_duplicates_are_close():
    base = photo_like(96, 64, 7)
    img = Image.fromarray(base)
    jpeg = Image.open(io.BytesIO(encode(img, "JPEG", quality=60)))
    assert filters.hamming(filters.dhash(img), filters.dhash(jpeg)) <= filters.NEAR_DUP_BITS
    flipped = Image.fromarray(base[:, ::-1].copy())
    assert filters.hamming(filters.dhash(img), filters.dhash(flipped)) > filters.NEAR_DUP_BITS


def test_group_key_merges_resolution_variants():
    a = filters.group_key("p", "usr/share/wallpapers/Path/contents/images/1920x1080.jpg")
    b = filters.group_key("p", "usr/share/wallpapers/Path/contents/images_dark/640x480.png")
    c = filters.group_key("p", "usr/share/wallpapers/Kite/contents/images/1920x1080.jpg")
    assert a == b != c
    assert (filters.group_key("m", "x/Elephants.jpg") == filters.group_key("m", "x/Elephants_3840x2160.jpg")
            == filters.group_key("m", "x/Elephants_5640x3172.png"))
    assert filters.group_key("m", "x/Aqua.jpg") != filters.group_key("m", "x/Dune.jpg")


# ---------------------------------------------------------------- split, sizes, crops
def test_split_is_deterministic_and_roughly_80_10_10():
    ids = [f"img{i}" for i in range(6000)]
    first = [split.assign_split(i, 0) for i in ids]
    assert first == [split.assign_split(i, 0) for i in ids]
    counts = {s: first.count(s) / len(ids) for s in ("train", "val", "holdout")}
    assert counts["train"] == pytest.approx(0.8, abs=0.03)
    assert counts["val"] == pytest.approx(0.1, abs=0.02)
    assert counts["holdout"] == pytest.approx(0.1, abs=0.02)
    other_seed = [split.assign_split(i, 1) for i in ids]
    assert other_seed != first


def test_target_size_never_upscales():
    assert filters.target_size(1920, 1080) == (683, 384)
    assert filters.target_size(1080, 1920) == (384, 683)
    assert filters.target_size(300, 280) == (300, 280)
    assert filters.target_size(384, 500) == (384, 500)


def test_crop_boxes_large_and_small():
    assert filters.crop_boxes(800, 600, True) == [("full", (0, 0, 800, 600))]
    boxes = filters.crop_boxes(1920, 1080, True)
    assert [t for t, _ in boxes] == ["full", "q1", "q2", "q3", "q4"]
    squares = [b for t, b in boxes if t != "full"]
    for x0, y0, x1, y1 in squares:
        assert x1 - x0 == y1 - y0 == 540
        assert 0 <= x0 and 0 <= y0 and x1 <= 1920 and y1 <= 1080
    # the four crops do not overlap
    for i, a in enumerate(squares):
        for b in squares[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
    assert len(filters.crop_boxes(1920, 1080, False)) == 1
    assert filters.is_large(1920, 1080) and not filters.is_large(1024, 768) and not filters.is_large(2000, 700)


def test_resize_short_and_jpeg_bytes():
    img = Image.fromarray(photo_like(900, 600, 8))
    out = filters.resize_short(img)
    assert out.size == (576, 384)
    data = filters.jpeg_bytes(out)
    back = Image.open(io.BytesIO(data))
    assert back.format == "JPEG" and back.mode == "RGB" and back.size == (576, 384)
    assert filters.jpeg_bytes(out) == data  # deterministic
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 300, 3), dtype=np.uint8))
    assert Image.open(io.BytesIO(filters.jpeg_bytes(noisy))).size == (300, 300)


# ---------------------------------------------------------------- metadata helpers
def test_licence_names_dep5_and_free_form():
    dep5 = ("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"
            "Files: *\nCopyright: someone\nLicense: GPL-2+\n\n"
            "Files: images/*\nLicense: CC-BY-SA-3.0 or CC0-1.0\n\n"
            "License: GPL-2+\n This program is free software\n")
    assert sources.licence_names(dep5) == ["GPL-2+", "CC-BY-SA-3.0", "CC0-1.0"]
    free = ("This package is free software; you can redistribute it under the terms of the "
            "GNU General Public License as published by the FSF; either version 2 of the "
            "License, or (at your option) any later version. See GPL-3 too.")
    assert sources.licence_names(free) == ["GPL-2+"]
    assert sources.licence_names("all rights reserved") == ["unknown"]


def test_kpa_angles():
    xml = ('<images><image file="a.jpg" label="x" angle="90" md5sum="1"/>'
           '<image angle="0" file="b.jpg"/><image file="c.jpg" angle="180"/></images>')
    assert extraction.kpa_angles(xml) == {"a.jpg": 90, "c.jpg": 180}


def test_source_patterns_and_review_lists():
    src = sources.Source("x", "deb", ("usr/share/x/*",), excludes=("*/skip/*",),
                    not_photos=("usr/share/x/art/*",))
    assert sources.match("usr/share/x/a/b.jpg", src)
    assert not sources.match("usr/share/x/skip/b.jpg", src)
    assert not sources.match("usr/share/y/b.jpg", src)
    assert sources.reviewed_not_photo("usr/share/x/art/p.png", src)
    assert not sources.reviewed_not_photo("usr/share/x/photo/p.png", src)
    names = [s.name for s in sources.SOURCES]
    assert len(names) == len(set(names))


# ---------------------------------------------------------------- build (local packages, no network)
def scene(seed: int, w=320, h=272) -> np.ndarray:
    """A photo-like picture whose layout (not only its noise) depends on the seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    f = rng.uniform(15, 60, size=6)
    p = rng.uniform(0, 6.3, size=3)
    base = np.stack([
        128 + 90 * np.sin(xx / f[0] + yy / f[1] + p[0]),
        120 + 80 * np.cos(xx / f[2] - yy / f[3] + p[1]),
        100 + 70 * np.sin((xx - yy) / f[4] + yy / f[5] + p[2]),
    ], axis=-1)
    base += rng.normal(0, 9, size=base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def npm_tarball(path: Path, name: str, seeds) -> None:
    """An npm-pack style tarball: package/package.json plus PNG pictures."""

    def add(tar, member, data):
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(path, "w:gz") as tar:
        add(tar, "package/package.json", json.dumps({"name": name, "license": "CC0-1.0"}).encode())
        for s in seeds:
            add(tar, f"package/img/p{s}.png", encode(Image.fromarray(scene(s)), "PNG"))
        add(tar, "package/img/drawing.png", encode(Image.fromarray(drawing_like(320, 272)), "PNG"))


def read_manifest(out: Path) -> dict:
    with open(out / "photos" / "manifest.csv", newline="") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


def test_build_appends_a_source_without_moving_any_picture(tmp_path, monkeypatch):
    (tmp_path / "npm").mkdir()
    npm_tarball(tmp_path / "npm" / "pics-a-1.0.0.tgz", "pics-a", range(1, 13))
    npm_tarball(tmp_path / "npm" / "pics-b-2.0.0.tgz", "pics-b", range(20, 32))
    a = sources.Source("pics-a", "npm", ("package/img/*",), version_pin="1.0.0")
    b = sources.Source("pics-b", "npm", ("package/img/*",), version_pin="2.0.0")
    options = BuildOptions(out=tmp_path)

    monkeypatch.setattr(build_module, "SOURCES", (a,))
    first, dropped = build(options)
    before = read_manifest(tmp_path)
    assert first["images"] == len(before) == 12
    assert first["sources"]["pics-a"]["licence"] == ["CC0-1.0"]
    assert first["sources"]["pics-a"]["status"] == "cached"
    assert [d["reason"] for d in dropped] == ["drawing_few_colours"]
    assert {r["split"] for r in before.values()} <= {"train", "val", "holdout"}

    monkeypatch.setattr(build_module, "SOURCES", (a, b))
    second, _ = build(options)
    after = read_manifest(tmp_path)
    assert second["images"] == len(after) == 24
    for name, row in before.items():  # every earlier image is still there, in its split
        assert after[name] == row
        assert (tmp_path / "photos" / name).exists()
    assert list(next(iter(after.values()))) == build_module.MANIFEST_FIELDS
    summary = json.loads((tmp_path / "photos" / "summary.json").read_text())
    assert summary["splits"]["train"]["images"] + summary["splits"]["val"]["images"] \
        + summary["splits"]["holdout"]["images"] == 24
