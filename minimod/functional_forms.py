"""torch's function forms of the Tensor methods (mm.exp(x), mm.sum(x, 1), mm.max(x, dim=0), ...).

Each one calls the Tensor method of the same name, so the two spellings cannot drift apart; the
comparisons allclose and equal, which answer a Python bool, are the only ones with logic of their own.
"""

from __future__ import annotations

import builtins

import numpy as np

from .functions.reduction import MaxResult, MinResult
from .tensor import Tensor
from .tensor_math import TensorMath, _operand

# --- elementwise -------------------------------------------------------------------------------


def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    return input.abs()


def exp(input: Tensor) -> Tensor:
    return input.exp()


def sin(input: Tensor) -> Tensor:
    return input.sin()


def cos(input: Tensor) -> Tensor:
    return input.cos()


def square(input: Tensor) -> Tensor:
    return input.square()


def isnan(input: Tensor) -> Tensor:
    return input.isnan()


def isinf(input: Tensor) -> Tensor:
    return input.isinf()


def isfinite(input: Tensor) -> Tensor:
    return input.isfinite()


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    return input.masked_fill(mask, value)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.tril(diagonal)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    return input.triu(diagonal)


def cumsum(input: Tensor, dim: int) -> Tensor:
    return input.cumsum(dim)


def prod(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.prod(dim, keepdim)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return input.amax(dim, keepdim)


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    return input.amin(dim, keepdim)


def sort(input: Tensor, dim: int = -1, descending: bool = False):
    return input.sort(dim, descending)


def argsort(input: Tensor, dim: int = -1, descending: bool = False) -> Tensor:
    return input.argsort(dim, descending)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    return input.topk(k, dim, largest, sorted)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    return input.narrow(dim, start, length)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    return input.dot(tensor)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    return input.mv(vec)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    return input.mm(mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    return input.bmm(mat2)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.outer(vec2)


def log(input: Tensor) -> Tensor:
    return input.log()


def sqrt(input: Tensor) -> Tensor:
    return input.sqrt()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def relu(input: Tensor) -> Tensor:
    return input.relu()


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - torch's argument names
    return input.clamp(min, max)


clip = clamp


def neg(input: Tensor) -> Tensor:
    return input.neg()


def pow(input: Tensor, exponent) -> Tensor:  # noqa: A001 - torch's name
    return input.pow(exponent)


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    return _into(out, input @ other, "matmul", input, other)


# --- arithmetic, with torch's out= -----------------------------------------------------------------


def add(input: Tensor, other, *, alpha=1, out: Tensor | None = None) -> Tensor:
    return _into(out, _as_tensor(input, other).add(other, alpha=alpha), "add", input, other)


def sub(input: Tensor, other, *, alpha=1, out: Tensor | None = None) -> Tensor:
    return _into(out, _as_tensor(input, other).sub(other, alpha=alpha), "sub", input, other)


def mul(input: Tensor, other, *, out: Tensor | None = None) -> Tensor:
    return _into(out, _as_tensor(input, other).mul(other), "mul", input, other)


def div(input: Tensor, other, *, rounding_mode=None, out: Tensor | None = None) -> Tensor:
    return _into(out, _as_tensor(input, other).div(other, rounding_mode=rounding_mode), "div", input, other)


true_divide, multiply, subtract = div, mul, sub


def _as_tensor(input, other) -> Tensor:
    """input as a Tensor: torch.mul(2, t) works too (the number takes t's dtype)."""
    return input if isinstance(input, TensorMath) else _operand(input, other)


def _into(out: Tensor | None, result: Tensor, name: str, *inputs) -> Tensor:
    """torch's out=: the result written into out (resized when its shape differs, as torch does, with
    its warning), refused when autograd would have to record it."""
    if out is None:
        return result
    from .autograd import is_grad_enabled

    recorded = builtins.any(isinstance(t, TensorMath) and t.requires_grad for t in (*inputs, out))
    if recorded and is_grad_enabled():  # (builtins.any: this module's `any` is torch.any)
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if result.dtype.kind == "f" and out.dtype.kind != "f":
        raise RuntimeError(f"result type {_torch_name(result.dtype)} can't be cast to the desired output "
                           f"type {_torch_name(out.dtype)}")
    if out.shape != result.shape:
        if out.numel():
            import warnings

            warnings.warn(
                f"An output with one or more elements was resized since it had shape {list(out.shape)}, "
                f"which does not match the required output shape {list(result.shape)}. This behavior is "
                "deprecated, and in a future PyTorch release outputs will not be resized unless they have "
                "zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                "elements with t.resize_(0).",
                stacklevel=3,
            )
        out._data = np.empty(result.shape, dtype=out.dtype)
    out._data[...] = result._data
    out._version.value += 1
    return out


# --- reductions ------------------------------------------------------------------------------


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    return input.mean(dim, keepdim, dtype=dtype)


def var(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    return input.var(dim, unbiased=unbiased, keepdim=keepdim, correction=correction)


def std(input: Tensor, dim=None, unbiased: bool = True, keepdim: bool = False, *, correction=None) -> Tensor:
    return input.std(dim, unbiased=unbiased, keepdim=keepdim, correction=correction)


def max(input: Tensor, dim=None, keepdim: bool = False) -> Tensor | MaxResult:  # noqa: A001
    """The largest element, or with dim the (values, indices) named tuple along that dimension."""
    return input.max(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False) -> Tensor | MinResult:  # noqa: A001
    """The smallest element, or with dim the (values, indices) named tuple along that dimension."""
    return input.min(dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmin(dim, keepdim)


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return input.all(dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return input.any(dim, keepdim)


# --- shape -----------------------------------------------------------------------------------


def reshape(input: Tensor, shape) -> Tensor:
    return input.reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def permute(input: Tensor, dims) -> Tensor:
    return input.permute(dims)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def squeeze(input: Tensor, dim=None) -> Tensor:
    return input.squeeze(dim)


def t(input: Tensor) -> Tensor:
    return input.t()


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.softmax(dim) if dtype is None else input.to(dtype).softmax(dim)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return input.log_softmax(dim) if dtype is None else input.to(dtype).log_softmax(dim)


# --- comparisons that answer a Python bool ------------------------------------------------------


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """True when |input - other| <= atol + rtol * |other| everywhere (broadcasting; same dtype, as torch)."""
    _check_tensors("allclose", input, other)
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{_torch_name(a.dtype)} did not match {_torch_name(b.dtype)}")
    _check_broadcast(a.shape, b.shape)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same elements (dtypes may differ; nan never equals)."""
    _check_tensors("equal", input, other)
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))


def _check_tensors(name: str, input, other) -> None:
    for position, (argument, value) in enumerate((("input", input), ("other", other)), start=1):
        if not isinstance(value, TensorMath):
            raise TypeError(
                f"{name}(): argument '{argument}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )


def _check_broadcast(shape_a: tuple, shape_b: tuple) -> None:
    """torch's message when two shapes cannot broadcast."""
    ndim = len(shape_a) if len(shape_a) > len(shape_b) else len(shape_b)
    a = (1,) * (ndim - len(shape_a)) + tuple(shape_a)
    b = (1,) * (ndim - len(shape_b)) + tuple(shape_b)
    for dim in reversed(range(ndim)):
        if a[dim] != b[dim] and a[dim] != 1 and b[dim] != 1:
            raise RuntimeError(
                f"The size of tensor a ({a[dim]}) must match the size of tensor b ({b[dim]}) at "
                f"non-singleton dimension {dim}"
            )


def _torch_name(dtype) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
             "bool": "Bool", "uint8": "Byte", "int16": "Short", "int8": "Char"}
    return names.get(np.dtype(dtype).name, np.dtype(dtype).name)


__all__ = [
    "sin", "cos", "square", "isnan", "isinf", "isfinite", "masked_fill", "tril", "triu", "cumsum",
    "prod", "amax", "amin", "sort", "argsort", "topk", "narrow", "dot", "mv", "mm", "bmm", "outer",
    "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "relu_", "clamp", "clip", "neg", "pow", "matmul",
    "sum", "mean", "var", "std", "max", "argmax", "min", "argmin", "all", "any", "reshape", "flatten",
    "transpose", "permute",
    "unsqueeze", "squeeze", "t", "numel", "is_tensor", "allclose", "equal",
    "add", "sub", "mul", "div", "true_divide", "multiply", "subtract", "is_floating_point", "softmax",
    "log_softmax",
]
