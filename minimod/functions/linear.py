"""The affine map of nn.Linear (one fused Function) and embedding lookup."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Addmm(Function):
    """Y = X · Wᵀ + b over the last dim of X;  dX = dY · W,  dW = dYᵀ · X,  db = Σ dY.

    A primitive for speed: one node and one BLAS call each way instead of transpose, matmul and add.
    """

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        x2 = x.reshape(-1, x.shape[-1])
        out = x2 @ weight.T
        if bias is not None:
            out += bias
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return out.reshape(*x.shape[:-1], weight.shape[0])

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad if ctx.has_bias else (*ctx.needs_input_grad, False)
        g2 = grad_output.reshape(-1, weight.shape[0])
        grad_x = (g2 @ weight).reshape(x.shape) if need_x else None
        grad_w = g2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        grad_b = g2.sum(axis=0) if need_b else None
        return (grad_x, grad_w, grad_b) if ctx.has_bias else (grad_x, grad_w)


class Mm(Addmm):
    """Y = X · Wᵀ (linear without bias);  dX = dY · W,  dW = dYᵀ · X."""


class Embedding(Function):
    """y = W[indices];  dW[i] += dy at every position holding index i (never at padding_idx)."""

    @staticmethod
    def forward(ctx, indices, weight, padding_idx=None):
        ctx.save_for_backward(indices)
        ctx.weight_shape, ctx.padding_idx = weight.shape, padding_idx
        return weight[indices]

    @staticmethod
    def backward(ctx, grad_output):
        (indices,) = ctx.saved_tensors
        grad = np.zeros(ctx.weight_shape, dtype=grad_output.dtype)
        np.add.at(grad, indices.reshape(-1), grad_output.reshape(-1, ctx.weight_shape[1]))
        if ctx.padding_idx is not None:
            grad[ctx.padding_idx] = 0
        return None, grad
