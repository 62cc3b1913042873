"""Shared pieces of the GAN benchmarks: the machine line, the model to time, the report.

The GAN benchmarks import only ``apps.mlcore.gan`` (no Django), so they also run on a
training machine that has torch and nothing else.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import torch  # noqa: E402

from apps.mlcore.gan.checkpoint import file_sha256, load_generator  # noqa: E402
from apps.mlcore.gan.inference import Colorizer, usable_cores  # noqa: E402
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator  # noqa: E402


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", type=Path, help="generator checkpoint (default: a fresh network of the default config)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice, capped to usable cores)")
    parser.add_argument("--append-to", type=Path, help="append the Markdown report to this file (e.g. docs/BENCHMARKS.md)")


def machine(device: torch.device) -> str:
    """One line: CPU model (lscpu), usable cores, torch threads, GPU if used, load average, date."""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines() if line.startswith("Model name")), platform.processor())
    except (OSError, subprocess.CalledProcessError):
        model = platform.processor()
    gpu = f", GPU {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    load = f", load average before the run {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return (f"{model}, {usable_cores()} usable cores, torch {torch.__version__} with {torch.get_num_threads()} threads{gpu}"
            f"{load}; {datetime.date.today().isoformat()}")


def colorizer(model: Path | None, device: str, threads: int | None, merge: dict | None = None) -> Colorizer:
    """The colorizer to time: the checkpoint given, or a freshly initialised default network.

    ``merge`` overrides the merge settings (None: the checkpoint's own; {} for a fresh network).
    """
    if model:
        result = Colorizer.from_checkpoint(model, device=device, num_threads=threads, merge=merge)
    else:
        torch.manual_seed(0)
        result = Colorizer(UNetGenerator(GeneratorConfig()), name="fresh default", version="-", weights_sha256="-",
                           device=device, num_threads=threads, merge=merge)
    return result


def generator(model: Path | None) -> tuple[UNetGenerator, str]:
    """The generator network to time and how to name it."""
    if model:
        network, meta = load_generator(model)
        return network, f"{meta['name']} {meta['version']} ({file_sha256(model)[:12]})"
    torch.manual_seed(0)
    return UNetGenerator(GeneratorConfig()), f"fresh {GeneratorConfig()}"


def timed(function, repeats: int, warmup: int = 2, device: torch.device | None = None) -> list[float]:
    """Seconds of each of ``repeats`` calls after ``warmup`` untimed ones (CUDA synchronised)."""
    def sync():
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        function()
    sync()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        sync()
        times.append(time.perf_counter() - started)
    return times


def ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:.1f}"


def report(text: str, append_to: Path | None) -> None:
    print(text)
    if append_to:
        with append_to.open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)

