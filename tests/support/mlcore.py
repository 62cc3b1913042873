"""The model app's test support: a tiny registered model version, tiny hyperparameters."""
from __future__ import annotations

from pathlib import Path

from tests.support.gan import TINY, make_lively

# Small enough for a few seconds on two cores; the tests are about the workflow, not quality.
TINY_HYPERPARAMETERS = {
    "epochs": 3,
    "batch_size": 2,
    "crop_size": 32,
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "checkpoint_every": 1,
    "discriminator": {"base_filters": 8, "layers": 2},
    "eval_seeds": [0, 1],
    "eval_working_size": 32,
    "eval_max_side": 96,
    "samples": 2,
}


def register_tiny_model(path: Path, *, version: str = "0.0.1", active: bool = True):
    """A tiny generator whose colours clearly depend on the seed, registered as a ModelVersion."""
    from apps.mlcore.gan.checkpoint import save_generator
    from apps.mlcore.gan.networks import UNetGenerator
    from apps.mlcore.models import ModelVersion
    from apps.mlcore.services import model_version_register

    save_generator(path, make_lively(UNetGenerator(TINY)), name="tiny", version=version)
    return model_version_register(weights_path=path, status=ModelVersion.Status.ACTIVE if active else ModelVersion.Status.CANDIDATE)
