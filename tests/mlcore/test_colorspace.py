import numpy as np
import pytest
import torch

from apps.mlcore.gan.colorspace import (
    U_MAX,
    V_MAX,
    denormalize_chroma,
    normalize_chroma,
    normalize_luma,
    rgb_to_yuv,
    yuv_to_rgb,
    yuv_to_rgb8,
    yuv_to_rgb_in_gamut,
)


def test_round_trip_is_exact():
    rgb = np.random.default_rng(1).random((64, 64, 3))
    np.testing.assert_allclose(yuv_to_rgb(rgb_to_yuv(rgb)), rgb, atol=1e-12)


def test_known_values_and_stated_ranges():
    # Pure blue and pure red give the extremes of U and V; white and black have no chroma.
    corners = np.array([[0, 0, 1], [1, 1, 0], [1, 0, 0], [0, 1, 1], [1, 1, 1], [0, 0, 0]], dtype=float)
    yuv = rgb_to_yuv(corners)
    np.testing.assert_allclose(yuv[0], [0.114, U_MAX, -0.114 * 0.877283], atol=1e-5)
    assert yuv[:, 1].max() == pytest.approx(U_MAX) and yuv[:, 1].min() == pytest.approx(-U_MAX)
    assert yuv[:, 2].max() == pytest.approx(V_MAX) and yuv[:, 2].min() == pytest.approx(-V_MAX)
    np.testing.assert_allclose(yuv[4], [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(yuv[5], [0, 0, 0], atol=1e-12)
    cube = rgb_to_yuv(np.random.default_rng(2).random((10000, 3)))
    assert np.all(np.abs(cube[:, 1]) <= U_MAX) and np.all(np.abs(cube[:, 2]) <= V_MAX)


def test_network_normalisation_spans_minus_one_to_one():
    assert normalize_luma(np.array([0.0, 1.0])).tolist() == [-1.0, 1.0]
    uv = np.array([[U_MAX, -V_MAX]])
    np.testing.assert_allclose(normalize_chroma(uv), [[1.0, -1.0]])
    np.testing.assert_allclose(denormalize_chroma(normalize_chroma(uv)), uv)


def test_gamut_fit_keeps_luma_and_only_shrinks_chroma():
    rng = np.random.default_rng(3)
    y = rng.random(5000)
    uv = rng.uniform(-1, 1, (5000, 2)) * [U_MAX, V_MAX]
    planes = yuv_to_rgb_in_gamut(*(torch.from_numpy(a) for a in (y, uv[:, 0], uv[:, 1])))
    rgb = torch.stack(planes, dim=-1).numpy()
    assert rgb.min() >= -1e-9 and rgb.max() <= 1 + 1e-9
    fitted = rgb_to_yuv(rgb)
    np.testing.assert_allclose(fitted[:, 0], y, atol=1e-9)
    # The chroma keeps its hue and only shrinks: fitted = t * original with t in [0, 1].
    t = np.einsum("ij,ij->i", fitted[:, 1:], uv) / np.einsum("ij,ij->i", uv, uv)
    np.testing.assert_allclose(fitted[:, 1:], t[:, None] * uv, atol=1e-9)
    assert t.min() >= -1e-9 and t.max() <= 1 + 1e-9
    unclipped = yuv_to_rgb(np.concatenate([y[:, None], uv], axis=1))
    inside = np.all((unclipped >= 0) & (unclipped <= 1), axis=1)
    assert 0.05 < inside.mean() < 0.95
    np.testing.assert_allclose(t[inside], 1.0, atol=1e-9)


def test_rgb8_merge_preserves_luma_level():
    rng = np.random.default_rng(4)
    levels = rng.integers(0, 256, (300, 200))
    u = rng.uniform(-U_MAX, U_MAX, levels.shape).astype(np.float32)
    v = rng.uniform(-V_MAX, V_MAX, levels.shape).astype(np.float32)
    rgb = yuv_to_rgb8(*(torch.from_numpy(a) for a in ((levels / 255).astype(np.float32), u, v))).numpy()
    assert rgb.shape == (300, 200, 3) and rgb.dtype == np.uint8
    luma = rgb.astype(float) @ [0.299, 0.587, 0.114]
    assert np.abs(luma - levels).max() <= 1.0
    assert rgb.std(axis=-1).mean() > 10  # the chroma is really there
    grey = yuv_to_rgb8(torch.tensor([0.0, 0.5, 1.0]), torch.zeros(3), torch.zeros(3)).numpy()
    assert grey.tolist() == [[0, 0, 0], [128, 128, 128], [255, 255, 255]]
