"""Training throughput of the `training` worker: a real TrainingRun fine-tuning the default
architecture, run by the GPU workers' RQ worker class on the real queue.

Ingests N photo-like colour JPEGs into a database of its own (`chroma_bench_training`,
created and migrated on first run), registers a default-architecture generator as the base
version, builds and freezes a curated set, queues a run with the fine-tuning defaults
(except --steps/--batch-size/--crop), and runs `ArchiveWorker` in burst mode on the
benchmark's own `training` queue. It reports the phases the run recorded (data loading,
trainer set-up, the training loop with its per-epoch validation and checkpoints, the
hold-out evaluation and samples) and the loop's images per second, beside the job's wall
time (queue and Django overhead included).

`--loop-only` needs neither Django nor the servers: it runs the same fine-tuning pieces
(``gan.finetune``: config, PhotoEntry data, Trainer from a base checkpoint, hold-out
evaluation) on in-memory images, for machines (GPU hosts) without the web stack.

    .venv/bin/python benchmarks/bench_training_worker.py [--photographs 24] [--steps 20] [--append-to docs/BENCHMARKS.md]
    python benchmarks/bench_training_worker.py --loop-only --device cuda --steps 200
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))
from bench_gan_common import machine, report, usable_cores  # noqa: E402

from apps.mlcore.gan.checkpoint import save_generator  # noqa: E402
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator  # noqa: E402

WIDTH, HEIGHT = 1024, 768
PHASES = ("data", "setup", "training", "evaluation")


def photo(seed: int) -> bytes:
    """A photo-like colour JPEG: smooth colour fields, hard-edged shapes and grain, distinct per seed."""
    rng = np.random.default_rng(seed)
    planes = [np.asarray(Image.fromarray(rng.random((9, 12)).astype(np.float32)).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)) for _ in range(3)]
    rgb = np.stack(planes, axis=-1)
    for _ in range(25):
        x, y = rng.integers(0, WIDTH), rng.integers(0, HEIGHT)
        rgb[y : y + rng.integers(40, HEIGHT // 3), x : x + rng.integers(40, WIDTH // 3)] = rng.random(3)
    rgb += rng.normal(0, 0.02, rgb.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def base_checkpoint(folder: Path, version: str) -> Path:
    """The default architecture with fixed random weights: speed does not depend on the weights."""
    torch.manual_seed(0)
    path = folder / "base.pt"
    save_generator(path, UNetGenerator(GeneratorConfig()), name="bench-default", version=version)
    return path


def hyperparameters(args) -> dict:
    return {"steps": args.steps, "epochs": 10_000, "batch_size": args.batch_size, "crop_size": args.crop, "checkpoint_every": args.checkpoint_every}


def table(rows: list[tuple[str, dict]], args, line: str) -> str:
    out = [
        f"**Training worker throughput** — {line}. {args.photographs} photographs of {WIDTH}×{HEIGHT}, "
        f"10% held out; {args.steps} steps, batch {args.batch_size}, crop {args.crop}, default architecture "
        f"(GeneratorConfig(), default PatchGAN), fine-tuning defaults otherwise (validation every epoch, checkpoint every {args.checkpoint_every} steps).",
        "",
        "| path | device | loop images/s | data s | set-up s | training loop s | evaluation s | job wall s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, t in rows:
        cells = [f"{t.get(p, 0):.1f}" for p in PHASES]
        wall = f"{t['wall']:.1f}" if t.get("wall") else "—"
        out.append(f"| {label} | {t['device']} | {t['training_images_per_second']:.2f} | " + " | ".join(cells) + f" | {wall} |")
    return "\n".join(out) + "\n"


def worker_path(args) -> dict:
    """A TrainingRun through the real `training` queue and worker."""
    from bench_archive_db import setup_django

    os.environ["MLCORE_DEVICE"] = args.device
    setup_django(args.database)
    import django_rq
    from django.conf import settings

    from apps.collections import services as archive
    from apps.mlcore import services
    from archive_site.worker import ArchiveWorker

    stamp = str(int(time.time()))
    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        base = services.model_version_register(weights_path=base_checkpoint(Path(tmp), f"0.0.{stamp}"))
    collection = archive.collection_create(title=f"Training benchmark {stamp}", slug=f"bench-training-{stamp}", user=None)
    photographs = [
        archive.photograph_ingest(collection=collection, file=io.BytesIO(photo(int(stamp) * 100 + i)), filename=f"bench-{i}.jpg", user=None).photograph
        for i in range(args.photographs)
    ]
    curated = services.curated_set_create(name=f"Training benchmark {stamp}", user=None)
    services.curated_set_add_items(curated_set=curated, user=None, photograph_ids=[p.pk for p in photographs])
    run = services.training_run_create(curated_set=curated, user=None, base_version=base, hyperparameters=hyperparameters(args))
    queue = django_rq.get_queue(settings.RQ_QUEUE_PREFIX + "training")
    started = time.perf_counter()
    ArchiveWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
    wall = time.perf_counter() - started
    run.refresh_from_db()
    if run.status != "succeeded":
        raise SystemExit(f"run {run.pk} {run.status}: {run.error}\n{run.log_tail}")
    from apps.mlcore.gan.inference import select_device

    return {**run.progress["timings"], "wall": wall, "device": str(select_device(args.device))}


def loop_only(args) -> dict:
    """The same fine-tuning pieces without Django: entries → PhotoDataset → Trainer → evaluation."""
    from apps.mlcore.gan import finetune
    from apps.mlcore.gan.data import PhotoDataset, PhotoEntry
    from apps.mlcore.gan.imageio import open_image
    from apps.mlcore.gan.inference import Colorizer, select_device
    from apps.mlcore.gan.train import Trainer

    def opener(data: bytes, **kwargs):
        return open_image(io.BytesIO(data), **kwargs)

    entries = [PhotoEntry(f"photograph:{i}", partial(opener, photo(i))) for i in range(args.photographs)]
    holdout_count = max(1, round(len(entries) * 0.1))
    train, holdout = entries[holdout_count:], entries[:holdout_count]
    values = {**finetune.FINE_TUNING_DEFAULTS, **hyperparameters(args)}
    timings: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-training-loop-") as tmp:
        clock = time.perf_counter()
        train_data = PhotoDataset(train, crop_size=args.crop)
        val_data = PhotoDataset(holdout, crop_size=args.crop)
        timings["data"] = time.perf_counter() - clock
        base = base_checkpoint(Path(tmp), "0.0.0")
        config = finetune.fine_tuning_config(values, device=args.device, model_name="bench", model_version="0.1.0")
        started = time.perf_counter()
        trainer = Trainer(config, train_data=train_data, val_data=val_data, out_dir=Path(tmp) / "run", base_checkpoint=base, should_stop=lambda: False)
        timings["setup"] = time.perf_counter() - started
        started = time.perf_counter()
        result = trainer.fit()
        timings["training"] = time.perf_counter() - started
        started = time.perf_counter()
        device = select_device(args.device)
        models = [Colorizer.from_checkpoint(base, device=device), Colorizer.from_checkpoint(result.generator_path, device=device)]
        finetune.evaluate_entries(models, holdout, workdir=Path(tmp) / "evaluation", seeds=values["eval_seeds"],
                                  working_size=values["eval_working_size"], max_side=values["eval_max_side"], device=args.device)
        finetune.render_comparisons({"base": models[0], "candidate": models[1]}, holdout[: values["samples"]], working_size=values["eval_working_size"])
        timings["evaluation"] = time.perf_counter() - started
    timings["training_images_per_second"] = result.step * args.batch_size / timings["training"]
    timings["device"] = str(device)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photographs", type=int, default=24)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, auto (the worker's MLCORE_DEVICE)")
    parser.add_argument("--threads", type=int, help="torch threads (default: the usable cores)")
    parser.add_argument("--loop-only", action="store_true", help="no Django, database or queue: the fine-tuning loop and evaluation alone")
    parser.add_argument("--database", default="chroma_bench_training")
    parser.add_argument("--append-to", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads or min(torch.get_num_threads(), usable_cores()))
    device = torch.device("cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu")
    line = machine(device)
    if args.loop_only:
        rows = [("fine-tuning loop alone (no Django)", loop_only(args))]
    else:
        rows = [("`training` worker (RQ ArchiveWorker, PostgreSQL, Redis, media storage)", worker_path(args))]
    report(table(rows, args, line), args.append_to)


if __name__ == "__main__":
    main()
