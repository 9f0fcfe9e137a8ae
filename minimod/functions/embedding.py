"""Embedding lookup: rows of a weight table picked by integer indices."""

from __future__ import annotations

import numpy as np

from ..autograd import Function


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
