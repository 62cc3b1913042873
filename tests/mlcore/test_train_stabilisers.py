"""What small-data GAN training adds to the trainer: a pretrained encoder trained in stages,
EMA weights, DiffAugment, the R1 penalty and a spectrally normalised discriminator."""
from dataclasses import replace

import pytest
import torch

from apps.mlcore.gan.augment import diff_augment, parse_policy
from apps.mlcore.gan.checkpoint import load_generator
from apps.mlcore.gan.effunet import EffUNetConfig
from apps.mlcore.gan.networks import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator
from apps.mlcore.gan.train import TrainConfig, Trainer

TINY_EFF = EffUNetConfig(decoder_widths=(8, 8, 8, 8, 4), noise_channels=2, dropout=0.0)
GEN = GeneratorConfig(base_filters=8, depth=3, max_filters=32, noise_levels=2, dropout=0.0)
DISC = DiscriminatorConfig(base_filters=8, layers=2)
BASE = TrainConfig(batch_size=2, crop_size=32, device="cpu", checkpoint_every=0, sample_every=0, lr_g=5e-3, lr_d=5e-3)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def crops(make_learnable):
    """Six learnable 40×40 photographs as a dataset of normalised (luma, chroma) crops."""
    from apps.mlcore.gan.data import PhotoDataset, PhotoEntry

    images = [make_learnable(40, 40, seed=i) for i in range(6)]
    entries = [PhotoEntry(f"p{i}", lambda image=image, **_: image) for i, image in enumerate(images)]
    return PhotoDataset(entries, crop_size=32, load_size=40, threads=1)


def _params(module):
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def test_encoder_stays_frozen_for_its_steps_then_trains(crops, tmp_path):
    config = replace(BASE, steps=4, freeze_encoder_steps=2, adversarial=False, lambda_ms=0.0, val_images=0)
    trainer = Trainer(config, train_data=crops, out_dir=tmp_path, generator_config=TINY_EFF, discriminator_config=DISC)
    encoder_before, decoder_before = _params(trainer.generator.encoder), _params(trainer.generator.stage1)
    luma, chroma = (torch.stack(parts) for parts in zip(*(crops[i] for i in range(2))))
    for _ in range(2):
        trainer.train_step(luma, chroma)
        trainer.step += 1
    after = _params(trainer.generator.encoder)
    assert all(torch.equal(after[k], v) for k, v in encoder_before.items())  # weights and BN statistics kept
    assert any(not torch.equal(_params(trainer.generator.stage1)[k], v) for k, v in decoder_before.items())
    trainer.train_step(luma, chroma)  # step 2: unfrozen
    assert any(not torch.equal(_params(trainer.generator.encoder)[k], v) for k, v in after.items())
    assert trainer.opt_g.param_groups[1]["lr"] == pytest.approx(config.lr_g / 10)


def test_ema_weights_are_exported_saved_and_restored(crops, tmp_path):
    config = replace(BASE, steps=3, ema_decay=0.5, val_images=2, adversarial=False, lambda_ms=0.0, checkpoint_every=1)
    trainer = Trainer(config, train_data=crops, val_data=crops, out_dir=tmp_path / "run", generator_config=GEN, discriminator_config=DISC)
    result = trainer.fit()
    live, ema = trainer.generator.state_dict(), trainer.generator_ema.state_dict()
    weight = next(k for k in live if k.endswith("weight"))
    assert not torch.equal(live[weight], ema[weight])  # an average, not a copy
    exported, _ = load_generator(result.generator_path)
    assert torch.allclose(exported.state_dict()[weight], ema[weight].half().float())  # the shipped weights are the EMA's
    state = torch.load(result.checkpoint_path, weights_only=True)
    assert torch.equal(state["generator_ema"][weight], ema[weight])
    resumed = Trainer(replace(config, steps=4), train_data=crops, out_dir=tmp_path / "run", resume_from=result.checkpoint_path)
    assert torch.equal(resumed.generator_ema.state_dict()[weight], ema[weight])
    assert torch.equal(resumed.generator.state_dict()[weight], live[weight])


def test_diffaugment_is_differentiable_reproducible_and_checked():
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    policies = parse_policy("color, translation,cutout")
    torch.manual_seed(1)
    first = diff_augment(x, policies)
    torch.manual_seed(1)
    again = diff_augment(x, policies)
    assert torch.equal(first, again) and first.shape == x.shape and not torch.equal(first, x)
    first.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="flip"):
        parse_policy("color,flip")


def test_translation_moves_content_and_fills_with_zeros():
    from apps.mlcore.gan import augment

    x = torch.arange(1, 17, dtype=torch.float32).view(1, 1, 4, 4)
    shifted = {tuple(augment._translation(x, ratio=0.25).flatten().tolist()) for _ in range(40)}
    assert tuple(x.flatten().tolist()) in shifted  # no shift is one of the draws
    for values in shifted:
        kept = [v for v in values if v]
        assert set(kept) <= set(range(1, 17)) and len(kept) >= 9  # shifted by at most one row and column


def test_adversarial_step_with_r1_diffaugment_and_spectral_norm(crops, tmp_path):
    disc = DiscriminatorConfig(base_filters=8, layers=2, spectral_norm=True)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in PatchDiscriminator(disc).modules())
    config = replace(BASE, steps=2, r1_gamma=1.0, diffaugment="color,translation,cutout", lambda_ms=0.1)
    trainer = Trainer(config, train_data=crops, out_dir=tmp_path, generator_config=GEN, discriminator_config=disc)
    luma, chroma = (torch.stack(parts) for parts in zip(*(crops[i] for i in range(2))))
    losses = trainer.train_step(luma, chroma)
    assert {"d", "g_adv", "r1", "l1"} <= losses.keys()
    assert losses["r1"] > 0 and all(torch.isfinite(torch.tensor(v)) for v in losses.values())


def test_device_crops_cut_what_the_cpu_loader_cuts(crops):
    from apps.mlcore.gan.data import DeviceCrops

    on_device = DeviceCrops(crops, "cpu")
    keys = [(0, 11), (3, 12), (5, 2**61 + 7), (1, 0)]
    luma, chroma = on_device.batch(keys)
    assert luma.shape == (4, 1, 32, 32) and chroma.shape == (4, 2, 32, 32)
    for row, key in enumerate(keys):
        cpu_luma, cpu_chroma = crops[key]
        assert torch.allclose(luma[row], cpu_luma, atol=1e-5) and torch.allclose(chroma[row], cpu_chroma, atol=1e-5)
    assert on_device.nbytes == 6 * 3 * 40 * 40


def test_device_crops_jitter_and_grain_are_reproducible(crops):
    from apps.mlcore.gan.data import DeviceCrops

    augmented = DeviceCrops(crops, "cpu", scale_jitter=0.2, luma_noise=0.05)
    keys = [(0, 5), (2, 6)]
    first, again = augmented.batch(keys), augmented.batch(keys)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    plain_luma, plain_chroma = DeviceCrops(crops, "cpu").batch(keys)
    assert not torch.equal(first[0], plain_luma)  # grain and/or another scale
    assert first[0].abs().max() <= 1 and first[1].shape == plain_chroma.shape


def test_training_on_device_batches_follows_the_sampler(crops, tmp_path):
    config = replace(BASE, steps=3, device_data=True, scale_jitter=0.1, luma_noise=0.02, adversarial=False, lambda_ms=0.0, val_images=0)
    result = Trainer(config, train_data=crops, out_dir=tmp_path / "a", generator_config=GEN, discriminator_config=DISC).fit()
    again = Trainer(config, train_data=crops, out_dir=tmp_path / "b", generator_config=GEN, discriminator_config=DISC).fit()
    assert result.step == 3
    first, second = (load_generator(r.generator_path)[0].state_dict() for r in (result, again))
    assert all(torch.equal(first[k], second[k]) for k in first)  # same seed, same batches, same weights


def test_a_fresh_discriminator_warms_up_before_the_generator_hears_it(crops, tmp_path):
    config = replace(BASE, steps=3, d_warmup_steps=1, lambda_ms=0.0)
    trainer = Trainer(config, train_data=crops, out_dir=tmp_path, generator_config=GEN, discriminator_config=DISC)
    luma, chroma = (torch.stack(parts) for parts in zip(*(crops[i] for i in range(2))))
    warming = trainer.train_step(luma, chroma)
    trainer.step += 1
    assert "d" in warming and "g_adv" not in warming  # the discriminator learns, the generator does not hear it
    assert "g_adv" in trainer.train_step(luma, chroma)


def test_a_fine_tuned_generator_keeps_its_base_merge_settings(crops, tmp_path):
    from apps.mlcore.gan.checkpoint import save_generator
    from apps.mlcore.gan.networks import UNetGenerator

    base = tmp_path / "base.pt"
    save_generator(base, UNetGenerator(GEN), name="chroma-unet", version="1.0.0", merge={"chroma_filter": {"radius": 3, "eps": 0.001}})
    config = replace(BASE, steps=1, adversarial=False, lambda_ms=0.0, val_images=0)
    result = Trainer(config, train_data=crops, out_dir=tmp_path / "ft", base_checkpoint=base).fit()
    assert load_generator(result.generator_path)[1]["merge"] == {"chroma_filter": {"radius": 3, "eps": 0.001}}
