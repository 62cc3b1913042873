"""tools/snapshot_generators.py, tools/select_snapshot.py and tools/pick_default_model.py:
snapshots come from real training checkpoints, selection looks only at the runs' own
validation images, and the pick follows the acceptance bars."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from apps.mlcore.gan.checkpoint import file_sha256, load_generator
from apps.mlcore.gan.data import ImageFolderSource, folder_entries, split_entries
from apps.mlcore.gan.networks import DiscriminatorConfig, GeneratorConfig
from apps.mlcore.gan.train import TrainConfig, Trainer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import pick_default_model  # noqa: E402
import select_snapshot  # noqa: E402
import snapshot_generators  # noqa: E402

TINY = GeneratorConfig(base_filters=4, depth=3, max_filters=16, noise_levels=1)


@pytest.fixture
def folders(tmp_path):
    rng = np.random.default_rng(0)
    made = []
    for name in ("train", "val"):
        folder = tmp_path / name
        folder.mkdir()
        for i in range(6):
            pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{name}-{i}.png")
        made.append(folder)
    return made


def row(kind, psnr, gap, diversity, sha="x"):
    return {"kind": kind, "model": sha, "psnr": psnr, "colourfulness_gap": gap, "seed_diversity": diversity,
            "delta_e2000": 10.0, "weights_sha256": sha}


def test_pick_prefers_the_candidate_that_meets_every_bar():
    grey = row("grayscale", 21.5, -42.7, None)
    garish = row("model", 16.8, 22.7, 20.1, "garish")
    plausible = row("model", 20.9, -15.0, 4.0, "plausible")
    collapsed = row("model", 21.8, -30.0, 0.5, "collapsed")
    best, ranked = pick_default_model.pick({"rows": [grey, garish, plausible, collapsed]})
    assert best["weights_sha256"] == "plausible"
    assert pick_default_model.shortfalls(garish, grey)["psnr"] == pytest.approx(3.7)
    assert pick_default_model.shortfalls(plausible, grey) == {"colourfulness_gap": 0.0, "psnr": 0.0, "seed_diversity": 0.0}


def test_pick_ranks_by_the_issue_10_targets_above_the_issue_4_bars():
    grey = row("grayscale", 21.5, -42.7, None) | {"delta_e2000": 12.0}
    bright_but_noisy = row("model", 20.9, -5.0, 6.0, "noisy") | {"delta_e2000": 12.5, "chroma_noise": 4.5}
    on_target = row("model", 21.6, -10.0, 5.5, "target") | {"delta_e2000": 12.8, "chroma_noise": 0.4}
    garish = row("model", 18.0, -2.0, 9.0, "garish") | {"delta_e2000": 11.0, "chroma_noise": 0.5}  # misses the PSNR bar
    best, ranked = pick_default_model.pick({"rows": [grey, garish, bright_but_noisy, on_target]})
    assert best["weights_sha256"] == "target"
    assert [r["weights_sha256"] for r, _ in ranked][-1] == "garish"  # below the bars comes last, whatever its ΔE
    assert pick_default_model.target_shortfalls(on_target, grey) == {
        "colourfulness_gap": 0.0, "psnr": 0.0, "delta_e2000": 0.0, "seed_diversity": 0.0, "chroma_noise": 0.0}
    assert pick_default_model.target_shortfalls(bright_but_noisy, grey)["chroma_noise"] == pytest.approx(3.0)


def test_the_validation_folder_is_the_runs_own_split_and_nothing_else(folders, tmp_path):
    dest = tmp_path / "validation"
    dest.mkdir()
    count = select_snapshot.validation_folder(folders, 0.3, dest)
    _, val = split_entries(folder_entries(folders), 0.3)
    assert count == len(val) >= 1
    assert sorted(p.name for p in dest.iterdir()) == sorted(e.key for e in val)
    assert all(p.resolve().parent in [f.resolve() for f in folders] for p in dest.iterdir())


def test_snapshots_of_a_run_are_exported_and_selected_on_validation_images(folders, tmp_path):
    source = ImageFolderSource(folders, crop_size=32, val_fraction=0.3)
    config = TrainConfig(steps=4, batch_size=2, checkpoint_every=2, sample_every=0, val_images=2, device="cpu",
                         model_name="tiny", model_version="0.0.1", lambda_ms=0.0)
    run = tmp_path / "run"
    trainer = Trainer(config, train_data=source.train, val_data=source.val, out_dir=run, generator_config=TINY,
                      discriminator_config=DiscriminatorConfig(base_filters=4, layers=2), data_summary=source.report)
    trainer.fit()
    written = snapshot_generators.export_snapshot(run)
    assert written == run / "snapshots" / "step_000004.pt"
    assert snapshot_generators.export_snapshot(run) is None  # once per step
    generator, meta = load_generator(written)
    assert meta["summary"]["steps"] == 4 and meta["config"] == TINY.to_dict()
    assert meta["summary"]["data"] == source.report and meta["summary"]["final"]["val"]

    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "select_snapshot.py"), "--folders", *map(str, folders), "--val-fraction", "0.3",
         "--seeds", "0", "1", "--max-side", "48", str(written), str(run / "generator.pt")],
        capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, check=True,
    ).stdout
    assert out.splitlines()[0].endswith("validation images, 2 snapshots")
    picked = Path(out.strip().splitlines()[-1].removeprefix("PICK "))
    assert picked in (written, run / "generator.pt") and file_sha256(picked)
