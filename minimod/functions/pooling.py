"""2-D pooling: max (with the indices of the maxima), average and adaptive average."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function
from .conv import pair


class MaxPool2DWithIndices(Function):
    """y = max over each window, i = where it was;  dx[i] += dy (the gradient goes to the argmax)."""

    differentiable_outputs = (True, False)

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, dilation, output_size):
        x = np.ascontiguousarray(x)
        out, indices = kernels.max_pool2d_forward(x, *kernel_size, *stride, *padding, *dilation, *output_size)
        ctx.save_for_backward(indices)
        ctx.input_hw = x.shape[2:]
        return out, indices

    @staticmethod
    def backward(ctx, grad_output, _grad_indices):
        (indices,) = ctx.saved_tensors
        return kernels.max_pool2d_backward(np.ascontiguousarray(grad_output), indices, *ctx.input_hw)


class AvgPool2D(Function):
    """y = Σ window / divisor;  dx = dy / divisor spread over each window."""

    @staticmethod
    def forward(ctx, x, kernel_size, stride, padding, output_size, count_include_pad, divisor_override):
        x = np.ascontiguousarray(x)
        ctx.args = (*kernel_size, *stride, *padding, bool(count_include_pad), int(divisor_override or 0))
        ctx.input_hw = x.shape[2:]
        return kernels.avg_pool2d_forward(x, *kernel_size, *stride, *padding, *output_size, *ctx.args[6:])

    @staticmethod
    def backward(ctx, grad_output):
        return kernels.avg_pool2d_backward(np.ascontiguousarray(grad_output), *ctx.input_hw, *ctx.args)


class AdaptiveAvgPool2D(Function):
    """y[i, j] = mean of window [⌊iH/oh⌋, ⌈(i+1)H/oh⌉) × [⌊jW/ow⌋, ⌈(j+1)W/ow⌉);  dx = dy / window size."""

    @staticmethod
    def forward(ctx, x, output_size):
        ctx.input_hw = x.shape[2:]
        return kernels.adaptive_avg_pool2d_forward(np.ascontiguousarray(x), *output_size)

    @staticmethod
    def backward(ctx, grad_output):
        return kernels.adaptive_avg_pool2d_backward(np.ascontiguousarray(grad_output), *ctx.input_hw)


# --- geometry ----------------------------------------------------------------------------------------


def _output_length(size, kernel, pad, stride, dilation, ceil_mode):
    """torch's pooling_output_shape: floor (or ceil) division, and no window starting in the padding."""
    numerator = size + 2 * pad - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = numerator // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


def pool2d_geometry(shape, kernel_size, stride, padding, dilation, ceil_mode):
    """Check pooling arguments like torch; return (kernel, stride, padding, dilation, (oh, ow))."""
    kernel = pair(kernel_size, "kernel_size")
    stride = (
        kernel
        if stride is None or (isinstance(stride, (tuple, list)) and not stride)
        else pair(stride, "stride")
    )
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    if min(kernel) <= 0:
        raise RuntimeError(f"kernel_size must be greater than zero, but got kernel_size={list(kernel)}")
    if min(stride) <= 0:
        raise RuntimeError("stride should not be zero")
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={list(dilation)}")
    for p, k, d in zip(padding, kernel, dilation):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, kernel_size={k} and "
                f"dilation={d}"
            )
    c, h, w = shape[-3:]
    oh = _output_length(h, kernel[0], padding[0], stride[0], dilation[0], ceil_mode)
    ow = _output_length(w, kernel[1], padding[1], stride[1], dilation[1], ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). "
            "Output size is too small"
        )
    return kernel, stride, padding, dilation, (oh, ow)
