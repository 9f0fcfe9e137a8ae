"""torch compatibility: the shims behind Module's less common arguments, kept apart from the skeleton.

torch scripts use them, the contract does not ask for them: a forward hook's with_kwargs and always_call
flags (one handle removes the hook and its flags), hooks held with a weak reference to their module
(load_state_dict pre hooks), and state_dict's deprecated positional arguments.
"""

from __future__ import annotations

import functools
import warnings
import weakref
from collections.abc import Callable


class _FlagDicts:
    """Several {hook_id: True} dicts seen as one, so a single RemovableHandle clears all of a hook's flags."""

    def __init__(self, *dicts: dict) -> None:
        self.dicts = dicts

    def pop(self, key, default=None):
        for flags in self.dicts:
            flags.pop(key, None)
        return default


class _WrappedHook:
    """A hook that gets its module as first argument, held weakly so the hook does not keep it alive."""

    def __init__(self, hook: Callable, module=None) -> None:
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = module is not None
        if module is not None:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)


def positional_state_dict_args(args: tuple, destination, prefix: str, keep_vars: bool):
    """state_dict(destination, prefix, keep_vars) given positionally, as torch still takes them (with a
    FutureWarning): the (destination, prefix, keep_vars) to use."""
    warnings.warn(
        "Positional args are being deprecated, use kwargs instead. Refer to "
        "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
        " for details.",
        FutureWarning,
        stacklevel=3,
    )
    if destination is None:
        destination = args[0]
    if len(args) > 1 and prefix == "":
        prefix = args[1]
    if len(args) > 2 and keep_vars is False:
        keep_vars = args[2]
    return destination, prefix, keep_vars
