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
``yuv_to_rgb_in_gamut``/``yuv_to_rgb8`` take planar torch tensors, so the full-resolution
merge runs multi-threaded (or on the GPU).
"""
from __future__ import annotations

import numpy as np
import torch

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


def yuv_to_rgb_in_gamut(
    y: torch.Tensor, u: torch.Tensor, v: torch.Tensor, *, white: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Convert YUV to R, G, B planes, shrinking each pixel's chroma toward grey just enough to fit the RGB cube.

    ``y`` in [0, 1], ``u`` and ``v`` in YUV units, all of one shape; the planes come back
    in [0, ``white``] up to float rounding (``white=255`` saves a pass when 8-bit output
    follows). Clipping RGB instead would change the brightness of saturated highlights
    and shadows; scaling the chroma by the largest t in [0, 1] that fits keeps the luma
    of the output exactly the scan's luma, which is the point of working in YUV.
    Branch-free, about twenty elementwise passes on any device.
    """
    m = (CHROMA_TO_RGB * white).tolist()
    y = y * white
    offsets = [m[1][0] * v, m[0][1] * u, m[0][2] * u]  # R, G, B minus Y
    offsets[1] += m[1][1] * v
    # The offsets' luma is zero, so the largest is >= 0 and the smallest <= 0: only they
    # can leave the cube, through white and through black respectively.
    highest = torch.maximum(torch.maximum(offsets[0], offsets[1]), offsets[2])
    lowest = torch.minimum(torch.minimum(offsets[0], offsets[1]), offsets[2])
    t = (white - y).div_(highest.clamp_min_(1e-12))
    t = torch.minimum(t, y / lowest.neg_().clamp_min_(1e-12)).clamp_max_(1.0)
    return tuple(offset.mul_(t).add_(y) for offset in offsets)


def normalize_luma(y: np.ndarray) -> np.ndarray:
    """Map luma in [0, 1] to the network's input range [-1, 1] (``2 Y - 1``)."""
    return y * 2.0 - 1.0


def normalize_chroma(uv: np.ndarray) -> np.ndarray:
    """Map chroma ``(..., 2)`` in (±0.436, ±0.615) to the network's output range [-1, 1]."""
    return uv / np.array([U_MAX, V_MAX], dtype=uv.dtype)


def denormalize_chroma(uv: np.ndarray) -> np.ndarray:
    """Map the network's chroma ``(..., 2)`` in [-1, 1] back to U in ±0.436 and V in ±0.615."""
    return uv * np.array([U_MAX, V_MAX], dtype=uv.dtype)


def yuv_to_rgb8(y: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Merge luma ``y`` in [0, 1] with chroma ``u``, ``v`` into 8-bit RGB, keeping the luma.

    The three float tensors share one shape ``S``; the result is a ``S + (3,)`` uint8
    tensor. Out-of-gamut chroma is shrunk (``yuv_to_rgb_in_gamut``) rather than clipped
    in RGB, so the output's luma equals ``y`` up to 8-bit rounding.
    """
    planes = yuv_to_rgb_in_gamut(y, u, v, white=255.0)
    rgb = torch.empty(y.shape + (3,), dtype=torch.uint8)
    for channel, plane in enumerate(planes):
        # In [0, 255] up to float rounding, so +0.5 and truncation round to nearest
        # without a clamp.
        rgb[..., channel] = plane.add_(0.5)
    return rgb
