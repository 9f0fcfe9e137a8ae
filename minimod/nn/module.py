"""Module: the base class of every layer and model (state, registration, traversal, state dict, hooks, repr).

A readable port of torch/nn/modules/module.py (PyTorch 2.13), section by section in torch's order. Kept
apart: the global module hooks (hooks.py), load_state_dict's staging and undo (_loading.py), and the
torch-compatibility shims (the last section here, and _compat.py).
"""

from __future__ import annotations

import itertools
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..device import check_device
from ..hooks import RemovableHandle
from ..tensor import Tensor
from ._compat import _FlagDicts, _WrappedHook, positional_state_dict_args
from ._loading import STAGED_CHANGES, Change, _IncompatibleKeys, load_staged  # noqa: F401 - torch's home
from .backward_hooks import BackwardHook
from .checkpoint_values import check_loadable
from .hooks import (  # noqa: F401 - torch's home of the global hooks is module.py too
    _global_backward_hooks,
    _global_backward_pre_hooks,
    _global_forward_hooks,
    _global_forward_hooks_always_called,
    _global_forward_hooks_with_kwargs,
    _global_forward_pre_hooks,
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from .parameter import Parameter
from .typename import _TENSOR_TYPE_NAMES, _typename

__all__ = [
    "Module",
    "register_module_forward_pre_hook",
    "register_module_forward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_full_backward_hook",
]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (how a child's repr nests inside its parent's)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    rest = [(spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


def _forward_unimplemented(self, *input: Any) -> None:
    """Define the computation performed at every call; every subclass overrides this."""
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class for all neural network modules: holds parameters, buffers and child modules in a tree."""

    _version: int = 1  # stored in state_dict()._metadata, as torch does
    training: bool

    # --- state -------------------------------------------------------------------------------

    def __init__(self, *args, **kwargs) -> None:
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'"
            )
        if args:
            raise TypeError(
                f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given"
            )
        # object.__setattr__: our own __setattr__ needs these dicts to exist first
        setattr_ = super().__setattr__
        setattr_("training", True)
        setattr_("_parameters", {})
        setattr_("_buffers", {})
        setattr_("_non_persistent_buffers_set", set())
        setattr_("_backward_pre_hooks", OrderedDict())
        setattr_("_backward_hooks", OrderedDict())
        setattr_("_is_full_backward_hook", None)
        setattr_("_forward_hooks", OrderedDict())
        setattr_("_forward_hooks_with_kwargs", OrderedDict())
        setattr_("_forward_hooks_always_called", OrderedDict())
        setattr_("_forward_pre_hooks", OrderedDict())
        setattr_("_forward_pre_hooks_with_kwargs", OrderedDict())
        setattr_("_state_dict_hooks", OrderedDict())
        setattr_("_state_dict_pre_hooks", OrderedDict())
        setattr_("_load_state_dict_pre_hooks", OrderedDict())
        setattr_("_load_state_dict_post_hooks", OrderedDict())
        setattr_("_modules", {})

    forward: Callable[..., Any] = _forward_unimplemented

    # --- registration ------------------------------------------------------------------------

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not learnable (e.g. BatchNorm's running_mean).

        A non-persistent buffer is left out of state_dict().
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(minimod Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter; it can then be reached as an attribute with the given name."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(minimod.nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created "
                f"explicitly. To express '{name}' as a function of another Tensor, compute the value in "
                "the forward() method."
            )
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module; it can then be reached as an attribute with the given name."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias for add_module."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``"net.l0"`` ("" is the module itself)."""
        if target == "":
            return self
        module: Module = self
        for item in target.split("."):
            if not hasattr(module, item):
                raise AttributeError(module._get_name() + " has no attribute `" + item + "`")
            module = getattr(module, item)
            if not isinstance(module, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return module

    def set_submodule(self, target: str, module: Module, strict: bool = False) -> None:
        """Replace (or, unless strict, add) the submodule at a dotted path."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError("`module` is not an nn.Module, found " + str(type(module)))
        parent = self.get_submodule(".".join(atoms[:-1])) if len(atoms) > 1 else self
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]) and not isinstance(getattr(parent, atoms[-1]), Module):
            raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"net.l0.weight"``."""
        module_path, _, param_name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, param_name):
            raise AttributeError(module._get_name() + " has no attribute `" + param_name + "`")
        param = getattr(module, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as ``"bn.running_mean"``."""
        module_path, _, buffer_name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if not hasattr(module, buffer_name):
            raise AttributeError(module._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(module, buffer_name)
        if buffer_name not in module._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

    def get_extra_state(self) -> Any:
        """Override (with set_extra_state) to keep non-tensor state in the state dict."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Please file an "
            "issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report "
            "this bug."
        )

    def set_extra_state(self, state: Any) -> None:
        """Override (with get_extra_state) to restore non-tensor state from the state dict."""
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Please file an "
            "issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml to report "
            "this bug."
        )

    def __getattr__(self, name: str) -> Any:
        # only called when ordinary lookup fails: parameters, buffers and children live in dicts
        if "_parameters" in self.__dict__:
            parameters = self.__dict__["_parameters"]
            if name in parameters:
                return parameters[name]
        if "_buffers" in self.__dict__:
            buffers = self.__dict__["_buffers"]
            if name in buffers:
                return buffers[name]
        if "_modules" in self.__dict__:
            modules = self.__dict__["_modules"]
            if name in modules:
                return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        def remove_from(*dicts_or_sets) -> None:
            for container in dicts_or_sets:
                if name in container:
                    if isinstance(container, dict):
                        del container[name]
                    else:
                        container.discard(name)

        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(self.__dict__, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(minimod.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                remove_from(self.__dict__, self._parameters, self._buffers, self._non_persistent_buffers_set)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{_typename(value)}' as child module '{name}' "
                        "(minimod.nn.Module or None expected)"
                    )
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{_typename(value)}' as buffer '{name}' "
                            "(minimod.Tensor or None expected)"
                        )
                    self.register_buffer(name, value, name not in self._non_persistent_buffers_set)
                else:
                    super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            super().__delattr__(name)

    # --- traversal ---------------------------------------------------------------------------

    def _named_members(self, get_members_fn, prefix: str = "", recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator[tuple[str, Any]]:
        """(dotted name, member) for every module's members, each shared member once by default."""
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [
            (prefix, self)
        ]
        for module_prefix, module in modules:
            for name, value in get_members_fn(module):
                if value is None or value in memo:
                    continue
                if remove_duplicate:
                    memo.add(value)
                yield module_prefix + ("." if module_prefix else "") + name, value

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter (of the children too, unless recurse=False), in registration order."""
        for _name, param in self.named_parameters(recurse=recurse):
            yield param

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ("base_net.linear.weight", Parameter)."""
        yield from self._named_members(
            lambda module: module._parameters.items(),
            prefix=prefix, recurse=recurse, remove_duplicate=remove_duplicate,
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (persistent or not), in registration order."""
        for _name, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, e.g. ("bn.running_mean", Tensor)."""
        yield from self._named_members(
            lambda module: module._buffers.items(),
            prefix=prefix, recurse=recurse, remove_duplicate=remove_duplicate,
        )

    def children(self) -> Iterator[Module]:
        """The immediate child modules."""
        for _name, module in self.named_children():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, child) for the immediate children, each child once."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """This module and every module below it, depth first."""
        for _name, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module ("") and every module below it, depth first."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            submodule_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, submodule_prefix, remove_duplicate)

    # --- mode --------------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every child (Dropout and BatchNorm behave differently)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Freeze (False) or unfreeze (True) every parameter."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (set it to None, or fill it with zeros)."""
        for param in self.parameters():
            if param.grad is None:
                continue
            if set_to_none:
                param.grad = None
            else:
                if param.grad.grad_fn is not None:
                    param.grad = param.grad.detach()
                param.grad.requires_grad = False
                param.grad.zero_()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every child (recursively, children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> Module:
        """Convert every parameter, its grad and every buffer with ``fn``.

        Parameters stay the same objects (their storage is swapped through ``.data``); buffers are
        replaced by fn's result, as in torch.
        """
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with no_grad():
                param.data = fn(param)
                if param.grad is not None:
                    param.grad.data = fn(param.grad)
        for key, buffer in self._buffers.items():
            if buffer is not None:
                self._buffers[key] = fn(buffer)
        return self

    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to(tensor)`` or ``to(device="cpu", dtype=None)``: cast floating tensors."""
        dtype = _parse_to(args, kwargs)
        if dtype is None:
            return self
        return self._apply(lambda t: t.to(dtype) if _is_floating(t) else t)

    def cpu(self) -> Module:
        """Everything already lives on the CPU: a no-op that returns self."""
        return self

    def cuda(self, device=None) -> Module:
        """Raises, as on a CPU-only torch: there is no GPU here."""
        check_device("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)
        return self

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self._apply(lambda t: t.float() if _is_floating(t) else t)

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64."""
        return self._apply(lambda t: t.double() if _is_floating(t) else t)

    def half(self) -> Module:
        """Cast floating parameters and buffers to float16."""
        return self._apply(lambda t: t.half() if _is_floating(t) else t)

    def type(self, dst_type) -> Module:
        """Cast every parameter and buffer to dst_type (a dtype, or a name such as "minimod.DoubleTensor").

        Unlike to(), float() and double(), integer buffers are cast too, as in torch.
        """
        if isinstance(dst_type, str):
            names = {f"minimod.{name}": dtype for dtype, name in _TENSOR_TYPE_NAMES.items()}
            if dst_type not in names:
                raise ValueError(f"invalid type: '{dst_type}'")
            dst_type = names[dst_type]
        dtype = np.dtype(dst_type)

        def cast(tensor: Tensor) -> Tensor:
            if tensor.requires_grad and not np.issubdtype(dtype, np.floating):
                raise RuntimeError(
                    "data set to a tensor that requires gradients must be floating point or complex dtype"
                )
            return tensor.to(dtype)

        return self._apply(cast)

    # --- state dict --------------------------------------------------------------------------

    def register_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before this module's state_dict is collected."""
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after; it may edit state_dict."""
        hook._from_public_api = True
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        """Put this module's own parameters and persistent buffers (not its children's) in destination."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else _snapshot(param)
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buffer if keep_vars else _snapshot(buffer)
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An OrderedDict of every parameter and persistent buffer, keyed by dotted name.

        Values are read-only ndarray snapshots: writing raises ValueError and later training does not
        change them. ``keep_vars=True`` gives the Parameter and buffer objects themselves.
        """
        if args:  # torch's deprecated positional form (see _compat.py)
            destination, prefix, keep_vars = positional_state_dict_args(args, destination, prefix, keep_vars)
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            hook_result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if hook_result is not None:
                    destination = hook_result
            elif hook_result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    def register_load_state_dict_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs)`` before this module's entries are checked."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook: Callable) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after loading; it may edit the key lists in place."""
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs) -> None:
        """Check this module's own entries of state_dict (not its children's) and load them.

        Problems go into missing_keys, unexpected_keys and error_msgs. When load_state_dict drives the
        load, the changes are only staged (in local_metadata) and made once every module has passed.
        """
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        persistent_buffers = {k: v for k, v in self._buffers.items()
                              if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent_buffers.items())
                       if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        staged = local_metadata.get(STAGED_CHANGES)
        changes = []
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, (Tensor, np.ndarray, np.generic)):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected minimod.Tensor or numpy.ndarray '
                    f"from checkpoint but received {type(input_param)}"
                )
                continue
            value = np.asarray(input_param._data if isinstance(input_param, Tensor) else input_param)
            if param.ndim == 0 and value.shape == (1,):
                value = np.asarray(value[0])  # a 1-element vector loads into a scalar, as in torch
            if value.shape != param.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {_size_text(value.shape)} from "
                    f"checkpoint, the shape in current model is {_size_text(param.shape)}."
                )
                continue
            try:  # cast now, so a value that cannot become this dtype is reported with the rest
                check_loadable(input_param, param, assign)
                value = np.array(value, copy=True) if assign else value.astype(param.dtype)
            except (TypeError, ValueError) as error:
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are '
                    f"{_size_text(param.shape)} and whose dimensions in the checkpoint are "
                    f"{_size_text(value.shape)}, an exception occurred : {error.args}."
                )
                continue
            changes.append(Change(self, name, param, value, assign))
        extra_state_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_state_key in state_dict:
                changes.append(Change(self, None, None, state_dict[extra_state_key], False))
            elif strict:
                missing_keys.append(extra_state_key)
        elif strict and extra_state_key in state_dict:
            unexpected_keys.append(extra_state_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_state_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)
        if staged is not None:
            staged.extend(changes)
        else:
            for change in changes:
                change.apply()

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from state_dict into this module and its descendants.

        Every problem (missing key, unexpected key, shape mismatch) is collected first and reported in
        one RuntimeError; on any error the module is left exactly as it was. Values may be ndarrays or
        Tensors and are cast to each parameter's dtype; the Parameter objects stay the same objects.
        Returns ``_IncompatibleKeys(missing_keys, unexpected_keys)``. Each module checks its own entries
        in _load_from_state_dict above; the driver that stages, applies and undoes is in _loading.py.
        """
        return load_staged(self, state_dict, strict, assign)

    # --- hooks and __call__ ------------------------------------------------------------------

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before forward (``hook(module, args, kwargs)`` with_kwargs).

        A returned value replaces args (a non-tuple is wrapped in a 1-tuple); with_kwargs, return
        ``(args, kwargs)``.
        """
        handle = RemovableHandle(self._forward_pre_hooks, extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after forward; a returned value replaces the output.

        ``always_call=True`` runs the hook even when forward raises.
        """
        handle = RemovableHandle(
            self._forward_hooks,
            extra_dict=_FlagDicts(self._forward_hooks_with_kwargs, self._forward_hooks_always_called),
        )
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the outputs are ready.

        It may return a new grad_output tuple, used in place of the old one.
        """
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the inputs are ready.

        Both are tuples (None where an argument is not a tensor); it may return a new grad_input.
        """
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def __call__(self, *args, **kwargs):
        # the fast path: without any hook, a call is just forward
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_forward_hooks or _global_forward_pre_hooks
                or _global_backward_hooks or _global_backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        """Forward pre-hooks, backward-hook wiring of the inputs, forward, forward hooks, outputs' wiring."""
        result = None
        called_always = set()
        try:
            # the hook lists are fixed before any hook runs, as in torch
            backward_hook = None
            if self._backward_hooks or self._backward_pre_hooks or _global_backward_hooks \
                    or _global_backward_pre_hooks:
                backward_hook = BackwardHook(
                    self,
                    [*_global_backward_hooks.values(), *self._backward_hooks.values()],
                    [*_global_backward_pre_hooks.values(), *self._backward_pre_hooks.values()],
                )
            hooks = self._forward_pre_hooks
            if hooks or _global_forward_pre_hooks:
                with_kwargs = self._forward_pre_hooks_with_kwargs
                # a copy: a hook may remove itself while they run
                hook_items = (*_global_forward_pre_hooks.items(), *hooks.items()) \
                    if _global_forward_pre_hooks else tuple(hooks.items())
                for hook_id, hook in hook_items:
                    if with_kwargs and hook_id in with_kwargs:
                        new = hook(self, args, kwargs)
                        if new is not None:
                            if isinstance(new, tuple) and len(new) == 2:
                                args, kwargs = new
                            else:
                                raise RuntimeError(
                                    "forward pre-hook must return None or a tuple of (new_args, "
                                    f"new_kwargs), but got {new}."
                                )
                    else:
                        new = hook(self, args)
                        if new is not None:
                            args = new if isinstance(new, tuple) else (new,)
            if backward_hook is not None:
                args = backward_hook.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            hooks = self._forward_hooks
            if hooks or _global_forward_hooks:
                always, with_kwargs = self._forward_hooks_always_called, self._forward_hooks_with_kwargs
                global_always = _global_forward_hooks_always_called
                global_with_kwargs = _global_forward_hooks_with_kwargs
                hook_items = (*_global_forward_hooks.items(), *hooks.items()) if _global_forward_hooks \
                    else tuple(hooks.items())
                for hook_id, hook in hook_items:
                    if (always and hook_id in always) or (global_always and hook_id in global_always):
                        called_always.add(hook_id)
                    if (with_kwargs and hook_id in with_kwargs) or (global_with_kwargs
                                                                    and hook_id in global_with_kwargs):
                        new = hook(self, args, kwargs, result)
                    else:
                        new = hook(self, args, result)
                    if new is not None:
                        result = new
            if backward_hook is not None:
                if not isinstance(result, (Tensor, tuple)):
                    warnings.warn(
                        "For backward hooks to be called, module output should be a Tensor or a tuple of "
                        f"Tensors but received {type(result)}",
                        stacklevel=2,
                    )
                result = backward_hook.setup_output_hook(result)
            return result
        except Exception:
            self._run_always_called_hooks(args, kwargs, result, called_always)
            raise

    # --- repr --------------------------------------------------------------------------------

    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings for its repr, e.g. "in_features=4, out_features=3, bias=True"."""
        return ""

    def __repr__(self) -> str:
        extra_lines = []
        extra_repr = self.extra_repr()
        if extra_repr:
            extra_lines = extra_repr.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main_str = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main_str += extra_lines[0]
            else:
                main_str += "\n  " + "\n  ".join(lines) + "\n"
        return main_str + ")"

    def __dir__(self):
        keys = (dir(type(self)) + list(self.__dict__) + list(self._parameters) + list(self._modules)
                + list(self._buffers))
        return sorted(key for key in keys if not key[0].isdigit())

    # --- torch compatibility -----------------------------------------------------------------
    # What torch scripts may use and the skeleton above does not need: the flags torch's Module carries,
    # the older state-dict hook, the weakly held load pre hook (lazy layers use it), and the always_call
    # forward hooks run after forward raised. The helpers behind them are in _compat.py.

    dump_patches: bool = False
    call_super_init: bool = False

    def _register_state_dict_hook(self, hook: Callable) -> RemovableHandle:
        """Older form of the post hook: on the root module, a returned dict replaces the state dict."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError(
                "Cannot register the same function as the state dict post hook that was previously "
                "registered via register_state_dict_post_hook"
            )
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    def _register_load_state_dict_pre_hook(self, hook: Callable,
                                           with_module: bool = False) -> RemovableHandle:
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = _WrappedHook(hook, self if with_module else None)
        return handle

    def _run_always_called_hooks(self, args, kwargs, result, called_always: set) -> None:
        """forward raised: still run the always_call forward hooks that have not run (errors only warn)."""
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in called_always:
                try:
                    new = hook(self, args, result)
                    if new is not None:
                        result = new
                except Exception as error:
                    warnings.warn(
                        "global module forward hook with ``always_call=True`` raised an exception that was "
                        f"silenced as another error was raised in forward: {error}",
                        stacklevel=2,
                    )
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in called_always:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        new = hook(self, args, kwargs, result)
                    else:
                        new = hook(self, args, result)
                    if new is not None:
                        result = new
                except Exception as error:
                    warnings.warn(
                        "module forward hook with ``always_call=True`` raised an exception that was "
                        f"silenced as another error was raised in forward: {error}",
                        stacklevel=2,
                    )


# --- helpers -----------------------------------------------------------------------------------


def _is_floating(tensor: Tensor) -> bool:
    return np.issubdtype(tensor.dtype, np.floating)


def _snapshot(tensor: Tensor) -> np.ndarray:
    """A read-only copy of a tensor's values: what state_dict() hands out."""
    array = tensor._data.copy()
    array.flags.writeable = False
    return array


def _size_text(shape: tuple) -> str:
    # torch's wording with minimod's name, as in every minimod message ("minimod.FloatTensor"): a student
    # never sees "torch." from minimod; nn.functional prints shapes the same way
    return f"minimod.Size({list(shape)})"


def _parse_to(args: tuple, kwargs: dict):
    """The dtype asked for by Module.to(...) (None for none); only the CPU exists here."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "memory_format", "copy"}
    if unknown:
        raise TypeError(f"to() received an invalid combination of arguments: unexpected {sorted(unknown)}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif isinstance(arg, str):  # a device name, or an mm.device (also a str)
            device = arg
        elif isinstance(arg, bool):
            continue  # non_blocking
        else:
            dtype = arg
    check_device(device)  # another device than the CPU raises what a CPU-only torch raises
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to() received an invalid combination of arguments: {dtype!r} is not a dtype") \
            from None
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(
            "nn.Module.to only accepts floating point or complex dtypes, but got desired "
            f"dtype=minimod.{dtype.name}"
        )
    return dtype
