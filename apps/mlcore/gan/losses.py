"""The GAN's losses: adversarial (with label flipping), L1 + L2 reconstruction, mode seeking.

All take the networks' normalised tensors. The discriminator outputs logits, so the
binary cross-entropies here apply the sigmoid themselves (numerically stable).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, *, flip_prob: float = 0.0
) -> torch.Tensor:
    """Binary cross-entropy of the discriminator on real (target 1) and fake (target 0) patches.

    With ``flip_prob`` each sample's targets are swapped with that probability (label
    flipping, the thesis's stabiliser): early on it keeps the discriminator from winning
    so completely that the generator's gradients vanish. The two halves are averaged.
    """
    real_target = torch.ones_like(real_logits)
    fake_target = torch.zeros_like(fake_logits)
    if flip_prob > 0:
        # (B, 1, 1, 1) per-sample coin flips, broadcast over the patch grid.
        flip_real = torch.rand(real_logits.shape[0], 1, 1, 1, device=real_logits.device) < flip_prob
        flip_fake = torch.rand(fake_logits.shape[0], 1, 1, 1, device=fake_logits.device) < flip_prob
        real_target = torch.where(flip_real, 1 - real_target, real_target)
        fake_target = torch.where(flip_fake, 1 - fake_target, fake_target)
    return 0.5 * (
        F.binary_cross_entropy_with_logits(real_logits, real_target)
        + F.binary_cross_entropy_with_logits(fake_logits, fake_target)
    )


def generator_adversarial_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss: maximise log D(G(z)) (eq. 3.1 of the thesis) as BCE against "real"."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def reconstruction_loss(
    fake: torch.Tensor, real: torch.Tensor, *, lambda_l1: float, lambda_l2: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Weighted L1 + L2 between predicted and true chroma; returns (weighted sum, l1, l2).

    The thesis adds both to the adversarial loss because colour regions must line up
    with the luma exactly, which the adversarial loss alone does not enforce.
    """
    l1 = F.l1_loss(fake, real)
    l2 = F.mse_loss(fake, real)
    return lambda_l1 * l1 + lambda_l2 * l2, l1, l2


def mode_seeking_loss(
    fake_a: torch.Tensor,
    fake_b: torch.Tensor,
    noise_a: list[torch.Tensor],
    noise_b: list[torch.Tensor],
    eps: float = 1e-5,
) -> tuple[torch.Tensor, torch.Tensor]:
    """MSGAN mode-seeking term (Mao et al. 2019): 1 / (ratio + eps), returns (loss, ratio).

    ``ratio`` is the mean absolute difference of two outputs for the same luma divided by
    the mean absolute difference of the noise that produced them (all maps together).
    Minimising the loss stops the generator from collapsing every noise draw onto one
    colouring, the pix2pix failure that makes seeds useless to a colorist.
    """
    output_distance = (fake_a - fake_b).abs().mean()
    noise_distance = torch.cat([(a - b).abs().flatten() for a, b in zip(noise_a, noise_b)]).mean()
    ratio = output_distance / noise_distance
    return 1.0 / (ratio + eps), ratio.detach()


def instance_noise_sigma(step: int, total_steps: int, initial: float) -> float:
    """Standard deviation of the instance noise at ``step``: linear from ``initial`` to 0 over the run.

    Noise on both real and fake discriminator inputs makes their distributions overlap
    early on (Sønderby et al. 2016, the thesis's section 3.7.2), and vanishes by the end.
    """
    if total_steps <= 0:
        return 0.0
    return initial * max(0.0, 1.0 - step / total_steps)
