"""Batch norm and layer norm, each one fused Function (for speed and float64 statistics)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function


def _affine(array, size, fill, dtype):
    """weight/bias as an array, or ones/zeros when the caller gave None."""
    return np.full(size, fill, dtype=dtype) if array is None else array


class NativeBatchNorm(Function):
    """Training: y = (x - μ_B) / √(σ²_B + ε) · w + b over (N, spatial) per channel, and the running
    statistics move by momentum (running_var with the unbiased batch variance).
    Evaluation: μ, σ² are the running statistics, so y is affine in x.

    Backward (training): dx = w/σ · (dy - mean(dy) - x̂ · mean(dy · x̂)),  dw = Σ dy · x̂,  db = Σ dy.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        shape = x.shape
        x = np.ascontiguousarray(x)
        x3 = x.reshape(shape[0], shape[1], -1)
        c = shape[1]
        w = _affine(weight, c, 1.0, x.dtype)
        b = _affine(bias, c, 0.0, x.dtype)
        if training:
            out, mean, var = kernels.batch_norm_forward(x3, w, b, float(eps))
            if running_mean is not None:
                count = x3.shape[0] * x3.shape[2]
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (count / max(count - 1, 1))
        else:
            mean, var = running_mean.astype(np.float64), running_var.astype(np.float64)
            scale = w / np.sqrt(var + eps)
            out = (x3 * scale[:, None] + (b - mean * scale)[:, None]).astype(x.dtype, copy=False)
        ctx.save_for_backward(x, w)  # x itself, so an in-place change to it is caught
        ctx.stats = (mean, var, float(eps), bool(training), shape)
        ctx.has_affine = (weight is not None, bias is not None)
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        mean, var, eps, training, shape = ctx.stats
        x3 = x.reshape(shape[0], shape[1], -1)
        g3 = np.ascontiguousarray(grad_output).reshape(x3.shape)
        if training:
            grad_x, grad_w, grad_b = kernels.batch_norm_backward(g3, x3, mean, var, w, eps)
        else:
            invstd = 1.0 / np.sqrt(var + eps)
            grad_x = (g3 * (w * invstd)[:, None]).astype(g3.dtype, copy=False)
            x_hat = (x3 - mean[:, None]) * invstd[:, None]
            grad_w = (g3 * x_hat).sum(axis=(0, 2)).astype(g3.dtype)
            grad_b = g3.sum(axis=(0, 2))
        has_weight, has_bias = ctx.has_affine
        return grad_x.reshape(shape), grad_w if has_weight else None, grad_b if has_bias else None


class NativeLayerNorm(Function):
    """y = (x - μ) / √(σ² + ε) · w + b over the last len(normalized_shape) dims.

    dx = 1/σ · (dy·w - mean(dy·w) - x̂ · mean(dy·w·x̂)),  dw = Σ dy · x̂,  db = Σ dy.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, normalized_shape, eps):
        size = int(np.prod(normalized_shape))
        x = np.ascontiguousarray(x)
        x2 = x.reshape(-1, size)
        w = _affine(None if weight is None else weight.reshape(-1), size, 1.0, x.dtype)
        b = _affine(None if bias is None else bias.reshape(-1), size, 0.0, x.dtype)
        out, mean, rstd = kernels.layer_norm_forward(x2, w, b, float(eps))
        ctx.save_for_backward(x, w)
        ctx.stats = (mean, rstd, x.shape, tuple(normalized_shape))
        ctx.has_affine = (weight is not None, bias is not None)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, grad_output):
        x, w = ctx.saved_tensors
        mean, rstd, shape, normalized_shape = ctx.stats
        x2 = x.reshape(-1, w.size)
        g2 = np.ascontiguousarray(grad_output).reshape(x2.shape)
        grad_x, grad_w, grad_b = kernels.layer_norm_backward(g2, x2, mean, rstd, w)
        has_weight, has_bias = ctx.has_affine
        return (
            grad_x.reshape(shape),
            grad_w.reshape(normalized_shape) if has_weight else None,
            grad_b.reshape(normalized_shape) if has_bias else None,
        )
