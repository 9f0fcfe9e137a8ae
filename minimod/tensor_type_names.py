"""The names of torch's legacy tensor types (FloatTensor, LongTensor, ...), which Tensor.type() gives
and takes; the classes of those names are in tensor_types.py."""

from __future__ import annotations

import numpy as np

# each legacy type's dtype, in torch's order
LEGACY_TYPES = {
    "FloatTensor": np.dtype(np.float32),
    "DoubleTensor": np.dtype(np.float64),
    "HalfTensor": np.dtype(np.float16),
    "LongTensor": np.dtype(np.int64),
    "IntTensor": np.dtype(np.int32),
    "ShortTensor": np.dtype(np.int16),
    "CharTensor": np.dtype(np.int8),
    "ByteTensor": np.dtype(np.uint8),
    "BoolTensor": np.dtype(np.bool_),
}
_NAME_OF_DTYPE = {dtype: name for name, dtype in LEGACY_TYPES.items()}
_DTYPE_OF_NAME = {
    spelled: dtype
    for name, dtype in LEGACY_TYPES.items()
    for spelled in (name, f"torch.{name}", f"minimod.{name}")
}


def type_name(dtype) -> str:
    """The legacy name of a dtype's tensors: float32 -> "minimod.FloatTensor" (torch says "torch.")."""
    name = _NAME_OF_DTYPE.get(np.dtype(dtype))
    return f"minimod.{name}" if name else f"minimod.{np.dtype(dtype).name}"


def dtype_of_type(kind) -> np.dtype:
    """What Tensor.type(kind) converts to: a dtype, a legacy class (its .dtype), or a legacy name."""
    if isinstance(kind, type) and isinstance(getattr(kind, "dtype", None), np.dtype):
        return kind.dtype  # mm.FloatTensor and the other classes of tensor_types.py
    if isinstance(kind, str):
        if kind not in _DTYPE_OF_NAME:
            raise ValueError(f"invalid type: {kind!r}")
        return _DTYPE_OF_NAME[kind]
    return np.dtype(kind)
