"""Training throughput: images per second of the real training loop (data loading included)
against the bare network's forward+backward rate on a batch already in memory, and the
data loader's own rate. A ratio near 1 means data loading never starves the model.

    python benchmarks/bench_gan_training.py [--model PATH] [--arch unet|effunet-lite0] [--device-data] [--device auto]
        [--batch-size 4] [--crop 256] [--workers 0] [--append-to docs/BENCHMARKS.md]

With ``--device-data`` the training set is held on the device and batches are cut there
(``gan.data.DeviceCrops``, what a GPU run uses); the loader column then times that.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
from bench_gan_common import add_common_arguments, machine, report
from bench_gan_end_to_end import synthetic_scan
from torch.utils.data import DataLoader

from apps.mlcore.gan.data import DeviceCrops, EpochSampler, ImageFolderSource
from apps.mlcore.gan.effunet import ARCHITECTURE as EFFUNET
from apps.mlcore.gan.effunet import EffUNetConfig
from apps.mlcore.gan.inference import select_device, usable_cores
from apps.mlcore.gan.networks import GeneratorConfig
from apps.mlcore.gan.train import TrainConfig, Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--images", type=int, default=48, help="synthetic 640×480 JPEG photographs")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--steps", type=int, default=12, help="timed steps (after 2 warm-up steps)")
    parser.add_argument("--msgan", type=float, default=TrainConfig.lambda_ms)
    parser.add_argument("--arch", choices=("unet", EFFUNET), default="unet")
    parser.add_argument("--device-data", action="store_true", help="cut batches on the device (DeviceCrops)")
    parser.add_argument("--scale-jitter", type=float, default=0.0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    elif torch.get_num_threads() > usable_cores():
        torch.set_num_threads(usable_cores())
    device = select_device(args.device)
    line = machine(device)
    warmup = 2
    config = TrainConfig(batch_size=args.batch_size, crop_size=args.crop, device=args.device, num_workers=args.workers,
                         steps=warmup + args.steps, checkpoint_every=0, sample_every=0, lambda_ms=args.msgan,
                         device_data=args.device_data, scale_jitter=args.scale_jitter)
    architecture = EffUNetConfig() if args.arch == EFFUNET else GeneratorConfig()
    with tempfile.TemporaryDirectory(prefix="bench-gan-train-") as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(args.images):
            synthetic_scan(folder / f"photo{i:03d}.jpg", 640, 480, "jpeg")
        started = time.perf_counter()
        source = ImageFolderSource([folder], crop_size=args.crop, val_fraction=0.0)
        scan_seconds = time.perf_counter() - started

        trainer = Trainer(config, train_data=source.train, out_dir=Path(tmp) / "run", base_checkpoint=args.model,
                          generator_config=architecture)
        stamps: list[float] = []
        step = trainer.train_step

        def stamped(luma, chroma):
            stamps.append(time.perf_counter())
            return step(luma, chroma)

        trainer.train_step = stamped
        trainer.fit()
        stamps.append(time.perf_counter())  # end of the last step (the run's final save follows)
        loop_rate = args.steps * args.batch_size / (stamps[-1] - stamps[warmup])

        luma, chroma = next(iter(DataLoader(source.train, batch_size=args.batch_size)))
        luma, chroma = luma.to(device), chroma.to(device)
        bare = Trainer(replace(config, steps=None), train_data=source.train, out_dir=Path(tmp) / "bare", base_checkpoint=args.model,
                       generator_config=architecture)
        for _ in range(warmup):
            bare.train_step(luma, chroma)
        started = time.perf_counter()
        for _ in range(args.steps):
            bare.train_step(luma, chroma)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        bare_rate = args.steps * args.batch_size / (time.perf_counter() - started)

        sampler = EpochSampler(len(source.train), args.batch_size, seed=0)
        if args.device_data:
            crops = DeviceCrops(source.train, device, scale_jitter=args.scale_jitter)
            keys = list(sampler)
            started, count = time.perf_counter(), 0
            for start in range(0, len(keys) - args.batch_size + 1, args.batch_size):
                count += len(crops.batch(keys[start : start + args.batch_size])[0])
            if device.type == "cuda":
                torch.cuda.synchronize(device)
        else:
            loader = DataLoader(source.train, batch_size=args.batch_size, sampler=sampler, num_workers=args.workers, drop_last=True)
            started, count = time.perf_counter(), 0
            for batch_luma, _ in loader:
                count += len(batch_luma)
        loader_rate = count / (time.perf_counter() - started)

    described = trainer.generator.config.to_dict()
    text = "\n".join([
        f"### Training throughput ({described}, MSGAN weight {args.msgan}, "
        f"{'batches cut on the device' if args.device_data else 'CPU data loader'})",
        "",
        f"{line}. {args.images} synthetic 640×480 JPEGs decoded and cached in {scan_seconds:.1f} s; "
        f"batch {args.batch_size}, crop {args.crop}, {args.workers} loader workers, {args.steps} timed steps after {warmup}.",
        "",
        "| training loop img/s | bare forward+backward img/s | loop / bare | data loader alone img/s |",
        "|---:|---:|---:|---:|",
        f"| {loop_rate:.2f} | {bare_rate:.2f} | {loop_rate / bare_rate:.2f} | {loader_rate:.0f} |",
    ])
    report(text + "\n", args.append_to)


if __name__ == "__main__":
    main()
