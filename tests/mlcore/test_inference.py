import numpy as np
import pytest
from PIL import Image

from apps.mlcore.gan.inference import Colorizer, colorize_files, seeded_noise, working_geometry
from apps.mlcore.gan.metrics import mean_delta_e2000
from apps.mlcore.gan.provenance import read_provenance


def _luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=int)


@pytest.mark.parametrize("size", [(97, 61), (7, 301), (1001, 3), (1, 1), (513, 255)])
def test_output_has_the_input_size_and_luma(colorizer, make_rgb, size):
    source = make_rgb(*size)
    variants = colorizer.colorize(source, seeds=[3, 4], working_size=32)
    assert [v.size for v in variants] == [size, size]
    assert all(v.mode == "RGB" for v in variants)
    for variant in variants:
        assert np.abs(_luma(variant) - _luma(source)).max() <= 1


def test_output_is_coloured(colorizer, rgb_image):
    (variant,) = colorizer.colorize(rgb_image.convert("L"), seeds=[1], working_size=32)
    assert np.asarray(variant, dtype=float).std(axis=-1).mean() > 5


def test_sixteen_bit_scan_keeps_its_luma(colorizer):
    samples = (np.linspace(0, 65535, 90 * 40).reshape(40, 90)).astype(np.uint16)
    (variant,) = colorizer.colorize(Image.fromarray(samples), seeds=[9], working_size=32)
    assert variant.size == (90, 40)
    assert np.abs(_luma(variant) - np.round(samples / 257)).max() <= 1


@pytest.mark.parametrize("mode", ["L", "RGBA", "P", "LA", "CMYK", "I"])
def test_every_mode_colorizes(colorizer, rgb_image, mode):
    source = rgb_image.convert(mode) if mode != "I" else Image.fromarray(np.asarray(rgb_image.convert("L"), dtype=np.int32) * 257)
    (variant,) = colorizer.colorize(source, seeds=[0], working_size=32)
    assert variant.size == rgb_image.size
    reference = np.asarray(rgb_image.convert(mode).convert("RGB").convert("L") if mode != "I" else rgb_image.convert("L"), dtype=int)
    assert np.abs(_luma(variant) - reference).max() <= 1


def test_same_seed_gives_identical_bytes(colorizer, rgb_image):
    first = colorizer.colorize(rgb_image, seeds=[11, 12], working_size=32)
    second = colorizer.colorize(rgb_image, seeds=[11, 12], working_size=32)
    assert [v.tobytes() for v in first] == [v.tobytes() for v in second]
    alone = colorizer.colorize(rgb_image, seeds=[12], working_size=32)
    assert alone[0].tobytes() == first[1].tobytes()  # a seed's variant does not depend on its batch


def test_different_seeds_give_measurably_different_variants(colorizer, rgb_image):
    a, b = colorizer.colorize(rgb_image, seeds=[1, 2], working_size=32)
    assert mean_delta_e2000(np.asarray(a), np.asarray(b)) > 1.0


def test_noise_is_a_pure_function_of_the_seed():
    shapes = [(1, 8, 8), (1, 2, 2)]
    together = seeded_noise(shapes, [5, 6])
    alone = seeded_noise(shapes, [6])
    assert [n.shape for n in together] == [(2, 1, 8, 8), (2, 1, 2, 2)]
    assert all((t[1] == a[0]).all() for t, a in zip(together, alone))
    assert not (together[0][0] == together[0][1]).all()


def test_working_geometry_keeps_aspect_and_pads_to_the_multiple():
    g = working_geometry(3000, 4000, 256, 64)
    assert (g.height, g.width, g.padded_height, g.padded_width) == (256, 341, 256, 384)
    assert g.pad_left == (384 - 341) // 2
    extreme = working_geometry(3, 1001, 256, 64)
    assert extreme.width == 1024 and extreme.padded_height == 64  # long side capped at 4x


def test_seeds_are_validated(colorizer, rgb_image):
    for bad in ([], [-1], [2**63], [1.5]):
        with pytest.raises(ValueError):
            colorizer.colorize(rgb_image, seeds=bad)


def test_colorize_files_writes_variants_with_provenance(colorizer, rgb_image, tmp_path):
    source = tmp_path / "scan.jpg"
    rgb_image.save(source, quality=95)
    written = colorize_files(colorizer, [source], tmp_path / "out", seeds=[7, 8], working_size=32, format="tiff",
                             extra_provenance={"request_id": "req-1"})
    assert [p.name for p in written] == ["scan_seed7.tif", "scan_seed8.tif"]
    record = read_provenance(written[1])
    assert record["label"] == "AI-colorized" and record["seed"] == 8 and record["request_id"] == "req-1"
    assert record["model_name"] == "tiny" and record["weights_sha256"] == colorizer.weights_sha256
    assert record["parameters"] == {"working_size": 32}
    with Image.open(written[0]) as image:
        assert image.size == rgb_image.size


def test_progress_reports_reach_the_end(colorizer, rgb_image):
    seen = []
    colorizer.colorize(rgb_image, seeds=[1, 2], working_size=32, progress=lambda f, stage: seen.append((f, stage)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_from_checkpoint_exposes_identity(tiny_checkpoint):
    colorizer = Colorizer.from_checkpoint(tiny_checkpoint, device="cpu")
    assert (colorizer.name, colorizer.version, colorizer.device.type) == ("tiny", "0.0.1", "cpu")
    assert len(colorizer.weights_sha256) == 64 and colorizer.config.depth == 3
