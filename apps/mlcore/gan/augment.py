"""Differentiable augmentation of the discriminator's inputs (DiffAugment, Zhao et al. 2020).

With a few thousand photographs a discriminator memorises the training set within a few
hundred steps and its gradients turn the generator's colour garish. DiffAugment applies
the same random, differentiable transforms to every real and every generated sample the
discriminator sees (in both the discriminator's and the generator's update), so it can
no longer memorise, while the generator still gets gradients through the transforms.

Inputs are the stacked (B, 3, H, W) normalised (Y, U, V) the PatchGAN judges. Policies:
``color`` (luma brightness and contrast, chroma saturation), ``translation`` (shift by up
to 1/8 of the size, zero-filled) and ``cutout`` (a square of half the size blanked).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"color,translation"`` → ``("color", "translation")``; an unknown name is an error."""
    names = tuple(name.strip() for name in policy.split(",") if name.strip())
    unknown = set(names) - set(POLICIES)
    if unknown:
        raise ValueError(f"unknown DiffAugment policies: {', '.join(sorted(unknown))} (known: {', '.join(POLICIES)})")
    return names


def _color(x: torch.Tensor) -> torch.Tensor:
    b = x.shape[0]
    rand = lambda: torch.rand(b, 1, 1, 1, device=x.device, dtype=x.dtype)  # noqa: E731
    luma, chroma = x[:, :1], x[:, 1:]
    luma = luma + (rand() - 0.5) * 0.5  # brightness ±0.25 in [-1, 1] units
    mean = luma.mean(dim=(2, 3), keepdim=True)
    luma = (luma - mean) * (rand() + 0.5) + mean  # contrast ×0.5 … ×1.5
    chroma = chroma * (rand() * 2)  # saturation ×0 … ×2
    return torch.cat([luma, chroma], dim=1)


def _translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (b, 1, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (b, 1, 1), device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    rows = (rows + dy).clamp(-1, h)  # -1 and h are the zero padding below
    cols = (cols + dx).clamp(-1, w)
    padded = F.pad(x, (1, 1, 1, 1))
    index = ((rows + 1) * (w + 2) + (cols + 1)).view(b, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.flatten(2).gather(2, index).view_as(x)


def _cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h - ch + 1, (b, 1, 1), device=x.device)
    left = torch.randint(0, w - cw + 1, (b, 1, 1), device=x.device)
    rows = torch.arange(h, device=x.device).view(1, h, 1)
    cols = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


_APPLY = {"color": _color, "translation": _translation, "cutout": _cutout}


def diff_augment(x: torch.Tensor, policies: tuple[str, ...]) -> torch.Tensor:
    """Apply ``policies`` in order to a (B, C, H, W) batch, each sample with its own draw.

    Draws come from torch's global generator (seeded by the trainer), so a run is
    reproducible; every operation is differentiable with respect to ``x``.
    """
    for name in policies:
        x = _APPLY[name](x)
    return x
