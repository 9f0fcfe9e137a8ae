"""LazyModuleMixin: a layer that creates its parameters on its first call, from the input's shape.

``nn.LazyLinear(10)`` needs no in_features: the first forward reads it from the input, gives the
UninitializedParameters their shapes, initialises them as the plain layer would, and then the module
becomes that plain layer (``type(layer) is nn.Linear``), as in torch. Loading a state dict into a lazy
module before its first call gives the parameters the saved shapes.
"""

from __future__ import annotations

import itertools

from ..autograd import no_grad
from .module import _snapshot
from .parameter import UninitializedParameter


class LazyModuleMixin:
    """Mix in before a layer class (class LazyLinear(LazyModuleMixin, Linear)); the subclass defines
    ``initialize_parameters(*inputs)`` and names the class it becomes in ``cls_to_become``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self) -> bool:
        return any(isinstance(tensor, UninitializedParameter)
                   for tensor in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The forward pre-hook of the first call: shapes from the inputs, then the plain class."""
        with no_grad():
            module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _save_to_state_dict(self, destination, prefix, keep_vars) -> None:
        """Module's, except that an uninitialized parameter, which has no values to snapshot, goes in
        as itself (as torch's LazyModuleMixin does)."""
        for name, param in self._parameters.items():
            if param is not None:
                keep = keep_vars or isinstance(param, UninitializedParameter)
                destination[prefix + name] = param if keep else _snapshot(param)
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else _snapshot(buffer)

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs) -> None:
        """Before loading: an uninitialized parameter takes the shape of the value about to be loaded."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and isinstance(param, UninitializedParameter):
                value = state_dict[key]
                if not isinstance(value, UninitializedParameter):
                    param.materialize(value.shape)
