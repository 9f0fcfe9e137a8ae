"""Elementwise arithmetic and math: forward and backward side by side, on ndarrays (the nonlinearities of
neural networks: activation.py; matrix products: matmul.py)."""

from __future__ import annotations

import numpy as np

from .. import kernels
from ..autograd import Function


class Add(Function):
    """z = a + b;  dz/da = 1,  dz/db = 1  (broadcast grads are reduced by Function.apply)."""

    @staticmethod
    def forward(ctx, a, b):
        return kernels.add(a, b)  # a + b; large results into a recycled buffer

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """z = a - b;  dz/da = 1,  dz/db = -1."""

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output, -grad_output


class Mul(Function):
    """z = a * b;  dz/da = b,  dz/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_output * b if need_a else None), (grad_output * a if need_b else None)


class Div(Function):
    """z = a / b;  dz/da = 1/b,  dz/db = -a/b²."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_output / b if need_a else None
        grad_b = -grad_output * a / (b * b) if need_b else None
        return grad_a, grad_b


class Neg(Function):
    """z = -a;  dz/da = -1."""

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, grad_output):
        return -grad_output


class Pow(Function):
    """z = a ** p for a constant p;  dz/da = p · a^(p-1)."""

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return a**exponent

    @staticmethod
    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        p = ctx.exponent
        return grad_output * (p * a ** (p - 1)), None


class PowTensor(Function):
    """z = a ** b;  dz/da = b · a^(b-1),  dz/db = z · ln a."""

    node_name = "PowBackward1"
    op_name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        z = a**b
        ctx.save_for_backward(a, b, z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        a, b, z = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_output * b * a ** (b - 1) if need_a else None
        if need_b:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = grad_output * z * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0)
        else:
            grad_b = None
        return grad_a, grad_b


class Exp(Function):
    """z = eˣ;  dz/dx = z."""

    @staticmethod
    def forward(ctx, x):
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * z


class Log(Function):
    """z = ln x;  dz/dx = 1/x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / x


class Sqrt(Function):
    """z = √x;  dz/dx = 1 / (2z)."""

    @staticmethod
    def forward(ctx, x):
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output / (2 * z)


class Sin(Function):
    """z = sin x;  dz/dx = cos x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * np.cos(x)


class Cos(Function):
    """z = cos x;  dz/dx = -sin x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output * np.sin(x)


class MaskedFill(Function):
    """z = value where mask, else x (an attention mask);  dz/dx = 1 where not masked, 0 where masked."""

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=x.dtype), x)

    @staticmethod
    def backward(ctx, grad_output):
        return np.where(ctx.mask, np.zeros((), grad_output.dtype), grad_output), None, None


class Tril(Function):
    """z = the lower triangle of x's last two dims (from `diagonal` down), zeros above;  the gradient
    keeps the same triangle."""

    @staticmethod
    def forward(ctx, x, diagonal=0):
        ctx.diagonal = diagonal
        return np.tril(x, diagonal)

    @staticmethod
    def backward(ctx, grad_output):
        return np.tril(grad_output, ctx.diagonal)


class Triu(Function):
    """z = the upper triangle of x's last two dims (from `diagonal` up), zeros below;  the gradient
    keeps the same triangle."""

    @staticmethod
    def forward(ctx, x, diagonal=0):
        ctx.diagonal = diagonal
        return np.triu(x, diagonal)

    @staticmethod
    def backward(ctx, grad_output):
        return np.triu(grad_output, ctx.diagonal)


class Abs(Function):
    """z = |x|;  dz/dx = sign(x) (0 at 0, as in torch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * np.sign(x)


class Clamp(Function):
    """z = min(max(x, lo), hi);  dz/dx = 1 inside [lo, hi], else 0."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min=None, max=None):  # noqa: A002 - torch's argument names
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        ctx.save_for_backward(x)
        ctx.bounds = (min, max)
        return np.clip(x, min, max).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        inside = np.ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return grad_output * inside


class ClampMin(Clamp):
    """z = max(x, lo);  dz/dx = 1 where x >= lo."""

    node_name = "ClampMinBackward0"


class ClampMax(Clamp):
    """z = min(x, hi);  dz/dx = 1 where x <= hi."""

    node_name = "ClampMaxBackward0"


class Reciprocal(Function):
    """z = 1/x;  dz/dx = -z²."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore"):
            z = np.reciprocal(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return -grad_output * z * z


class Rsqrt(Function):
    """z = 1/√x;  dz/dx = -z³/2."""

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.reciprocal(np.sqrt(x))
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * (z * z * z) * z.dtype.type(-0.5)


class Log1p(Function):
    """z = log(1 + x), exact for small x;  dz/dx = 1/(1 + x)."""

    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + x)


class Expm1(Function):
    """z = eˣ - 1, exact for small x;  dz/dx = z + 1."""

    @staticmethod
    def forward(ctx, x):
        z = np.expm1(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * (z + 1)


class _Steps(Function):
    """A piecewise-constant function (sign, floor, ceil, round): its gradient is 0 everywhere (torch's
    choice at the jumps too)."""

    @staticmethod
    def backward(ctx, grad_output):
        return np.zeros_like(grad_output)


class Sign(_Steps):
    """z = -1, 0 or 1 by the sign of x."""

    @staticmethod
    def forward(ctx, x):
        return np.sign(x)


class Floor(_Steps):
    """z = the largest integer <= x."""

    @staticmethod
    def forward(ctx, x):
        return np.floor(x)


class Ceil(_Steps):
    """z = the smallest integer >= x."""

    @staticmethod
    def forward(ctx, x):
        return np.ceil(x)


class Round(_Steps):
    """z = x rounded to the nearest integer, halves to even (as torch and numpy round)."""

    @staticmethod
    def forward(ctx, x):
        return np.round(x)


class Clone(Function):
    """z = copy of x;  dz/dx = 1."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class Cast(Function):
    """z = x converted to dtype;  the gradient is converted back."""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.source_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output.astype(ctx.source_dtype)


class Where(Function):
    """z = cond ? a : b;  dz/da = cond,  dz/db = not cond."""

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition.astype(bool)
        return np.where(ctx.condition, a, b)

    @staticmethod
    def backward(ctx, grad_output):
        zero = np.zeros((), dtype=grad_output.dtype)
        return None, np.where(ctx.condition, grad_output, zero), np.where(ctx.condition, zero, grad_output)
