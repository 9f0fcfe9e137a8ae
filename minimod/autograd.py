"""Reverse-mode autodiff: Function, the graph node (Context), AccumulateGrad and the backward loop."""

from __future__ import annotations

import itertools
from operator import attrgetter

import numpy as np

from . import kernels
from .grad_mode import (  # noqa: F401 - re-exported: autograd is where users look for them
    _grad_mode,
    _Version,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .hooks import _notify, _op_observers, register_op_observer  # noqa: F401 - re-exported

# the Tensor class, bound by minimod.tensor when it loads (it imports this module first)
Tensor = None

# every node's number in the order nodes were made: backward runs, of the nodes that are ready, the
# newest first, as torch's engine does (so module backward hooks fire in torch's order)
_sequence = itertools.count()


# --- graph nodes -----------------------------------------------------------------------------


class Context:
    """One node of the backward graph: what a Function saved, and where its inputs came from.

    A tensor's ``grad_fn`` is its Context. ``name()`` gives torch's node name ("MulBackward0").
    """

    __slots__ = (
        "function",
        "inputs",
        "parents",
        "saved_arrays",
        "_saved_versions",
        "needs_input_grad",
        "n_outputs",
        "output_shapes",
        "output_dtypes",
        "_tensor_pre_hooks",
        "_freed",
        "sequence_nr",
        "__dict__",  # Functions may stash non-array facts (shapes, axes) on ctx
    )

    def __init__(self, function, args):
        self.function = function
        self.sequence_nr = next(_sequence)
        inputs, parents, needs = [], [], []
        for arg in args:
            if isinstance(arg, Tensor):
                inputs.append(arg)
                # the input's node as it is now: an in-place op later gives the tensor a new grad_fn,
                # but this node's gradient must still flow to the history it saw (torch's edges)
                parents.append((arg.grad_fn, arg._output_nr))
                needs.append(arg.requires_grad)
            else:
                inputs.append(None)
                parents.append((None, 0))
                needs.append(False)
        self.inputs = tuple(inputs)  # one Tensor (or None for a non-tensor argument) per argument
        self.parents = tuple(parents)  # (grad_fn, output index) per argument; None: a leaf, or no Tensor
        self.needs_input_grad = tuple(needs)
        self.saved_arrays = ()
        self._saved_versions = ()
        self.n_outputs = 1
        self.output_shapes = ()  # filled for multi-output nodes, whose missing grads are zeros
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
        # torch's node names: a Function may name itself, or name this node in forward (ctx.node_name)
        return (
            self.__dict__.get("node_name")
            or self.function.node_name
            or f"{self.function.__name__}Backward0"
        )

    @property
    def next_functions(self):
        """((node, output_index), ...) for each input: its grad_fn, an AccumulateGrad, or None."""
        edges = []
        for tensor, parent, needed in zip(self.inputs, self.parents, self.needs_input_grad):
            if not needed:
                edges.append((None, 0))
            elif parent[0] is not None:
                edges.append(parent)
            else:
                edges.append((AccumulateGrad.of(tensor), 0))
        return tuple(edges)

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _check_versions(self):
        # (counter, value when saved, array) for each saved array; no tensor refs, so no cycles
        for counter, version, array in self._saved_versions:
            if counter.value != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{array.dtype} tensor of shape {list(array.shape)}], which is "
                    f"used by {self.name()}, is at version {counter.value}; expected version "
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


# --- Function --------------------------------------------------------------------------------


class Function:
    """An op with forward and backward on ndarrays; ``apply`` connects it to the graph.

    ``forward(ctx, *arrays, **kwargs)`` returns an ndarray (or a tuple of them);
    ``backward(ctx, *grad_outputs)`` returns one gradient (or None) per array input.
    Non-Tensor positional arguments (ints, tuples) are passed through as they are and get no gradient.
    """

    # outputs that are not differentiable (e.g. max's indices); their grads never flow
    differentiable_outputs = None
    # torch's name for this op's graph node when it is not "<ClassName>Backward0"
    node_name = None
    # the op's name in error messages when it is not the class name in lower case
    op_name = None
    # True for ops whose result may be a view of the first input (reshape, permute, basic indexing):
    # the view then shares the input's version counter, so an in-place change through either is seen
    returns_view = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError(f"{type(ctx).__name__} must define forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(f"{type(ctx).__name__} must define backward")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on the arrays inside args; record the graph node when grad is needed."""
        arrays = []
        requires_grad = False
        for arg in args:
            if isinstance(arg, Tensor):
                arrays.append(arg._data)
                if arg.requires_grad:
                    requires_grad = True
            else:
                arrays.append(arg)
        record = requires_grad and _grad_mode.enabled
        # a fresh scratch context even when not recording: forward may stash facts on it, and a
        # shared one would keep the last op's arrays alive and race between threads
        ctx = Context(cls, args) if record else _NoContext()
        try:
            result = cls.forward(ctx, *arrays, **kwargs)
        except ValueError as error:
            raise _shape_error(cls, arrays, error) from error
        if record:
            outputs = _connect(cls, ctx, args, result)
        elif type(result) is tuple:
            outputs = tuple(Tensor._wrap(r) for r in result)
        else:
            outputs = Tensor._wrap(result)
        if cls.returns_view:
            if type(result) is tuple:  # pieces of the input (split)
                for out, array in zip(outputs, result):
                    if np.may_share_memory(array, arrays[0]):
                        out._version = args[0]._version
            elif np.may_share_memory(result, arrays[0]):
                outputs._version = args[0]._version
        return _notify(cls, args, outputs, kwargs) if _op_observers else outputs


def _shape_error(cls, arrays, error):
    """numpy's broadcast ValueError as torch's RuntimeError, naming the op and every shape."""
    shapes = [a.shape for a in arrays if isinstance(a, np.ndarray)]
    if "broadcast" not in str(error) or len(shapes) < 2:
        return error
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    for dim in reversed(range(ndim)):
        sizes = [(k, p[dim]) for k, p in enumerate(padded) if p[dim] != 1]
        first = sizes[0] if sizes else None
        other = next(((k, size) for k, size in sizes if size != first[1]), None) if first else None
        if other is not None:
            (i, a), (j, b) = first, other
            names = "abcdefgh"
            listed = " and ".join(str(tuple(s)) for s in shapes)
            return RuntimeError(
                f"{cls.op_name or cls.__name__.lower()}: The size of tensor {names[i]} ({a}) must match the "
                f"size of tensor {names[j]} ({b}) at non-singleton dimension {dim} (shapes {listed})"
            )
    return error


class _NoContext:
    """What forward receives when no graph is recorded: saving is a no-op."""

    __slots__ = ("__dict__",)
    needs_input_grad = ()

    def save_for_backward(self, *arrays):
        pass



def _connect(cls, ctx, args, result):
    """Wrap forward's result in Tensors whose grad_fn is ctx, and note saved versions."""
    if type(result) is tuple:
        ctx.n_outputs = len(result)
        ctx.output_shapes = tuple(r.shape for r in result)
        ctx.output_dtypes = tuple(r.dtype for r in result)
        differentiable = cls.differentiable_outputs
        outputs = []
        for index, array in enumerate(result):
            out = Tensor._wrap(array)
            if differentiable is None or differentiable[index]:
                out.requires_grad = True
                out.grad_fn = ctx
                out._output_nr = index
            outputs.append(out)
    else:
        out = Tensor._wrap(result)
        out.requires_grad = True
        out.grad_fn = ctx
        outputs = (out,)
    if ctx.saved_arrays:
        # remember the versions of the tensors whose storage was saved, to catch in-place changes
        versions = []
        tensors = (*ctx.inputs, *outputs)  # (None for a non-tensor argument)
        for saved in ctx.saved_arrays:
            for tensor in tensors:
                if tensor is not None and tensor._data is saved:
                    versions.append((tensor._version, tensor._version.value, saved))
                    break
            else:
                owner = _storage_owner(saved, args, outputs)
                if owner is not None:
                    versions.append((owner._version, owner._version.value, saved))
        ctx._saved_versions = versions
    return outputs[0] if type(result) is not tuple else tuple(outputs)


def _storage_owner(saved, args, outputs):
    """The input or output whose storage `saved` is a view of (softmax saves its rows and returns them
    moved back): that tensor's version guards it, as torch guards a storage. None when there is none."""
    if not isinstance(saved, np.ndarray):
        return None
    owner = saved if saved.base is None else saved.base
    for tensor in (*args, *outputs):
        if isinstance(tensor, Tensor) and (tensor._data is owner or tensor._data.base is owner):
            return tensor
    return None


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


def _execution_order(root):
    """Nodes reachable from root in the order torch's engine runs them: of the nodes whose gradients are
    all in, the most recently made one first.

    Every node is made after the nodes that feed it (its inputs' grad_fns), so all the nodes that send
    a node gradients are newer than it; the newest node not yet run therefore has all its gradients in,
    and torch's order is simply newest to oldest (by sequence number). Of two independent branches (a
    residual block's shortcut and its main path) the one computed last in the forward runs first in the
    backward, as in torch.
    """
    reached = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent, _index in node.parents:
            if parent is not None and parent not in reached:
                reached.add(parent)
                stack.append(parent)
    return sorted(reached, key=attrgetter("sequence_nr"), reverse=True)


def _seed(tensor, gradient):
    """The gradient backward starts from: 1 for a scalar, else the one the caller gave."""
    if not tensor.requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if gradient is None:
        if tensor._data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs (this tensor has shape "
                f"{tuple(tensor.shape)}); pass gradient=, e.g. out.backward(mm.ones_like(out))"
            )
        return np.ones_like(tensor._data)
    grad = gradient._data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if grad.shape != tensor._data.shape:
        raise RuntimeError(
            f"Mismatch in shape: grad_output[0] has a shape of {tuple(grad.shape)} and output[0] "
            f"has a shape of {tuple(tensor.shape)}."
        )
    return grad.astype(tensor._data.dtype, copy=False)


def backward(tensor, gradient=None, retain_graph=False):
    """Compute d(tensor)/d(leaf) for every leaf that requires grad, adding into ``leaf.grad``.

    One pass over the nodes in torch's execution order (_execution_order): each node receives the
    summed gradient of its outputs, runs its Function's backward, and passes one gradient to each
    input (summed back to the input's shape when it was broadcast). Leaves collect their total, then
    accumulate once.
    """
    grad = _seed(tensor, gradient)
    leaves = {}  # id(leaf) -> [leaf, summed gradient]
    root = tensor.grad_fn
    if root is None:  # a leaf: its gradient is the seed itself
        leaves[id(tensor)] = [tensor, grad]
    else:
        pending = {root: [None] * root.n_outputs}  # node -> gradient of each of its outputs
        pending[root][tensor._output_nr] = grad
        with no_grad():
            for node in _execution_order(root):
                if node in pending:
                    _backward_node(node, pending, leaves, retain_graph)
    for entry in leaves.values():
        _accumulate_leaf(entry)


def _backward_node(node, pending, leaves, retain_graph):
    """Run one node's backward on its outputs' gradients (taken from pending, so that none outlives this
    call: a leaf takes a gradient nobody else holds without a copy) and hand each input its gradient."""
    grads = pending.pop(node)
    if node._tensor_pre_hooks:
        grads = _run_tensor_hooks(node, grads)
    for counter, version, _array in node._saved_versions:
        if counter.value != version:
            node._check_versions()  # raises, naming the array
    if node.n_outputs == 1:
        input_grads = node.function.backward(node, grads[0])  # (a plain call: cheaper than *grads)
    else:  # an output nobody used gets a zero gradient
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
    for parent_tensor, edge, needed, input_grad in zip(node.inputs, node.parents, node.needs_input_grad,
                                                       input_grads):
        if input_grad is None or not needed:
            continue
        data = parent_tensor._data
        if input_grad.shape != data.shape:
            input_grad = _reduce_to_shape(input_grad, data.shape)
        if input_grad.dtype is not data.dtype and input_grad.dtype != data.dtype:  # (`is`: the cheap test)
            input_grad = input_grad.astype(data.dtype)
        parent, index = edge
        if parent is None:
            if not parent_tensor.requires_grad:
                continue  # a leaf that stopped requiring grad gets none (torch's AccumulateGrad checks too)
            entry = leaves.get(id(parent_tensor))
            if entry is None:
                leaves[id(parent_tensor)] = [parent_tensor, input_grad]
            else:
                entry[1] = kernels.accumulate(entry[1], input_grad)
            continue
        slot = pending.get(parent)
        if slot is None:
            slot = pending[parent] = [None] * parent.n_outputs
        slot[index] = input_grad if slot[index] is None else kernels.accumulate(slot[index], input_grad)


def _run_tensor_hooks(node, grads):
    """Hooks registered on a non-leaf output: each may replace that output's gradient."""
    grads = list(grads)
    for index, hooks in node._tensor_pre_hooks.items():
        if grads[index] is None:
            continue
        for hook in list(hooks.values()):
            result = hook(Tensor._wrap(grads[index]))
            if result is not None:
                grads[index] = result._data if isinstance(result, Tensor) else np.asarray(result)
    return grads


def _accumulate_leaf(entry):
    """entry = [leaf, its total gradient]: run the leaf's hooks on the gradient, then add it into
    ``leaf.grad``."""
    leaf = entry[0]
    if leaf._hooks:
        for hook in list(leaf._hooks.values()):
            result = hook(Tensor._wrap(entry[1]))
            if result is not None:
                entry[1] = result._data if isinstance(result, Tensor) else np.asarray(result)
    if leaf.grad is None:
        # the gradient becomes leaf.grad, which must own its memory: adopted as it is when nothing else
        # holds it, else copied (kernels.adopt_grad; its twin always copies)
        leaf.grad = Tensor._wrap(kernels.adopt_grad(entry, leaf._data))
    else:
        leaf.grad._data += entry[1]
