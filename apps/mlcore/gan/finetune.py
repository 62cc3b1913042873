"""What fine-tuning on a curated set needs beyond ``train`` and ``evaluate``: its default
hyperparameters, and scoring and comparing models on a list of ``PhotoEntry`` images
instead of a folder.

Training itself needs nothing new: ``Trainer(base_checkpoint=…)`` fine-tunes a generator
and ``PhotoDataset`` reads any entries. ``evaluate.evaluate`` reads a folder, so
``evaluate_entries`` writes the hold-out images (already scaled to ``max_side``, as
``evaluate`` would scale them) into one and runs the very same evaluation; the numbers
are those ``evaluate_gan`` prints.
"""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from .data import PhotoEntry
from .evaluate import evaluate
from .imageio import ImageReadError
from .inference import Colorizer
from .train import TrainConfig

_TRAIN = TrainConfig()
# Fine-tuning a trained generator on a curated set: a few epochs at a quarter of the
# from-scratch learning rate, the same loss weights and stabilisers as TrainConfig's.
# The keys after "fp16_weights" drive the discriminator and the hold-out evaluation.
FINE_TUNING_DEFAULTS: dict = {
    "epochs": 5,
    "steps": None,
    "batch_size": _TRAIN.batch_size,
    "lr_g": 5e-5,
    "lr_d": 5e-5,
    "lambda_l1": _TRAIN.lambda_l1,
    "lambda_l2": _TRAIN.lambda_l2,
    "lambda_ms": _TRAIN.lambda_ms,
    "adversarial": _TRAIN.adversarial,
    "label_flip_prob": _TRAIN.label_flip_prob,
    "instance_noise": _TRAIN.instance_noise,
    "crop_size": _TRAIN.crop_size,
    "seed": 0,
    "checkpoint_every": 100,
    "amp": _TRAIN.amp,
    "fp16_weights": _TRAIN.fp16_weights,
    "discriminator": {},  # DiscriminatorConfig fields; {}: the default PatchGAN
    "eval_seeds": [0, 1, 2],
    "eval_working_size": 256,
    "eval_max_side": 1024,
    "samples": 4,  # hold-out images rendered base vs candidate for people to compare
}
TRAIN_KEYS = tuple(key for key in FINE_TUNING_DEFAULTS if key in TrainConfig.__dataclass_fields__)


def fine_tuning_config(hyperparameters: dict, *, device: str, model_name: str, model_version: str) -> TrainConfig:
    """The ``TrainConfig`` of a fine-tuning run from its hyperparameters (``FINE_TUNING_DEFAULTS``
    keys): no samples during training and no loader processes (a worker must not fork)."""
    values = {**FINE_TUNING_DEFAULTS, **hyperparameters}
    return TrainConfig.from_dict({
        **{key: values[key] for key in TRAIN_KEYS},
        "device": device,
        "sample_every": 0,
        "num_workers": 0,
        "model_name": model_name,
        "model_version": model_version,
    })


def _scaled_rgb(entry: PhotoEntry, max_side: int | None) -> Image.Image:
    draft = (max_side, max_side) if max_side else None
    image = entry.open(draft_size=draft).convert("RGB")
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def _file_name(index: int, key: str) -> str:
    return f"{index:05d}-{re.sub(r'[^A-Za-z0-9_.-]+', '-', key)}.png"


def evaluate_entries(
    models: Sequence[Colorizer | str | os.PathLike],
    entries: Sequence[PhotoEntry],
    *,
    workdir: str | os.PathLike,
    seeds: Sequence[int] = (0, 1, 2),
    working_size: int = 256,
    max_side: int | None = 1024,
    device: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score ``models`` (and the grayscale baseline) on the colour images of ``entries``.

    Each entry is decoded, scaled so its long side is at most ``max_side`` and written
    losslessly under ``workdir``; ``evaluate.evaluate`` then scores that folder with the
    given seeds and working size. Returns its report (rows in the order: grayscale input,
    then ``models``), with unreadable entries added to ``skipped``. Raises ``ValueError``
    when no entry is a readable colour image.
    """
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    unreadable = 0
    for index, entry in enumerate(entries):
        try:
            image = _scaled_rgb(entry, max_side)
        except ImageReadError:
            unreadable += 1
            continue
        image.save(folder / _file_name(index, entry.key))
    report = evaluate(models, folder, seeds=seeds, working_size=working_size, device=device, max_side=max_side, progress=progress)
    report["skipped"]["unreadable"] += unreadable
    return report


def render_comparisons(
    colorizers: Mapping[str, Colorizer],
    entries: Sequence[PhotoEntry],
    *,
    seed: int = 0,
    working_size: int = 256,
    max_side: int = 512,
) -> list[tuple[str, dict[str, Image.Image]]]:
    """Side-by-side pictures of ``entries`` for people: per entry the original, its luma,
    and each named colorizer's result with the same ``seed``.

    Returns ``[(key, {"original": …, "grayscale": …, name: …})]`` of RGB images whose
    long side is at most ``max_side``; unreadable entries are left out.
    """
    rendered = []
    for entry in entries:
        try:
            original = _scaled_rgb(entry, max_side)
        except ImageReadError:
            continue
        grey = original.convert("L")
        pictures = {"original": original, "grayscale": Image.fromarray(np.repeat(np.asarray(grey)[..., None], 3, axis=-1))}
        for name, colorizer in colorizers.items():
            pictures[name] = colorizer.colorize(grey, seeds=[seed], working_size=working_size)[0]
        rendered.append((entry.key, pictures))
    return rendered
