"""Optimizer: parameter groups, per-parameter state, zero_grad and torch's state_dict layout."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


class _Required:
    """Marks a hyperparameter every group must give (torch's ``required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of params + hyperparameters) and ``state``.

    Subclasses implement ``step()``; everything else (groups, zero_grad, state_dict) lives here.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # parameter -> its state (e.g. momentum_buffer)
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                f"but got {type(params).__name__}"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters, filling hyperparameters it does not give from the defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering of "
                "tensors in sets will change between runs. Please use a list instead."
            )
        params = list(params)
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (set it to None, or fill it with zeros)."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    param.grad._data[...] = 0

    def step(self):
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    # --- state dict ------------------------------------------------------------------------------

    def state_dict(self) -> dict:
        """{"state": {index: {name: value}}, "param_groups": [{..., "params": [index, ...]}]}.

        Parameters are numbered in group order, as torch does; tensor state becomes read-only
        ndarray snapshots (as Module.state_dict), so mm.save can write it and training cannot change it.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for param in group["params"]:
                if param in self.state:
                    state[index_of[id(param)]] = {k: _snapshot(v) for k, v in self.state[param].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state and hyperparameters saved by state_dict() (parameters matched by position)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            param_of.update(zip(saved["params"], group["params"]))
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            param = param_of.get(int(key))
            if param is None:
                continue
            state[param] = {name: _restore(name, value, param) for name, value in values.items()}
        self.state = state
        self.param_groups = [
            {**{k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}, "params": group["params"]}
            for group, saved in zip(self.param_groups, saved_groups)
        ]

    # --- repr ------------------------------------------------------------------------------------

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _snapshot(value):
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.flags.writeable = False
    return value


def _restore(name: str, value, param: Tensor):
    """A saved state value as a Tensor; floating state takes the parameter's dtype (not "step")."""
    if isinstance(value, Tensor):
        value = value._data
    if isinstance(value, np.ndarray):
        dtype = value.dtype
        if name != "step" and np.issubdtype(dtype, np.floating):
            dtype = param.dtype
        return Tensor._wrap(np.array(value, dtype=dtype, copy=True))
    return copy.deepcopy(value)


def _params_with_grad(group: dict) -> Iterable[Tensor]:
    return (p for p in group["params"] if p.grad is not None)


__all__ = ["Optimizer", "required", "no_grad"]
