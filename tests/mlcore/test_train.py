import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from apps.mlcore.gan.checkpoint import load_generator
from apps.mlcore.gan.colorspace import normalize_chroma, normalize_luma, rgb_to_yuv
from apps.mlcore.gan.data import EpochSampler, ImageFolderSource, folder_entries, split_entries
from apps.mlcore.gan.inference import Colorizer
from apps.mlcore.gan.networks import DiscriminatorConfig, GeneratorConfig
from apps.mlcore.gan.train import TrainConfig, Trainer

pytestmark = pytest.mark.usefixtures("one_torch_thread")

GEN = GeneratorConfig(base_filters=8, depth=3, max_filters=32, noise_levels=2, dropout=0.0)
DISC = DiscriminatorConfig(base_filters=8, layers=2)
BASE = TrainConfig(batch_size=2, crop_size=32, device="cpu", checkpoint_every=0, sample_every=0, lr_g=5e-3, lr_d=5e-3)


@pytest.fixture
def photo_folder(tmp_path, make_rgb, make_learnable):
    root = tmp_path / "photos"
    (root / "nested" / "deeper").mkdir(parents=True)
    for i in range(3):
        make_learnable(40, 34, seed=i).save(root / "nested" / f"colour{i}.png")
    make_learnable(36, 36, seed=5).save(root / "nested" / "deeper" / "colour.jpg", quality=95)
    make_rgb(40, 34, seed=7).convert("L").convert("RGB").save(root / "grey_as_rgb.png")
    Image.new("L", (40, 40), 90).save(root / "grey.tif")
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 broken")
    (root / "notes.txt").write_text("not an image")
    return root


def _trainer(out_dir, data, config=BASE, **kwargs):
    return Trainer(config, train_data=data, out_dir=out_dir, generator_config=GEN, discriminator_config=DISC, **kwargs)


def test_folder_source_finds_colour_images_and_counts_the_rest(photo_folder):
    source = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0)
    assert source.report["found"] == 7  # txt ignored
    assert source.report["skipped_grayscale"] == 2 and source.report["skipped_unreadable"] == 1
    assert source.report["train"] == 4 and source.report["val"] == 0
    luma, chroma = source.train[0]
    assert luma.shape == (1, 32, 32) and chroma.shape == (2, 32, 32)
    assert luma.abs().max() <= 1 and chroma.abs().max() <= 1 and chroma.std() > 0.1


def test_load_size_sets_the_scale_crops_are_cut_from(photo_folder):
    default = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    wider = ImageFolderSource([photo_folder], crop_size=32, load_size=64, val_fraction=0.0).train
    assert min(default._rgb(0).shape[:2]) == 36  # 1.125 x the crop
    assert min(wider._rgb(0).shape[:2]) == 64
    assert wider[0][0].shape == (1, 32, 32)


def test_split_is_fixed_by_the_keys(photo_folder, tmp_path):
    entries = folder_entries([photo_folder])
    assert "nested/deeper/colour.jpg" in {e.key for e in entries}
    moved = tmp_path / "moved"
    photo_folder.rename(moved)
    assert [e.key for e in folder_entries([moved])] == [e.key for e in entries]  # keys survive a move
    train, val = split_entries(entries, 0.3)
    again_train, again_val = split_entries(list(reversed(entries)), 0.3)
    assert {e.key for e in val} == {e.key for e in again_val} and len(val) >= 1
    assert {e.key for e in train} | {e.key for e in val} == {e.key for e in entries}
    assert not {e.key for e in train} & {e.key for e in val}
    # Adding images never moves an existing one across the split.
    _, more_val = split_entries(entries + [replace(entries[0], key="elsewhere/new.png")], 0.3)
    assert {e.key for e in val} <= {e.key for e in more_val}


def test_augmentation_is_reproducible_and_varies(photo_folder):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    assert torch.equal(data[(0, 123)][1], data[(0, 123)][1])
    assert not all(torch.equal(data[(0, 1)][1], data[(0, s)][1]) for s in range(2, 8))
    sampler = EpochSampler(3, batch_size=2, seed=0)
    first = list(sampler)
    sampler.set_epoch(0, start=1)
    assert list(sampler) == first[1:] and len(first) == 2
    sampler.set_epoch(1)
    assert list(sampler) != first


def test_tiny_model_overfits_a_few_images(photo_folder, tmp_path):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    l1 = []
    trainer = _trainer(tmp_path / "run", data, replace(BASE, steps=80, lambda_ms=0.0),
                       on_progress=lambda info: l1.append(info["losses"]["l1"]))
    result = trainer.fit()
    assert result.step == 80 and not result.stopped
    assert np.mean(l1[-5:]) < 0.3 * l1[0]


def test_run_writes_generator_metrics_and_samples(photo_folder, tmp_path):
    source = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.5)
    assert source.report["val"] >= 1
    seen = []
    trainer = _trainer(tmp_path / "run", source.train, replace(BASE, epochs=2, sample_every=1),
                       val_data=source.val, data_summary=source.report, on_progress=seen.append)
    result = trainer.fit()
    assert [info["epoch"] for info in seen] == [1, 2]
    assert seen[0]["eta_seconds"] > 0 and seen[-1]["eta_seconds"] == 0
    assert set(seen[-1]["val"]) == {"l1", "psnr", "delta_e2000", "seed_diversity"}
    metrics = json.loads(result.metrics_path.read_text())
    assert metrics["data"]["skipped_grayscale"] == 2 and metrics["steps"] == result.step
    assert metrics["final"]["val"] == seen[-1]["val"]
    generator, meta = load_generator(result.generator_path)
    assert generator.config == GEN and meta["summary"]["train_config"]["batch_size"] == 2
    assert Colorizer.from_checkpoint(result.generator_path, device="cpu").colorize(Image.new("L", (20, 10)), seeds=[1])
    samples = sorted((tmp_path / "run" / "samples").glob("*.png"))
    assert samples and Image.open(samples[-1]).size == (4 * 32, min(4, len(source.val)) * 32)


def test_resume_continues_exactly_where_it_stopped(photo_folder, tmp_path):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    config = replace(BASE, steps=5, lambda_ms=0.5, label_flip_prob=0.3, instance_noise=0.2)
    straight = _trainer(tmp_path / "straight", data, config)
    straight.fit()

    polls = []
    _trainer(tmp_path / "parts", data, config, should_stop=lambda: polls.append(1) or len(polls) > 3).fit()
    resumed = _trainer(tmp_path / "parts", data, config, resume_from=tmp_path / "parts" / "checkpoints" / "last.pt")
    assert resumed.step == 3 and resumed.step_in_epoch == 1  # 4 images, batch 2: mid-epoch
    result = resumed.fit()
    assert result.step == 5
    for name, value in straight.generator.state_dict().items():
        torch.testing.assert_close(resumed.generator.state_dict()[name], value, rtol=0, atol=0, msg=name)


def test_should_stop_stops_with_a_resumable_checkpoint(photo_folder, tmp_path):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    polls = []
    trainer = _trainer(tmp_path / "run", data, replace(BASE, steps=50),
                       should_stop=lambda: polls.append(1) or len(polls) > 3)
    result = trainer.fit()
    assert result.stopped and result.step == 3 and result.generator_path is None
    assert not (tmp_path / "run" / "generator.pt").exists()
    resumed = _trainer(tmp_path / "run", data, replace(BASE, steps=5), resume_from=result.checkpoint_path)
    assert resumed.fit().step == 5


def test_mode_seeking_makes_seeds_differ(photo_folder, tmp_path):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    diversity = {}
    for weight in (0.0, 1.0):
        trainer = _trainer(tmp_path / f"ms{weight}", data, replace(BASE, steps=40, lambda_ms=weight, adversarial=False),
                           val_data=data)
        trainer.fit()
        diversity[weight] = trainer.validate()["seed_diversity"]
    assert diversity[1.0] > 2 * diversity[0.0] and diversity[1.0] > 1.0


def test_crops_are_the_documented_normalised_yuv(photo_folder):
    data = ImageFolderSource([photo_folder], crop_size=32, val_fraction=0.0).train
    luma, chroma = data[0]  # the centre crop
    rgb = data._rgb(0)
    h, w, _ = rgb.shape
    crop = rgb[(h - 32) // 2 : (h - 32) // 2 + 32, (w - 32) // 2 : (w - 32) // 2 + 32] / 255.0
    yuv = rgb_to_yuv(crop)
    np.testing.assert_allclose(luma[0].numpy(), normalize_luma(yuv[..., 0]), atol=1e-5)
    np.testing.assert_allclose(chroma.numpy(), normalize_chroma(yuv[..., 1:]).transpose(2, 0, 1), atol=1e-5)
