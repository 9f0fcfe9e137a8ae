"""Activations: the nonlinearities of neural networks (relu, tanh, sigmoid, gelu, leaky_relu) and the
softmax family."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function


class Tanh(Function):
    """z = tanh x;  dz/dx = 1 - z²."""

    @staticmethod
    def forward(ctx, x):
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * (1 - z * z)


class Sigmoid(Function):
    """z = 1 / (1 + e⁻ˣ);  dz/dx = z (1 - z).  Split by sign so exp never overflows."""

    @staticmethod
    def forward(ctx, x):
        z = np.empty_like(x)
        positive = x >= 0
        z[positive] = 1 / (1 + np.exp(-x[positive]))
        e = np.exp(x[~positive])
        z[~positive] = e / (1 + e)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * z * (1 - z)


class Relu(Function):
    """z = max(x, 0);  dz/dx = 1 where x > 0, else 0."""

    @staticmethod
    def forward(ctx, x):
        z = kernels.relu_forward(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        # a mask, not a product: a NaN gradient where z is 0 gives 0, as torch's threshold_backward does
        return kernels.relu_backward(grad_output, z)


class Gelu(Function):
    """y = x · Φ(x) (or its tanh approximation);  dy/dx = Φ(x) + x · φ(x).  A primitive: numpy has no erf."""

    @staticmethod
    def forward(ctx, x, approximate="none"):
        ctx.save_for_backward(x)
        ctx.tanh = approximate == "tanh"
        return kernels.gelu_forward(x, ctx.tanh)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return kernels.gelu_backward(grad_output, x, ctx.tanh)


class LeakyRelu(Function):
    """y = x if x > 0 else slope · x;  dy/dx = 1 or slope.  One pass instead of where + mul."""

    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * x.dtype.type(negative_slope))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, grad_output, grad_output * grad_output.dtype.type(ctx.slope))


def _rows(x, dim):
    """x with dim moved last, as a contiguous (M, D) array, and how to undo it."""
    if x.ndim == 0:
        moved = x.reshape(1)
    else:  # (moveaxis costs more than the small softmax itself when dim is already last)
        moved = x if dim in (-1, x.ndim - 1) else np.moveaxis(x, dim, -1)
    rows = np.ascontiguousarray(moved).reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, 1)
    return rows, moved.shape


def _unrows(rows, moved_shape, dim, ndim):
    out = rows.reshape(moved_shape)
    if ndim == 0:
        return out.reshape(())
    return np.ascontiguousarray(np.moveaxis(out, -1, dim)) if dim % ndim != ndim - 1 else out


class Softmax(Function):
    """y = eˣ / Σ eˣ along dim (shifted by the max, so it never overflows);  dx = y · (dy - Σ dy · y)."""

    @staticmethod
    def forward(ctx, x, dim):
        rows, moved_shape = _rows(x, dim)
        y = kernels.softmax_forward(rows)
        ctx.save_for_backward(y)
        ctx.layout = (moved_shape, dim, x.ndim)
        return _unrows(y, *ctx.layout)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        moved_shape, dim, ndim = ctx.layout
        g, _ = _rows(grad_output, dim)
        return _unrows(kernels.softmax_backward(g, y), moved_shape, dim, ndim)


class LogSoftmax(Function):
    """y = x - max - log Σ e^(x - max) along dim (stable where log(softmax) underflows);
    dx = dy - eʸ · Σ dy."""

    @staticmethod
    def forward(ctx, x, dim):
        rows, moved_shape = _rows(x, dim)
        y = kernels.log_softmax_forward(rows)
        ctx.save_for_backward(y)
        ctx.layout = (moved_shape, dim, x.ndim)
        return _unrows(y, *ctx.layout)

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        moved_shape, dim, ndim = ctx.layout
        g, _ = _rows(grad_output, dim)
        return _unrows(kernels.log_softmax_backward(g, y), moved_shape, dim, ndim)
