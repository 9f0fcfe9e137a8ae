"""The nnabla seed's blocks (seed 004), the minimod way: ConvBn and the bottleneck ResUnit."""

from __future__ import annotations

import minimod as mm
import minimod.nn.functional as F
from minimod import nn


class ConvBn(nn.Module):
    """Conv2d (no bias: BatchNorm's shift replaces it) -> BatchNorm2d -> optional activation.

    From seed 004 (nnabla's Module API). nnabla creates parameters inside ``call()`` and infers the
    input channels; minimod declares every layer in ``__init__``, so in_channels is an argument.
    BatchNorm2d uses batch statistics in training mode and running ones after ``eval()``, which is
    what nnabla's ``batch_stat=training`` argument chose by hand.
    """

    def __init__(
        self,
        in_channels: int,
        outmaps: int,
        kernel: int = 1,
        stride: int = 1,
        act: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, outmaps, kernel, stride=stride, padding=kernel // 2, bias=False
        )
        self.bn = nn.BatchNorm2d(outmaps)
        self.act = act  # a Module (registered as a child) or None

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        h = self.bn(self.conv(x))
        if self.act is None:
            return h
        return self.act(h)


class ResUnit(nn.Module):
    """Bottleneck residual unit: 1x1 (channels/4) -> 3x3 (channels/4, stride) -> 1x1 (channels), + skip.

    From seed 004. The skip path is a strided 1x1 ConvBn when skip_by_conv is true (needed when the
    input's channels or size differ from the output's); otherwise the input is added unchanged.
    nnabla builds ``skip`` even when it is not used; here it exists only when it is used, so every
    parameter gets a gradient.
    """

    def __init__(self, in_channels: int, channels: int, stride: int = 1, skip_by_conv: bool = True) -> None:
        super().__init__()
        self.conv1 = ConvBn(in_channels, channels // 4, 1, 1, act=nn.ReLU())
        self.conv2 = ConvBn(channels // 4, channels // 4, 3, stride, act=nn.ReLU())
        self.conv3 = ConvBn(channels // 4, channels, 1)
        self.skip_by_conv = skip_by_conv
        self.skip = ConvBn(in_channels, channels, 1, stride) if skip_by_conv else None

    def forward(self, x: mm.Tensor) -> mm.Tensor:
        h = self.conv1(x)
        h = self.conv2(h)
        h = self.conv3(h)
        s = x
        if self.skip_by_conv:
            s = self.skip(s)
        return F.relu(h + s)
