"""What load_state_dict refuses to copy into a parameter or buffer: checked before anything is copied.

torch.nn.Module.load_state_dict takes only Tensors; minimod takes numpy arrays too, as long as torch
could have taken them as tensors and the copy keeps their meaning. Refused (each reported with the other
problems of the load, in torch's "While copying the parameter named ..." form):

- a numpy array of a dtype torch.as_tensor cannot convert (object, str, bytes, void, datetime, longdouble):
  torch's own TypeError text;
- a complex numpy array into a real parameter or buffer: the text of torch's warning, which would
  otherwise be numpy's ComplexWarning with the imaginary part silently dropped;
- a bool numpy array into a floating-point parameter or buffer (a mask is not a weight; torch has no
  message for this, since it never takes numpy arrays);
- with assign=True, a value that is not floating point for a Parameter that requires grad: torch's text
  (a complex one too, since minimod has no complex parameters).

minimod Tensors follow torch exactly: a bool or an integer Tensor copies into a float parameter, a
complex one copies with torch's warning (minimod has no complex parameters).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .parameter import Parameter

# the numpy dtypes torch.from_numpy / torch.as_tensor convert (torch 2.13's list, in its order)
TORCH_NUMPY_DTYPES = ("float64", "float32", "float16", "complex64", "complex128", "int64", "int32", "int16",
                      "int8", "uint64", "uint32", "uint16", "uint8", "bool")
_SUPPORTED = ", ".join(TORCH_NUMPY_DTYPES[:-1]) + ", and " + TORCH_NUMPY_DTYPES[-1]


def check_loadable(value, target: Tensor, assign: bool) -> None:
    """Raise TypeError, with the message torch gives where it has one, when value must not be loaded into
    target (a parameter or buffer); return None when it may."""
    dtype = np.dtype(value.dtype) if isinstance(value, Tensor) else np.asarray(value).dtype
    if assign and isinstance(target, Parameter) and target.requires_grad and dtype.kind != "f":
        if dtype.kind == "c":  # torch would make a complex Parameter; minimod has none
            raise TypeError(f"minimod has no complex parameters: only Tensors of floating point dtype can "
                            f"require gradients (this one is {dtype})")
        raise TypeError("Only Tensors of floating point and complex dtype can require gradients")
    if isinstance(value, Tensor) or assign:
        return
    if dtype.name not in TORCH_NUMPY_DTYPES:
        raise TypeError(f"can't convert np.ndarray of type numpy.{dtype.type.__name__}. The only supported "
                        f"types are: {_SUPPORTED}.")
    if dtype.kind == "c" and target.dtype.kind != "c":
        raise TypeError("Casting complex values to real discards the imaginary part")
    if dtype.kind == "b" and target.dtype.kind == "f":
        raise TypeError(f"a bool array would load as 0.0 and 1.0 into a {target.dtype} tensor; convert it "
                        f"first (array.astype(np.{target.dtype})) if that is meant")
