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

``rgb_to_yuv``/``yuv_to_rgb`` take channel-last numpy float arrays of any leading shape;
``yuv_to_rgb8`` takes planar arrays, as the full-resolution merge produces them.
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
    [0, 1]. ``yuv_to_rgb8`` fits the chroma to the gamut instead, keeping the luma.
    """
    y = yuv[..., 0:1]
    rgb = y + yuv[..., 1:3] @ CHROMA_TO_RGB.astype(yuv.dtype, copy=False)
    return rgb


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
    """Merge luma with chroma into 8-bit RGB, shrinking out-of-gamut chroma so the luma is kept.

    ``y`` is luma in 8-bit levels (float32 in [0, 255], not [0, 1]: it saves a pass on
    the full-resolution path), ``u`` and ``v`` chroma in YUV units; all share one shape
    ``S`` and the result is ``S + (3,)`` uint8. Clipping RGB instead would change the
    brightness of saturated highlights and shadows; scaling each pixel's chroma by the
    largest t in [0, 1] that keeps R, G and B inside [0, 255] leaves the output's luma
    equal to ``y`` up to rounding, which is the point of working in YUV. Numpy, about
    thirty elementwise passes with the GIL released, so strips merge in parallel threads.
    """
    m = (CHROMA_TO_RGB * 255.0).astype(np.float32)
    r = v * m[1, 0]  # R, G, B minus Y, in levels
    g = u * m[0, 1]
    g += v * m[1, 1]
    b = u * m[0, 2]
    # The offsets' luma is zero, so the largest is >= 0 and the smallest <= 0: only they
    # can leave the cube, through white and through black respectively.
    highest = np.maximum(r, g)
    np.maximum(highest, b, out=highest)
    lowest = np.minimum(r, g)
    np.minimum(lowest, b, out=lowest)
    t = 255.0 - y
    t /= np.maximum(highest, 1e-6, out=highest)
    np.negative(lowest, out=lowest)
    np.divide(y, np.maximum(lowest, 1e-6, out=lowest), out=lowest)
    np.minimum(t, lowest, out=t)
    np.minimum(t, 1.0, out=t)
    base = y + 0.5  # +0.5 then truncation rounds to nearest; t keeps values in [0, 255]
    rgb = np.empty(y.shape + (3,), dtype=np.uint8)
    for channel, offset in enumerate((r, g, b)):
        offset *= t
        offset += base
        rgb[..., channel] = offset
    return rgb
