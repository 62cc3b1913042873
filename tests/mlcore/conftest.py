"""Fixtures for the model package: tiny networks and small generated images, no Django
(made by tests/support/gan.py)."""
from __future__ import annotations

import pytest

from apps.mlcore.gan.checkpoint import save_generator
from apps.mlcore.gan.inference import Colorizer
from apps.mlcore.gan.networks import UNetGenerator
from tests.support.gan import TINY, gradient_rgb, learnable_rgb, make_lively


@pytest.fixture
def tiny_checkpoint(tmp_path):
    """Path of a saved tiny generator whose outputs clearly depend on luma and noise."""
    path = tmp_path / "tiny.pt"
    save_generator(path, make_lively(UNetGenerator(TINY)), name="tiny", version="0.0.1", summary={"note": "test"})
    return path


@pytest.fixture
def colorizer(tiny_checkpoint):
    return Colorizer.from_checkpoint(tiny_checkpoint, device="cpu")


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
