"""Interventions: a forward hook on one module that returns a new output (zeroed, scaled, or a constant).

A forward hook that returns a value replaces the module's output: PyTorch (and minimod) hand that value to
the modules after it, for every forward until the hook's handle is removed. What the inspector does is
what a student would write:

    handle = model.fc1.register_forward_hook(lambda m, i, o: o * 0)
    ...
    handle.remove()

Each replacement keeps the output's shape and dtype and stays connected to the graph (`o * 0`, not a
fresh `zeros_like(o)`), so backward still runs through it: the gradients upstream become zeros.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Intervention", "Interventions", "parse_intervention", "InterventionError", "KINDS"]

KINDS = ("zero", "scale", "constant")


class InterventionError(ValueError):
    """What the user typed is not an intervention; the message says what is."""


def _number(value: float) -> str:
    """`0.5`, `2`, `-1e-06`: as short as the value allows (the badge is narrow)."""
    return f"{value:g}"


@dataclass(frozen=True)
class Intervention:
    """One replacement of a module's output: "zero", "scale" (by `value`) or "constant" (`value`)."""

    kind: str
    value: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InterventionError(f"unknown intervention {self.kind!r}: choose {', '.join(KINDS)}")
        if not math.isfinite(self.value):
            raise InterventionError(f"the value must be a finite number, got {self.value}")

    def apply(self, tensor: Any) -> Any:
        """The new output for one output tensor (of either library: only its operators are used)."""
        if self.kind == "zero":
            return tensor * 0
        if self.kind == "scale":
            return tensor * self.value
        return tensor * 0 + self.value  # the constant, with the output's shape, dtype and graph

    @property
    def badge(self) -> str:
        """What the tree and the trace show beside the module: `×0`, `×0.5`, `=1`."""
        if self.kind == "zero":
            return "\u00d70"
        if self.kind == "scale":
            return f"\u00d7{_number(self.value)}"
        return f"={_number(self.value)}"

    def describe(self) -> str:
        """`zeroed`, `scaled by 0.5`, `replaced by the constant 1`."""
        if self.kind == "zero":
            return "zeroed"
        if self.kind == "scale":
            return f"scaled by {_number(self.value)}"
        return f"replaced by the constant {_number(self.value)}"

    def hook_code(self) -> str:
        """The PyTorch code that does the same: the lambda a student would pass to register_forward_hook."""
        if self.kind == "zero":
            return "lambda m, i, o: o * 0"
        if self.kind == "scale":
            return f"lambda m, i, o: o * {_number(self.value)}"
        return f"lambda m, i, o: o * 0 + {_number(self.value)}"


SYNTAX = "zero, a factor to scale by (0.5, or scale 0.5), or =VALUE for a constant (=1)"
_CONSTANT = re.compile(r"(?:constant|const|=)\s*(\S+)")
_FACTOR = re.compile(r"(?:scale|\*|x|\u00d7)?\s*(\S+)")


def parse_intervention(text: str) -> Intervention:
    """What the user typed: `zero`; a factor `0.5`, `scale 0.5`, `x2`, `*2`; a constant `=1`, `constant 1`."""
    typed = text.strip().lower()
    if typed == "zero":
        return Intervention("zero")
    constant = _CONSTANT.fullmatch(typed)
    match, kind = (constant, "constant") if constant else (_FACTOR.fullmatch(typed), "scale")
    if match is not None:
        try:
            value = float(match.group(1))
        except ValueError:
            pass
        else:
            return Intervention("zero") if kind == "scale" and value == 0.0 else Intervention(kind, value)
    raise InterventionError(f"cannot read {text.strip()!r} as an intervention: type {SYNTAX}")


def _replace_tensors(value: Any, is_tensor: Callable[[Any], bool], change: Callable[[Any], Any]) -> Any:
    """`value` with every tensor in it (nested in tuples, lists and dict values too) changed."""
    if is_tensor(value):
        return change(value)
    if isinstance(value, (tuple, list)):
        items = [_replace_tensors(item, is_tensor, change) for item in value]
        return type(value)(items) if not hasattr(value, "_fields") else type(value)(*items)  # a namedtuple
    if isinstance(value, dict):
        return type(value)((key, _replace_tensors(item, is_tensor, change)) for key, item in value.items())
    return value


class Interventions:
    """The interventions on one model: a module path -> its Intervention and the handle of its forward
    hook. `is_tensor` says what a tensor is in the model's library (the adapter's), so one hook serves
    minimod and PyTorch models alike."""

    def __init__(self, model: Any, is_tensor: Callable[[Any], bool]) -> None:
        self.model = model
        self.is_tensor = is_tensor
        self._active: dict[str, tuple[Intervention, Any]] = {}

    def __contains__(self, path: object) -> bool:
        return path in self._active

    def __len__(self) -> int:
        return len(self._active)

    def get(self, path: str) -> Intervention | None:
        entry = self._active.get(path)
        return entry[0] if entry is not None else None

    def badges(self) -> dict[str, str]:
        """path -> badge, in the model's module order (how the tree and the status line show them)."""
        order = {path: number for number, (path, _) in enumerate(self.model.named_modules())}
        return {path: entry[0].badge
                for path, entry in sorted(self._active.items(), key=lambda item: order.get(item[0], -1))}

    def set(self, path: str, intervention: Intervention) -> None:
        """Replace the output of the module at `path` from the next forward on (a module holds one
        intervention: a second replaces the first)."""
        module = self.model.get_submodule(path) if path else self.model
        self.remove(path)
        is_tensor = self.is_tensor

        def replace_output(module: Any, args: Any, output: Any) -> Any:
            # what the hook returns is what the module's caller gets, instead of `output`
            return _replace_tensors(output, is_tensor, intervention.apply)

        self._active[path] = (intervention, module.register_forward_hook(replace_output))

    def remove(self, path: str) -> Intervention | None:
        """Remove the hook on `path` (handle.remove()); the intervention it held, or None."""
        entry = self._active.pop(path, None)
        if entry is None:
            return None
        entry[1].remove()
        return entry[0]

    def clear(self) -> int:
        """Remove every intervention's hook; how many there were."""
        paths = list(self._active)
        for path in paths:
            self.remove(path)
        return len(paths)
