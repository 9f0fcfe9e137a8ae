"""minimod.nn: Module, Parameter, the containers, the layers, functional and the global module hooks."""

from __future__ import annotations

from . import functional, init, utils
from .containers import ModuleDict, ModuleList, Sequential
from .hooks import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from .layers import *  # noqa: F403 - every layer, as listed in layers.__all__
from .layers import __all__ as _layer_names
from .module import Module
from .parameter import Parameter, UninitializedParameter

__all__ = [
    "Module", "Parameter", "UninitializedParameter", "Sequential", "ModuleList", "ModuleDict",
    "register_module_forward_pre_hook", "register_module_forward_hook",
    "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
    "functional", "init", "utils", *_layer_names,
]
