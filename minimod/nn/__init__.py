"""minimod.nn: Module, Parameter, the containers, the layers, functional and the global module hooks."""

from __future__ import annotations

from .containers import ModuleDict, ModuleList, Sequential
from .module import (
    Module,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from .parameter import Parameter

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "register_module_forward_pre_hook", "register_module_forward_hook",
    "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
]

# The layers and functional are written alongside this package; until they land, nn still imports.
try:
    from . import functional  # noqa: F401
    from .layers import *  # noqa: F401,F403
    from .layers import __all__ as _layer_names

    __all__ += ["functional", *_layer_names]
except ImportError as error:  # pragma: no cover - only while the layers are being written
    if error.name not in (f"{__name__}.functional", f"{__name__}.layers"):
        raise
