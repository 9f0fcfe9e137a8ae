"""torch.typename for minimod: how PyTorch names a value's type in its error messages
('minimod.FloatTensor' for a float32 tensor, 'numpy.ndarray', 'int'), for the errors that quote it."""

from __future__ import annotations

from ..tensor import Tensor

_TENSOR_TYPE_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
    "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


def _typename(obj) -> str:
    """torch.typename: 'minimod.FloatTensor' for a float32 tensor, 'numpy.ndarray', 'int', ..."""
    if isinstance(obj, Tensor):
        return "minimod." + _TENSOR_TYPE_NAMES.get(obj.dtype.name, "Tensor")
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module = type(obj).__module__ or ""
        qualname = type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"
