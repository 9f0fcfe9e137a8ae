"""Ways to make a Tensor: from data, filled with a constant, or random."""

from __future__ import annotations

import builtins

import numpy as np

from . import random as _random
from .device import check_device
from .functions.elementwise import Where
from .functions.shape import Cat, Stack, _wrap_dim
from .tensor import _DEFAULT_DTYPE, Tensor
from .tensor_math import _operand

_check_device = check_device

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_
int8, int16, uint8 = np.int8, np.int16, np.uint8
# torch spells these too
half, float, double, long, int, short, bool = float16, float32, float64, int64, int32, int16, bool_  # noqa: A001
# torch.dtype, the type of the names above (isinstance(x.dtype, mm.dtype) holds)
dtype = np.dtype


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}


def _torch_name(dtype) -> str:
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _shape(shape, size=None) -> tuple:
    """The sizes given as *size (ints, or one tuple) or as size=: torch takes both."""
    if size is not None:
        if shape:
            raise TypeError("give the shape either as positional sizes or as size=, not both")
        shape = (size,)
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


def zeros(*shape, dtype=None, requires_grad: bool = False, device=None, size=None) -> Tensor:
    _check_device(device)
    return _make(np.zeros(_shape(shape, size), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False, device=None, size=None) -> Tensor:
    _check_device(device)
    return _make(np.ones(_shape(shape, size), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False, device=None, size=None) -> Tensor:
    _check_device(device)
    return _make(np.empty(_shape(shape, size), dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    _check_device(device)
    return _make(np.full(tuple(size), fill_value, dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    _check_device(device)
    return _make(np.zeros(input.shape, dtype=dtype or input.dtype), requires_grad)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    _check_device(device)
    return _make(np.ones(input.shape, dtype=dtype or input.dtype), requires_grad)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False,  # noqa: A002
              device=None) -> Tensor:
    _check_device(device)
    return _make(np.full(input.shape, fill_value, dtype=dtype or input.dtype), requires_grad)


def empty_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    _check_device(device)
    return _make(np.empty(input.shape, dtype=dtype or input.dtype), requires_grad)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    """rand of input's shape and dtype (a floating one: torch refuses integer tensors here)."""
    dtype = np.dtype(dtype or input.dtype)
    if dtype.kind != "f":
        raise NotImplementedError(f'"check_uniform_bounds" not implemented for \'{_torch_name(dtype)}\'')
    return rand(*input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:  # noqa: A002
    dtype = np.dtype(dtype or input.dtype)
    if dtype.kind != "f":
        raise NotImplementedError(f'"normal_kernel_cpu" not implemented for \'{_torch_name(dtype)}\'')
    return randn(*input.shape, dtype=dtype, requires_grad=requires_grad, device=device)


def randn(*shape, dtype=None, requires_grad: bool = False, device=None, size=None, generator=None) -> Tensor:
    """Samples of the standard normal distribution (reproducible after mm.manual_seed)."""
    _check_device(device)
    array = _random.generator(generator).standard_normal(_shape(shape, size), dtype=np.float64)
    return _make(array.astype(dtype or _DEFAULT_DTYPE), requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False, device=None, size=None, generator=None) -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    _check_device(device)
    array = _random.generator(generator).random(_shape(shape, size), dtype=np.float64)
    return _make(array.astype(dtype or _DEFAULT_DTYPE), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from [low, high): randint(high, size) or randint(low, high, size)."""
    _check_device(device)
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing the argument 'size' (a tuple of ints)")
    if requires_grad:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    draws = _random.generator(generator).integers(low, high, size=tuple(size))
    return Tensor._wrap(draws.astype(dtype or np.int64))


def randperm(n: int, *, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A random permutation of 0, ..., n-1 (int64 unless dtype says otherwise)."""
    _check_device(device)
    order = _random.generator(generator).permutation(builtins.int(n))
    return _make(order.astype(dtype or np.int64), requires_grad)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator=None) -> Tensor:
    """Category indices drawn with probability proportional to the weights in each row of input
    (1-D: one distribution; 2-D: one per row). Without replacement, no index repeats within a row."""
    weights = input._data if isinstance(input, Tensor) else input
    return Tensor._wrap(_random.multinomial_indices(weights, num_samples, replacement, generator))


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """The n×m identity matrix (m = n by default): ones on the diagonal, zeros elsewhere."""
    _check_device(device)
    return _make(np.eye(n, n if m is None else m, dtype=dtype or _DEFAULT_DTYPE), requires_grad)


def linspace(start, end, steps: int, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """steps numbers evenly spaced from start to end, both included."""
    _check_device(device)
    return _make(np.linspace(start, end, steps).astype(dtype or _DEFAULT_DTYPE), requires_grad)


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
