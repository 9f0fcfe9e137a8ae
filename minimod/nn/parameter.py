"""Parameter: a Tensor that a Module registers as learnable when it is assigned as an attribute."""

from __future__ import annotations

import numpy as np

from ..autograd import _Version
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that Module.__setattr__ registers in ``_parameters`` (so parameters() finds it).

    Like torch's, ``Parameter(t)`` shares ``t``'s storage (no copy) and is always a leaf.
    """

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        source = data if isinstance(data, Tensor) else Tensor(data)
        self._data = source._data
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        # sharing storage means sharing the in-place version counter, as a view does
        self._version = source._version if isinstance(data, Tensor) else _Version()
        self._hooks = None
        self._accumulator = None
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        # copy.deepcopy / pickle: rebuild from a copy of the storage, keeping requires_grad
        return (_rebuild_parameter, (self._data, self.requires_grad, self.grad))


def _rebuild_parameter(data, requires_grad, grad):
    param = Parameter(Tensor(data), requires_grad=requires_grad)
    param.grad = grad
    return param
