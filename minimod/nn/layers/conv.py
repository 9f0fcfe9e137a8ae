"""Conv2d: a learned filter bank slid over a (N, C, H, W) input."""

from __future__ import annotations

import math

import numpy as np

from ...creation import cat, zeros
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter
from ._utils import _empty, _pair

_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


class Conv2d(Module):
    """2-D cross-correlation: out[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c], weight (out, in/groups, kh, kw)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        stride = _pair(stride)
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}"
                )
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = stride
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation = _pair(dilation)
        self.transposed = False
        self.output_padding = (0, 0)
        self.groups = groups
        self.padding_mode = padding_mode
        self.weight = Parameter(
            _empty((out_channels, in_channels // groups, *self.kernel_size), device, dtype)
        )
        if bias:
            self.bias = Parameter(_empty((out_channels,), device, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # as Linear: weight and bias both end up in U(-1/√fan_in, 1/√fan_in)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _padding_amounts(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) zeros around the input."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            # the output keeps the input's size; an odd total puts the extra row/column at the end
            (dh, dw), (kh, kw) = self.dilation, self.kernel_size
            total_h, total_w = dh * (kh - 1), dw * (kw - 1)
            return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
        ph, pw = self.padding
        return (ph, ph, pw, pw)

    def forward(self, input: Tensor) -> Tensor:
        top, bottom, left, right = self._padding_amounts()
        if self.padding_mode == "zeros" and top == bottom and left == right:
            return F.conv2d(
                input, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups
            )
        padded = _pad2d(input, (top, bottom, left, right), self.padding_mode)
        return F.conv2d(padded, self.weight, self.bias, self.stride, (0, 0), self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _pad2d(input: Tensor, amounts: tuple[int, int, int, int], mode: str) -> Tensor:
    """Pad the last two dims of input by (top, bottom, left, right), differentiably."""
    top, bottom, left, right = amounts
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
            f"{list(input.shape)}"
        )
    if mode == "zeros":
        height_axis, dtype = input.ndim - 2, input.dtype
        if top or bottom:
            leading, width = input.shape[:-2], input.shape[-1]
            input = cat([zeros(*leading, top, width, dtype=dtype), input,
                         zeros(*leading, bottom, width, dtype=dtype)], dim=height_axis)
        if left or right:
            leading = input.shape[:-1]
            input = cat([zeros(*leading, left, dtype=dtype), input,
                         zeros(*leading, right, dtype=dtype)], dim=height_axis + 1)
        return input
    # reflect / replicate / circular: gather rows and columns by index, which is differentiable
    rows = _source_indices(input.shape[-2], top, bottom, mode)
    columns = _source_indices(input.shape[-1], left, right, mode)
    return input[..., rows, :][..., columns]


def _source_indices(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each position of the padded axis, the input position it copies."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        if before > size or after > size:
            raise ValueError("Padding value causes wrapping around more than once.")
        return positions % size
    if before >= size or after >= size:
        raise ValueError(
            f"Argument #4: Padding size should be less than the corresponding input dimension, "
            f"but got: padding ({before}, {after}) at dimension of input size {size}"
        )
    period = 2 * (size - 1) if size > 1 else 1
    positions = np.abs(positions) % period  # reflect: mirror about the first and last element
    return np.where(positions >= size, period - positions, positions)
