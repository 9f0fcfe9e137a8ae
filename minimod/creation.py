"""Ways to make a Tensor: from data, filled with a constant, or random."""

from __future__ import annotations

import builtins

import numpy as np

from . import random as _random
from .functions.elementwise import Where
from .functions.shape import Cat, Stack, _wrap_dim
from .tensor import _DEFAULT_DTYPE, Tensor
from .tensor_math import _operand

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_
# torch spells these too
half, float, double, long, int = float16, float32, float64, int64, int32  # noqa: A001


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}


def _check_device(where) -> None:
    if where is not None and str(where).partition(":")[0] != "cpu":
        raise RuntimeError(
            f"minimod runs on the CPU only; cannot make a tensor on {str(where)!r} (use device='cpu')"
        )


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _make(array, requires_grad):
    tensor = Tensor._wrap(array)
    return tensor.requires_grad_(True) if requires_grad else tensor


def tensor(data, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new Tensor that owns a copy of data (floats become float32; an ndarray keeps its dtype)."""
    _check_device(device)
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        array = np.array(data, dtype=dtype, copy=True)
    else:
        array = np.array(data, dtype=dtype)
        if dtype is None and array.dtype == np.float64:
            array = array.astype(_DEFAULT_DTYPE)
    return _make(array, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing the ndarray's memory: changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _make(np.zeros(_shape(shape), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _make(np.ones(_shape(shape), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _make(np.empty(_shape(shape), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _make(np.full(tuple(size), fill_value, dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    _check_device(device)
    return _make(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    _check_device(device)
    return _make(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the standard normal distribution (reproducible after mm.manual_seed)."""
    _check_device(device)
    array = _random.generator().standard_normal(_shape(shape), dtype=np.float64)
    return _make(array.astype(dtype or _DEFAULT_DTYPE), requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    _check_device(device)
    array = _random.generator().random(_shape(shape), dtype=np.float64)
    return _make(array.astype(dtype or _DEFAULT_DTYPE), requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    _check_device(device)
    if high is None:
        low, high = 0, low
    return Tensor._wrap(_random.generator().integers(low, high, size=tuple(size)).astype(dtype or np.int64))


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """torch.arange: integers give int64, any float gives float32."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, (builtins.float, np.floating)) for v in (start, end, step))
        dtype = _DEFAULT_DTYPE if is_float else np.int64
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    first = tensors[0].shape
    axis = _wrap_dim(dim, len(first))
    for number, other in enumerate(tensors[1:], start=1):
        if len(other.shape) != len(first):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(other.shape)}"
            )
        for d, (expected, got) in enumerate(zip(first, other.shape)):
            if d != axis and expected != got:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {expected} but "
                    f"got size {got} for tensor number {number} in the list. (cat of shapes "
                    f"{' and '.join(str(tuple(t.shape)) for t in tensors)})"
                )
    return Cat.apply(*_promoted(tensors), dim=axis)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for entry, other in enumerate(tensors[1:], start=1):
        if other.shape != tensors[0].shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at entry 0 "
                f"and {list(other.shape)} at entry {entry}"
            )
    return Stack.apply(*_promoted(tensors), dim=dim)


def _promoted(tensors: list) -> list:
    """torch's promotion for cat and stack: integers next to a float take that float dtype (float32,
    where numpy would give float64); floats of several widths take the widest."""
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1:
        return tensors
    floats = [d for d in dtypes if d.kind == "f"]
    target = builtins.max(floats, key=lambda d: d.itemsize) if floats else np.result_type(*dtypes)
    return [t if t.dtype == target else t.to(target) for t in tensors]


def where(condition, input, other) -> Tensor:  # noqa: A002 - torch's argument names
    """Elementwise choice: input where condition is true, else other (a Python number takes the
    other operand's dtype, as in torch: where(c, float32 tensor, 0.0) is float32)."""
    if not isinstance(condition, Tensor):
        condition = Tensor._wrap(np.asarray(condition))
    if condition.dtype not in (np.bool_, np.uint8):
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{_TORCH_NAMES.get(condition.dtype.name, condition.dtype.name)}"
        )
    if isinstance(input, Tensor):
        other = _operand(other, input)
    elif isinstance(other, Tensor):
        input = _operand(input, other)
    else:
        input, other = tensor(input), tensor(other)
    # an integer operand next to a floating one takes the floating dtype (torch's promotion)
    if input.dtype.kind == "f" and other.dtype.kind != "f":
        other = Tensor._wrap(other._data.astype(input.dtype))
    elif other.dtype.kind == "f" and input.dtype.kind != "f":
        input = Tensor._wrap(input._data.astype(other.dtype))
    return Where.apply(condition, input, other)


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("np", "builtins")]
