"""Full backward hooks: identity nodes around a module call's inputs and outputs catch their gradients.

A port of torch.utils.hooks.BackwardHook. When a module with backward hooks is called, the tensors it
receives and the tensors it returns each pass through one ``BackwardHookFunction`` (y = x). In the
backward pass the node around the outputs sees grad_output first (and runs the backward pre-hooks);
the node around the inputs sees grad_input later (and runs the backward hooks with both).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from .typename import _typename


class BackwardHookFunction(Function):
    """y_i = x_i;  dL/dx_i = dL/dy_i.  The graph node where a module's backward hooks run.

    ``ctx.on_backward(grad_outputs) -> grad_inputs`` is set on the node after it is made.
    """

    @staticmethod
    def forward(ctx, *arrays):
        return arrays if len(arrays) > 1 else arrays[0]

    @staticmethod
    def backward(ctx, *grad_outputs):
        grads = ctx.on_backward(grad_outputs)
        return grads if len(grads) > 1 else grads[0]


def _to_array(grad):
    if grad is None or isinstance(grad, np.ndarray):
        return grad
    return grad._data if isinstance(grad, Tensor) else np.asarray(grad)


def _check_returned(new, original) -> None:
    """A hook's replacement for a gradient must be None or a Tensor of the same shape and dtype.

    torch's checks and words (its module hooks run inside a tensor hook named 'hook'), so a hook
    that returns something by accident fails here, not deep inside the backward pass.
    """
    if new is None or original is None:
        return
    if not isinstance(new, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
    original_shape = original.shape
    if tuple(new.shape) != tuple(original_shape):
        raise RuntimeError("hook 'hook' has changed the size of value")
    if new.dtype != original.dtype:
        was = _typename(Tensor._wrap(original))
        raise RuntimeError(f"hook 'hook' has changed the type of value (was {was} got {_typename(new)})")



class BackwardHook:
    """The backward-hook wiring of one module call: set up in __call__, fired during backward."""

    def __init__(self, module, user_hooks: list[Callable], user_pre_hooks: list[Callable]) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = -1
        self.input_tensors_index = None  # positions of the tensor arguments, None if none needs grad
        self.input_zeros = {}  # position -> (shape, dtype) of tensor arguments that need no grad
        self.n_outputs = -1
        self.output_tensors_index = None
        self.input_node = None  # the identity node around the inputs
        self.passthrough = set()  # output positions that are inputs returned as they came

    # --- forward: wrap the tensors in identity nodes ---------------------------------------

    def _wrap(self, values: tuple, on_backward: Callable):
        """Pass the grad-requiring tensors among values through one BackwardHookFunction node.

        Returns (new values, positions of all tensors, positions wrapped), or (values, None, None) when
        nothing needs grad.
        """
        tensor_index = [i for i, value in enumerate(values) if isinstance(value, Tensor)]
        wrapped_index = [i for i in tensor_index if values[i].requires_grad]
        if not (wrapped_index and is_grad_enabled()):
            return values, None, None
        originals = [values[i] for i in wrapped_index]
        outputs = BackwardHookFunction.apply(*originals)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        node = outputs[0].grad_fn
        node.on_backward = on_backward
        self.last_node = node
        new_values = list(values)
        for i, original, output in zip(wrapped_index, originals, outputs):
            output._version = original._version  # same storage, same in-place counter
            new_values[i] = output
        return tuple(new_values), tensor_index, wrapped_index

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        new_args, tensor_index, wrapped_index = self._wrap(args, self._on_input_grads)
        self.input_tensors_index = tensor_index
        if tensor_index is not None:
            self.input_wrapped_index = wrapped_index
            self.input_node = self.last_node
            # torch hands zeros (not None) for tensor arguments that need no grad
            self.input_zeros = {i: (args[i].shape, args[i].dtype)
                                for i in tensor_index if i not in wrapped_index}
        return new_args

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        outputs = result if is_tuple else (result,)
        self.n_outputs = len(outputs)
        new_outputs, tensor_index, wrapped_index = self._wrap(outputs, self._on_output_grads)
        self.output_tensors_index = tensor_index
        if tensor_index is not None:
            self.output_wrapped_index = wrapped_index
            if self.input_node is not None:
                self.passthrough = {i for i in wrapped_index if outputs[i].grad_fn is self.input_node}
            # an output whose gradient never arrives gets None in grad_output (the loop would give zeros)
            self.received = set()
            for position in wrapped_index:
                new_outputs[position].register_hook(self._mark_received(position))
        return new_outputs if is_tuple else new_outputs[0]

    def _mark_received(self, position: int) -> Callable:
        def mark(grad):
            self.received.add(position)

        return mark

    # --- backward: run the user's hooks ----------------------------------------------------

    def _on_output_grads(self, grads: tuple) -> tuple:
        """The outputs' gradients arrived: run backward pre-hooks, keep grad_output for the inputs."""
        grad_outputs = [None] * self.n_outputs
        for position, grad in zip(self.output_wrapped_index, grads):
            if position in self.received:
                grad_outputs[position] = Tensor._wrap(grad)
        self.grad_outputs = tuple(grad_outputs)
        for pre_hook in self.user_pre_hooks:
            new = pre_hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError(
                    "Backward pre hook returned an invalid number of grad_output, "
                    f"got {len(new)}, but expected {len(self.grad_outputs)}"
                )
            for position, grad in zip(self.output_wrapped_index, grads):
                _check_returned(new[position], grad)
            self.grad_outputs = tuple(new)
        local_grad_outputs = list(self.grad_outputs)
        for position in self.passthrough:
            if local_grad_outputs[position] is None and position not in self.received:
                # torch's undefined gradient still reaches the input node, which turns it into zeros
                local_grad_outputs[position] = np.zeros_like(grads[self.output_wrapped_index.index(position)])
        self.received = set()  # ready for another backward through a retained graph
        if self.input_tensors_index is None:
            # no input needs grad: the backward hooks fire now, with grad_input all None
            warnings.warn(
                "Full backward hook is firing when gradients are computed with respect to module outputs "
                "since no inputs require gradients. See "
                "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                "#torch.nn.Module.register_full_backward_hook for more details.",
                stacklevel=2,
            )
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                new = hook(self.module, grad_inputs, self.grad_outputs)
                if new is not None and not (isinstance(new, tuple) and all(g is None for g in new)):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires gradient should always return "
                        "None or None for all gradients."
                    )
            self.grad_outputs = None
        return tuple(_to_array(local_grad_outputs[i]) for i in self.output_wrapped_index)

    def _on_input_grads(self, grads: tuple) -> tuple:
        """The inputs' gradients arrived: run the backward hooks with grad_input and grad_output."""
        if self.grad_outputs is None:
            return grads  # the gradient reached the inputs without passing through the outputs
        grad_inputs = [None] * self.n_inputs
        for position, grad in zip(self.input_wrapped_index, grads):
            grad_inputs[position] = Tensor._wrap(grad)
        for position, (shape, dtype) in self.input_zeros.items():
            grad_inputs[position] = Tensor._wrap(np.zeros(shape, dtype))
        result = tuple(grad_inputs)
        for hook in self.user_hooks:
            new = hook(self.module, result, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(result):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got {len(new)}, but expected "
                    f"{len(result)}"
                )
            for position, grad in zip(self.input_wrapped_index, grads):
                _check_returned(new[position], grad)
            result = tuple(new)
        self.grad_outputs = None
        return tuple(_to_array(result[i]) for i in self.input_wrapped_index)
