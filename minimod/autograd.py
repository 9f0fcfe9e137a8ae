"""Reverse-mode autodiff: Function, the graph node (Context), grad mode and the backward loop."""

from __future__ import annotations

import functools
import threading

import numpy as np

# --- grad mode -------------------------------------------------------------------------------

_grad_mode = threading.local()


def is_grad_enabled() -> bool:
    """True when ops record a graph for backward (the default)."""
    return getattr(_grad_mode, "enabled", True)


def set_grad_enabled(mode: bool) -> None:
    _grad_mode.enabled = bool(mode)


class _GradMode:
    """Base of no_grad / enable_grad: a context manager that is also a decorator."""

    enabled = True

    def __enter__(self):
        self._previous = is_grad_enabled()
        set_grad_enabled(self.enabled)
        return self

    def __exit__(self, *exc_info):
        set_grad_enabled(self._previous)
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Inside this block ops build no graph: results have requires_grad=False."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - torch's name
    """Turn graph recording back on inside a no_grad block."""

    enabled = True


# --- version counter -------------------------------------------------------------------------


class _Version:
    """How many in-place changes a storage has seen; shared by tensors that share storage."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


# --- graph nodes -----------------------------------------------------------------------------


class Context:
    """One node of the backward graph: what a Function saved, and where its inputs came from.

    A tensor's ``grad_fn`` is its Context. ``name()`` gives torch's node name ("MulBackward0").
    """

    __slots__ = (
        "function",
        "inputs",
        "saved_arrays",
        "_saved_versions",
        "needs_input_grad",
        "n_outputs",
        "output_shapes",
        "output_dtypes",
        "_tensor_pre_hooks",
        "_freed",
        "__dict__",  # Functions may stash non-array facts (shapes, axes) on ctx
    )

    def __init__(self, function, inputs):
        self.function = function
        self.inputs = inputs  # tuple of Tensors (or None for non-tensor args)
        self.saved_arrays = ()
        self._saved_versions = ()
        self.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        self.n_outputs = 1
        self.output_shapes = ()
        self.output_dtypes = ()
        self._tensor_pre_hooks = None  # {output_index: [hook, ...]} from Tensor.register_hook
        self._freed = False

    # what Function.forward calls
    def save_for_backward(self, *arrays):
        self.saved_arrays = arrays

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved tensors "
                "after they have already been freed). Saved intermediate values of the graph are freed "
                "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
                "backward through the graph a second time or if you need to access saved tensors after "
                "calling backward."
            )
        return self.saved_arrays

    # what users and the inspector see
    def name(self) -> str:
        return f"{self.function.__name__}Backward0"

    @property
    def next_functions(self):
        """((node, output_index), ...) for each input: its grad_fn, an AccumulateGrad, or None."""
        edges = []
        for tensor in self.inputs:
            if tensor is None or not tensor.requires_grad:
                edges.append((None, 0))
            elif tensor.grad_fn is not None:
                edges.append((tensor.grad_fn, tensor._output_nr))
            else:
                edges.append((AccumulateGrad.of(tensor), 0))
        return tuple(edges)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _check_versions(self):
        for tensor, version in self._saved_versions:
            if tensor._version.value != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{tensor.dtype} tensor of shape {list(tensor.shape)}], which is "
                    f"used by {self.name()}, is at version {tensor._version.value}; expected version "
                    f"{version} instead. Hint: do the in-place change after backward(), or clone() the "
                    "tensor before changing it."
                )


class AccumulateGrad:
    """The node that adds a leaf's gradient into ``leaf.grad``; ``.variable`` is the leaf."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def of(tensor):
        node = tensor._accumulator
        if node is None:
            node = tensor._accumulator = AccumulateGrad(tensor)
        return node

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


# --- op observers ----------------------------------------------------------------------------

_op_observers: dict = {}


def register_op_observer(observer):
    """Call ``observer(function_class, inputs, outputs)`` after every op (the inspector's flow view).

    ``inputs`` are the op's positional arguments (Tensors or plain values), ``outputs`` a Tensor or a
    tuple of Tensors. Returns a handle whose ``remove()`` (or ``with``) detaches the observer.
    """
    from .hooks import RemovableHandle

    handle = RemovableHandle(_op_observers)
    _op_observers[handle.id] = observer
    return handle


def _notify(cls, args, outputs):
    for observer in list(_op_observers.values()):
        observer(cls, args, outputs)
    return outputs


# --- Function --------------------------------------------------------------------------------


class Function:
    """An op with forward and backward on ndarrays; ``apply`` connects it to the graph.

    ``forward(ctx, *arrays, **kwargs)`` returns an ndarray (or a tuple of them);
    ``backward(ctx, *grad_outputs)`` returns one gradient (or None) per array input.
    Non-Tensor positional arguments (ints, tuples) are passed through as they are and get no gradient.
    """

    # outputs that are not differentiable (e.g. max's indices); their grads never flow
    differentiable_outputs = None

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__} must define forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(f"{type(ctx).__name__} must define backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        from .tensor import Tensor

        arrays = []
        requires_grad = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                requires_grad = requires_grad or arg.requires_grad
            else:
                arrays.append(arg)
        record = requires_grad and is_grad_enabled()
        ctx = Context(cls, tuple(a if isinstance(a, Tensor) else None for a in args)) if record else _NO_CTX
        result = cls.forward(ctx, *arrays, **kwargs)
        if not record:
            outputs = tuple(Tensor._wrap(r) for r in result) if type(result) is tuple else Tensor._wrap(result)
        else:
            outputs = _connect(cls, ctx, args, result)
        return _notify(cls, args, outputs) if _op_observers else outputs


class _NoContext:
    """What forward receives when no graph is recorded: saving is a no-op."""

    __slots__ = ("__dict__",)
    needs_input_grad = ()

    def save_for_backward(self, *arrays):
        pass


_NO_CTX = _NoContext()


def _connect(cls, ctx, args, result):
    """Wrap forward's result in Tensors whose grad_fn is ctx, and note saved versions."""
    from .tensor import Tensor

    multiple = type(result) is tuple
    results = result if multiple else (result,)
    ctx.n_outputs = len(results)
    ctx.output_shapes = tuple(r.shape for r in results)
    ctx.output_dtypes = tuple(r.dtype for r in results)
    differentiable = cls.differentiable_outputs
    outputs = []
    for index, array in enumerate(results):
        out = Tensor._wrap(array)
        if differentiable is None or differentiable[index]:
            out.requires_grad = True
            out.grad_fn = ctx
            out._output_nr = index
        outputs.append(out)
    if ctx.saved_arrays:
        # remember the versions of the tensors whose storage was saved, to catch in-place changes
        candidates = [a for a in args if isinstance(a, Tensor)] + outputs
        versions = []
        for saved in ctx.saved_arrays:
            if isinstance(saved, np.ndarray):
                for tensor in candidates:
                    if tensor._data is saved:
                        versions.append((tensor, tensor._version.value))
                        break
        ctx._saved_versions = tuple(versions)
    return tuple(outputs) if multiple else outputs[0]


# --- the backward pass -----------------------------------------------------------------------


def _reduce_to_shape(grad, shape):
    """Sum a broadcast gradient back to the operand's shape (numpy broadcasting, reversed)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _topological_order(root):
    """Nodes reachable from root, each before every node it feeds (iterative DFS)."""
    order, visited = [], {id(root)}
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        for tensor in node.inputs:
            if tensor is not None:
                parent = tensor.grad_fn
                if parent is not None and id(parent) not in visited:
                    visited.add(id(parent))
                    stack.append((parent, False))
    order.reverse()
    return order


def _accumulate(slot, index, grad):
    current = slot[index]
    slot[index] = grad if current is None else current + grad


def backward(tensor, gradient=None, retain_graph=False):
    """Compute d(tensor)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``."""
    from .tensor import Tensor

    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs (this tensor has shape "
                f"{tuple(tensor.shape)}); pass gradient=, e.g. out.backward(mm.ones_like(out))"
            )
        grad = np.ones_like(tensor._data)
    else:
        grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=tensor.dtype)
        if grad.shape != tensor._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[0] has a shape of {tuple(grad.shape)} and output[0] "
                f"has a shape of {tuple(tensor.shape)}."
            )
    root = tensor.grad_fn
    if root is None:  # a leaf: its gradient is the seed itself
        _accumulate_leaf(tensor, grad)
        return

    pending = {id(root): [None] * root.n_outputs}
    pending[id(root)][tensor._output_nr] = grad
    with no_grad():
        for node in _topological_order(root):
            grads = pending.pop(id(node), None)
            if grads is None:
                continue
            if node._tensor_pre_hooks:
                grads = _run_tensor_hooks(node, grads)
            node._check_versions()
            grads = [
                np.zeros(shape, dtype) if g is None else g
                for g, shape, dtype in zip(grads, node.output_shapes, node.output_dtypes)
            ]
            input_grads = node.function.backward(node, *grads)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(node.inputs):
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {len(node.inputs)}, got {len(input_grads)})"
                )
            if not retain_graph and node.saved_arrays:
                node.saved_arrays = ()
                node._freed = True  # a later backward through this node raises
            for parent_tensor, input_grad in zip(node.inputs, input_grads):
                if input_grad is None or parent_tensor is None or not parent_tensor.requires_grad:
                    continue
                input_grad = _reduce_to_shape(input_grad, parent_tensor._data.shape)
                if input_grad.dtype != parent_tensor._data.dtype:
                    input_grad = input_grad.astype(parent_tensor._data.dtype)
                parent = parent_tensor.grad_fn
                if parent is None:
                    _accumulate_leaf(parent_tensor, input_grad)
                else:
                    slot = pending.get(id(parent))
                    if slot is None:
                        slot = pending[id(parent)] = [None] * parent.n_outputs
                    _accumulate(slot, parent_tensor._output_nr, input_grad)


def _run_tensor_hooks(node, grads):
    """Hooks registered on a non-leaf output: each may replace that output's gradient."""
    from .tensor import Tensor

    grads = list(grads)
    for index, hooks in node._tensor_pre_hooks.items():
        if grads[index] is None:
            continue
        for hook in list(hooks.values()):
            result = hook(Tensor._wrap(grads[index]))
            if result is not None:
                grads[index] = result._data if isinstance(result, Tensor) else np.asarray(result)
    return grads


def _accumulate_leaf(leaf, grad):
    from .tensor import Tensor

    if leaf._hooks:
        for hook in list(leaf._hooks.values()):
            result = hook(Tensor._wrap(grad))
            if result is not None:
                grad = result._data if isinstance(result, Tensor) else np.asarray(result)
    if leaf.grad is None:
        # own the memory: the same array may be another node's gradient too
        leaf.grad = Tensor._wrap(np.array(grad, dtype=leaf._data.dtype, copy=True))
    else:
        leaf.grad._data += grad
