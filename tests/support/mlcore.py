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


def benchmark_record(benchmark_id: str, *, psnr: float, delta_e2000: float, colourfulness_gap: float, spread: float = 0.1) -> dict:
    """A benchmark record as `gan.benchmark.score` writes it, with chosen scores and the same
    spread between seeds for every measure (for tests of what is done with scores)."""
    scores = {"psnr": psnr, "ssim": 0.9, "delta_e2000": delta_e2000, "colourfulness": 30.0, "colourfulness_gap": colourfulness_gap,
              "seed_diversity": 4.0, "hue_spread": 5.0, "chroma_noise": 0.5, "ms_per_megapixel": None}
    keys = ("psnr", "ssim", "delta_e2000", "colourfulness", "colourfulness_gap", "chroma_noise")
    return {
        "id": benchmark_id, "name": benchmark_id.split("@")[0], "images": 3, "seeds": [0, 1, 2], "working_size": 32, "max_side": 64,
        "ground_truth_colourfulness": 40.0, "grayscale": {**scores, "psnr": 20.0, "colourfulness": 0.0, "colourfulness_gap": -40.0},
        "scores": scores,
        "per_seed": {key: [scores[key] - spread / 2, scores[key], scores[key] + spread / 2] for key in keys},
        "spread": {key: spread for key in keys},
    }
