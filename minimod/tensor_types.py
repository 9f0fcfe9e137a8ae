"""torch's legacy typed tensor classes: FloatTensor, LongTensor, ... and the names Tensor.type() gives.

Older tutorials write ``torch.FloatTensor([1, 2])`` (a float32 tensor of that data) or
``torch.FloatTensor(2, 3)`` (an uninitialised 2×3 one), and ``isinstance(x, torch.FloatTensor)``.
Each class here makes a plain Tensor of its dtype; isinstance asks the tensor's dtype.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor


class _TensorType(type):
    """The metaclass: isinstance(t, FloatTensor) is "t is a float32 Tensor", as in torch."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'minimod.{cls.__name__}'>"


class _LegacyTensor(metaclass=_TensorType):
    dtype = np.dtype(np.float32)

    def __new__(cls, *args) -> Tensor:
        if not args:
            return Tensor._wrap(np.empty((0,), dtype=cls.dtype))
        if all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in args):
            return Tensor._wrap(np.empty(tuple(int(a) for a in args), dtype=cls.dtype))  # sizes
        if len(args) > 1:
            raise TypeError(f"{cls.__name__}() takes sizes as ints, or one sequence of data (got {args!r})")
        data = args[0]._data if isinstance(args[0], Tensor) else args[0]
        return Tensor._wrap(np.array(data, dtype=cls.dtype))


class FloatTensor(_LegacyTensor):
    dtype = np.dtype(np.float32)


class DoubleTensor(_LegacyTensor):
    dtype = np.dtype(np.float64)


class HalfTensor(_LegacyTensor):
    dtype = np.dtype(np.float16)


class LongTensor(_LegacyTensor):
    dtype = np.dtype(np.int64)


class IntTensor(_LegacyTensor):
    dtype = np.dtype(np.int32)


class ShortTensor(_LegacyTensor):
    dtype = np.dtype(np.int16)


class CharTensor(_LegacyTensor):
    dtype = np.dtype(np.int8)


class ByteTensor(_LegacyTensor):
    dtype = np.dtype(np.uint8)


class BoolTensor(_LegacyTensor):
    dtype = np.dtype(np.bool_)


_TYPES = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor,
          BoolTensor)
_BY_DTYPE = {t.dtype: t for t in _TYPES}
_BY_NAME = {name: t for t in _TYPES for name in (t.__name__, f"torch.{t.__name__}", f"minimod.{t.__name__}")}


def type_name(dtype) -> str:
    """The legacy name of a dtype's tensors: float32 -> "minimod.FloatTensor" (torch says "torch.")."""
    legacy = _BY_DTYPE.get(np.dtype(dtype))
    return f"minimod.{legacy.__name__}" if legacy else f"minimod.{np.dtype(dtype).name}"


def dtype_of_type(kind) -> np.dtype:
    """What Tensor.type(kind) converts to: a dtype, a legacy class, or a legacy name as a string."""
    if isinstance(kind, _TensorType):
        return kind.dtype
    if isinstance(kind, str):
        if kind not in _BY_NAME:
            raise ValueError(f"invalid type: {kind!r}")
        return _BY_NAME[kind].dtype
    return np.dtype(kind)


__all__ = [t.__name__ for t in _TYPES]
