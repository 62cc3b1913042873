import pytest
import torch

from apps.mlcore.gan.networks import DiscriminatorConfig, GeneratorConfig, PatchDiscriminator, UNetGenerator


def test_patchgan_gives_30_by_30_patches_at_256():
    discriminator = PatchDiscriminator(DiscriminatorConfig(base_filters=8))
    logits = discriminator(torch.zeros(2, 1, 256, 256), torch.zeros(2, 2, 256, 256))
    assert logits.shape == (2, 1, 30, 30)


@pytest.mark.parametrize("multiscale", [True, False])
def test_generator_maps_luma_and_noise_to_bounded_chroma(multiscale):
    config = GeneratorConfig(base_filters=4, depth=4, max_filters=16, noise_channels=2, multiscale_noise=multiscale)
    generator = UNetGenerator(config).eval()
    shapes = generator.noise_shapes(32, 48)
    assert shapes[0] == (2, 32, 48)
    # Coarsest first: the bottleneck (32 / 2**4 = 2) and the next levels up.
    assert shapes[1:] == ([(2, 2, 3), (2, 4, 6), (2, 8, 12)] if multiscale else [])
    noise = [torch.randn(3, *shape) for shape in shapes]
    chroma = generator(torch.rand(3, 1, 32, 48) * 2 - 1, noise)
    assert chroma.shape == (3, 2, 32, 48)
    assert chroma.abs().max() <= 1


def test_every_noise_map_reaches_the_output():
    generator = UNetGenerator(GeneratorConfig(base_filters=4, depth=3, max_filters=16, noise_levels=2)).eval()
    luma = torch.zeros(1, 1, 16, 16)
    noise = [torch.randn(1, *shape, requires_grad=True) for shape in generator.noise_shapes(16, 16)]
    generator(luma, noise).sum().backward()
    assert len(noise) == 3
    assert all(n.grad.abs().sum() > 0 for n in noise)


def test_config_round_trips_and_refuses_unknown_fields():
    config = GeneratorConfig(base_filters=24, depth=5)
    assert GeneratorConfig.from_dict(config.to_dict()) == config
    assert config.multiple == 32
    with pytest.raises(ValueError, match="bogus"):
        GeneratorConfig.from_dict({**config.to_dict(), "bogus": 1})
    with pytest.raises(ValueError):
        GeneratorConfig(depth=4, noise_levels=4)
