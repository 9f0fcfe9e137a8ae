"""Loss Functions: negative log-likelihood on class indices, and mean squared error."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function


def _class_rows(x):
    """(N, C, d1, ...) -> (N·d1·..., C) with the class dim last; (C,) -> (1, C); (N, C) unchanged."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return np.ascontiguousarray(x)
    return np.ascontiguousarray(np.moveaxis(x, 1, -1)).reshape(-1, x.shape[1])


def _unclass_rows(rows, shape):
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = (shape[0], *shape[2:], shape[1])
    return np.ascontiguousarray(np.moveaxis(rows.reshape(moved), -1, 1))


class NllLoss(Function):
    """loss_i = -w[tᵢ] · x[i, tᵢ] (0 where tᵢ = ignore_index), reduced by mean (over Σ w[tᵢ]), sum or none;
    d loss / d x[i, tᵢ] = -w[tᵢ] (÷ Σ w[tᵢ] for mean), zero elsewhere."""

    @staticmethod
    def forward(ctx, log_probs, target, weight, ignore_index, reduction):
        rows = _class_rows(log_probs)
        flat_target = np.ascontiguousarray(target, dtype=np.int64).reshape(-1)
        losses, row_weight = kernels.nll_loss_forward(rows, flat_target, weight, int(ignore_index))
        ctx.save_for_backward(flat_target, row_weight)
        ctx.layout = (log_probs.shape, rows.shape[1], reduction, target.shape)
        if reduction == "none":
            return losses.reshape(target.shape)
        if reduction == "sum":
            return np.asarray(losses.sum(), dtype=log_probs.dtype)
        total = row_weight.sum()
        ctx.total_weight = total
        with np.errstate(invalid="ignore", divide="ignore"):  # everything ignored gives nan, as in torch
            return np.asarray(losses.sum() / total, dtype=log_probs.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        flat_target, row_weight = ctx.saved_tensors
        shape, classes, reduction, _ = ctx.layout
        if reduction == "none":
            grad_rows = np.ascontiguousarray(grad_output).reshape(-1)
        else:
            scale = grad_output if reduction == "sum" else grad_output / ctx.total_weight
            grad_rows = np.full(flat_target.shape, scale, dtype=grad_output.dtype)
        grad = kernels.nll_loss_backward(grad_rows, flat_target, row_weight, classes)
        return _unclass_rows(grad, shape), None


class MseLoss(Function):
    """loss = (x - y)² reduced by mean, sum or none;  dx = 2 (x - y) (÷ n for mean),  dy = -dx."""

    @staticmethod
    def forward(ctx, x, y, reduction):
        diff = x - y
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        squares = diff * diff
        if reduction == "none":
            return squares
        return np.asarray(squares.sum() if reduction == "sum" else squares.mean(), dtype=squares.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (diff,) = ctx.saved_tensors
        scale = 2 * grad_output
        if ctx.reduction == "mean":
            scale = scale / diff.dtype.type(diff.size)
        grad = (diff * scale).astype(diff.dtype, copy=False)
        need_x, need_y = ctx.needs_input_grad
        return (grad if need_x else None), (-grad if need_y else None)
