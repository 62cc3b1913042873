"""Chroma at full resolution: the edge-aware guided filter and the strip-wise merge with the luma.

The network predicts chroma at the working size (about 256 px on the short side); the
output keeps the scan's own luma at full resolution. Upsampling the chroma bilinearly
alone blurs colour across the luma's edges and keeps the network's speckle. The **fast
guided filter** (He, Sun & Tang 2013; He & Sun 2015) fixes both at almost no cost:

1. at working resolution, with the working-size luma ``I`` as the guide and each chroma
   plane ``p`` as the input, box means of radius ``r`` give per-pixel linear coefficients
   ``a = cov(I, p) / (var(I) + eps)`` and ``b = mean(p) - a mean(I)``, which are box-averaged
   again (O(1) per pixel whatever the radius: cumulative sums);
2. at full resolution ``p_full = up(a) * I_full + up(b)``, ``up`` being the same bilinear
   upsampling as before. Where the guide is flat (var(I) << eps) ``a`` is ~0 and the
   chroma is the smoothed mean (speckle gone); where the luma has an edge (var(I) >> eps)
   the chroma follows the full-resolution luma's edge instead of the blurred one.

``radius`` is in working-resolution pixels and ``eps`` in units of the luma in [0, 1]
squared; radius 0 turns the filter off, which is bilinear upsampling exactly as before.

The merge runs on precomputed **per-RGB-channel offset planes** at working resolution:
for every channel, output = ``gain * (Y + 0.5) + base`` in 8-bit levels (``gain`` is 1
when the filter is off), so the full-resolution work is, per strip of rows, a vertical
bilinear interpolation of 3 (filter off) or 6 (on) planes in blocks of rows that share
their source rows (an outer product and an add, no gathers), one multiply-add with the
luma, a gamut check, and the cast to 8 bits. Pixels whose chroma leaves the RGB cube for
their luma (rare) go through ``yuv_to_rgb8``, which shrinks their chroma toward grey and
keeps the luma; all others are exactly in-gamut, where ``yuv_to_rgb8`` would keep the
chroma as it is. So the output equals the reference merge (float64 upsampling,
``yuv_to_rgb8`` everywhere) within one code value, and the luma is kept up to rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .colorspace import CHROMA_TO_RGB, yuv_to_rgb8

# RGB offsets in 8-bit levels per unit of U and V: (2, 3), rows U, V.
_LEVELS_PER_CHROMA = CHROMA_TO_RGB * 255.0


@dataclass(frozen=True)
class ChromaFilter:
    """The guided filter's parameters: ``radius`` in working pixels (0: off), ``eps`` > 0 when on."""

    radius: int = 0
    eps: float = 0.0

    def __post_init__(self):
        if isinstance(self.radius, bool) or not isinstance(self.radius, int) or self.radius < 0:
            raise ValueError(f"chroma filter radius must be a whole number >= 0, not {self.radius!r}")
        if self.radius and not self.eps > 0:
            raise ValueError(f"chroma filter eps must be > 0 when the radius is set, not {self.eps!r}")

    @property
    def enabled(self) -> bool:
        return self.radius > 0

    @classmethod
    def from_merge(cls, merge: dict | None) -> ChromaFilter:
        """Read ``merge["chroma_filter"]`` (a checkpoint's merge settings); absent or None: off."""
        spec = (merge or {}).get("chroma_filter") or {}
        return cls(radius=int(spec.get("radius") or 0), eps=float(spec.get("eps") or 0.0))

    def to_merge(self) -> dict:
        """The merge settings dict that ``from_merge`` reads back ({} when off)."""
        return {"chroma_filter": {"radius": self.radius, "eps": self.eps}} if self.enabled else {}


def box_mean(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over the (2r+1)² window around each pixel of the last two axes, the window clipped
    to the image (each mean divides by the pixels it covers). O(1) per pixel: cumulative sums,
    in float64."""
    h, w = x.shape[-2:]
    padded = np.zeros(x.shape[:-2] + (h + 1, w + 1))
    np.cumsum(np.cumsum(x, axis=-2, dtype=np.float64), axis=-1, out=padded[..., 1:, 1:])
    top = np.clip(np.arange(h) - radius, 0, h)
    bottom = np.clip(np.arange(h) + radius + 1, 0, h)
    left = np.clip(np.arange(w) - radius, 0, w)
    right = np.clip(np.arange(w) + radius + 1, 0, w)
    total = (
        padded[..., bottom[:, None], right]
        - padded[..., top[:, None], right]
        - padded[..., bottom[:, None], left]
        + padded[..., top[:, None], left]
    )
    return total / ((bottom - top)[:, None] * (right - left))


def guided_coefficients(guide: np.ndarray, source: np.ndarray, chroma_filter: ChromaFilter) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's averaged linear coefficients (mean a, mean b) at the guide's resolution.

    ``guide``: (h, w) luma in [0, 1]; ``source``: (..., h, w) planes to filter. The filtered
    planes at any resolution are ``up(a) * guide_there + up(b)``; at the guide's own
    resolution, ``a * guide + b`` is He et al.'s guided filter output. float64.
    """
    r, eps = chroma_filter.radius, chroma_filter.eps
    guide = np.asarray(guide, dtype=np.float64)
    source = np.asarray(source, dtype=np.float64)
    mean_i = box_mean(guide, r)  # (h, w)
    var_i = box_mean(guide * guide, r) - mean_i * mean_i
    mean_p = box_mean(source, r)  # (..., h, w)
    cov_ip = box_mean(source * guide, r) - mean_i * mean_p
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    return box_mean(a, r), box_mean(b, r)


def channel_planes(chroma: np.ndarray, guide: np.ndarray, chroma_filter: ChromaFilter) -> tuple[np.ndarray | None, np.ndarray]:
    """Per-RGB-channel planes at working resolution from which ``merge_full`` builds the output.

    ``chroma``: (N, 2, h, w) U, V; ``guide``: (h, w) working luma in [0, 1]. Returns
    ``(gain, base)``, each (N, 3, h, w) float32, with output level = ``gain * (Y + 0.5) +
    base`` for full-resolution luma Y in 8-bit levels; ``gain`` is None (meaning 1) when the
    filter is off, and ``base`` is then the chroma's RGB offset. Upsampling is linear, so
    interpolating these planes equals interpolating the chroma and converting after.
    """
    to_rgb = _LEVELS_PER_CHROMA.T  # (3, 2): RGB levels per unit of U, V
    if not chroma_filter.enabled:
        return None, np.einsum("ck,nkhw->nchw", to_rgb, chroma).astype(np.float32)
    a, b = guided_coefficients(guide, chroma, chroma_filter)  # chroma = a * Y / 255 + b
    slope = np.einsum("ck,nkhw->nchw", to_rgb / 255.0, a)  # RGB offset per luma level
    offset = np.einsum("ck,nkhw->nchw", to_rgb, b)
    # level = Y + 0.5 + slope Y + offset = (1 + slope)(Y + 0.5) + offset - slope / 2
    return (1.0 + slope).astype(np.float32), (offset - 0.5 * slope).astype(np.float32)


def bilinear_taps(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices (i0, i1) and weights of i1 for bilinear resampling, align_corners=False.

    The same sampling as ``F.interpolate(mode="bilinear", align_corners=False)`` and
    Pillow: output pixel centres mapped onto input pixel centres, clamped at the edges.
    """
    src = np.clip((np.arange(size_out, dtype=np.float64) + 0.5) * (size_in / size_out) - 0.5, 0, size_in - 1)
    i0 = np.floor(src).astype(np.intp)
    i1 = np.minimum(i0 + 1, size_in - 1)
    return i0, i1, (src - i0).astype(np.float32)


def _row_blocks(i0: np.ndarray, top: int, bottom: int) -> list[tuple[int, int]]:
    """Runs [start, end) of output rows in [top, bottom) that share their source rows."""
    changes = np.flatnonzero(np.diff(i0[top:bottom])) + 1 + top
    edges = [top, *changes.tolist(), bottom]
    return list(zip(edges[:-1], edges[1:]))


def merge_full(
    luma: np.ndarray,
    gain: np.ndarray | None,
    base: np.ndarray,
    *,
    strip_pixels: int,
) -> Image.Image:
    """One variant at full resolution: the planes of ``channel_planes`` upsampled and merged with ``luma``.

    ``luma``: (H, W) uint8 or uint16, the scan's own; ``gain``/``base``: (3, h, w) for this
    variant. Works in strips of about ``strip_pixels``, with float32 buffers of about 32
    bytes per strip pixel reused from strip to strip, so memory does not grow with the
    scan. Numpy releases the GIL: variants merge in parallel threads.
    """
    height, width = luma.shape
    h, w = base.shape[-2:]
    i0, i1, wy = bilinear_taps(h, height)
    j0, j1, wx = bilinear_taps(w, width)
    planes = base if gain is None else np.concatenate([gain, base])  # (P, h, w): gains first
    levels = np.float32(255.0 / np.iinfo(luma.dtype).max)  # 16-bit luma to 8-bit levels
    step = max(1, min(height, strip_pixels // width))
    luma_half = np.empty((step, width), np.float32)  # Y + 0.5 in levels
    channels = np.empty((3, step, width), np.float32)  # output levels before the cast
    scratch = np.empty((step, width), np.float32)
    bad = np.empty((step, width), bool)
    worse = np.empty((step, width), bool)
    planes8 = np.empty((3, step, width), np.uint8)
    out = Image.new("RGB", (width, height), None)  # uninitialised: every strip is pasted
    for top in range(0, height, step):
        bottom = min(height, top + step)
        n = bottom - top
        first = i0[top]
        wide = planes[:, first : i1[bottom - 1] + 1]  # (P, k, w): the source rows this strip needs
        wide = wide[..., j0] * (1 - wx) + wide[..., j1] * wx  # (P, k, W), small: k is about n / scale
        y = luma_half[:n]
        if levels == 1:
            np.add(luma[top:bottom], np.float32(0.5), out=y, dtype=np.float32)
        else:
            np.multiply(luma[top:bottom], levels, out=y, dtype=np.float32)
            y += np.float32(0.5)

        def interpolate(plane: int, dest: np.ndarray, top=top, bottom=bottom, wide=wide, first=first) -> None:  # (n, W) rows of one plane
            for start, end in _row_blocks(i0, top, bottom):
                lo, hi = wide[plane, i0[start] - first], wide[plane, i1[start] - first]
                rows = dest[start - top : end - top]
                np.multiply(wy[start:end, None], hi - lo, out=rows)
                rows += lo

        for c in range(3):
            if gain is None:
                interpolate(c, channels[c, :n])
                channels[c, :n] += y
            else:
                interpolate(c, scratch[:n])
                scratch[:n] *= y
                interpolate(3 + c, channels[c, :n])
                channels[c, :n] += scratch[:n]
        # In gamut (exactly when yuv_to_rgb8 keeps the chroma): 0 <= Y + offset <= 255 for
        # every channel, that is 0.5 <= level <= 255.5 here.
        np.maximum(channels[0, :n], channels[1, :n], out=scratch[:n])
        np.maximum(scratch[:n], channels[2, :n], out=scratch[:n])
        np.greater(scratch[:n], np.float32(255.5), out=bad[:n])
        np.minimum(channels[0, :n], channels[1, :n], out=scratch[:n])
        np.minimum(scratch[:n], channels[2, :n], out=scratch[:n])
        np.less(scratch[:n], np.float32(0.5), out=worse[:n])
        bad[:n] |= worse[:n]
        if bad[:n].any():
            where = np.flatnonzero(bad[:n])
            flat = channels[:, :n].reshape(3, -1)
            y_out = y.reshape(-1)[where]
            u = (flat[2, where] - y_out) / np.float32(_LEVELS_PER_CHROMA[0, 2])
            v = (flat[0, where] - y_out) / np.float32(_LEVELS_PER_CHROMA[1, 0])
            flat[:, where] = yuv_to_rgb8(y_out - np.float32(0.5), u, v).T
        np.copyto(planes8[:, :n], channels[:, :n], casting="unsafe")  # truncation: the +0.5 rounds
        # Pillow interleaves the three planes in C (faster than numpy's strided writes).
        out.paste(Image.merge("RGB", [Image.fromarray(plane[:n]) for plane in planes8]), (0, top))
    return out
