"""tools/build_benchmark.py: the shipped model's hold-out split of a data-set build, copied
byte for byte with a manifest that pins each image (issue 13)."""
from __future__ import annotations

import csv

from apps.mlcore.gan.benchmark import load_benchmark
from apps.mlcore.gan.checkpoint import file_sha256
from tests.support.gan import gradient_rgb
from tools.build_benchmark import SHIPPED_BUILD_SOURCES, build
from tools.dataset.sources import SOURCES


def test_it_keeps_the_hold_out_images_of_the_shipped_build_only(tmp_path):
    dataset = tmp_path / "photos"
    first, later = SOURCES[0].name, SOURCES[20].name
    assert first in SHIPPED_BUILD_SOURCES and later not in SHIPPED_BUILD_SOURCES
    rows = []
    for index, (split, source) in enumerate([("holdout", first), ("holdout", later), ("train", first), ("holdout", first)]):
        (dataset / split).mkdir(parents=True, exist_ok=True)
        file = f"{split}/{index:016x}.jpg"
        gradient_rgb(40, 30, seed=index).save(dataset / file, quality=92)
        rows.append({"file": file, "split": split, "source_package": source, "package_version": "1.0", "original_path": f"usr/share/{index}.jpg",
                     "licence": "CC0-1.0", "width": 40, "height": 30, "colourfulness": 50, "sha256": file_sha256(dataset / file), "crop": "full",
                     "crop_box": "", "group": str(index)})
    with open(dataset / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    benchmark = build(dataset, tmp_path / "benchmark")

    assert [image["file"] for image in benchmark.images] == ["0000000000000000.jpg", "0000000000000003.jpg"]
    assert [image["sha256"] for image in benchmark.images] == [rows[0]["sha256"], rows[3]["sha256"]]
    assert benchmark.images[0]["source_package"] == first and benchmark.images[0]["licence"] == "CC0-1.0" and benchmark.images[0]["width"] == 40
    assert (benchmark.seeds, benchmark.working_size, benchmark.max_side) == ((0, 1, 2), 256, 512)
    assert load_benchmark(tmp_path / "benchmark").id == benchmark.id


def test_the_committed_benchmark_is_intact():
    from pathlib import Path

    benchmark = load_benchmark(Path(__file__).resolve().parents[2] / "apps" / "mlcore" / "benchmark")
    assert benchmark.id == "photos-holdout-1.2.0@4d36c9609676" and len(benchmark.images) == 87
