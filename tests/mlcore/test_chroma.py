"""The full-resolution merge: the guided chroma filter and the fast strip-wise path against a reference."""
import numpy as np
import pytest
import torch
from PIL import Image

from apps.mlcore.gan.checkpoint import load_generator, save_generator
from apps.mlcore.gan.chroma import ChromaFilter, bilinear_taps, box_mean, channel_planes, guided_coefficients, merge_full
from apps.mlcore.gan.colorspace import U_MAX, V_MAX, rgb_to_yuv, yuv_to_rgb8
from apps.mlcore.gan.inference import Colorizer

FILTER = ChromaFilter(radius=2, eps=1e-3)


def _upsample(planes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear (align_corners=False) upsampling in float64 over the whole image at once."""
    i0, i1, wy = bilinear_taps(planes.shape[-2], height)
    j0, j1, wx = bilinear_taps(planes.shape[-1], width)
    wy, wx = wy.astype(np.float64)[:, None], wx.astype(np.float64)
    rows = planes[..., i0, :] * (1 - wy) + planes[..., i1, :] * wy
    return rows[..., j0] * (1 - wx) + rows[..., j1] * wx


def reference_merge(luma: np.ndarray, chroma: np.ndarray, guide: np.ndarray, chroma_filter: ChromaFilter) -> np.ndarray:
    """The merge written plainly: full-size float64 chroma (guided when on), ``yuv_to_rgb8`` everywhere."""
    height, width = luma.shape
    y = luma.astype(np.float64) * 255 / np.iinfo(luma.dtype).max
    if chroma_filter.enabled:
        a, b = guided_coefficients(guide, chroma, chroma_filter)
        uv = _upsample(a, height, width) * (y / 255) + _upsample(b, height, width)
    else:
        uv = _upsample(chroma.astype(np.float64), height, width)
    return yuv_to_rgb8(y, uv[0], uv[1])


def _merge(luma, chroma, guide, chroma_filter, strip_pixels=1000):
    gain, base = channel_planes(chroma[None], guide, chroma_filter)
    return np.asarray(merge_full(luma, None if gain is None else gain[0], base[0], strip_pixels=strip_pixels))


def _chroma(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_yuv(rgb / 255.0)[..., 1:]


def step_edge_scene(seed: int, noise: float = 0.03):
    """Full-resolution luma with a vertical step edge at x = 50, and the network-like chroma at 1/4 scale:
    V = +0.2 left of the edge and -0.2 right of it, blurred across the edge and speckled by noise."""
    height, width, factor = 96, 96, 4
    luma = np.full((height, width), 60, np.uint8)
    luma[:, 50:] = 190
    guide = np.asarray(Image.fromarray(luma).resize((width // factor, height // factor), Image.Resampling.LANCZOS),
                       dtype=np.float32) / 255
    x = (np.arange(width // factor) + 0.5) * factor
    v = np.tanh((50 - x) / 12.0) * 0.2  # blurry: a soft ramp over several working pixels
    rng = np.random.default_rng(seed)
    chroma = np.zeros((2, height // factor, width // factor), np.float32)
    chroma[1] = v[None, :]
    chroma += rng.normal(0, noise, chroma.shape).astype(np.float32)
    ideal = np.where(np.arange(width) < 50, 0.2, -0.2)
    return luma, guide, chroma, ideal


def test_guided_filter_puts_the_chroma_edge_on_the_luma_edge_and_removes_speckle():
    luma, guide, chroma, _ = step_edge_scene(seed=0)
    plain = _chroma(_merge(luma, guide=guide, chroma=chroma, chroma_filter=ChromaFilter()).astype(np.float64))[..., 1]
    guided = _chroma(_merge(luma, guide=guide, chroma=chroma, chroma_filter=FILTER).astype(np.float64))[..., 1]
    plain_profile, guided_profile = plain[8:-8].mean(axis=0), guided[8:-8].mean(axis=0)  # V across the columns
    # the chroma jumps where the luma jumps (between columns 49 and 50), and by far more than
    # the bilinear chroma ever steps, which spreads the change over the working pixels
    jumps = -np.diff(guided_profile)
    assert np.argmax(jumps) == 49
    assert jumps[49] > 5 * np.abs(np.diff(plain_profile)).max()
    assert guided_profile[49] > 0.05 and guided_profile[50] < -0.05
    # speckle: spread of the chroma in the flat regions, away from the edge
    flat = np.r_[0:36, 64:96]
    assert guided[:, flat].std(axis=0).mean() < 0.5 * plain[:, flat].std(axis=0).mean()


def test_guided_filter_is_reproducible_per_seed():
    def variant(seed):
        luma, guide, chroma, _ = step_edge_scene(seed)
        return _merge(luma, chroma, guide, FILTER)

    assert variant(5).tobytes() == variant(5).tobytes()
    assert variant(5).tobytes() != variant(6).tobytes()


def test_box_mean_is_the_clipped_window_mean():
    x = np.random.default_rng(0).random((2, 7, 9))
    got = box_mean(x, 2)
    for i, j in [(0, 0), (3, 4), (6, 8), (1, 7)]:
        window = x[:, max(0, i - 2) : i + 3, max(0, j - 2) : j + 3]
        np.testing.assert_allclose(got[:, i, j], window.mean(axis=(1, 2)))


def test_flat_guide_gives_the_smoothed_chroma_and_a_strong_edge_passes_the_guide():
    guide = np.full((12, 12), 0.5)
    chroma = np.random.default_rng(1).normal(0, 0.1, (2, 12, 12))
    a, b = guided_coefficients(guide, chroma, ChromaFilter(radius=1, eps=1e-2))
    np.testing.assert_allclose(a, 0, atol=1e-9)  # no luma structure: nothing to follow
    assert b.std() < 0.5 * chroma.std()


@pytest.mark.parametrize("chroma_filter", [ChromaFilter(), FILTER, ChromaFilter(radius=5, eps=1e-4)])
@pytest.mark.parametrize(("height", "width", "depth"), [(97, 61, 8), (61, 97, 16), (7, 301, 8), (40, 3, 16), (1, 1, 8)])
def test_fast_merge_matches_the_reference_within_one_level(chroma_filter, height, width, depth):
    rng = np.random.default_rng(height * width)
    peak = 255 if depth == 8 else 65535
    smooth = np.asarray(Image.fromarray(rng.random((4, 5)).astype(np.float32)).resize((width, height), Image.Resampling.BICUBIC))
    luma = np.clip((smooth + rng.normal(0, 0.1, smooth.shape)) * peak, 0, peak).astype(np.uint8 if depth == 8 else np.uint16)
    h, w = max(1, height // 3), max(1, width // 3)
    if (height, width) == (7, 301):
        h = 16  # the working size can be larger than the scan: downsampling rows
    guide = np.asarray(Image.fromarray(luma.astype(np.float32) / peak).resize((w, h), Image.Resampling.BILINEAR))
    # saturated chroma, so that many pixels are out of gamut and take the shrinking path
    chroma = (rng.uniform(-1, 1, (2, h, w)) * np.array([U_MAX, V_MAX])[:, None, None]).astype(np.float32)
    expected = reference_merge(luma, chroma, guide, chroma_filter).astype(int)
    for strip_pixels in (1, 1000, 1 << 20):
        got = _merge(luma, chroma, guide, chroma_filter, strip_pixels).astype(int)
        assert got.shape == expected.shape
        difference = np.abs(got - expected)
        assert difference.max() <= 1
        assert (difference == 0).mean() > 0.999
    # the luma is kept up to rounding
    luma8 = luma if depth == 8 else np.round(luma / 257)
    assert np.abs(np.asarray(Image.fromarray(got.astype(np.uint8)).convert("L"), dtype=int) - luma8).max() <= 1


def test_chroma_filter_settings_are_checked_and_round_trip():
    assert not ChromaFilter.from_merge({}).enabled and ChromaFilter.from_merge(None) == ChromaFilter()
    assert ChromaFilter.from_merge(FILTER.to_merge()) == FILTER and ChromaFilter().to_merge() == {}
    for bad in ({"radius": -1, "eps": 1e-3}, {"radius": 2, "eps": 0}, {"radius": 1.5, "eps": 1e-3}):
        with pytest.raises(ValueError):
            ChromaFilter(**bad)


def test_merge_settings_travel_with_the_checkpoint(tiny_checkpoint, tmp_path, rgb_image):
    generator, _ = load_generator(tiny_checkpoint)
    save_generator(tmp_path / "plain.pt", generator, name="tiny", version="1")
    save_generator(tmp_path / "filtered.pt", generator, name="tiny", version="1", merge=FILTER.to_merge())
    assert load_generator(tmp_path / "plain.pt")[1]["merge"] == {}
    assert load_generator(tmp_path / "filtered.pt")[1]["merge"] == {"chroma_filter": {"radius": 2, "eps": 1e-3}}
    plain = Colorizer.from_checkpoint(tmp_path / "plain.pt", device="cpu")
    filtered = Colorizer.from_checkpoint(tmp_path / "filtered.pt", device="cpu")
    assert filtered.chroma_filter == FILTER and not plain.chroma_filter.enabled
    assert filtered.provenance(1, working_size=32)["parameters"] == {"working_size": 32, "merge": FILTER.to_merge()}
    assert plain.provenance(1, working_size=32)["parameters"] == {"working_size": 32}
    (a,) = plain.colorize(rgb_image, seeds=[3], working_size=32)
    (b,) = filtered.colorize(rgb_image, seeds=[3], working_size=32)
    assert a.tobytes() != b.tobytes()
    # an override (the ablation) replaces the checkpoint's settings
    off = Colorizer.from_checkpoint(tmp_path / "filtered.pt", device="cpu", merge={})
    assert off.colorize(rgb_image, seeds=[3], working_size=32)[0].tobytes() == a.tobytes()


def test_checkpoints_from_before_merge_settings_colorize_as_before(tiny_checkpoint, tmp_path, rgb_image):
    payload = torch.load(tiny_checkpoint, weights_only=True)
    del payload["merge"]  # the format as 1.1.0 and earlier were written
    torch.save(payload, tmp_path / "old.pt")
    _, meta = load_generator(tmp_path / "old.pt")
    assert meta["merge"] == {}
    old = Colorizer.from_checkpoint(tmp_path / "old.pt", device="cpu")
    (variant,) = old.colorize(rgb_image, seeds=[4], working_size=32)
    # bilinear chroma, as before: the reference merge of the same network output
    prediction = old.predict(rgb_image, seeds=[4], working_size=32)
    assert not prediction.chroma_filter.enabled
    luma = np.asarray(rgb_image.convert("L"))
    expected = reference_merge(luma, prediction.chroma[0], prediction.guide, ChromaFilter()).astype(int)
    assert np.abs(np.asarray(variant, dtype=int) - expected).max() <= 1
