"""The one seam between the inspector and the library a model is written in.

The inspector, the renderer and the lessons see a model through the Module API that minimod shares with
PyTorch (named_modules, named_parameters, named_buffers, state_dict, load_state_dict, train/eval, hooks,
grad_fn.next_functions). The few things the two libraries do differently (where the global module hooks
live, how functional ops are observed, what a Tensor is, how its values become numpy) are asked of a
`ModelAdapter`: `MinimodAdapter` or `TorchAdapter`, chosen from the model by `adapter_for`.

torch is imported only when a model is a torch.nn.Module, which means its code has imported torch already:
`adapter_for` looks for torch in sys.modules and never imports it itself.
"""

from __future__ import annotations

import sys
from typing import Any

from inspector.adapters.base import ModelAdapter, OpObserver

__all__ = [
    "ModelAdapter", "OpObserver", "adapter_for", "adapter_for_value", "minimod_adapter", "missing_library",
]

# the libraries a model may come from that minimod does not install itself, and how to install them
_OPTIONAL = {
    "torch": 'torch is not installed: install it with pip install -e ".[torch]" in minimod\'s folder',
}

_adapters: dict[str, ModelAdapter] = {}


def minimod_adapter() -> ModelAdapter:
    """The adapter for minimod models (made once)."""
    adapter = _adapters.get("minimod")
    if adapter is None:
        from inspector.adapters.for_minimod import MinimodAdapter

        adapter = _adapters["minimod"] = MinimodAdapter()
    return adapter


def _torch_adapter() -> ModelAdapter | None:
    """The adapter for torch models, if torch has been imported (by the model's own code)."""
    if "torch" not in sys.modules:
        return None
    adapter = _adapters.get("torch")
    if adapter is None:
        from inspector.adapters.for_torch import TorchAdapter

        adapter = _adapters["torch"] = TorchAdapter()
    return adapter


def _candidates() -> list[ModelAdapter]:
    torch = _torch_adapter()
    return [minimod_adapter()] if torch is None else [minimod_adapter(), torch]


def adapter_for_value(value: Any) -> ModelAdapter | None:
    """The adapter whose library `value` belongs to: a Module, a Module subclass or a Tensor (else None)."""
    for adapter in _candidates():
        if adapter.is_module(value) or adapter.is_module_class(value) or adapter.is_tensor(value):
            return adapter
    return None


def adapter_for(model: Any) -> ModelAdapter:
    """The adapter for `model`, a minimod or torch Module; a TypeError names anything else."""
    for adapter in _candidates():
        if adapter.is_module(model):
            return adapter
    raise TypeError(
        f"{type(model).__name__} is not a minimod.nn.Module or a torch.nn.Module: the inspector can only "
        f"open those"
    )


def missing_library(error: BaseException) -> str | None:
    """When `error` is a model's import of a library the inspector could open but which is not installed
    (torch), what to do about it; else None."""
    if isinstance(error, ModuleNotFoundError):
        return _OPTIONAL.get((error.name or "").partition(".")[0])
    return None
