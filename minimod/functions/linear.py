"""The affine map of nn.Linear, recorded node for node as torch records it, and embedding lookup."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from .elementwise import Add, Clone
from .shape import Permute, Reshape, Squeeze, Unsqueeze, View


class T(Permute):
    """z = Wᵀ of a 2-D matrix (torch's ``weight.t()``);  the gradient is transposed back."""

    node_name = "TBackward0"


class Addmm(Function):
    """Y = b + X · Wt for a 2-D X and Wt = Wᵀ;  db = Σ_rows dY,  dX = dY · Wtᵀ,  dWt = Xᵀ · dY.

    torch's argument order (bias, input, weight.t()), so next_functions read as torch's do. A primitive
    for speed: one BLAS call each way instead of a matmul node and an add node.
    """

    @staticmethod
    def forward(ctx, bias, x, weight_t):
        ctx.save_for_backward(x, weight_t)
        out = x @ weight_t
        out += bias
        return out

    @staticmethod
    def backward(ctx, grad_output):
        x, weight_t = ctx.saved_tensors
        need_bias, need_x, need_weight = ctx.needs_input_grad
        grad_bias = grad_output.sum(axis=0) if need_bias else None
        grad_x = grad_output @ weight_t.T if need_x else None
        grad_weight_t = _transposed_weight_grad(grad_output, x) if need_weight else None
        return grad_bias, grad_x, grad_weight_t


class Mm(Function):
    """Y = X · Wt of two matrices (linear without bias; matmul);  dX = dY · Wtᵀ,  dWt = Xᵀ · dY.

    `of_weight` (linear's case): Wt is a weight's transpose, so its gradient is made in the order that
    TBackward0 turns back into a C-ordered weight gradient."""

    @staticmethod
    def forward(ctx, x, weight_t, of_weight=True):
        ctx.save_for_backward(x, weight_t)
        ctx.of_weight = of_weight
        return x @ weight_t

    @staticmethod
    def backward(ctx, grad_output):
        x, weight_t = ctx.saved_tensors
        need_x, need_weight = ctx.needs_input_grad
        grad_x = grad_output @ weight_t.T if need_x else None
        grad_weight_t = None
        if need_weight:
            grad_weight_t = _transposed_weight_grad(grad_output, x) if ctx.of_weight else x.T @ grad_output
        return grad_x, grad_weight_t


def _transposed_weight_grad(grad_output, x):
    # Xᵀ · dY computed as (dYᵀ · X)ᵀ: TBackward transposes it back into a C-ordered weight gradient
    return (grad_output.T @ x).T


class UnsafeView(Reshape):
    """torch's _unsafe_view: a reshape of a tensor no one else holds (mm's result, a fresh copy)."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)


def linear(input, weight, bias=None):
    """input @ weight.T + bias, recorded as torch 2.13's at::linear records it.

    2-D input with bias: AddmmBackward0(bias, input, TBackward0(weight)). With bias and a contiguous
    input of another rank: the input viewed as rows, addmm, the result viewed back (ViewBackward0
    around it). Otherwise matmul(input, weight.t()) then + bias (AddBackward0): MmBackward0 for 2-D;
    a 1-D input is unsqueezed to one row and squeezed back (SqueezeBackward4); more dims are viewed as
    rows (a copy first when not contiguous) and the result UnsafeViewBackward0.
    """
    weight_t = T.apply(weight, dims=(1, 0))
    if bias is not None and input.ndim == 2:
        return Addmm.apply(bias, input, weight_t)
    rows = (math.prod(input.shape[:-1]), input.shape[-1])
    out_shape = (*input.shape[:-1], weight.shape[0])
    contiguous = input.numpy().flags.c_contiguous
    if bias is not None and contiguous:
        return View.apply(Addmm.apply(bias, View.apply(input, shape=rows), weight_t), shape=out_shape)
    if input.ndim == 1:
        output = Squeeze.apply(Mm.apply(Unsqueeze.apply(input, shape=rows), weight_t), shape=out_shape,
                               node_name="SqueezeBackward4")
    elif input.ndim == 2:
        output = Mm.apply(input, weight_t)
    else:
        copied = input if contiguous else Clone.apply(input)  # torch's reshape copies a strided input
        flat = (View if contiguous else UnsafeView).apply(copied, shape=rows)
        output = UnsafeView.apply(Mm.apply(flat, weight_t), shape=out_shape)
    return output if bias is None else Add.apply(output, bias)


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
