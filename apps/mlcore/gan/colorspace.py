"""YUV colour space (analogue BT.601) and the network's normalised values.

The thesis works in YUV so that the scan's luma is kept and only the chroma is
predicted. The exact conversion used everywhere in this package is BT.601 with the
analogue (PAL) chroma scaling, on non-linear sRGB values in [0, 1]:

    Y = 0.299 R + 0.587 G + 0.114 B                         Y in [0, 1]
    U = 0.436 (B - Y) / (1 - 0.114) = 0.492111 (B - Y)      U in [-0.436, +0.436]
    V = 0.615 (R - Y) / (1 - 0.299) = 0.877283 (R - Y)      V in [-0.615, +0.615]

The luma weights are those Pillow uses for ``convert("L")``, so "the luma of an 8-bit
image" means the same thing here and in Pillow.

The network never sees these raw values. It is fed ``2 Y - 1`` (in [-1, 1]) and its tanh
output is read as ``(U / 0.436, V / 0.615)`` (both in [-1, 1]), so every channel it
touches spans the same range.

All functions take channel-last float arrays (``(..., 3)`` or ``(..., 2)``) and work on
any leading shape; they never allocate more than their output.
"""
from __future__ import annotations

import numpy as np

WR, WG, WB = 0.299, 0.587, 0.114
U_MAX, V_MAX = 0.436, 0.615

# Chroma -> RGB offsets: RGB = Y + (U, V) @ CHROMA_TO_RGB, derived from the forward
# definition above rather than typed in, so the round trip is exact to float precision.
_U_SCALE = U_MAX / (1.0 - WB)
_V_SCALE = V_MAX / (1.0 - WR)
CHROMA_TO_RGB = np.array(
    [
        # R,                      G,                              B
        [0.0, -WB / (WG * _U_SCALE), 1.0 / _U_SCALE],  # from U
        [1.0 / _V_SCALE, -WR / (WG * _V_SCALE), 0.0],  # from V
    ],
    dtype=np.float64,
)


def rgb_to_yuv(rgb: np.ndarray) -> np.ndarray:
    """Convert sRGB values in [0, 1] to YUV (Y in [0, 1], U in ±0.436, V in ±0.615).

    ``rgb`` is a float array whose last axis holds R, G, B; the result has the same shape
    and dtype, its last axis holding Y, U, V as defined in the module docstring.
    """
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = WR * r + WG * g + WB * b
    out = np.empty_like(rgb)
    out[..., 0] = y
    out[..., 1] = _U_SCALE * (b - y)
    out[..., 2] = _V_SCALE * (r - y)
    return out


def yuv_to_rgb(yuv: np.ndarray) -> np.ndarray:
    """Convert YUV (ranges as in the module docstring) back to sRGB, exact inverse of ``rgb_to_yuv``.

    Values are not clipped: a chroma that is out of gamut for its luma gives RGB outside
    [0, 1]. Use ``fit_chroma_to_gamut`` first when the luma must survive the clipping.
    """
    y = yuv[..., 0:1]
    rgb = y + yuv[..., 1:3] @ CHROMA_TO_RGB.astype(yuv.dtype, copy=False)
    return rgb


def fit_chroma_to_gamut(luma: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Scale each pixel's chroma toward grey just enough that Y + chroma lies inside the RGB cube.

    ``luma`` is ``(...)`` in [0, 1], ``chroma`` is ``(..., 2)`` holding U, V. Clipping RGB
    instead would change the brightness of saturated highlights and shadows; shrinking the
    chroma keeps the luma of the output exactly the scan's luma, which is the point of
    working in YUV. Returns a new ``(..., 2)`` array of the same dtype.
    """
    # (..., 3) RGB offsets of each pixel from its grey Y.
    offsets = chroma @ CHROMA_TO_RGB.astype(chroma.dtype, copy=False)
    y = luma[..., None]
    # Largest t in [0, 1] with 0 <= Y + t * offset <= 1 for all three channels.
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(offsets > 0, (1.0 - y) / offsets, np.where(offsets < 0, -y / offsets, np.inf))
    t = np.clip(room.min(axis=-1, keepdims=True), 0.0, 1.0)
    return chroma * t


def normalize_luma(y: np.ndarray) -> np.ndarray:
    """Map luma in [0, 1] to the network's input range [-1, 1] (``2 Y - 1``)."""
    return y * 2.0 - 1.0


def normalize_chroma(uv: np.ndarray) -> np.ndarray:
    """Map chroma ``(..., 2)`` in (±0.436, ±0.615) to the network's output range [-1, 1]."""
    return uv / np.array([U_MAX, V_MAX], dtype=uv.dtype)


def denormalize_chroma(uv: np.ndarray) -> np.ndarray:
    """Map the network's chroma ``(..., 2)`` in [-1, 1] back to U in ±0.436 and V in ±0.615."""
    return uv * np.array([U_MAX, V_MAX], dtype=uv.dtype)


def yuv_to_rgb8(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Merge luma ``y`` in [0, 1] with chroma ``u``, ``v`` into 8-bit RGB, keeping the luma.

    The three inputs share one shape ``S`` (float32 for speed); the result is ``S + (3,)``
    uint8. Pixels whose chroma is out of gamut for their luma get it shrunk by
    ``fit_chroma_to_gamut`` instead of having RGB clipped, so the output's luma equals
    ``y`` up to 8-bit rounding. Only those pixels (usually a few percent) pay for the fit.
    """
    m = CHROMA_TO_RGB.astype(np.float32)
    rgb = np.empty(y.shape + (3,), dtype=np.float32)
    np.add(y, m[1, 0] * v, out=rgb[..., 0])
    np.add(y, m[0, 1] * u + m[1, 1] * v, out=rgb[..., 1])
    np.add(y, m[0, 2] * u, out=rgb[..., 2])
    outside = (rgb.min(axis=-1) < 0.0) | (rgb.max(axis=-1) > 1.0)
    if outside.any():
        y_out = y[outside]
        fitted = fit_chroma_to_gamut(y_out, np.stack([u[outside], v[outside]], axis=-1))
        rgb[outside] = y_out[:, None] + fitted @ m
    rgb *= 255.0
    rgb += 0.5
    np.clip(rgb, 0.0, 255.0, out=rgb)
    return rgb.astype(np.uint8)
