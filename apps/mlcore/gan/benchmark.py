"""A fixed benchmark: colour photographs that every model version is scored on the same way.

A benchmark is a folder holding ``benchmark.json`` and the images it lists (file name,
sha256, where the picture comes from and its licence), with the protocol: seeds, working
size and the long side images are scaled to. Its ``id`` is the name and a digest of the
protocol and of the images' sha256, so two scores compare only when they were measured on
the same pictures the same way; a changed file is refused, not silently scored.

``score`` runs ``evaluate.evaluate`` on it and keeps, per model, the mean of each measure
and its value per seed. ``compare`` says whether one model is worse than another on the
measures a curator must not lose (PSNR, ΔE2000, colourfulness gap) by more than the noise
between seeds: for each measure, the larger of the two models' spreads (maximum minus
minimum) of the per-seed means. A gap that choosing other seeds could produce is noise.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .checkpoint import file_sha256
from .data import PhotoEntry
from .evaluate import COLUMNS, PER_SEED, PROTOCOL_KEYS, evaluate
from .imageio import open_image
from .inference import Colorizer

MANIFEST = "benchmark.json"
# The measures an activation must not lose, and which way is better.
GUARDED = (("psnr", "higher"), ("delta_e2000", "lower"), ("colourfulness_gap", "nearer zero"))


class BenchmarkError(Exception):
    """The benchmark folder is missing, its manifest malformed, or an image absent or changed."""


@dataclass(frozen=True)
class Benchmark:
    """A loaded benchmark: its folder, protocol and listed images (dicts with at least
    ``file`` and ``sha256``; the builder adds source package, version, path and licence)."""

    folder: Path
    name: str
    description: str
    seeds: tuple[int, ...]
    working_size: int
    max_side: int | None
    images: tuple[dict, ...]

    @property
    def id(self) -> str:
        protocol = {
            "seeds": list(self.seeds), "working_size": self.working_size, "max_side": self.max_side,
            "images": sorted(image["sha256"] for image in self.images),
        }
        digest = hashlib.sha256(json.dumps(protocol, sort_keys=True).encode()).hexdigest()
        return f"{self.name}@{digest[:12]}"

    def entries(self) -> list[PhotoEntry]:
        return [PhotoEntry(image["file"], partial(open_image, self.folder / image["file"])) for image in self.images]


def load_benchmark(folder: str | os.PathLike, *, verify: bool = True) -> Benchmark:
    """Read ``folder/benchmark.json``; with ``verify`` check that every listed image is
    there with its sha256. Raises ``BenchmarkError`` naming every problem."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError as error:
        raise BenchmarkError(f"{folder} has no {MANIFEST}") from error
    except (OSError, ValueError) as error:
        raise BenchmarkError(f"{folder / MANIFEST} cannot be read: {error}") from error
    try:
        benchmark = Benchmark(
            folder=folder,
            name=str(manifest["name"]),
            description=str(manifest.get("description", "")),
            seeds=tuple(int(seed) for seed in manifest["seeds"]),
            working_size=int(manifest["working_size"]),
            max_side=int(manifest["max_side"]) if manifest.get("max_side") else None,
            images=tuple(dict(image) for image in manifest["images"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BenchmarkError(f"{folder / MANIFEST} is not a benchmark manifest ({type(error).__name__}: {error})") from error
    if not benchmark.images or not benchmark.seeds:
        raise BenchmarkError(f"{folder / MANIFEST} lists no images or no seeds")
    for image in benchmark.images:
        name = image.get("file")
        if not isinstance(name, str) or Path(name).name != name or not isinstance(image.get("sha256"), str):
            raise BenchmarkError(f"{folder / MANIFEST}: every image needs a file name in the folder and its sha256 ({image!r})")
    if verify:
        problems = []
        for image in benchmark.images:
            path = folder / image["file"]
            if not path.is_file():
                problems.append(f"{image['file']} is missing")
            elif file_sha256(path) != image["sha256"]:
                problems.append(f"{image['file']} does not match its sha256")
        if problems:
            raise BenchmarkError(f"benchmark {benchmark.name} in {folder}: {'; '.join(problems)}")
    return benchmark


def write_benchmark(
    folder: str | os.PathLike, *, name: str, images: Sequence[dict], seeds: Sequence[int], working_size: int,
    max_side: int | None, description: str = "",
) -> Benchmark:
    """Write the manifest of the images already in ``folder`` (each dict names its ``file``;
    its sha256 is computed here) and return the benchmark."""
    folder = Path(folder)
    listed = [{**image, "sha256": file_sha256(folder / image["file"])} for image in images]
    manifest = {
        "name": name, "description": description, "seeds": list(seeds), "working_size": working_size, "max_side": max_side,
        "images": listed,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return load_benchmark(folder)


def _spread(values: Sequence[float]) -> float | None:
    finite = [v for v in values if v is not None and abs(v) != float("inf")]
    return max(finite) - min(finite) if finite else None


def score(
    models: Sequence[Colorizer | str | os.PathLike], benchmark: Benchmark, *, device: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> list[dict]:
    """Score ``models`` on ``benchmark``; one record per model, in order.

    A record holds the benchmark's ``id`` and protocol, ``scores`` (the ``evaluate``
    measures), ``per_seed`` and ``spread`` (maximum minus minimum of the per-seed means)
    for the ``PER_SEED`` measures, the grayscale input's scores on the same images
    (``grayscale``), the ground truth's colourfulness and the model's weights sha256.
    """
    report = evaluate(
        models, benchmark.entries(), seeds=benchmark.seeds, working_size=benchmark.working_size, max_side=benchmark.max_side,
        device=device, progress=progress,
    )
    grayscale, rows = report["rows"][0], report["rows"][1:]
    common = {
        "id": benchmark.id,
        "name": benchmark.name,
        **{key: report[key] for key in PROTOCOL_KEYS},
        "grayscale": {key: grayscale[key] for key, _ in COLUMNS},
    }
    return [
        {
            **common,
            "model": row["model"],
            "weights_sha256": row["weights_sha256"],
            "scores": {key: row[key] for key, _ in COLUMNS},
            "per_seed": row["per_seed"],
            "spread": {key: _spread(row["per_seed"][key]) for key in PER_SEED},
        }
        for row in rows
    ]


def compare(candidate: dict, reference: dict) -> list[dict]:
    """How ``candidate`` stands against ``reference`` (two ``score`` records of the same
    benchmark) on the ``GUARDED`` measures.

    Per measure: both values, the noise (the larger of the two per-seed spreads), how much
    worse the candidate is (positive: worse; for the colourfulness gap, in distance from
    zero) and ``worse``: whether that exceeds the noise. A measure either record lacks is
    never called worse. Raises ``ValueError`` for records of different benchmarks.
    """
    if candidate.get("id") != reference.get("id"):
        raise ValueError(f"scores of different benchmarks: {candidate.get('id')} and {reference.get('id')}")
    titles = dict(COLUMNS)
    rows = []
    for key, better in GUARDED:
        new, old = candidate["scores"].get(key), reference["scores"].get(key)
        spreads = [s for s in (candidate.get("spread", {}).get(key), reference.get("spread", {}).get(key)) if s is not None]
        noise = max(spreads) if spreads else 0.0
        worse_by = None
        if new is not None and old is not None:
            worse_by = {"higher": old - new, "lower": new - old, "nearer zero": abs(new) - abs(old)}[better]
        rows.append({
            "metric": key, "title": titles[key], "better": better, "candidate": new, "reference": old, "noise": noise,
            "worse_by": worse_by, "worse": worse_by is not None and worse_by > noise,
        })
    return rows
