"""Ingest throughput for 20-megapixel JPEG scans, derivatives included.

Makes N photo-like 5472×3648 JPEGs (smooth tones, edges and grain, so they compress like
scans, ~5–10 MB), ingests them one after another through `photograph_ingest` (validation,
sha256, storage, row, EXIF) into a database of its own, then runs a real RQ worker in
burst mode on the benchmark's own queue until every derivatives job is done.

    .venv/bin/python benchmarks/bench_archive_ingest.py [--files 8]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_archive_db import machine, setup_django, summary_ms  # noqa: E402

WIDTH, HEIGHT = 5472, 3648


def scan(seed: int, *, grayscale: bool) -> bytes:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    tone = 128 + 60 * np.sin(x / (300 + 40 * seed)) * np.cos(y / 410) + 40 * (x / WIDTH - 0.5)
    tone[(x // 700 + y // 500) % 3 == 0] += 35  # hard edges, as buildings and horizons give
    tone += rng.normal(0, 6, tone.shape)  # film grain
    channels = [tone] if grayscale else [tone, tone * 0.9 + 10, tone * 0.75 + 20]
    pixels = np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if grayscale else pixels).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--database", default="chroma_bench_ingest")
    args = parser.parse_args()

    setup_django(args.database)
    from django.db import transaction
    from rq import SimpleWorker

    from apps.collections import services
    from apps.collections.models import Collection, Photograph
    from archive_site.rqjobs import rq_queue as queue

    files = [scan(i, grayscale=i % 2 == 0) for i in range(args.files)]
    sizes = [len(f) for f in files]
    default_queue = queue("default")
    default_queue.empty()
    with transaction.atomic():
        Photograph.objects.all().delete()
        Collection.objects.filter(slug="bench-ingest").delete()
    collection = services.collection_create(title="Ingest benchmark", slug="bench-ingest", user=None)

    ingest_times = []
    started = time.perf_counter()
    for i, data in enumerate(files):
        t = time.perf_counter()
        with transaction.atomic():
            services.photograph_ingest(collection=collection, file=io.BytesIO(data), filename=f"scan-{i:03d}.jpg", user=None)
        ingest_times.append(time.perf_counter() - t)
    ingest_total = time.perf_counter() - started

    t = time.perf_counter()
    worker = SimpleWorker([default_queue], connection=default_queue.connection)
    worker.work(burst=True, with_scheduler=False)
    derivatives_total = time.perf_counter() - t
    ready = Photograph.objects.filter(derivatives_status="ready").count()
    assert ready == args.files, f"only {ready} of {args.files} photographs have derivatives"

    total = ingest_total + derivatives_total
    megapixels = WIDTH * HEIGHT / 1e6
    print(f"\nmachine: {machine()}")
    print(f"{args.files} JPEGs of {WIDTH}×{HEIGHT} ({megapixels:.1f} MP), {statistics.mean(sizes) / 1e6:.1f} MB on average, half grayscale\n")
    print("| step | median ms per file | p95 ms per file | total s |\n|---|---|---|---|")
    print(f"| ingest (validate, sha256, store, row, EXIF) | {summary_ms(ingest_times)} | {ingest_total:.1f} |")
    print(f"| derivatives (display 2000 px + thumbnail 400 px, RQ worker) | {derivatives_total / args.files * 1000:.0f} (mean) | | {derivatives_total:.1f} |")
    print(f"\n**throughput: {args.files / total * 60:.1f} photographs/min, {args.files * megapixels / total:.1f} MP/s, including derivatives** (one process, sequential)")


if __name__ == "__main__":
    main()
