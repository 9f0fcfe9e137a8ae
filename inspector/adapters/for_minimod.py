"""The adapter for minimod models: minimod's global module hooks and its op observer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import minimod
from inspector.adapters.base import PASS_THROUGH, ModelAdapter, OpObserver
from minimod import nn

# a Function's class name -> the name a student calls it by (torch's functional); others are lowercased
OP_NAMES = {
    "MaxPool2DWithIndices": "max_pool2d", "AvgPool2D": "avg_pool2d",
    "AdaptiveAvgPool2D": "adaptive_avg_pool2d",
    "Convolution": "conv2d", "LeakyRelu": "leaky_relu", "LogSoftmax": "log_softmax", "UnsafeView": "view",
    "NativeBatchNorm": "batch_norm", "NativeLayerNorm": "layer_norm", "NllLoss": "nll_loss",
    "MseLoss": "mse_loss", "PowTensor": "pow", "Cast": "to", "GetItem": "getitem",
    "MaskedFill": "masked_fill", "VectorNorm": "norm", "ClampMin": "clamp_min", "ClampMax": "clamp_max",
    "BackwardHookFunction": PASS_THROUGH,
}


def op_name(function_name: str) -> str:
    """`LogSoftmax` -> `log_softmax`: the flow view's label for a minimod Function."""
    return OP_NAMES.get(function_name, function_name.lower())


def _swapped(dims: tuple[int, ...]) -> dict:
    """A Transpose's permutation (0, 2, 1, 3) as torch's transpose arguments {dim0: 1, dim1: 2}."""
    moved = [index for index, dim in enumerate(dims) if index != dim]
    return {"dim0": moved[0], "dim1": moved[1]} if len(moved) == 2 else {}


def _split_size(kwargs: dict) -> dict:
    """split(16, dim=2) is Split(sizes=[16, 16, 16]); split([8, 8], ...) names its node after the list."""
    sizes = kwargs["sizes"]
    given = list(sizes) if "node_name" in kwargs else sizes[0]
    return {"split_size": given, "dim": kwargs["dim"]}


# a Function whose keyword arguments are not torch's -> torch's arguments (the rest pass as they are)
_TORCH_ARGUMENTS = {
    "Transpose": lambda kwargs: _swapped(kwargs["dims"]),
    "Permute": lambda kwargs: {"dims": kwargs["dims"]},
    "Split": _split_size,
    "Chunk": lambda kwargs: {"dim": kwargs["dim"]},
    "GetItem": lambda kwargs: {1: kwargs["index"]},
    "Topk": lambda kwargs: {"k": kwargs["k"], "dim": kwargs.get("dim", -1)},
    "VectorNorm": lambda kwargs: {"dim": kwargs.get("dim"), "keepdim": kwargs.get("keepdim", False)},
}


def _is_wrapped_number(value: Any) -> bool:
    """`x * 0.9` multiplies by a 0-d constant minimod made of the number: torch's op sees the number."""
    return (isinstance(value, minimod.Tensor) and value.ndim == 0 and not value.requires_grad
            and value.grad_fn is None)


def op_arguments(function_name: str, inputs: tuple, kwargs: dict) -> dict:
    """A minimod op's non-tensor arguments as torch's API passes them (see base.OpObserver)."""
    arguments: dict = {}
    for position, value in enumerate(inputs):
        if _is_wrapped_number(value):
            arguments[position] = value.item()
        elif not isinstance(value, minimod.Tensor):
            arguments[position] = value
    convert = _TORCH_ARGUMENTS.get(function_name)
    arguments.update(convert(kwargs) if convert is not None else kwargs)
    return arguments


class MinimodAdapter(ModelAdapter):
    library = "minimod"
    lib = minimod
    tensor_type = minimod.Tensor
    module_type = nn.Module
    container_types = (nn.Sequential, nn.ModuleList)
    source_dirs = (str(Path(minimod.__file__).resolve().parent),)

    def is_floating(self, tensor: Any) -> bool:
        return tensor.dtype.kind == "f"

    def array(self, value: Any) -> Any:
        return value.numpy() if isinstance(value, minimod.Tensor) else value

    def module_hooks(self, forward_pre: Callable, forward: Callable,
                     full_backward: Callable | None) -> list[Any]:
        handles = [nn.register_module_forward_pre_hook(forward_pre), nn.register_module_forward_hook(forward)]
        if full_backward is not None:
            handles.append(nn.register_module_full_backward_hook(full_backward))
        return handles

    def observe_ops(self, observer: OpObserver) -> Any:
        def report(function_class: type, inputs: tuple, outputs: Any, kwargs: dict) -> None:
            name = function_class.__name__
            observer(op_name(name), inputs, outputs, op_arguments(name, inputs, kwargs))

        return minimod.autograd.register_op_observer(report, with_kwargs=True)

    def saved_tensor_shapes(self, grad_fn: Any) -> list[tuple[int, ...]]:
        saved = getattr(grad_fn, "saved_arrays", ())
        return sorted(tuple(int(size) for size in array.shape) for array in saved if hasattr(array, "shape"))
