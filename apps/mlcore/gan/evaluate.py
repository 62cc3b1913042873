"""Evaluating colorizers against colour ground truth, with the baselines in the same table.

Every colour image under a folder is reduced to its luma, colorized by each model with
the same seeds, and compared with the original. Two baselines always sit beside the
models: the grayscale input itself (what the archive already has), and, when given, the
same U-Net trained with the reconstruction loss only (``--no-adversarial``), which shows
what the adversarial and diversity terms buy. See ``metrics`` for the definitions.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PIL import Image

from .data import MIN_CHROMA_STD, PhotoEntry, chroma_std, folder_entries
from .imageio import DEFAULT_MAX_PIXELS, ImageReadError
from .inference import Colorizer, usable_cores
from .metrics import chroma_noise, colourfulness, hue_spread, mean_delta_e2000, ms_per_megapixel, psnr, seed_diversity, ssim

COLUMNS = (
    ("psnr", "PSNR dB ↑"),
    ("ssim", "SSIM ↑"),
    ("delta_e2000", "ΔE2000 ↓"),
    ("colourfulness", "colourfulness"),
    ("colourfulness_gap", "colourfulness gap"),
    ("seed_diversity", "seed diversity ΔE"),
    ("hue_spread", "hue spread °"),
    ("chroma_noise", "chroma noise ×truth"),
    ("ms_per_megapixel", "ms/MP"),
)
# Measured per seed as well as on average: their spread over the seeds is the noise a
# comparison between two models must exceed (``benchmark.compare``).
PER_SEED = ("psnr", "ssim", "delta_e2000", "colourfulness", "colourfulness_gap", "chroma_noise")
# What an ``evaluate`` report says about how it measured (beside its rows).
PROTOCOL_KEYS = ("images", "skipped", "seeds", "working_size", "max_side", "ground_truth_colourfulness")


def _load_truths(entries: Sequence[PhotoEntry], max_side: int | None, max_pixels: int | None) -> tuple[list[tuple[str, np.ndarray]], dict]:
    truths, skipped = [], {"grayscale": 0, "unreadable": 0}
    for entry in entries:
        try:
            image = entry.open(max_pixels=max_pixels).convert("RGB")
        except ImageReadError:
            skipped["unreadable"] += 1
            continue
        if max_side and max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        rgb = np.asarray(image)
        if chroma_std(rgb) < MIN_CHROMA_STD:
            skipped["grayscale"] += 1
            continue
        truths.append((entry.key, rgb))
    return truths, skipped


def _row(label: str, kind: str, per_image: list[dict]) -> dict:
    row = {"model": label, "kind": kind, "images": len(per_image)}
    for key, _ in COLUMNS:
        values = [m[key] for m in per_image if m.get(key) is not None]
        row[key] = float(np.mean(values)) if values else None
    # Per seed: the mean over images of each seed's score (the row's value is their mean).
    seeds = len(per_image[0]["per_seed"]["psnr"]) if per_image else 0
    row["per_seed"] = {key: [float(np.mean([m["per_seed"][key][s] for m in per_image])) for s in range(seeds)] for key in PER_SEED}
    return row


def _score(truth: np.ndarray, variants: list[np.ndarray], seconds: float | None) -> dict:
    truth_colourfulness = colourfulness(truth)
    per_seed = {
        "psnr": [psnr(v, truth) for v in variants],
        "ssim": [ssim(v, truth) for v in variants],
        "delta_e2000": [mean_delta_e2000(v, truth) for v in variants],
        "colourfulness": [colourfulness(v) for v in variants],
        "chroma_noise": [chroma_noise(v, truth) for v in variants],
    }
    per_seed["colourfulness_gap"] = [value - truth_colourfulness for value in per_seed["colourfulness"]]
    scores = {key: float(np.mean(values)) for key, values in per_seed.items()}
    scores.update(
        seed_diversity=seed_diversity(variants) if len(variants) > 1 else None,
        hue_spread=hue_spread(variants) if len(variants) > 1 else None,
        ms_per_megapixel=ms_per_megapixel(seconds, truth.shape[1], truth.shape[0]) if seconds else None,
        per_seed=per_seed,
    )
    return scores


def evaluate(
    models: Sequence[Colorizer | str | os.PathLike],
    images: str | os.PathLike | Sequence[PhotoEntry],
    *,
    seeds: Sequence[int] = (0, 1, 2),
    working_size: int = 256,
    l1_baseline: Colorizer | str | os.PathLike | None = None,
    device: str = "auto",
    max_side: int | None = 1024,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Score models (and the baselines) on the colour images under the folder ``images``
    (or on a list of ``PhotoEntry``).

    ``models`` and ``l1_baseline`` are ``Colorizer``s or checkpoint paths (loaded on
    ``device``). Images larger than ``max_side`` are first scaled down (None: full
    resolution); grayscale and unreadable files are skipped and counted. Each model
    colours each image once per seed in one batch; metrics are means over images of the
    means over seeds; ``per_seed`` holds, for the ``PER_SEED`` measures, each seed's mean
    over images. ``colourfulness_gap`` is the signed mean difference to the ground
    truth (negative: duller than reality). A model's row label names its chroma filter when
    one is on, so the same checkpoint with different merge settings (``Colorizer(merge=)``)
    makes an ablation table. Returns a JSON-able dict with ``rows`` (one per
    row of ``to_markdown``), ``images``, ``skipped``, ``seeds`` and ``working_size``.
    """
    def load(model):
        return model if isinstance(model, Colorizer) else Colorizer.from_checkpoint(model, device=device)

    entries = [("model", load(m)) for m in models]
    if l1_baseline is not None:
        entries.insert(0, ("l1-baseline", load(l1_baseline)))
    is_folder = isinstance(images, (str, os.PathLike))
    source = str(images) if is_folder else f"{len(images)} listed images"
    truths, skipped = _load_truths(folder_entries([images]) if is_folder else images, max_side, max_pixels)
    if not truths:
        raise ValueError(f"no colour images to evaluate in {source}")
    seeds = list(seeds)
    scores: dict[int, list[dict]] = {i: [] for i in range(len(entries) + 1)}
    # Colorizing runs here, scoring (numpy, GIL released) in threads beside it; at most
    # two images' variants per thread wait in memory.
    workers = usable_cores()
    pending: list[tuple[int, Future]] = []
    with ThreadPoolExecutor(workers) as pool:
        for done, (_, truth) in enumerate(truths):
            grey = np.repeat(np.asarray(Image.fromarray(truth).convert("L"))[..., None], 3, axis=-1)
            pending.append((0, pool.submit(_score, truth, [grey], None)))
            for index, (_, colorizer) in enumerate(entries, start=1):
                started = time.perf_counter()
                variants = colorizer.colorize(Image.fromarray(truth), seeds=seeds, working_size=working_size)
                seconds = time.perf_counter() - started
                pending.append((index, pool.submit(_score, truth, [np.asarray(v) for v in variants], seconds)))
            while len(pending) > 2 * workers * (len(entries) + 1):
                index, future = pending.pop(0)
                scores[index].append(future.result())
            if progress:
                progress(done + 1, len(truths))
        for index, future in pending:
            scores[index].append(future.result())
    rows = [_row("grayscale input", "grayscale", scores[0])]
    for index, (kind, colorizer) in enumerate(entries, start=1):
        label = f"{colorizer.name} {colorizer.version}" + (" (L1-only)" if kind == "l1-baseline" else "")
        if colorizer.chroma_filter.enabled:
            label += f" · chroma filter r={colorizer.chroma_filter.radius}, eps={colorizer.chroma_filter.eps:g}"
        rows.append(_row(label, kind, scores[index]) | {"weights_sha256": colorizer.weights_sha256, "merge": colorizer.merge})
    return {
        "images_dir": source,
        "images": len(truths),
        "skipped": skipped,
        "seeds": seeds,
        "working_size": working_size,
        "max_side": max_side,
        "ground_truth_colourfulness": float(np.mean([colourfulness(t) for _, t in truths])),
        "rows": rows,
    }


def to_markdown(report: dict) -> str:
    """Render an ``evaluate`` report as a Markdown table with a line saying what was measured."""
    def cell(value):
        return "—" if value is None else f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"

    lines = [
        f"{report['images']} images from `{report['images_dir']}` "
        f"(skipped: {report['skipped']['grayscale']} grayscale, {report['skipped']['unreadable']} unreadable), "
        f"seeds {report['seeds']}, working size {report['working_size']}, "
        f"ground-truth colourfulness {report['ground_truth_colourfulness']:.1f}.",
        "",
        "| model | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for row in report["rows"]:
        lines.append(f"| {row['model']} | " + " | ".join(cell(row[key]) for key, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"
