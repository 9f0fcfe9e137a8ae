"""2-D convolution (im2col + one matrix product per group, and its backward) and its argument checks."""

from __future__ import annotations

from .. import kernels
from ..autograd import Function


class Convolution(Function):
    """y = W ⋆ x + b (cross-correlation).  With cols = im2col(x) (N·L, C·kh·kw), one row per output pixel,
    and dY as rows (N·L, O):  Y = cols · W₂ᵀ + b;  dW₂ = dYᵀ · cols,  dx = col2im(dY · W₂),  db = Σ dY
    (one product per group).

    A primitive for speed: BLAS products instead of a loop over kernel positions.
    ``padding`` is (top, left); bottom and right padding are implied by ``output_size``.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, stride, padding, dilation, groups, output_size):
        (sh, sw), (ph, pw), (dh, dw), (oh, ow) = stride, padding, dilation, output_size
        # cols: what the backend's backward needs (the patches, or the fast backend's padded input)
        out, cols = kernels.conv2d_forward(x, weight, bias, sh, sw, ph, pw, dh, dw, oh, ow, groups)
        ctx.save_for_backward(weight, cols)
        ctx.geometry = (x.shape, sh, sw, ph, pw, dh, dw, groups)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    def backward(ctx, grad_output):
        weight, cols = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        return kernels.conv2d_backward(
            grad_output, cols, weight, *ctx.geometry, need_x, need_w, need_b and ctx.has_bias
        )


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
