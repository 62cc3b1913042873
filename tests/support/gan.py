"""Tiny networks and generated pictures for the model's tests (no Django: `pytest
tests/mlcore -p no:django` uses them too)."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from apps.mlcore.gan.colorspace import yuv_to_rgb
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator

TINY = GeneratorConfig(base_filters=4, depth=3, max_filters=16, noise_levels=2)


def make_lively(generator: UNetGenerator) -> UNetGenerator:
    """Re-initialise with wide weights so an untrained network's chroma and noise response are large."""
    torch.manual_seed(0)
    for module in generator.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.normal_(module.weight, 0.0, 0.3)
    return generator.eval()


def gradient_rgb(width: int, height: int, seed: int = 0, texture: float = 8.0) -> Image.Image:
    """A smooth colourful RGB test picture with Gaussian ``texture`` (standard deviation in levels)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 127 + 120 * np.sin(xx / max(width, 1) * 6.0 + seed)
    g = 127 + 120 * np.cos(yy / max(height, 1) * 5.0)
    b = 127 + 120 * np.sin((xx + yy) / max(width + height, 1) * 9.0)
    rgb = np.stack([r, g, b], axis=-1) + rng.normal(0, texture, (height, width, 3))
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def learnable_rgb(width: int, height: int, seed: int = 0) -> Image.Image:
    """A colour picture whose chroma is a function of its luma (dark blue, bright orange): learnable."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    y = 0.5 + 0.35 * np.sin(xx / 3.0 + rng.uniform(0, 6)) * np.cos(yy / 4.0 + rng.uniform(0, 6))
    yuv = np.stack([y, -0.25 * (y - 0.5) * 2, 0.3 * (y - 0.5) * 2], axis=-1)
    return Image.fromarray(np.clip(yuv_to_rgb(yuv) * 255 + 0.5, 0, 255).astype(np.uint8))


def write_tiny_benchmark(folder, *, count: int = 3, size: tuple[int, int] = (48, 32), seeds=(0, 1, 2), name: str = "tiny-benchmark"):
    """A benchmark set of `count` generated colour pictures in `folder` (working size 32, fit
    for the tiny networks), its manifest written: returns the loaded ``Benchmark``."""
    from pathlib import Path

    from apps.mlcore.gan.benchmark import write_benchmark

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for index in range(count):
        file = f"picture-{index}.png"
        gradient_rgb(*size, seed=20 + index).save(folder / file)
        images.append({"file": file, "source_package": "generated", "licence": "CC0-1.0"})
    return write_benchmark(folder, name=name, images=images, seeds=seeds, working_size=32, max_side=64)
