"""Loss Functions: negative log-likelihood on class indices, mean squared error, binary cross-entropy."""

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
        if total:
            return np.asarray(losses.sum() / total, dtype=log_probs.dtype)
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


def _reduce(losses, reduction):
    if reduction == "none":
        return losses
    total = losses.sum() if reduction == "sum" else losses.mean()
    return np.asarray(total, dtype=losses.dtype)


def _unreduce(grad_output, reduction, size):
    """What each element's loss receives from the reduced loss's gradient: g, or g / n for mean."""
    if reduction == "mean":
        return grad_output / grad_output.dtype.type(size)
    return grad_output


class BinaryCrossEntropy(Function):
    """loss = -w · (y log x + (1 - y) log(1 - x)), each log clamped at -100 (torch's rule, so x = 0 or 1
    gives a finite loss), reduced by mean, sum or none;
    dx = w · (x - y) / max(x (1 - x), 1e-12),  dy = w · (log(1 - x) - log x)."""

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        losses = (y - 1) * log_1mx - y * log_x
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.reduction, ctx.size = weight, reduction, losses.size
        return _reduce(losses.astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        scale = _unreduce(grad_output, ctx.reduction, ctx.size)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        grad_x = grad_y = None
        if need_x:
            grad_x = (scale * (x - y) / np.maximum((1 - x) * x, 1e-12)).astype(x.dtype, copy=False)
        if need_y:
            with np.errstate(divide="ignore"):
                log_ratio = np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100)
            grad_y = (scale * log_ratio).astype(y.dtype, copy=False)
        return grad_x, grad_y


class BinaryCrossEntropyWithLogits(Function):
    """loss = w · ((1 - y) x - L · log σ(x)) with L = 1 + (pos_weight - 1) y: binary cross-entropy of σ(x),
    in one stable formula (a primitive for stability: log σ(x) = min(x, 0) - log(1 + e^-|x|) never
    overflows, where σ then log would lose everything for large |x|);
    dx = w · (L σ(x) - pos_weight · y),  dy = w · (-x + (pos_weight - 1) · softplus(-x))."""

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        if pos_weight is not None:
            log_sigmoid = log_sigmoid * ((pos_weight - 1) * y + 1)
        losses = (1 - y) * x - log_sigmoid
        if weight is not None:
            losses = losses * weight
        ctx.save_for_backward(x, y)
        ctx.weight, ctx.pos_weight, ctx.reduction, ctx.size = weight, pos_weight, reduction, losses.size
        return _reduce(losses.astype(np.result_type(x, y), copy=False), reduction)

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        scale = _unreduce(grad_output, ctx.reduction, ctx.size)
        if ctx.weight is not None:
            scale = scale * ctx.weight
        pos_weight = ctx.pos_weight
        grad_x = grad_y = None
        if need_x:
            sigmoid = 0.5 * (np.tanh(0.5 * x) + 1)  # σ(x), without exp's overflow for large -x
            if pos_weight is None:
                grad_x = (sigmoid - y) * scale
            else:
                weighted_y = pos_weight * y
                grad_x = ((weighted_y + 1 - y) * sigmoid - weighted_y) * scale
            grad_x = grad_x.astype(x.dtype, copy=False)
        if need_y:
            grad_y = -x
            if pos_weight is not None:
                softplus_neg = np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
                grad_y = grad_y + (pos_weight - 1) * softplus_neg
            grad_y = (grad_y * scale).astype(y.dtype, copy=False)
        return grad_x, grad_y
