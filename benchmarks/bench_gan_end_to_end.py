"""End to end: one scan to 4 full-resolution lossless variants, time split and peak memory.

Two synthetic scans are generated: a 12-megapixel colour JPEG (4000×3000) and a
100-megapixel 16-bit grayscale TIFF (11547×8660). Each is colorized in a fresh
subprocess (so its peak resident memory is its own): decode, prepare (luma + resize),
network (one batch for all seeds), merge (chroma upsampling + merge with the full-size
luma, in strips), encode (PNG with provenance). The floor is the irreducible work measured
in the same run: decode + network + the encodes spread over the threads that run them
(encode seconds summed over threads / min(workers, variants)); total / floor says how
close the pipeline is to it (issue 15 asks for at most 1.3).

    python benchmarks/bench_gan_end_to_end.py [--model PATH] [--device auto] [--only 12mp|100mp]
        [--chroma-filter off|RADIUS,EPS ...] [--append-to docs/BENCHMARKS.md]

``--chroma-filter`` (repeatable) times each scan once per setting; without it, the model's
own merge settings.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_gan_common import add_common_arguments, colorizer, machine, report
from PIL import Image

from apps.mlcore.gan.chroma import ChromaFilter
from apps.mlcore.gan.inference import colorize_files, select_device, usable_cores

SCANS = {"12mp": (4000, 3000, "jpeg"), "100mp": (11547, 8660, "tiff16")}


def synthetic_scan(path: Path, width: int, height: int, kind: str) -> None:
    """A photograph-like test image: smooth low-frequency fields, hard-edged shapes and grain."""
    rng = np.random.default_rng(0)
    channels = 3 if kind == "jpeg" else 1
    planes = []
    for _ in range(channels):
        field = Image.fromarray(rng.random((12, 16)).astype(np.float32)).resize((width, height), Image.Resampling.BICUBIC)
        planes.append(field)
    out = np.empty((height, width, channels), dtype=np.uint16 if kind == "tiff16" else np.uint8)
    peak = 65535 if kind == "tiff16" else 255
    rows = 512
    boxes = [(rng.integers(0, width), rng.integers(0, height), rng.integers(50, width // 4), rng.integers(50, height // 4),
              rng.random()) for _ in range(40)]
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        for c, plane in enumerate(planes):
            strip = np.array(plane.crop((0, top, width, bottom)), dtype=np.float32)
            for x, y, w, h, value in boxes:
                if y < bottom and y + h > top:
                    strip[max(0, y - top) : min(bottom, y + h) - top, x : x + w] = value * (0.6 + 0.4 * c / 3)
            strip += rng.normal(0, 0.02, strip.shape).astype(np.float32)
            out[top:bottom, :, c] = np.clip(strip * peak, 0, peak)
    if kind == "jpeg":
        Image.fromarray(out).save(path, quality=90)
    else:
        Image.fromarray(out[..., 0]).save(path)


def peak_mb() -> float:
    """Peak resident memory of this process in MB: VmHWM, which (unlike ru_maxrss) starts
    afresh at exec, so the parent's memory at fork does not count."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args) -> None:
    """Run in a fresh process: colorize one file the way ``colorize`` does and print the time split as JSON."""
    colorize = colorizer(args.model, args.device, args.threads, merge=json.loads(args.merge) if args.merge else None)
    workers = min(args.workers or usable_cores(), args.variants)
    baseline_mb = peak_mb()
    with Image.open(args.child) as header:
        size, mode = header.size, header.mode
    timings: dict = {}
    started = time.perf_counter()
    written = colorize_files(colorize, [args.child], args.out, seeds=list(range(1, args.variants + 1)), format="png",
                             max_pixels=None, workers=workers, timings=timings)
    total = time.perf_counter() - started
    print(json.dumps({
        **timings, "total": total, "peak_mb": peak_mb(),
        "baseline_mb": baseline_mb, "mode": mode, "size": f"{size[0]}×{size[1]}", "workers": workers,
        "chroma_filter": (f"r={colorize.chroma_filter.radius}, eps={colorize.chroma_filter.eps:g}"
                          if colorize.chroma_filter.enabled else "off"),
        "output_mb": sum(p.stat().st_size for p in written) / 1e6, "model": f"{colorize.name} {colorize.version}",
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--only", choices=sorted(SCANS))
    parser.add_argument("--workers", type=int, help="merge+encode threads (default: usable cores)")
    parser.add_argument("--chroma-filter", action="append", help="off or RADIUS,EPS (repeatable; default: the model's own)")
    parser.add_argument("--merge", help=argparse.SUPPRESS)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    device = select_device(args.device)
    line = machine(device)
    merges = [None]  # None: the model's own merge settings
    if args.chroma_filter:
        merges = [{} if f == "off" else ChromaFilter(int(f.split(",")[0]), float(f.split(",")[1])).to_merge()
                  for f in args.chroma_filter]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-gan-") as tmp:
        for name, (width, height, kind) in SCANS.items():
            if args.only and name != args.only:
                continue
            scan = Path(tmp) / f"scan_{name}.{'jpg' if kind == 'jpeg' else 'tif'}"
            synthetic_scan(scan, width, height, kind)
            for merge in merges:
                out = Path(tmp) / f"out_{name}"
                out.mkdir(exist_ok=True)
                command = [sys.executable, __file__, "--child", str(scan), "--out", str(out), "--device", args.device,
                           "--variants", str(args.variants)]
                command += ["--model", str(args.model)] if args.model else []
                command += ["--threads", str(args.threads)] if args.threads else []
                command += ["--workers", str(args.workers)] if args.workers else []
                command += ["--merge", json.dumps(merge)] if merge is not None else []
                result = subprocess.run(command, capture_output=True, text=True, check=True)
                r = json.loads(result.stdout.strip().splitlines()[-1])
                floor = r["decode"] + r["network"] + r["encode"] / r["workers"]
                rows.append(
                    f"| {r['size']} {r['mode']} ({scan.stat().st_size / 1e6:.0f} MB {kind}) | {r['chroma_filter']} | "
                    f"{r['decode']:.2f} | {r['prepare']:.2f} | {r['network']:.2f} | {r['merge']:.2f} | {r['encode']:.2f} | "
                    f"{r['total']:.2f} | {floor:.2f} | **{r['total'] / floor:.2f}** | "
                    f"{r['peak_mb']:.0f} ({r['peak_mb'] - r['baseline_mb']:+.0f}) | {r['output_mb']:.0f} |"
                )
                print(rows[-1], file=sys.stderr, flush=True)
                model = r["model"]
    text = "\n".join([
        f"### End to end: one scan → {args.variants} full-resolution PNG variants ({model})",
        "",
        f"{line}. Seconds; each scan in a fresh process; merge and encode summed over the threads; "
        "floor = decode + network + encode / threads (the irreducible work, from the same run); "
        "peak = VmHWM (peak resident memory) of that process "
        "(in brackets: above the process with torch and the model loaded).",
        "",
        "| scan | chroma filter | decode | prepare | network | merge | encode | total | floor | total / floor | peak MB | output MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
    ])
    report(text + "\n", args.append_to)


if __name__ == "__main__":
    main()
