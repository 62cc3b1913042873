"""What the colorize workflow costs on top of the model: queue, worker, storage, database.

A real GPU-worker process (`manage.py rqworker` with the ArchiveWorker class, the model
warmed at start) listens on the benchmark's own `gpu` queue, in a database of its own.
The shipped model is used (apps/mlcore/weights/default.pt, or a freshly initialised
default-config generator when the repository has no weights), on the CPU unless
MLCORE_DEVICE says otherwise.

1. Latency: N requests one after another (each waits for the previous one to finish);
   for each, the time from `colorization_request_create` to "succeeded" (variants written
   and committed), against the model's own time (prepare + batched forward pass + full-
   resolution merge, measured inside the job). The difference is the overhead.
2. Throughput: M requests enqueued at once, one worker: requests and variants per minute,
   and the share of the worker's time spent in the model.

    .venv/bin/python benchmarks/bench_colorize_overhead.py [--size 3000x2000] [--seeds 3] [--latency 10] [--throughput 50]
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_archive_db import BASE_DIR, machine, percentile, setup_django  # noqa: E402


def scan(width: int, height: int, seed: int = 0) -> bytes:
    """A photo-like grayscale JPEG: smooth tones, hard edges and grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    tone = 128 + 60 * np.sin(x / 300) * np.cos(y / 410) + 40 * (x / width - 0.5)
    tone[(x // 700 + y // 500) % 3 == 0] += 35
    tone += rng.normal(0, 6, tone.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def shipped_model():
    """The repository's model version, registered and active; a fresh default generator when there are no weights."""
    from django.conf import settings

    from apps.mlcore.models import ModelVersion
    from apps.mlcore.services import model_version_activate, model_version_ensure_default, model_version_register

    for stale in ModelVersion.objects.all():  # each run has a fresh media folder
        if not stale.weights.storage.exists(stale.weights.name):
            stale.delete()
    version = model_version_ensure_default()
    if version is not None:
        return model_version_activate(model_version=version), "shipped weights " + str(Path(settings.SHIPPED_MODEL_PATH).relative_to(BASE_DIR))
    existing = ModelVersion.objects.filter(name="bench-untrained").first()
    if existing is None:
        import torch

        from apps.mlcore.gan.checkpoint import save_generator
        from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator

        torch.manual_seed(0)
        path = Path(tempfile.mkdtemp(prefix="bench-model-")) / "untrained.pt"
        save_generator(path, UNetGenerator(GeneratorConfig()), name="bench-untrained", version="0.0.0")
        existing = model_version_register(weights_path=path)
    return model_version_activate(model_version=existing), "a freshly initialised default-config generator (no weights in the repository)"


def start_worker(queue_name: str) -> subprocess.Popen:
    from django.conf import settings

    log = open(Path(tempfile.gettempdir()) / "bench-colorize-worker.log", "wb")
    env = {**os.environ, "JOB_RECONCILE_INTERVAL": "0"}
    argv = [sys.executable, str(BASE_DIR / "manage.py"), "rqworker", queue_name, "--worker-class", settings.RQ_WORKER_CLASS]
    return subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_done(request_ids: list[int], timeout: float) -> None:
    from apps.colorize.models import ColorizationRequest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ColorizationRequest.objects.filter(pk__in=request_ids, status__in=ColorizationRequest.ACTIVE_STATUSES).exists():
            failed = ColorizationRequest.objects.filter(pk__in=request_ids).exclude(status="succeeded")
            if failed.exists():
                raise SystemExit(f"requests failed: {list(failed.values_list('pk', 'error'))}")
            return
        time.sleep(0.005)
    raise SystemExit(f"timed out after {timeout} s (see {tempfile.gettempdir()}/bench-colorize-worker.log)")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="3000x2000", help="scan size, WIDTHxHEIGHT")
    parser.add_argument("--seeds", type=int, default=3, help="variants per request")
    parser.add_argument("--working-size", type=int, default=256)
    parser.add_argument("--latency", type=int, default=10, help="requests run one after another")
    parser.add_argument("--throughput", type=int, default=50, help="requests enqueued at once")
    parser.add_argument("--database", default="chroma_bench_colorize")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    setup_django(args.database)
    from django.conf import settings

    from apps.collections import services as archive
    from apps.collections.models import Collection, Photograph
    from apps.colorize import services
    from apps.colorize.models import ColorizationRequest
    from archive_site.rqjobs import rq_queue

    queue = rq_queue("gpu")
    for name in settings.RQ_QUEUES:
        rq_queue(name.removeprefix(settings.RQ_QUEUE_PREFIX)).empty()
    ColorizationRequest.objects.all().delete()
    Photograph.objects.filter(collection__slug="bench-colorize").delete()
    Collection.objects.filter(slug="bench-colorize").delete()
    model, model_source = shipped_model()
    collection = archive.collection_create(title="Colorize benchmark", slug="bench-colorize", user=None)
    photograph = archive.photograph_ingest(collection=collection, file=io.BytesIO(scan(width, height)), filename="scan.jpg", user=None).photograph

    worker = start_worker(queue.name)
    try:
        def request() -> ColorizationRequest:
            seeds = [secrets.randbelow(2**31) for _ in range(args.seeds)]
            return services.colorization_request_create(photograph=photograph, user=None, seeds=seeds, working_size=args.working_size)

        warm = request()  # the worker's start (imports, warm-up) is not part of any measurement
        wait_done([warm.pk], timeout=600)

        latencies, model_times, job_totals, pickups, encodes = [], [], [], [], []
        for _ in range(args.latency):
            started = time.perf_counter()
            made = request()
            wait_done([made.pk], timeout=600)
            latencies.append(time.perf_counter() - started)
            made.refresh_from_db()
            model_times.append(made.timings["model"])
            job_totals.append(made.timings["total"])
            encodes.append(made.timings["encode"] + made.timings["metrics"])
            pickups.append((made.started_at - made.queued_at).total_seconds())
            assert not made.timings["model_was_loaded"], "the worker reloaded the model"
        overheads = [latency - model for latency, model in zip(latencies, model_times)]

        started = time.perf_counter()
        batch = [request() for _ in range(args.throughput)]
        enqueue_seconds = time.perf_counter() - started
        wait_done([r.pk for r in batch], timeout=3600)
        wall = time.perf_counter() - started
        batch = list(ColorizationRequest.objects.filter(pk__in=[r.pk for r in batch]))
        model_share = sum(r.timings["model"] for r in batch) / wall
    finally:
        worker.terminate()
        worker.wait(30)

    megapixels = width * height / 1e6
    print(f"\nmachine: {machine()}; {dt.date.today().isoformat()}; load average {os.getloadavg()[0]:.1f} at the end")
    print(f"model: {model} ({model_source}), device {settings.MLCORE_DEVICE}, working size {args.working_size} px")
    print(f"scan: {width}×{height} ({megapixels:.1f} MP) grayscale JPEG; {args.seeds} variants per request (one batch)\n")
    print(f"| per request, one after another (n = {args.latency}) | median ms | p95 ms |\n|---|---|---|")
    rows = [
        ("request → variants ready (end to end)", latencies),
        ("model's own time (prepare + forward pass + full-res merge)", model_times),
        ("**overhead = end to end − model**", overheads),
        ("… enqueue → a worker starts it", pickups),
        ("… in the job, outside the model (read master, encode PNG + thumbnail, metrics, storage, rows)", [t - m for t, m in zip(job_totals, model_times)]),
        ("… after the job (commit seen, RQ bookkeeping, polling)", [e - p - t for e, p, t in zip(latencies, pickups, job_totals)]),
        ("(encoding + metrics, summed over the encoding threads)", encodes),
    ]
    for label, values in rows:
        print(f"| {label} | {ms(statistics.median(values))} | {ms(percentile(values, 95))} |")
    print(f"\nthroughput, {args.throughput} requests enqueued at once ({enqueue_seconds * 1000:.0f} ms to enqueue), one worker: "
          f"**{args.throughput / wall * 60:.1f} requests/min, {args.throughput * args.seeds / wall * 60:.1f} variants/min**, "
          f"{wall:.1f} s in all, {model_share:.0%} of it in the model")


if __name__ == "__main__":
    main()
