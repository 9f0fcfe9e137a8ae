"""2-D convolution as im2col + one matrix product per group, and its backward (col2im)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function


class Convolution(Function):
    """y = W ⋆ x + b (cross-correlation).  With cols = im2col(x) (C·kh·kw, N·L):
    Y = W₂ · cols;  dW = dY · colsᵀ,  dx = col2im(W₂ᵀ · dY),  db = Σ dY.

    A primitive for speed: one BLAS product instead of a loop over kernel positions.
    ``padding`` is (top, left); bottom and right padding are implied by ``output_size``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, output_size):
        n, c, h, w = x.shape
        out_channels, _, kh, kw = weight.shape
        oh, ow = output_size
        x = np.ascontiguousarray(x)
        cols = kernels.im2col(
            x, kh, kw, stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], oh, ow
        )
        w2 = weight.reshape(out_channels, -1)
        if groups == 1:
            out2 = w2 @ cols
        else:
            out2 = np.empty((out_channels, cols.shape[1]), dtype=cols.dtype)
            og, rows = out_channels // groups, cols.shape[0] // groups
            for g in range(groups):
                np.matmul(
                    w2[g * og : (g + 1) * og],
                    cols[g * rows : (g + 1) * rows],
                    out=out2[g * og : (g + 1) * og],
                )
        if bias is not None:
            out2 += bias[:, None]
        ctx.save_for_backward(weight, cols)
        ctx.geometry = (n, c, h, w, kh, kw, stride, padding, dilation, oh, ow, groups)
        ctx.has_bias = bias is not None
        # (O, N·L) -> (N, O, oh, ow)
        return np.ascontiguousarray(out2.reshape(out_channels, n, oh, ow).transpose(1, 0, 2, 3))

    @staticmethod
    def backward(ctx, grad_output):
        weight, cols = ctx.saved_tensors
        n, c, h, w, kh, kw, stride, padding, dilation, oh, ow, groups = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        out_channels = weight.shape[0]
        g2 = np.ascontiguousarray(grad_output.transpose(1, 0, 2, 3)).reshape(out_channels, n * oh * ow)
        w2 = weight.reshape(out_channels, -1)
        og, rows = out_channels // groups, cols.shape[0] // groups
        grad_x = grad_w = grad_b = None
        if need_w:
            if groups == 1:
                grad_w = (g2 @ cols.T).reshape(weight.shape)
            else:
                grad_w = np.concatenate(
                    [g2[g * og : (g + 1) * og] @ cols[g * rows : (g + 1) * rows].T for g in range(groups)]
                ).reshape(weight.shape)
        if need_x:
            if groups == 1:
                grad_cols = w2.T @ g2
            else:
                grad_cols = np.concatenate(
                    [w2[g * og : (g + 1) * og].T @ g2[g * og : (g + 1) * og] for g in range(groups)]
                )
            grad_x = kernels.col2im(
                grad_cols,
                n,
                c,
                h,
                w,
                kh,
                kw,
                stride[0],
                stride[1],
                padding[0],
                padding[1],
                dilation[0],
                dilation[1],
                oh,
                ow,
            )
        if need_b and ctx.has_bias:
            grad_b = g2.sum(axis=1)
        return grad_x, grad_w, grad_b


# --- geometry: torch's argument forms and checks --------------------------------------------------


def pair(value, name: str) -> tuple[int, int]:
    """An int or a 1- or 2-sequence as (rows, columns), as torch accepts for 2-D ops."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            return int(value[0]), int(value[0])
        if len(value) != 2:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of 2 values to match the "
                f"convolution dimensions, but got {name}={list(value)}"
            )
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv2d_geometry(x_shape, w_shape, stride, padding, dilation, groups):
    """Check conv2d's arguments like torch and return (stride, (top, left), dilation, (oh, ow))."""
    n, c, h, w = x_shape
    out_channels, c_per_group, kh, kw = w_shape
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    if min(stride) <= 0:
        raise RuntimeError("non-positive stride is not supported")
    if min(dilation) <= 0:
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if out_channels % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got "
            f"weight of size {list(w_shape)} instead"
        )
    if c != c_per_group * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(w_shape)}, expected input{list(x_shape)} to have "
            f"{c_per_group * groups} channels, but got {c} channels instead"
        )
    extent_h, extent_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if isinstance(padding, str):
        if padding == "valid":
            pads = (0, 0, 0, 0)
        elif padding == "same":
            if stride != (1, 1):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # an even kernel pads one more row/column after than before, as torch does
            top, left = (extent_h - 1) // 2, (extent_w - 1) // 2
            pads = (top, extent_h - 1 - top, left, extent_w - 1 - left)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        ph, pw = pair(padding, "padding")
        if min(ph, pw) < 0:
            raise RuntimeError("negative padding is not supported")
        pads = (ph, ph, pw, pw)
    padded_h, padded_w = h + pads[0] + pads[1], w + pads[2] + pads[3]
    if padded_h < extent_h or padded_w < extent_w:
        raise RuntimeError(
            f"Calculated padded input size per channel: ({padded_h} x {padded_w}). Kernel size: "
            f"({extent_h} x {extent_w}). Kernel size can't be greater than actual input size"
        )
    oh = (padded_h - extent_h) // stride[0] + 1
    ow = (padded_w - extent_w) // stride[1] + 1
    return stride, (pads[0], pads[2]), dilation, (oh, ow)
