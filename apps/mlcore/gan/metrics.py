"""Image-quality measures for colorizations, all on 8-bit sRGB arrays of shape (H, W, 3).

- ``psnr``: over the three RGB channels, peak 255.
- ``ssim``: Wang et al. (2004) SSIM, Gaussian window (σ 1.5, 11 taps), computed per RGB
  channel and averaged. On RGB, not luma: our output's luma *is* the input's, so SSIM on
  luma would score every model (and the grayscale baseline) near 1.
- ``mean_delta_e2000``: mean CIEDE2000 colour difference (Sharma, Wu & Dalal 2005),
  sRGB → CIELAB with the D65 white, kL = kC = kH = 1; about 1 is a just noticeable
  difference. Processed in chunks so a large image needs no large temporaries.
- ``colourfulness``: Hasler & Süsstrunk (2003) M on 0–255 RGB: grey is 0, ~15 "slightly",
  ~33 "moderately", ~59 "quite", ~82 "highly", 109+ "extremely colourful".
- ``seed_diversity``: mean pairwise ΔE2000 between the variants of one image.
- ``chroma_noise``: high-frequency chroma energy of a colorization over that of the ground
  truth: the mean of (U - blur U)² + (V - blur V)² (YUV of ``colorspace``, blur a Gaussian
  of σ 2 pixels at the evaluated size), prediction over truth. 1 is the truth's own amount
  of fine colour detail; well above 1 is speckle and colour noise, well below 1 is chroma
  smoother than reality.
- ``hue_spread``: how far apart the seeds' palettes are: the mean pairwise difference,
  in degrees (0–180), of the hue angle of each variant's mean (a*, b*) in CIELAB.
  Seed diversity (ΔE) also grows with speckle; hue spread only with a different overall
  colour cast. Near-grey variants (mean chroma under 1) make the angle meaningless, so
  such pairs count as 0.
- ``ms_per_megapixel``: time normalised by the image's size.
"""
from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from .colorspace import rgb_to_yuv

_CHUNK = 1 << 20
# sRGB (D65) to XYZ, IEC 61966-2-1.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear_lut() -> np.ndarray:
    c = np.arange(256) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_LINEAR = _linear_lut()


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Convert 8-bit sRGB ``(..., 3)`` to CIELAB (D65 white) as float64 ``(..., 3)``."""
    linear = _LINEAR[np.asarray(rgb, dtype=np.uint8)]
    xyz = (linear @ _RGB_TO_XYZ.T) / _D65
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 difference between CIELAB arrays ``(..., 3)``, elementwise (kL = kC = kH = 1).

    Follows Sharma, Wu & Dalal (2005) step by step, including their conventions for hue
    when a chroma is zero; their 34 reference pairs are in the tests.
    """
    L1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=np.float64), -1, 0)
    L2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=np.float64), -1, 0)
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    zero = (c1p * c2p) == 0

    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(zero, 0.0, dh)
    d_l = L2 - L1
    d_c = c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)

    l_bar = (L1 + L2) / 2
    c_bar_p = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2))
    h_bar = np.where(zero, h_sum, h_bar)

    t = (
        1
        - 0.17 * np.cos(np.radians(h_bar - 30))
        + 0.24 * np.cos(np.radians(2 * h_bar))
        + 0.32 * np.cos(np.radians(3 * h_bar + 6))
        - 0.20 * np.cos(np.radians(4 * h_bar - 63))
    )
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    c_bar_p7 = c_bar_p**7
    r_c = 2 * np.sqrt(c_bar_p7 / (c_bar_p7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar_p
    s_h = 1 + 0.015 * c_bar_p * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    terms_c, terms_h = d_c / s_c, d_h / s_h
    return np.sqrt((d_l / s_l) ** 2 + terms_c**2 + terms_h**2 + r_t * terms_c * terms_h)


def mean_delta_e2000(rgb1: np.ndarray, rgb2: np.ndarray) -> float:
    """Mean CIEDE2000 between two 8-bit sRGB images of the same shape ``(H, W, 3)``."""
    a = np.asarray(rgb1).reshape(-1, 3)
    b = np.asarray(rgb2).reshape(-1, 3)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {np.shape(rgb1)} and {np.shape(rgb2)}")
    total = 0.0
    for start in range(0, len(a), _CHUNK):
        total += float(delta_e2000(srgb_to_lab(a[start : start + _CHUNK]), srgb_to_lab(b[start : start + _CHUNK])).sum())
    return total / len(a)


def psnr(rgb1: np.ndarray, rgb2: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB over all RGB channels (peak 255); ``inf`` when identical."""
    mse = float(np.mean((np.asarray(rgb1, dtype=np.float64) - np.asarray(rgb2, dtype=np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(rgb1: np.ndarray, rgb2: np.ndarray) -> float:
    """Mean SSIM of the three RGB channels (Gaussian σ 1.5, 11 taps, K1 0.01, K2 0.03, range 255).

    Matches ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=255, channel_axis=-1)``: statistics over the
    window positions that fit inside the image. Images under 11 px on a side use a
    window truncated to fit. Plain numpy (no thread pool of its own), so evaluation can
    score several images in parallel threads.
    """
    x = np.moveaxis(np.asarray(rgb1, dtype=np.float64), -1, 0)  # (3, H, W)
    y = np.moveaxis(np.asarray(rgb2, dtype=np.float64), -1, 0)
    radius = min(5, (min(x.shape[-2:]) - 1) // 2)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / 1.5) ** 2)
    taps /= taps.sum()

    def blur(image):  # separable Gaussian, valid positions only: (3, H - 2r, W - 2r)
        size = 2 * radius + 1
        rows = sum(w * image[:, k : image.shape[1] - size + 1 + k] for k, w in enumerate(taps))
        return sum(w * rows[:, :, k : rows.shape[2] - size + 1 + k] for k, w in enumerate(taps))

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(s.mean(axis=(1, 2)).mean())


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler & Süsstrunk colourfulness M of an 8-bit RGB image (0 for any grey image)."""
    rgb = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    rg = rgb[:, 0] - rgb[:, 1]
    yb = 0.5 * (rgb[:, 0] + rgb[:, 1]) - rgb[:, 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def seed_diversity(variants: Sequence[np.ndarray]) -> float:
    """Mean pairwise CIEDE2000 between the variants of one image; 0 for fewer than two."""
    pairs = list(combinations(variants, 2))
    if not pairs:
        return 0.0
    return float(np.mean([mean_delta_e2000(a, b) for a, b in pairs]))


def _gaussian_blur(planes: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of (..., H, W) planes, edges reflected (taps to 3σ)."""
    radius = max(1, int(3 * sigma + 0.5))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (-2, -1):
        size = planes.shape[axis]
        index = np.arange(-radius, size + radius)
        index = np.abs(index)  # reflect at 0 ...
        index = np.where(index >= size, 2 * (size - 1) - index, index)  # ... and at the far edge
        padded = np.take(planes, np.clip(index, 0, size - 1), axis=axis)
        planes = sum(w * np.take(padded, np.arange(k, k + size), axis=axis) for k, w in enumerate(taps))
    return planes


def high_frequency_chroma_energy(rgb: np.ndarray, sigma: float = 2.0) -> float:
    """Mean of (U - blur U)² + (V - blur V)² of an 8-bit RGB image (YUV units, blur σ in pixels)."""
    uv = np.moveaxis(rgb_to_yuv(np.asarray(rgb, dtype=np.float32) / 255.0)[..., 1:], -1, 0)  # (2, H, W)
    detail = uv - _gaussian_blur(uv, sigma)
    return float(np.mean(np.sum(detail * detail, axis=0)))


def chroma_noise(rgb: np.ndarray, truth: np.ndarray, sigma: float = 2.0) -> float:
    """High-frequency chroma energy of ``rgb`` over that of ``truth`` (see the module docstring).

    The truth's energy is floored at 1e-6 (a flat ground truth would divide by zero).
    """
    return high_frequency_chroma_energy(rgb, sigma) / max(high_frequency_chroma_energy(truth, sigma), 1e-6)


def hue_spread(variants: Sequence[np.ndarray]) -> float:
    """Mean pairwise hue-angle difference (degrees, 0–180) of the variants' mean CIELAB (a*, b*).

    Each variant's mean a*, b* is taken over all its pixels; a pair where either mean has
    chroma under 1 counts as 0 (its hue is noise). 0 for fewer than two variants.
    """
    means = []
    for rgb in variants:
        pixels = np.asarray(rgb).reshape(-1, 3)
        total = np.zeros(2)
        for start in range(0, len(pixels), _CHUNK):
            total += srgb_to_lab(pixels[start : start + _CHUNK])[:, 1:].sum(axis=0)
        means.append(total / len(pixels))
    pairs = list(combinations(means, 2))
    if not pairs:
        return 0.0
    differences = []
    for (a1, b1), (a2, b2) in pairs:
        if min(np.hypot(a1, b1), np.hypot(a2, b2)) < 1.0:
            differences.append(0.0)
            continue
        angle = abs(np.degrees(np.arctan2(b1, a1) - np.arctan2(b2, a2))) % 360
        differences.append(min(angle, 360 - angle))
    return float(np.mean(differences))


def ms_per_megapixel(seconds: float, width: int, height: int) -> float:
    """Milliseconds per megapixel of output for a run that took ``seconds``."""
    return 1000.0 * seconds / (width * height / 1e6)
