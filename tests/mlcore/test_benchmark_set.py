"""The benchmark set every model version is scored on: its manifest pins the pictures and the
protocol, a score keeps the per-seed means and their spread, and a comparison calls a
version worse only beyond that spread (issue 13)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from apps.mlcore.gan.benchmark import MANIFEST, BenchmarkError, compare, load_benchmark, score
from apps.mlcore.gan.checkpoint import save_generator
from apps.mlcore.gan.networks import UNetGenerator
from tests.support.gan import TINY, make_lively, write_tiny_benchmark
from tests.support.mlcore import benchmark_record


@pytest.fixture
def benchmark(tmp_path):
    return write_tiny_benchmark(tmp_path / "bench")


def test_the_id_names_the_pictures_and_the_protocol(benchmark, tmp_path):
    again = load_benchmark(benchmark.folder)
    assert again.id == benchmark.id and benchmark.id.startswith("tiny-benchmark@")
    other = write_tiny_benchmark(tmp_path / "other", seeds=(0, 1))  # same pictures, other seeds
    assert other.id != benchmark.id
    fewer = write_tiny_benchmark(tmp_path / "fewer", count=2)
    assert fewer.id != benchmark.id


def test_a_changed_or_missing_picture_is_refused_not_scored(benchmark):
    path = benchmark.folder / "picture-1.png"
    path.write_bytes(path.read_bytes() + b"\0")
    (benchmark.folder / "picture-2.png").unlink()
    with pytest.raises(BenchmarkError) as refused:
        load_benchmark(benchmark.folder)
    assert "picture-1.png does not match its sha256" in str(refused.value)
    assert "picture-2.png is missing" in str(refused.value)
    assert load_benchmark(benchmark.folder, verify=False).id == benchmark.id  # the manifest alone still reads


def test_a_manifest_may_only_name_files_in_its_folder(benchmark):
    manifest = json.loads((benchmark.folder / MANIFEST).read_text())
    manifest["images"][0]["file"] = "../elsewhere.png"
    (benchmark.folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(BenchmarkError, match="file name in the folder"):
        load_benchmark(benchmark.folder)
    with pytest.raises(BenchmarkError, match="has no benchmark.json"):
        load_benchmark(benchmark.folder / "nowhere")


def test_a_score_keeps_each_seed_and_the_spread_between_seeds(benchmark, tmp_path, one_torch_thread):
    save_generator(tmp_path / "lively.pt", make_lively(UNetGenerator(TINY)), name="tiny", version="1")
    [record] = score([tmp_path / "lively.pt"], benchmark, device="cpu")

    assert record["id"] == benchmark.id and record["images"] == 3 and record["seeds"] == [0, 1, 2]
    for key in ("psnr", "delta_e2000", "colourfulness_gap"):
        per_seed = record["per_seed"][key]
        assert len(per_seed) == 3
        assert record["scores"][key] == pytest.approx(np.mean(per_seed))
        assert record["spread"][key] == pytest.approx(max(per_seed) - min(per_seed))
    assert record["spread"]["delta_e2000"] > 0  # the lively network's seeds colour differently
    assert record["grayscale"]["colourfulness"] == 0 and record["grayscale"]["psnr"] > 0
    # The same weights on the same benchmark score the same: a version compared with itself is not worse.
    [again] = score([tmp_path / "lively.pt"], benchmark, device="cpu")
    assert again["scores"]["psnr"] == pytest.approx(record["scores"]["psnr"])
    assert not any(row["worse"] for row in compare(again, record))


def test_worse_means_worse_by_more_than_the_noise_between_seeds():
    active = benchmark_record("b@1", psnr=21.0, delta_e2000=13.0, colourfulness_gap=-10.0, spread=0.2)
    within = benchmark_record("b@1", psnr=20.85, delta_e2000=13.15, colourfulness_gap=10.1, spread=0.1)
    rows = {row["metric"]: row for row in compare(within, active)}
    assert not any(row["worse"] for row in rows.values())
    assert rows["psnr"]["noise"] == pytest.approx(0.2)  # the larger of the two spreads
    assert rows["psnr"]["worse_by"] == pytest.approx(0.15)
    assert rows["colourfulness_gap"]["worse_by"] == pytest.approx(0.1)  # distance from zero, either side

    beyond = benchmark_record("b@1", psnr=20.5, delta_e2000=13.5, colourfulness_gap=-14.0, spread=0.1)
    rows = {row["metric"]: row for row in compare(beyond, active)}
    assert [key for key, row in rows.items() if row["worse"]] == ["psnr", "delta_e2000", "colourfulness_gap"]
    better = benchmark_record("b@1", psnr=22.0, delta_e2000=12.0, colourfulness_gap=-5.0)
    assert not any(row["worse"] for row in compare(better, active))
    assert all(row["worse_by"] < 0 for row in compare(better, active))

    with pytest.raises(ValueError, match="different benchmarks"):
        compare(benchmark_record("b@2", psnr=1, delta_e2000=1, colourfulness_gap=1), active)
