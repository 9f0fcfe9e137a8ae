"""Tensor: an ndarray plus what autograd needs to send gradients back to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from . import autograd, tensor_math
from . import random as _random
from ._tensor_str import tensor_repr
from .autograd import _Version
from .device import CPU, check_device, device
from .functions import activation as A
from .functions import elementwise as E
from .hooks import _notify, _op_observers, one_op
from .tensor_math import _DEFAULT_DTYPE, TensorMath
from .tensor_type_names import dtype_of_type, type_name

if TYPE_CHECKING:
    from .hooks import RemovableHandle


class Tensor(TensorMath):
    """An n-dimensional array that remembers how it was computed, so it can be differentiated.

    This file holds what a tensor is (storage, autograd fields, in-place changes, conversion); its
    math (``a + b``, ``x.sum()``, ``x.reshape(...)``) is inherited from TensorMath in tensor_math.py.
    """

    __slots__ = (
        "_data",
        "grad",
        "requires_grad",
        "grad_fn",
        "_output_nr",
        "_version",
        "_hooks",
        "_accumulator",
        "_retains_grad",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data, dtype=None, requires_grad: bool = False) -> None:
        self._data = _as_array(data, dtype)
        self.grad = None
        self.requires_grad = False
        self.grad_fn = None
        self._output_nr = 0
        self._version = _Version()
        self._hooks = None
        self._accumulator = None
        self._retains_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """A Tensor around an existing ndarray, with no checks (the fast path for op results)."""
        tensor = object.__new__(Tensor)
        tensor._data = array
        tensor.grad = None
        tensor.requires_grad = False
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._version = _Version()
        tensor._hooks = None
        tensor._accumulator = None
        tensor._retains_grad = False
        return tensor

    # --- what a tensor is --------------------------------------------------------------------

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None) -> tuple | int:
        if dim is None:
            return self._data.shape
        ndim = self._data.ndim
        if ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        if not -ndim <= dim < ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got {dim})"
            )
        return self._data.shape[dim]

    def numel(self) -> int:
        return int(self._data.size)

    # --- memory layout ---------------------------------------------------------------------------

    def is_contiguous(self) -> bool:
        """True when the elements lie in memory row after row, with no gaps (C order)."""
        return bool(self._data.flags.c_contiguous)

    def stride(self, dim: int | None = None) -> tuple[int, ...] | int:
        """How many elements apart consecutive entries of each dim lie in memory (numpy counts bytes)."""
        strides = tuple(step // self._data.itemsize for step in self._data.strides)
        if dim is None:
            return strides
        self.size(dim)  # torch's error for a dim out of range
        return strides[dim]

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    # --- new tensors of this one's dtype ---------------------------------------------------------

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.zeros, size, dtype, requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.ones, size, dtype, requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> Tensor:
        return self._new(np.empty, size, dtype, requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
        def make(shape, dtype):
            return np.full(shape, fill_value, dtype)

        return self._new(make, (size,), dtype, requires_grad)

    def _new(self, make, size, dtype, requires_grad: bool) -> Tensor:
        shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
        out = Tensor._wrap(make(tuple(int(s) for s in shape), dtype=np.dtype(dtype or self._data.dtype)))
        if requires_grad:
            out.requires_grad_()
        return out

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def device(self) -> device:
        """Always the CPU: device(type='cpu'), which is also the string "cpu"."""
        return CPU

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self):  # noqa: N802 - torch's name
        return self.permute(*reversed(range(self.ndim)))

    # --- leaving autograd ----------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """The tensor's own storage (not a copy): writing into it changes the tensor."""
        return self._data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.item()

    def tolist(self) -> list | float | int | bool:
        return self._data.tolist()

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's storage, outside the graph."""
        out = Tensor._wrap(self._data)
        out._version = self._version
        return out

    @property
    def data(self) -> Tensor:
        """A Tensor sharing this storage, outside autograd (changes to it are not version-tracked)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    def clone(self) -> Tensor:
        return E.Clone.apply(self)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    # --- autograd ------------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and not np.issubdtype(self._data.dtype, np.floating):
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients (this one is {self.dtype})"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None) -> None:
        autograd.backward(self, gradient, retain_graph=bool(retain_graph))

    def register_hook(self, hook) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new grad."""
        from .hooks import RemovableHandle

        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            node = self.grad_fn
            if node._tensor_pre_hooks is None:
                node._tensor_pre_hooks = {}
            hooks = node._tensor_pre_hooks.setdefault(self._output_nr, {})
        else:
            if self._hooks is None:
                self._hooks = {}
            hooks = self._hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def retain_grad(self) -> None:
        """Keep the gradient of a non-leaf tensor in ``.grad`` after backward."""
        if self.grad_fn is None or self._retains_grad:
            return

        def store(grad):
            self.grad = grad if self.grad is None else Tensor._wrap(self.grad._data + grad._data)

        self._retains_grad = self.register_hook(store)  # the handle: an in-place op moves the hook

    # --- in-place changes (each bumps the version counter) ---------------------------------------

    def _check_inplace(self):
        if not (self.requires_grad and autograd._grad_mode.enabled):
            return
        if self.grad_fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. "
                "Wrap the change in `with mm.no_grad():` (as optimizers do)."
            )
        # torch records every in-place op in the graph; minimod records the arithmetic ones and a few
        # more (add_, relu_, clamp_, ...), so for the rest (zero_, fill_, copy_, item assignment) the
        # gradient would be wrong
        raise RuntimeError(
            f"in-place change of a tensor that is part of the graph (grad_fn=<{self.grad_fn.name()}>): "
            "minimod differentiates add_, sub_, mul_, div_, relu_, abs_, clamp_ and inplace=True "
            "activations in place, not this one. Write the out-of-place form (y = y * 0 instead of "
            "y.zero_()), or change it under `with mm.no_grad():`."
        )

    def _bump(self):
        self._version.value += 1
        return self

    def zero_(self) -> Tensor:
        self._check_inplace()
        self._data[...] = 0
        return self._bump()

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        """Fill with samples of N(mean, std²) from minimod's generator (mm.manual_seed)."""
        self._check_inplace()
        self._data[...] = _random.generator().normal(mean, std, size=self._data.shape)
        return self._bump()

    def uniform_(self, from_: float = 0.0, to: float = 1.0) -> Tensor:
        """Fill with samples of U(from_, to) from minimod's generator (mm.manual_seed)."""
        self._check_inplace()
        self._data[...] = _random.generator().uniform(from_, to, size=self._data.shape)
        return self._bump()

    def multinomial(self, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
        """Category indices drawn with probability proportional to this tensor's rows (see mm.multinomial)."""
        return self._wrap(_random.multinomial_indices(self._data, num_samples, replacement, generator))

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions."
            )
        self._check_inplace()
        self._data[...] = value._data if isinstance(value, Tensor) else value
        return self._bump()

    def copy_(self, src) -> Tensor:
        source = src._data if isinstance(src, Tensor) else np.asarray(src)
        _check_broadcasts_to(source.shape, self._data.shape)
        self._check_inplace()
        self._data[...] = source
        return self._bump()

    # Recorded by autograd, as in torch: a tensor in the graph changed in place (h.add_(1)), whose history
    # becomes AddBackward0 and so on, and a plain tensor taking in an operand that requires grad
    # (acc.add_(w), acc += w), which becomes a non-leaf.

    def add_(self, other, alpha=1) -> Tensor:
        if self._absorbs_grad(other) or self._in_graph():
            return self._record_inplace(E.Add, other, alpha)
        self._check_inplace()
        other = other._data if isinstance(other, Tensor) else other
        if alpha == 1:
            self._data += other
        else:
            self._data += alpha * other
        return self._bump()

    def sub_(self, other, alpha=1) -> Tensor:
        if self._absorbs_grad(other) or self._in_graph():
            return self._record_inplace(E.Sub, other, alpha)
        return self.add_(other, alpha=-alpha)

    def mul_(self, other) -> Tensor:
        if self._absorbs_grad(other) or self._in_graph():
            return self._record_inplace(E.Mul, other)
        self._check_inplace()
        self._data *= other._data if isinstance(other, Tensor) else other
        return self._bump()

    def div_(self, other) -> Tensor:
        if self._absorbs_grad(other) or self._in_graph():
            return self._record_inplace(E.Div, other)
        self._check_inplace()
        self._data /= other._data if isinstance(other, Tensor) else other
        return self._bump()

    # x += y is x.add_(y), as in torch: `with no_grad(): w -= lr * w.grad` changes w itself, a leaf that
    # requires grad is refused, and h += 1 on a tensor in the graph is recorded on h (AddBackward0).
    # Except on a view of a tensor in the graph, which minimod cannot record in place (torch rewrites
    # the base's history): there x + y is computed as a new tensor, which gives the same gradients.

    def __iadd__(self, other) -> Tensor:
        return self + other if self._graph_view() else self.add_(other)

    def __isub__(self, other) -> Tensor:
        return self - other if self._graph_view() else self.sub_(other)

    def __imul__(self, other) -> Tensor:
        return self * other if self._graph_view() else self.mul_(other)

    def __itruediv__(self, other) -> Tensor:
        return self / other if self._graph_view() else self.div_(other)

    def _graph_view(self) -> bool:
        """In the graph (grad mode on) as a view sharing another tensor's storage."""
        node = self.grad_fn
        if node is None or not autograd._grad_mode.enabled or not node.function.returns_view:
            return False
        base = node.inputs[0] if node.inputs else None
        return base is not None and base._version is self._version

    def _in_graph(self) -> bool:
        return self.grad_fn is not None and autograd._grad_mode.enabled

    def _absorbs_grad(self, other) -> bool:
        """A tensor outside autograd about to take in an operand that requires grad (grad mode on)."""
        return (
            not self.requires_grad
            and isinstance(other, Tensor)
            and other.requires_grad
            and autograd._grad_mode.enabled
        )

    def _record_inplace(self, function, other, alpha=1) -> Tensor:
        """self = function(self, alpha * other) in place, recorded: self's old values, with their history
        when self is in the graph, feed the node (a copy of them for Mul and Div, which save their
        inputs, since this change overwrites the storage)."""
        copy = function is E.Mul or function is E.Div
        if self.grad_fn is not None:
            self._check_recordable_inplace()
        before = Tensor._wrap(self._data.copy() if copy else self._data)
        if self.grad_fn is not None:
            before.requires_grad, before.grad_fn, before._output_nr = True, self.grad_fn, self._output_nr
            if not copy:
                before._version = self._version
        operand = other if alpha == 1 else other * alpha
        if not isinstance(operand, Tensor):
            operand = tensor_math._operand(operand, before)
        if function is E.Div:
            before, operand = tensor_math._true_division(before, operand)
        with one_op():
            out = tensor_math._binary(function, before, operand)
        if out.shape != self._data.shape:
            raise RuntimeError(
                f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                f"{list(out.shape)}"
            )
        if out.dtype.kind == "f" and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"result type {_torch_name(out.dtype)} can't be cast to the desired output type "
                f"{_torch_name(self._data.dtype)}"
            )
        return self._report_inplace(function, (self, operand), self._take_history(out))

    def _report_inplace(self, function, args: tuple, result: Tensor, kwargs: dict | None = None) -> Tensor:
        """Op observers see an in-place op as done to this very tensor (its output is the tensor itself),
        not to the copy of its old values that feeds the node, so the flow view's later users of this
        tensor follow the op."""
        return _notify(function, args, result, kwargs) if _op_observers else result

    def relu_(self) -> Tensor:
        """relu in place. With autograd recording, the tensor's history becomes ReluBackward0 (as in torch):
        the values before the change feed a Relu node, and this tensor is that node's output."""
        if self._data.dtype == np.bool_:
            raise RuntimeError("Boolean inputs not supported for relu")
        return self._apply_inplace(A.Relu, copy_input=False)

    def abs_(self) -> Tensor:
        """abs in place (recorded as AbsBackward0 when autograd is on, as in torch)."""
        if self._data.dtype == np.bool_:
            raise RuntimeError('"abs_cpu" not implemented for \'Bool\'')
        return self._apply_inplace(E.Abs, copy_input=True)

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - torch's argument names
        """clamp in place (recorded as ClampBackward1 when autograd is on, as in torch)."""
        if self._data.dtype.kind in "biu" and any(isinstance(b, float) for b in (min, max)):
            raise RuntimeError(
                f"result type Float can't be cast to the desired output type {self._data.dtype.name}"
            )
        return self._apply_inplace(E.Clamp, copy_input=True, min=min, max=max)

    clip_ = clamp_

    def _apply_inplace(self, function, copy_input: bool, node_name: str | None = None, **kwargs) -> Tensor:
        """self = function(self) in place (relu_, F.leaky_relu(inplace=True)), recorded when autograd is
        on: the values before the change, with their history, are the node's input, and this tensor
        becomes its output. copy_input gives the node its own copy of the old values, for Functions
        that save their input for backward (this change overwrites the storage)."""
        if not (self.requires_grad and autograd._grad_mode.enabled):
            with one_op():
                out = function.apply(self, **kwargs)
            self._data[...] = out._data
            return self._report_inplace(function, (self,), self._bump(), kwargs)
        self._check_recordable_inplace()
        before = Tensor._wrap(self._data.copy() if copy_input else self._data)
        before.requires_grad, before.grad_fn, before._output_nr = True, self.grad_fn, self._output_nr
        if not copy_input:
            before._version = self._version
        with one_op():
            out = function.apply(before, **kwargs)
        if node_name is not None:
            out.grad_fn.node_name = node_name  # torch names some in-place nodes apart (LeakyReluBackward1)
        return self._report_inplace(function, (self,), self._take_history(out), kwargs)

    def _check_recordable_inplace(self) -> None:
        """Refuse the recorded in-place ops (relu_) where torch does, and on views, which minimod cannot
        record (torch rewrites the base tensor's history; minimod has no such node)."""
        node = self.grad_fn
        if node is None:
            self._check_inplace()  # a leaf that requires grad: torch's error
            return
        base = node.inputs[0] if node.function.returns_view and node.inputs else None
        if base is None or base._version is not self._version:
            return
        while base.grad_fn is not None and base.grad_fn.function.returns_view:
            parent = base.grad_fn.inputs[0]
            if parent is None or parent._version is not base._version:
                break
            base = parent
        if base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise RuntimeError(
            f"in-place change of a view (grad_fn=<{node.name()}>) of a tensor in the graph: minimod cannot "
            "record it. Write the out-of-place form (x = x.relu(), or F.relu(x) without inplace=True)."
        )

    def _take_history(self, out: Tensor) -> Tensor:
        """Finish a recorded in-place op: out's values go into this storage and out's node becomes this
        tensor's grad_fn (hooks and retain_grad registered before stay with the old values, as in torch)."""
        node = out.grad_fn
        self._data[...] = out._data
        self._bump()
        self.grad_fn, self._output_nr, self.requires_grad = node, 0, True
        if len(node.saved_arrays) == 1 and node.saved_arrays[0] is out._data:
            # the node saved its output: read it from this storage instead, so that a later in-place
            # change of this tensor is caught by backward's version check (and out's copy is freed)
            node.saved_arrays = (self._data,)
            node._saved_versions = [(self._version, self._version.value, self._data)]
        if self._retains_grad:  # torch: .grad after backward is the gradient of the new values
            self._retains_grad.remove()
            self._retains_grad = False
            self.retain_grad()
        return self

    def __setitem__(self, index, value):
        self._check_inplace()
        if isinstance(index, Tensor):
            index = index._data
        self._data[index] = value._data if isinstance(value, Tensor) else value
        self._bump()

    # --- conversion ----------------------------------------------------------------------------

    def to(self, *args, dtype=None, **kwargs) -> Tensor:
        """to(dtype), to(device), to(other) or to(device, dtype): convert (differentiably) to a dtype.
        The CPU is the only device; asking for another raises what a CPU-only torch raises."""
        copy = kwargs.get("copy", False)
        for arg in (*args, kwargs.get("device")):
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str):  # a device name, or an mm.device (also a str)
                check_device(arg)
            elif arg is not None and not isinstance(arg, bool):  # a bool is non_blocking
                dtype = arg
        if dtype is None or self._data.dtype == np.dtype(dtype):
            return self.clone() if copy else self
        return E.Cast.apply(self, dtype=np.dtype(dtype))

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        """Raises, as on a CPU-only torch: there is no GPU here."""
        check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)
        return self

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def type(self, dtype=None, non_blocking: bool = False) -> str | Tensor:
        """No argument: the legacy type name ("minimod.FloatTensor"). Given a dtype, a legacy type
        (mm.LongTensor) or its name ("torch.DoubleTensor"): this tensor converted to it."""
        if dtype is None:
            return type_name(self._data.dtype)
        return self.to(dtype_of_type(dtype))

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def half(self) -> Tensor:
        return self.to(np.float16)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def contiguous(self) -> Tensor:
        """This tensor when its storage is C-contiguous, else a contiguous copy (differentiable)."""
        return self if self._data.flags.c_contiguous else self.clone()

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # --- repr ----------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return tensor_repr(self)

    def __format__(self, format_spec: str) -> str:
        # torch: a 0-d tensor formats as its number (f"{loss:.4f}"); any other, only with an empty spec
        if self._data.ndim == 0 and type(self) is Tensor:
            return self._data.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))


# --- helpers -----------------------------------------------------------------------------------


def _torch_name(dtype) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
             "bool": "Bool", "uint8": "Byte"}
    return names.get(np.dtype(dtype).name, np.dtype(dtype).name)


def _check_broadcasts_to(source: tuple, target: tuple) -> None:
    """torch's error when copy_'s source cannot broadcast to the destination's shape."""
    if len(source) > len(target):
        raise RuntimeError(
            f"output with shape {list(target)} doesn't match the broadcast shape {list(source)}"
        )
    for dim in range(1, len(source) + 1):
        if source[-dim] not in (1, target[-dim]):
            raise RuntimeError(
                f"The size of tensor a ({target[-dim]}) must match the size of tensor b ({source[-dim]}) at "
                f"non-singleton dimension {len(target) - dim}"
            )


def _as_array(data, dtype=None) -> np.ndarray:
    """torch's rules: Python floats become float32, ints int64, an ndarray keeps its dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        return data if dtype is None or data.dtype == dtype else data.astype(dtype)
    array = np.array(data, dtype=dtype)
    if dtype is None and array.dtype == np.float64:
        array = array.astype(_DEFAULT_DTYPE)
    return array


autograd.Tensor = Tensor  # autograd wraps results without importing this module
tensor_math.Tensor = Tensor  # so typing.get_type_hints can resolve the mixin's annotations
