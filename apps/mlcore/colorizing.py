"""The Django-side seam for running a colorization end to end and for serving its files.

`apps.colorize` reaches the network only through this module (and the registry behind it):
it hands over a model version, the master's file and the seeds, and gets back finished
files in a work folder — full-resolution PNG variants and JPEG thumbnails, provenance
embedded — with their metrics and timings. Storage and database rows stay on the colorize
side, so a failure there can remove what was written.

Metrics are measured on reduced copies: colourfulness and ΔE2000 to the original's colours
with a long side of METRICS_SIDE pixels, the pairwise ΔE2000 between seeds (which grows with
the square of the number of variants) at DIVERSITY_SIDE. ΔE2000 on a 100-megapixel scan
would cost more than the colorization and says nothing more about the colours chosen.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from django.conf import settings
from PIL import Image

from . import registry
from .gan import metrics
from .gan.checkpoint import file_sha256
from .gan.imageio import ImageReadError, open_image
from .gan.provenance import AI_LABEL, FORMATS, read_provenance, save_variant
from .models import ModelVersion

__all__ = [
    "AI_LABEL",
    "DOWNLOAD_FORMATS",
    "ColorizationCancelled",
    "ImageReadError",
    "Rendering",
    "RenderedVariant",
    "colorize_master",
    "read_provenance",
    "write_variant_as",
]

METRICS_SIDE = 256
ENCODE_THREADS = 4  # variants encoded at once, each holding one full-size image
DIVERSITY_SIDE = 128
THUMBNAIL_SIDE = 400
# format -> (file extension, content type) of the downloads a variant is offered in.
DOWNLOAD_FORMATS = {
    "png": (FORMATS["png"], "image/png"),
    "tiff": (FORMATS["tiff"], "image/tiff"),
    "jpeg": (FORMATS["jpeg"], "image/jpeg"),
}

Progress = Callable[[float, str], None]


class ColorizationCancelled(Exception):
    """The caller's `should_cancel` answered True between two stages."""


@dataclass
class RenderedVariant:
    seed: int
    image_path: Path  # full-resolution PNG
    thumbnail_path: Path  # JPEG, long side THUMBNAIL_SIDE at most
    width: int
    height: int
    sha256: str
    provenance: dict
    metrics: dict = field(default_factory=dict)


@dataclass
class Rendering:
    variants: list[RenderedVariant]
    # Seconds: model_load, prepare, network, merge (the model's own work), encode, metrics.
    timings: dict
    model_was_loaded: bool  # False when this process already held the model (no load for this job)
    seed_diversity: float


def _small(image: Image.Image, side: int = METRICS_SIDE) -> np.ndarray:
    """An 8-bit RGB copy whose long side is at most `side`, as (h, w, 3)."""
    copy = image.convert("RGB") if image.mode != "RGB" else image.copy()
    copy.thumbnail((side, side), Image.Resampling.BILINEAR)
    return np.asarray(copy)


def _diversity(labs: list[np.ndarray]) -> tuple[list[float], float]:
    """Per variant, the mean ΔE2000 to its siblings; and the mean over all pairs (seed diversity)."""
    n = len(labs)
    if n < 2:
        return [0.0] * n, 0.0
    distances = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            distances[i, j] = distances[j, i] = float(metrics.delta_e2000(labs[i], labs[j]).mean())
    return [float(row.sum() / (n - 1)) for row in distances], float(distances[np.triu_indices(n, 1)].mean())


def _truth_rgb(image: Image.Image) -> Image.Image | None:
    """The master's own colours, when it has any worth comparing with."""
    if image.mode in ("RGB", "RGBA", "CMYK", "P", "YCbCr"):
        return image.convert("RGB")
    return None


def _write_variant(rgb: Image.Image, seed: int, record: dict, workdir: Path, truth_small: np.ndarray | None):
    """Write one variant's PNG and thumbnail and measure it; returns it with its CIELAB copy
    for the diversity, and the seconds spent encoding and measuring."""
    started = time.perf_counter()
    image_path = workdir / f"seed-{seed}.png"
    thumbnail_path = workdir / f"seed-{seed}-thumb.jpg"
    save_variant(rgb, image_path, format="png", provenance=record)
    thumbnail = rgb.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    save_variant(thumbnail, thumbnail_path, format="jpeg", provenance=record)
    sha256 = file_sha256(image_path)
    encoded = time.perf_counter()
    small = _small(rgb)
    measured = {"colourfulness": round(metrics.colourfulness(small), 3)}
    if truth_small is not None:
        truth_colourfulness = metrics.colourfulness(truth_small)
        measured["delta_e2000"] = round(metrics.mean_delta_e2000(small, truth_small), 3)
        measured["colourfulness_original"] = round(truth_colourfulness, 3)
        measured["colourfulness_gap"] = round(measured["colourfulness"] - truth_colourfulness, 3)
    lab = metrics.srgb_to_lab(_small(rgb, DIVERSITY_SIDE))
    rendered = RenderedVariant(
        seed=seed, image_path=image_path, thumbnail_path=thumbnail_path, width=rgb.width, height=rgb.height,
        sha256=sha256, provenance=record, metrics=measured,
    )
    return rendered, lab, encoded - started, time.perf_counter() - encoded


def colorize_master(
    *,
    model_version: ModelVersion,
    master: str | os.PathLike | BinaryIO,
    seeds: Sequence[int],
    working_size: int,
    provenance: dict,
    workdir: Path,
    compare_with_original: bool = False,
    progress: Progress | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> Rendering:
    """Colorize a master for every seed in one batched forward pass and write the results to `workdir`.

    Each variant is written as `seed-<seed>.png` (lossless, full resolution) and
    `seed-<seed>-thumb.jpg`, both carrying the provenance record: the model's own fields,
    the seed, the working size and `provenance` (request id, photograph …) with the
    "AI-colorized" label. `compare_with_original` (a colour photograph colorized from its
    luma) adds ΔE2000 and the colourfulness gap to the original's colours to the metrics.
    `progress(fraction, stage)` reports 0–1; `should_cancel()` is asked between stages and
    after each variant, and True raises ColorizationCancelled.
    """
    report = progress or (lambda fraction, stage: None)
    cancelled = should_cancel or (lambda: False)
    timings: dict = {}

    def check_cancel() -> None:
        if cancelled():
            raise ColorizationCancelled()

    report(0.0, "loading model")
    started = time.perf_counter()
    was_loaded = (model_version.pk, model_version.weights_sha256) not in registry.loaded_versions()
    colorizer = registry.colorizer_for(model_version)
    timings["model_load"] = time.perf_counter() - started
    check_cancel()

    report(0.05, "reading master")
    started = time.perf_counter()
    image = open_image(master, max_pixels=settings.INGEST_MAX_PIXELS)
    timings["read"] = time.perf_counter() - started
    truth = _truth_rgb(image) if compare_with_original else None
    truth_small = _small(truth) if truth is not None else None
    check_cancel()

    def network_progress(fraction: float, stage: str) -> None:
        report(0.1 + 0.8 * fraction, stage)

    # Each variant is encoded (PNG, thumbnail, sha256, metrics) in a thread while the next
    # one is merged: zlib, Pillow and numpy release the GIL. At most `threads` full-size
    # variants are held at once.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = max(1, min(ENCODE_THREADS, len(seeds), cores))
    written: dict[int, tuple[RenderedVariant, np.ndarray, float, float]] = {}
    network_timings: dict = {}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="colorize-encode") as pool:
        in_flight: set[Future] = set()

        def collect(done) -> None:
            for future in done:
                rendered, lab, encode_seconds, metrics_seconds = future.result()
                written[rendered.seed] = (rendered, lab, encode_seconds, metrics_seconds)

        for seed, rgb in colorizer.iter_colorize(image, seeds=seeds, working_size=working_size, progress=network_progress, timings=network_timings):
            record = {**colorizer.provenance(seed, working_size=working_size, **provenance), "label": AI_LABEL}
            in_flight.add(pool.submit(_write_variant, rgb, seed, record, workdir, truth_small))
            del rgb
            if len(in_flight) >= threads:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                collect(done)
            check_cancel()
        collect(wait(in_flight)[0])

    variants = [written[seed][0] for seed in seeds]
    labs = [written[seed][1] for seed in seeds]
    timings["encode"] = sum(written[seed][2] for seed in seeds)  # summed over threads
    timings["metrics"] = sum(written[seed][3] for seed in seeds)
    started = time.perf_counter()
    to_siblings, diversity = _diversity(labs)
    for variant, value in zip(variants, to_siblings):
        variant.metrics["diversity_to_siblings"] = round(value, 3)
    timings["metrics"] += time.perf_counter() - started
    timings.update({key: network_timings.get(key, 0.0) for key in ("prepare", "network", "merge")})
    # The model's own time: the merge of each variant runs while iter_colorize is consumed.
    timings["model"] = timings["prepare"] + timings["network"] + timings["merge"]
    report(0.95, "storing")
    return Rendering(variants=variants, timings={k: round(v, 4) for k, v in timings.items()}, model_was_loaded=was_loaded, seed_diversity=round(diversity, 3))


def write_variant_as(source: str | os.PathLike | BinaryIO, dest: BinaryIO, *, format: str, provenance: dict) -> None:
    """Re-encode a stored variant as `format` (png, tiff, jpeg), provenance embedded in the new file."""
    image = open_image(source, max_pixels=settings.INGEST_MAX_PIXELS)
    save_variant(image.convert("RGB"), dest, format=format, provenance=provenance)
