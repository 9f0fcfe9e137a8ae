"""The adapter for torch.nn.Module models: torch's global module hooks, and its functional ops observed
with a TorchFunctionMode (every torch function called while the mode is on passes through it).

Imported only when a model is a torch model, so torch is already loaded by the model's own code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch.nn.modules import module as torch_module
from torch.overrides import TorchFunctionMode
from torch.utils.hooks import BackwardHook

from inspector.adapters.base import ModelAdapter, OpObserver

# torch's name for an op -> the name minimod's flow view draws for the same op, where they differ
_SAME_AS_MINIMOD = {
    "truediv": "div", "floordiv": "floor_divide", "max_pool2d_with_indices": "max_pool2d",
    "max_pool1d_with_indices": "max_pool1d",
}
# reflected operators (1 - x) are the op itself with the operands swapped
_REFLECTED = {"radd", "rsub", "rmul", "rtruediv", "rfloordiv", "rmatmul", "rpow", "rdiv"}
# calls that return a tensor but are no op of the model's computation: they are not drawn (as in minimod)
_NOT_OPS = {"detach", "detach_", "contiguous", "requires_grad_", "retain_grad", "cpu", "numpy"}


def op_name(function: Callable) -> str | None:
    """The flow view's label for a torch function (`Tensor.__rsub__` -> `sub`, `Tensor.add_` -> `add`,
    `F.max_pool2d` -> `max_pool2d`), or None for a call that is not an op (an attribute read)."""
    name = getattr(function, "__name__", None)
    if not name or name in ("__get__", "__set__", "__delete__"):
        return None
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name in _REFLECTED:
            name = name[1:]
        elif name.startswith("i") and name[1:] in ("add", "sub", "mul", "truediv", "matmul", "pow"):
            name = name[1:]  # x += y: recorded in place, drawn as the op (minimod does the same)
    name = name.lstrip("_")
    if name.endswith("_") and not name.endswith("__"):
        name = name[:-1]  # relu_ and add_ are relu and add done in place
    if name in _NOT_OPS:
        return None
    return _SAME_AS_MINIMOD.get(name, name)


def _has_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_has_tensor(item) for item in value)
    return False


def op_arguments(args: tuple, kwargs: dict) -> dict:
    """A call's non-tensor arguments (see base.OpObserver): positional ones by position, keywords by name
    (torch's private `_stacklevel` left out)."""
    arguments: dict = {position: value for position, value in enumerate(args)
                       if not isinstance(value, torch.Tensor)}
    arguments.update((name, value) for name, value in kwargs.items()
                     if not name.startswith("_") and not isinstance(value, torch.Tensor))
    return arguments


class _OpObserverMode(TorchFunctionMode):
    """Calls the observer after each op that takes and returns tensors. Calls made while the mode handles
    one (the op's own insides, e.g. F.relu calling torch.relu) are not seen: one call, one op."""

    def __init__(self, observer: OpObserver) -> None:
        super().__init__()
        self.observer = observer

    def __torch_function__(self, func, types, args=(), kwargs=None):
        output = func(*args, **(kwargs or {}))
        name = op_name(func)
        if name is not None and _has_tensor(output) and _has_tensor(args):
            self.observer(name, tuple(args), output, op_arguments(tuple(args), kwargs or {}))
        return output


class _ModeHandle:
    """Turns the mode off again: what observe_ops returns, like a hook's handle."""

    def __init__(self, mode: _OpObserverMode) -> None:
        self.mode = mode

    def remove(self) -> None:
        if self.mode is not None:
            mode, self.mode = self.mode, None
            mode.__exit__(None, None, None)


class _CloneHookedTensors:
    """While the inspector's full backward hooks are on, each tensor that torch's BackwardHook passes
    into or out of a module is cloned after it is wrapped.

    torch wraps a hooked module's inputs and outputs in a custom autograd Function that returns them as
    views, and refuses any in-place change of such a view. Without the clone, `out += identity` after
    a BatchNorm, or ReLU(inplace=True), both in every torchvision ResNet, would raise "Output 0 of
    BackwardHookFunction is a view and is being modified inplace" as soon as the inspector traces a
    backward: the inspector's hooks, not the model, would break it. The clone is a plain copy, so the
    hooks see the same gradients and the model computes the same values."""

    active = 0  # how many recorders want it (the patch is put back when the last one leaves)
    original = BackwardHook._apply_on_tensors

    @staticmethod
    def _apply_on_tensors(hook, fn, args):
        new_args, indices = _CloneHookedTensors.original(hook, fn, args)
        if indices is None:
            return new_args, indices
        values = list(new_args)
        for index in indices:
            values[index] = values[index].clone()
        return (tuple(values) if type(new_args) is tuple else type(new_args)(*values)), indices

    def __init__(self) -> None:
        if _CloneHookedTensors.active == 0:
            BackwardHook._apply_on_tensors = _CloneHookedTensors._apply_on_tensors
        _CloneHookedTensors.active += 1
        self.removed = False

    def remove(self) -> None:
        if self.removed:
            return
        self.removed = True
        _CloneHookedTensors.active -= 1
        if _CloneHookedTensors.active == 0:
            BackwardHook._apply_on_tensors = _CloneHookedTensors.original


class TorchAdapter(ModelAdapter):
    library = "PyTorch"
    lib = torch
    tensor_type = torch.Tensor
    module_type = torch.nn.Module
    container_types = (torch.nn.Sequential, torch.nn.ModuleList)
    source_dirs = (str(Path(torch.__file__).resolve().parent),)

    def is_floating(self, tensor: Any) -> bool:
        return tensor.is_floating_point()

    def array(self, value: Any) -> Any:
        if not isinstance(value, torch.Tensor):
            return value
        # inside the op observer's mode, these calls of the inspector's own must not count as the model's ops
        with torch._C.DisableTorchFunction():
            value = value.detach()
            if value.dtype == torch.bfloat16:  # numpy has no bfloat16
                value = value.float()
            return value.cpu().numpy()

    def tensor_from(self, values: Any) -> Any:
        return torch.from_numpy(values.copy())

    def module_hooks(self, forward_pre: Callable, forward: Callable,
                     full_backward: Callable | None) -> list[Any]:
        handles = [torch_module.register_module_forward_pre_hook(forward_pre),
                   torch_module.register_module_forward_hook(forward)]
        if full_backward is not None:
            handles.append(torch_module.register_module_full_backward_hook(full_backward))
            handles.append(_CloneHookedTensors())
        return handles

    def observe_ops(self, observer: OpObserver) -> Any:
        mode = _OpObserverMode(observer)
        mode.__enter__()
        return _ModeHandle(mode)

    def saved_tensor_shapes(self, grad_fn: Any) -> list[tuple[int, ...]]:
        # what torchviz reads: the node's _saved_* attributes that hold tensors
        shapes = []
        for attribute in dir(grad_fn):
            if not attribute.startswith("_saved_"):
                continue
            try:
                value = getattr(grad_fn, attribute)
            except RuntimeError:  # freed by a backward
                continue
            for item in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(item, torch.Tensor):
                    shapes.append(tuple(int(size) for size in item.shape))
        return sorted(shapes)
