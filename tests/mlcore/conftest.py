"""Fixtures for the model package: tiny networks and small generated images, no Django."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from apps.mlcore.gan.checkpoint import save_generator
from apps.mlcore.gan.colorspace import yuv_to_rgb
from apps.mlcore.gan.inference import Colorizer
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator

TINY = GeneratorConfig(base_filters=4, depth=3, max_filters=16, noise_levels=2)


def make_lively(generator: UNetGenerator) -> UNetGenerator:
    """Re-initialise with wide weights so an untrained network's chroma and noise response are large."""
    torch.manual_seed(0)
    for module in generator.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.normal_(module.weight, 0.0, 0.3)
    return generator.eval()


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """Path of a saved tiny generator whose outputs clearly depend on luma and noise."""
    path = tmp_path / "tiny.pt"
    save_generator(path, make_lively(UNetGenerator(TINY)), name="tiny", version="0.0.1", summary={"note": "test"})
    return path


@pytest.fixture
def colorizer(tiny_checkpoint):
    return Colorizer.from_checkpoint(tiny_checkpoint, device="cpu")


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


@pytest.fixture
def make_learnable():
    """The ``learnable_rgb`` factory."""
    return learnable_rgb


@pytest.fixture
def make_rgb():
    """The ``gradient_rgb`` factory, for tests that need pictures of several sizes."""
    return gradient_rgb


@pytest.fixture
def rgb_image():
    return gradient_rgb(97, 61)
