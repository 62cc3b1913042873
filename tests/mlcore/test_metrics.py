import numpy as np
import pytest
from PIL import ImageFilter

from apps.mlcore.gan.metrics import (
    chroma_noise,
    colourfulness,
    delta_e2000,
    high_frequency_chroma_energy,
    hue_spread,
    mean_delta_e2000,
    ms_per_megapixel,
    psnr,
    seed_diversity,
    srgb_to_lab,
    ssim,
)

# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation
# notes, supplementary test data, and mathematical observations", table 1.
SHARMA = [
    ((50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    ((50.0000, 3.1571, -77.2803), (50.0000, 0.0000, -82.7485), 2.8615),
    ((50.0000, 2.8361, -74.0200), (50.0000, 0.0000, -82.7485), 3.4412),
    ((50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -1.1848, -84.8006), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, -0.9009, -85.5211), (50.0000, 0.0000, -82.7485), 1.0000),
    ((50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    ((50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0010), 7.1792),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0011), 7.2195),
    ((50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0010, -2.4900), 4.8045),
    ((50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    ((50.0000, 2.5000, 0.0000), (50.0000, 0.0000, -2.5000), 4.3065),
    ((50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    ((50.0000, 2.5000, 0.0000), (61.0000, -5.0000, 29.0000), 22.8977),
    ((50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    ((50.0000, 2.5000, 0.0000), (58.0000, 24.0000, 15.0000), 19.4535),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.1736, 0.5854), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2972, 0.0000), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 1.8634, 0.5757), 1.0000),
    ((50.0000, 2.5000, 0.0000), (50.0000, 3.2592, 0.3350), 1.0000),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.2480, -4.9620), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((36.4612, 47.8580, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.4410), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_ciede2000_matches_sharma_reference_pairs():
    lab1 = np.array([p[0] for p in SHARMA])
    lab2 = np.array([p[1] for p in SHARMA])
    expected = np.array([p[2] for p in SHARMA])
    np.testing.assert_allclose(delta_e2000(lab1, lab2), expected, atol=5e-5)
    np.testing.assert_allclose(delta_e2000(lab2, lab1), expected, atol=5e-5)  # symmetric


def test_srgb_to_lab_known_colours():
    lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0], [128, 128, 128]], dtype=np.uint8))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=1e-3)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=1e-9)
    np.testing.assert_allclose(lab[2], [53.2408, 80.0925, 67.2032], atol=2e-3)
    np.testing.assert_allclose(lab[3], [53.585, 0, 0], atol=2e-3)


def test_image_metrics_on_known_cases(rgb_image):
    a = np.asarray(rgb_image)
    grey = np.repeat(np.asarray(rgb_image.convert("L"))[..., None], 3, axis=-1)
    assert psnr(a, a) == float("inf")
    assert psnr(a, np.clip(a.astype(int) + 5, 0, 255)) == pytest.approx(10 * np.log10(255**2 / 25), abs=0.2)
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, grey) < 0.95
    assert mean_delta_e2000(a, a) == 0
    assert mean_delta_e2000(a, grey) > 5
    assert colourfulness(grey) == pytest.approx(0, abs=1e-9)
    assert colourfulness(a) > 30
    assert seed_diversity([a]) == 0 and seed_diversity([a, a, a]) == 0
    assert seed_diversity([a, grey]) == pytest.approx(mean_delta_e2000(a, grey))
    assert ms_per_megapixel(0.5, 2000, 1000) == pytest.approx(250)


def test_colourfulness_of_pure_colour_halves():
    half = np.zeros((2, 2, 3), dtype=np.uint8)
    half[0] = [255, 0, 0]  # red top row, black bottom row: rg = 255 or 0, yb = 127.5 or 0
    assert colourfulness(half) == pytest.approx(np.hypot(127.5, 63.75) + 0.3 * np.hypot(127.5, 63.75))


def test_ssim_agrees_with_scikit_image(rgb_image):
    metrics = pytest.importorskip("skimage.metrics")
    a = np.asarray(rgb_image)
    b = np.asarray(rgb_image.rotate(3)).copy()
    expected = metrics.structural_similarity(a, b, channel_axis=-1, gaussian_weights=True, sigma=1.5,
                                             use_sample_covariance=False, data_range=255)
    assert ssim(a, b) == pytest.approx(expected, abs=1e-6)


def test_chroma_noise_is_relative_high_frequency_chroma_energy(rgb_image):
    truth = np.asarray(rgb_image.resize((120, 90)))
    rng = np.random.default_rng(0)
    speckled = np.clip(truth + rng.normal(0, 12, truth.shape), 0, 255).astype(np.uint8)
    smooth = np.asarray(rgb_image.resize((120, 90)).filter(ImageFilter.GaussianBlur(3)))
    grey = np.repeat(np.asarray(rgb_image.resize((120, 90)).convert("L"))[..., None], 3, axis=-1)
    assert chroma_noise(truth, truth) == pytest.approx(1.0)
    assert chroma_noise(speckled, truth) > 2
    assert chroma_noise(smooth, truth) < 0.5
    assert chroma_noise(grey, truth) == pytest.approx(0, abs=1e-6)
    assert high_frequency_chroma_energy(np.full((9, 9, 3), (200, 40, 90), np.uint8)) == pytest.approx(0, abs=1e-9)


def test_hue_spread_measures_palettes_not_speckle(rgb_image):
    grey = np.repeat(np.asarray(rgb_image.convert("L"))[..., None], 3, axis=-1).astype(int)

    def tinted(r, g, b):
        return np.clip(grey + [r, g, b], 0, 255).astype(np.uint8)

    red, blue = tinted(40, -10, -10), tinted(-10, -10, 40)
    lab_red, lab_blue = (srgb_to_lab(v).reshape(-1, 3)[:, 1:].mean(axis=0) for v in (red, blue))
    expected = abs(np.degrees(np.arctan2(lab_red[1], lab_red[0]) - np.arctan2(lab_blue[1], lab_blue[0])))
    assert hue_spread([red, blue]) == pytest.approx(min(expected, 360 - expected))
    assert hue_spread([red, blue]) > 60
    assert hue_spread([red, red, red]) == 0 and hue_spread([red]) == 0
    speckle = np.clip(red + np.random.default_rng(1).normal(0, 10, red.shape), 0, 255).astype(np.uint8)
    assert hue_spread([red, speckle]) < 5  # noise changes ΔE, not the palette
    assert seed_diversity([red, speckle]) > 2
    assert hue_spread([grey.astype(np.uint8), red]) == 0  # a grey variant has no hue
