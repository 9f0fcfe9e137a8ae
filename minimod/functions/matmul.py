"""Matrix products as Functions on ndarrays: dot, mv, mm, addmm (linear's) and bmm.

torch.matmul and nn.functional.linear are built from these, node for node as torch records them, in
minimod/composites/matmul.py and minimod/composites/linear.py.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function


class Dot(Function):
    """z = a · b of two vectors;  dz/da = g·b,  dz/db = g·a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_output * b if need_a else None), (grad_output * a if need_b else None)


class Mv(Function):
    """z = M · v;  dM = g ⊗ v (outer product),  dv = Mᵀ · g."""

    @staticmethod
    def forward(ctx, m, v):
        ctx.save_for_backward(m, v)
        return m @ v

    @staticmethod
    def backward(ctx, grad_output):
        m, v = ctx.saved_tensors
        need_m, need_v = ctx.needs_input_grad
        return (np.outer(grad_output, v) if need_m else None), (m.T @ grad_output if need_v else None)


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


class Bmm(Function):
    """Z[i] = A[i] · B[i] over one batch dim;  dA = G · Bᵀ,  dB = Aᵀ · G (batch by batch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = np.matmul(grad_output, b.transpose(0, 2, 1)) if need_a else None
        grad_b = np.matmul(a.transpose(0, 2, 1), grad_output) if need_b else None
        return grad_a, grad_b
