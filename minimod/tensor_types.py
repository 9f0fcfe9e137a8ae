"""torch's legacy typed tensor classes: FloatTensor, LongTensor, ...

Older tutorials write ``torch.FloatTensor([1, 2])`` (a float32 tensor of that data) or
``torch.FloatTensor(2, 3)`` (an uninitialised 2×3 one), and ``isinstance(x, torch.FloatTensor)``.
Each class here makes a plain Tensor of its dtype; isinstance asks the tensor's dtype. The names and
their dtypes are in tensor_type_names.py, which Tensor.type() reads (it cannot import this file: this
file imports Tensor).
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor
from .tensor_type_names import LEGACY_TYPES


class _TensorType(type):
    """The metaclass: isinstance(t, FloatTensor) is "t is a float32 Tensor", as in torch."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'minimod.{cls.__name__}'>"


class _LegacyTensor(metaclass=_TensorType):
    dtype = LEGACY_TYPES["FloatTensor"]

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
    dtype = LEGACY_TYPES["FloatTensor"]


class DoubleTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["DoubleTensor"]


class HalfTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["HalfTensor"]


class LongTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["LongTensor"]


class IntTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["IntTensor"]


class ShortTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["ShortTensor"]


class CharTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["CharTensor"]


class ByteTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["ByteTensor"]


class BoolTensor(_LegacyTensor):
    dtype = LEGACY_TYPES["BoolTensor"]


_TYPES = (FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor,
          CharTensor, ByteTensor, BoolTensor)


__all__ = [t.__name__ for t in _TYPES]
