"""Parameter: a Tensor that a Module registers as learnable when it is assigned as an attribute; and
UninitializedParameter, a lazy layer's parameter before its first call fixes its shape."""

from __future__ import annotations

import numpy as np

from ..autograd import _Version
from ..device import check_device
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


_STORAGE = Tensor.__dict__["_data"]  # the slot that holds a tensor's ndarray, read past the property below


class UninitializedParameter(Parameter):
    """A Parameter whose shape is not known yet: what a lazy layer (nn.LazyLinear) holds until its first
    call shows the input's size. ``materialize(shape)`` gives it storage and makes it a plain Parameter,
    the same object, so an optimizer made before the first call still holds it.

    Until then its dtype and requires_grad can be read, and to()/double() change its dtype, but any
    use of its values raises, as in torch.
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        check_device(device)
        placeholder = np.empty((0,), dtype=np.float32 if dtype is None else dtype)
        super().__init__(Tensor._wrap(placeholder), requires_grad=False)
        self.requires_grad = bool(requires_grad)

    @property
    def _data(self):
        raise ValueError(
            "Attempted to use an uninitialized parameter. This error happens when you are using a "
            "`LazyModule` or explicitly manipulating `minimod.nn.parameter.UninitializedParameter` objects. "
            "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
            "calling minimod functions"
        )

    @_data.setter
    def _data(self, array) -> None:
        _STORAGE.__set__(self, array)

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes."
        )

    def size(self, dim=None):
        return self.shape

    @property
    def dtype(self) -> np.dtype:
        return _STORAGE.__get__(self).dtype

    @property
    def data(self) -> Tensor:
        """An empty tensor of this parameter's dtype (what torch's .data gives before materializing)."""
        return Tensor._wrap(_STORAGE.__get__(self))

    @data.setter
    def data(self, value) -> None:  # Module.to(dtype) stores a 0-element tensor of the new dtype here
        _STORAGE.__set__(self, value._data if isinstance(value, Tensor) else np.asarray(value))

    def to(self, *args, **kwargs) -> Tensor:
        """A 0-element tensor of the dtype asked for: Module.to(dtype) stores it, so this parameter
        stays uninitialized with the new dtype."""
        return Tensor._wrap(_STORAGE.__get__(self)).to(*args, **kwargs)

    def requires_grad_(self, requires_grad: bool = True) -> UninitializedParameter:
        self.requires_grad = bool(requires_grad)
        return self

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this parameter uninitialised storage of shape (a layer's reset_parameters fills it)."""
        check_device(device)
        _STORAGE.__set__(self, np.empty(tuple(shape), dtype=self.dtype if dtype is None else dtype))
        self.__class__ = self.cls_to_become

    def __repr__(self) -> str:
        return "<UninitializedParameter>"

    def __deepcopy__(self, memo) -> UninitializedParameter:
        return type(self)(self.requires_grad, dtype=self.dtype)

    def __reduce_ex__(self, protocol):
        return (UninitializedParameter, (self.requires_grad, None, self.dtype))
