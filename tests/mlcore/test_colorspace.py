import numpy as np
import pytest

from apps.mlcore.gan.colorspace import (
    U_MAX,
    V_MAX,
    denormalize_chroma,
    normalize_chroma,
    normalize_luma,
    rgb_to_yuv,
    yuv_to_rgb,
    yuv_to_rgb8,
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


def test_merge_keeps_luma_and_only_shrinks_chroma():
    rng = np.random.default_rng(3)
    levels = rng.integers(0, 256, 20000).astype(np.float32)
    uv = (rng.uniform(-1, 1, (20000, 2)) * [U_MAX, V_MAX]).astype(np.float32)
    rgb = yuv_to_rgb8(levels, uv[:, 0], uv[:, 1])
    assert rgb.shape == (20000, 3) and rgb.dtype == np.uint8
    yuv = rgb_to_yuv(rgb / 255.0)
    assert np.abs(yuv[:, 0] * 255 - levels).max() <= 1.0  # the luma is kept
    # Where the chroma fits it is kept (up to 8-bit rounding); elsewhere it is scaled
    # toward grey, keeping its hue: fitted = t * original with t in [0, 1].
    unclipped = yuv_to_rgb(np.concatenate([levels[:, None] / 255, uv], axis=1))
    inside = np.all((unclipped >= 0) & (unclipped <= 1), axis=1)
    assert 0.05 < inside.mean() < 0.95
    assert np.abs(yuv[inside, 1:] - uv[inside]).max() < 0.01
    big = np.hypot(*uv.T) > 0.1  # hue is only meaningful away from grey
    t = np.einsum("ij,ij->i", yuv[:, 1:], uv) / np.einsum("ij,ij->i", uv, uv)
    assert t[big].min() > -0.02 and t[big].max() < 1.02
    residual = yuv[big, 1:] - t[big, None] * uv[big]
    assert np.abs(residual).max() < 0.01
    assert rgb.std(axis=-1).mean() > 10  # the chroma is really there
    grey = yuv_to_rgb8(np.array([0.0, 127.6, 255.0], dtype=np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32))
    assert grey.tolist() == [[0, 0, 0], [128, 128, 128], [255, 255, 255]]
