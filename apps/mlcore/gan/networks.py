"""The generator (U-Net with multi-scale noise) and the conditional PatchGAN discriminator.

Shapes follow PyTorch's (B, C, H, W). Both networks take normalised values (see
``colorspace``): luma ``2 Y - 1`` and chroma ``(U / 0.436, V / 0.615)``, all in [-1, 1].
This module does no I/O; ``checkpoint`` saves and rebuilds these networks from their
configs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn


def _from_dict(cls, values: dict):
    """Build a config dataclass from a dict, refusing keys it does not know."""
    known = {f.name for f in fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(sorted(unknown))}")
    return cls(**values)


@dataclass(frozen=True)
class GeneratorConfig:
    """Architecture of the U-Net generator; stored in every checkpoint.

    ``depth`` strided down blocks halve the resolution each, so inputs must be a multiple
    of ``2 ** depth`` (the inference code pads). Block ``i`` has
    ``min(base_filters * 2 ** i, max_filters)`` filters. ``noise_channels`` Gaussian maps
    are concatenated to the luma at the input (the thesis's design); with
    ``multiscale_noise`` the ``noise_levels`` deepest up blocks also get their own noise
    maps at their resolution, where a coarse map can move the colour of a whole region
    (pix2pix found input noise alone is ignored). ``dropout`` applies to the first
    ``dropout_blocks`` up blocks during training only, so inference is a pure function of
    (weights, image, noise).
    """

    base_filters: int = 32
    depth: int = 6
    max_filters: int = 256
    noise_channels: int = 1
    multiscale_noise: bool = True
    noise_levels: int = 3
    dropout: float = 0.5
    dropout_blocks: int = 3

    def __post_init__(self):
        if self.depth < 2:
            raise ValueError("depth must be at least 2")
        if not 0 <= self.noise_levels <= self.depth - 1:
            raise ValueError(f"noise_levels must be between 0 and depth - 1 ({self.depth - 1})")
        if self.noise_channels < 0 or self.base_filters < 1:
            raise ValueError("noise_channels must be >= 0 and base_filters >= 1")

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (``2 ** depth``)."""
        return 2**self.depth

    def to_dict(self) -> dict:
        """The config as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> GeneratorConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are an error."""
        return _from_dict(cls, values)


@dataclass(frozen=True)
class DiscriminatorConfig:
    """Architecture of the conditional PatchGAN discriminator.

    ``layers`` strided blocks followed by two stride-1 convolutions; ``layers=3`` is the
    pix2pix 70×70 PatchGAN, which maps a 256×256 input to a 30×30 grid of patch logits.
    ``spectral_norm`` (Miyato et al. 2018) bounds every convolution's Lipschitz constant
    in place of batch norm: on a few thousand images it keeps the discriminator from
    memorising the training set and overpowering the generator.
    """

    base_filters: int = 64
    layers: int = 3
    spectral_norm: bool = False

    def to_dict(self) -> dict:
        """The config as plain JSON-able values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> DiscriminatorConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are an error."""
        return _from_dict(cls, values)


def init_weights(module: nn.Module) -> None:
    """pix2pix initialisation: convolutions N(0, 0.02), batch-norm scales N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _down(in_channels: int, out_channels: int) -> nn.Sequential:
    # Kernel 4 with stride 2 halves exactly and, unlike 3, is divisible by the stride,
    # which avoids checkerboard artefacts in the mirrored transposed convolutions.
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(0.2, inplace=True),
    )


def _up(in_channels: int, out_channels: int, dropout: float) -> nn.Sequential:
    layers = [
        nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class UNetGenerator(nn.Module):
    """U-Net from luma (+ noise) to chroma: ``forward(luma, noise) -> chroma``.

    ``luma`` is (B, 1, H, W) in [-1, 1]; ``noise`` is a list of tensors with the shapes
    ``noise_shapes(H, W)`` gives (per sample), standard normal; the result is (B, 2, H, W)
    normalised U, V in [-1, 1].
    """

    def __init__(self, config: GeneratorConfig):
        super().__init__()
        self.config = config
        widths = [min(config.base_filters * 2**i, config.max_filters) for i in range(config.depth)]
        nc = config.noise_channels
        self.down = nn.ModuleList(
            _down(1 + nc if i == 0 else widths[i - 1], widths[i]) for i in range(config.depth)
        )
        up = []
        # Up block j takes the deeper features (plus the mirrored skip except at the
        # bottleneck, plus its noise maps) up to the resolution of down block depth-2-j.
        for j in range(config.depth - 1):
            level = config.depth - 1 - j
            in_channels = widths[level] * (1 if j == 0 else 2) + (nc if self._has_level_noise(j) else 0)
            dropout = config.dropout if j < config.dropout_blocks else 0.0
            up.append(_up(in_channels, widths[level - 1], dropout))
        self.up = nn.ModuleList(up)
        self.head = nn.Sequential(nn.ConvTranspose2d(widths[0] * 2, 2, 4, stride=2, padding=1), nn.Tanh())
        self.apply(init_weights)

    def _has_level_noise(self, j: int) -> bool:
        return self.config.multiscale_noise and self.config.noise_channels > 0 and j < self.config.noise_levels

    def noise_shapes(self, height: int, width: int) -> list[tuple[int, int, int]]:
        """Per-sample shapes (C, h, w) of the noise maps ``forward`` expects for an H×W input.

        The first is the full-resolution map concatenated to the luma; the others, when
        multi-scale noise is on, feed the deepest up blocks, coarsest first.
        """
        nc, depth = self.config.noise_channels, self.config.depth
        if nc == 0:
            return []
        shapes = [(nc, height, width)]
        for j in range(depth - 1):
            if self._has_level_noise(j):
                scale = 2 ** (depth - j)
                shapes.append((nc, height // scale, width // scale))
        return shapes

    def forward(self, luma: torch.Tensor, noise: list[torch.Tensor]) -> torch.Tensor:
        maps = iter(noise)
        x = torch.cat([luma, next(maps)], dim=1) if self.config.noise_channels else luma  # (B, 1+nc, H, W)
        skips = []
        for block in self.down:
            x = block(x)  # (B, widths[i], H / 2^(i+1), W / 2^(i+1))
            skips.append(x)
        skips.pop()  # the bottleneck is x itself
        for j, block in enumerate(self.up):
            if self._has_level_noise(j):
                x = torch.cat([x, next(maps)], dim=1)
            x = block(x)  # (B, widths[level-1], twice the resolution)
            x = torch.cat([x, skips.pop()], dim=1)  # (B, 2 * widths[level-1], ...)
        return self.head(x)  # (B, 2, H, W)


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: ``forward(luma, chroma) -> logits`` of shape (B, 1, h, w).

    The luma condition (B, 1, H, W) and the chroma to judge (B, 2, H, W) are stacked into
    (Y, U, V); each output logit says whether its ~70×70 patch looks real. Logits, not
    probabilities: the loss applies the sigmoid for numerical stability.
    """

    def __init__(self, config: DiscriminatorConfig):
        super().__init__()
        self.config = config
        f, sn = config.base_filters, config.spectral_norm
        wrap = nn.utils.parametrizations.spectral_norm if sn else (lambda conv: conv)
        layers: list[nn.Module] = [wrap(nn.Conv2d(3, f, 4, stride=2, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
        width = f
        for n in range(1, config.layers + 1):
            next_width = f * min(2**n, 8)
            stride = 2 if n < config.layers else 1
            layers.append(wrap(nn.Conv2d(width, next_width, 4, stride=stride, padding=1, bias=sn)))
            if not sn:
                layers.append(nn.BatchNorm2d(next_width))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            width = next_width
        layers.append(wrap(nn.Conv2d(width, 1, 4, stride=1, padding=1)))
        self.model = nn.Sequential(*layers)
        if not sn:
            self.apply(init_weights)

    def forward(self, luma: torch.Tensor, chroma: torch.Tensor) -> torch.Tensor:
        return self.model(torch.cat([luma, chroma], dim=1))  # (B, 1, H/8 - 2, W/8 - 2) for layers=3
