"""load_state_dict's driver: every module checks its own entries and stages its changes, nothing changes
until every module has passed, and a failure after that (a post hook) undoes what was done.

Module._load_from_state_dict (minimod/nn/module.py) is the one-module half: it checks and stages.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any

from ..autograd import no_grad
from ..tensor import Tensor
from .parameter import Parameter

# local_metadata key through which load_state_dict collects every change before making any
STAGED_CHANGES = "staged_changes"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the keys the module wanted but did not get, and the extra ones."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def load_staged(root, state_dict: Mapping[str, Any], strict: bool, assign: bool) -> _IncompatibleKeys:
    """Module.load_state_dict: check every module, then make every staged change (undone on failure)."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
    missing_keys: list[str] = []
    unexpected_keys: list[str] = []
    error_msgs: list[str] = []
    metadata = getattr(state_dict, "_metadata", None)
    state_dict = OrderedDict(state_dict)
    staged: list[Change] = []
    loaded: list = []  # in the order torch runs post hooks: children before parents

    def check(module, local_state_dict: dict, prefix: str = "") -> None:
        local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
        if assign:
            local_metadata["assign_to_params_buffers"] = assign
        local_metadata[STAGED_CHANGES] = staged
        module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                     unexpected_keys, error_msgs)
        for name, child in module._modules.items():
            if child is not None:
                child_prefix = prefix + name + "."
                child_state_dict = {k: v for k, v in local_state_dict.items()
                                    if k.startswith(child_prefix)}
                check(child, child_state_dict, child_prefix)
        loaded.append(module)

    check(root, state_dict)
    post_hooks = any(module._load_state_dict_post_hooks for module in loaded)
    key_problems = strict and (missing_keys or unexpected_keys)
    if error_msgs or (key_problems and not post_hooks):  # nothing has changed yet
        raise load_error(root, strict, missing_keys, unexpected_keys, error_msgs)
    done: list[Change] = []
    try:
        for change in staged:
            change.apply()
            done.append(change)
        incompatible_keys = _IncompatibleKeys(missing_keys, unexpected_keys)
        for module in loaded:
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible_keys) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                        "to return new values, if incompatible_keys need to be modified, it should be "
                        "done inplace."
                    )
        if strict and (missing_keys or unexpected_keys):
            raise load_error(root, strict, missing_keys, unexpected_keys, error_msgs)
    except BaseException:
        for change in reversed(done):
            change.undo()
        raise
    return _IncompatibleKeys(missing_keys, unexpected_keys)


def load_error(module, strict, missing_keys, unexpected_keys, error_msgs) -> RuntimeError:
    """torch's message: every missing key, every unexpected key, then every other problem."""
    messages = list(error_msgs)
    if strict:
        if unexpected_keys:
            messages.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected_keys)))
        if missing_keys:
            messages.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing_keys)))
    return RuntimeError(
        "Error(s) in loading state_dict for {}:\n\t{}".format(type(module).__name__, "\n\t".join(messages))
    )


class Change:
    """One staged load_state_dict change: copy values into a tensor, assign a new one, or set extra state."""

    def __init__(self, module, name: str | None, target: Tensor | None, value, assign: bool) -> None:
        self.module, self.name, self.target, self.value, self.assign = module, name, target, value, assign
        self.old = None

    def apply(self) -> None:
        module, name, target = self.module, self.name, self.target
        if name is None:
            module.set_extra_state(self.value)
        elif self.assign:
            self.old = target
            new = Tensor(self.value)  # a writable copy made when the change was staged
            if isinstance(target, Parameter):
                new = Parameter(new, requires_grad=target.requires_grad)
            (module._parameters if name in module._parameters else module._buffers)[name] = new
        else:
            self.old, self.old_version = target._data.copy(), target._version.value
            with no_grad():
                target.copy_(Tensor._wrap(self.value))  # casts to the parameter's dtype, bumps its version

    def undo(self) -> None:
        """Put back what apply changed (a post hook failed or rejected the keys)."""
        if self.name is None or self.old is None:
            return
        if self.assign:
            module = self.module
            (module._parameters if self.name in module._parameters else module._buffers)[self.name] = self.old
        else:
            self.target._data[...] = self.old
            self.target._version.value = self.old_version  # same values again, so the same version
