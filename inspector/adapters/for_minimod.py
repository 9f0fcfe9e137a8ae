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
        def report(function_class: type, inputs: tuple, outputs: Any) -> None:
            observer(op_name(function_class.__name__), inputs, outputs)

        return minimod.autograd.register_op_observer(report)
