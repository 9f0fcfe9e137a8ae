"""State-dict comparisons for the session: per-key diffs, load checks, and train-vs-eval comparison."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import minimod as mm
from inspector.adapters import ModelAdapter, adapter_for
from inspector.state_compare import compare_state_dicts
from inspector.tensor_summary import shape_text, to_numpy


@dataclass(frozen=True)
class KeyDiff:
    """One state_dict key compared with a snapshot."""

    key: str
    kind: str  # "parameter" or "buffer"
    shape: tuple[int, ...]
    changed: bool
    max_abs_diff: float | None  # None when the key is on one side only or the shapes differ
    note: str = ""  # "only in the model", "only in the snapshot", "shape 3 vs 4" (the snapshot's first)


@dataclass(frozen=True)
class LoadReport:
    """What loading a file did, or would do: the problems, and what came back."""

    path: Path
    strict: bool
    missing: tuple[str, ...] = ()  # in the model, not in the file
    unexpected: tuple[str, ...] = ()  # in the file, not in the model
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = ()  # key, file shape, model shape
    error: str | None = None  # the RuntimeError load_state_dict raised
    loaded: bool = False
    restored: tuple[str, ...] = ()  # keys whose values changed by loading
    still_different: tuple[str, ...] = ()  # keys of the file whose model value differs after loading

    @property
    def problems(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.mismatched)


@dataclass(frozen=True)
class ModeComparison:
    """The same input run in eval mode and in train mode."""

    differing: tuple[tuple[str, str, float], ...]  # module path, type name, max |train - eval|
    same: tuple[str, ...]  # modules whose outputs agree
    changed_buffers: tuple[tuple[str, float], ...]  # buffer key, max |after - before| of a train forward
    unchanged_buffers: tuple[str, ...]
    note: str = ""  # e.g. how the comparison was isolated from the real model
    kinds: tuple[tuple[str, str], ...] = ()  # (module path, type name) of every module
    not_called: tuple[str, ...] = ()  # modules the forward never called (containers, unused branches)
    # Leaf modules whose output differs even on the very input they saw in eval mode: the causes
    # (Dropout, BatchNorm); every other difference follows from these.
    own: tuple[str, ...] = ()


def parameter_keys(model: Any) -> set[str]:
    """The state_dict keys that are parameters (the rest are buffers)."""
    return {name for name, _ in model.named_parameters(remove_duplicate=False)}


def read_state_file(path: Path) -> dict[str, np.ndarray]:
    """mm.load a state dict from `path` as plain arrays; a file of several dicts must hold 'model'."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; save a snapshot first (s) or check the path")
    state = mm.load(str(path))
    if state and all(isinstance(value, dict) for value in state.values()):
        if "model" not in state:
            raise ValueError(f"{path} holds several dicts ({', '.join(state)}) but no 'model' state dict")
        state = state["model"]
    return {key: np.array(to_numpy(value)) for key, value in state.items()}


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| in float64; NaN in both places counts as equal, NaN in one as infinitely far."""
    if a.size == 0:
        return 0.0
    first, second = np.atleast_1d(a).astype(np.float64), np.atleast_1d(b).astype(np.float64)
    difference = np.abs(first - second)
    difference[np.isnan(first) & np.isnan(second)] = 0.0
    difference[np.isnan(difference)] = np.inf
    return float(difference.max())


def diff_states(current: dict[str, np.ndarray], snapshot: dict[str, np.ndarray],
                parameters: set[str]) -> list[KeyDiff]:
    """Compare two state dicts key by key (the model's key order, then keys only the snapshot has), with
    the comparison engine of `minimod diff` and the diff picture."""
    diffs = []
    for item in compare_state_dicts(current, snapshot, left_name="the model", right_name="the snapshot").keys:
        kind = "parameter" if item.key in parameters else "buffer"
        if item.kind == "missing":
            diffs.append(KeyDiff(item.key, kind, item.left_shape, True, None, "only in the model"))
        elif item.kind == "unexpected":
            diffs.append(KeyDiff(item.key, kind, item.right_shape, True, None, "only in the snapshot"))
        elif item.kind == "shape":
            note = f"shape {shape_text(item.right_shape)} vs {shape_text(item.left_shape)}"
            diffs.append(KeyDiff(item.key, kind, item.left_shape, True, None, note))
        else:
            note = f"dtype {item.right_dtype} vs {item.left_dtype}" if item.kind == "dtype" else ""
            diffs.append(KeyDiff(item.key, kind, item.left_shape, item.kind != "same", item.max_abs, note))
    return diffs


def check_state(model: Any, state: dict[str, np.ndarray], path: Path, strict: bool) -> LoadReport:
    """The missing, unexpected and wrongly shaped keys of `state` against `model`'s state_dict."""
    expected = {key: tuple(to_numpy(value).shape) for key, value in model.state_dict().items()}
    missing = tuple(key for key in expected if key not in state)
    unexpected = tuple(key for key in state if key not in expected)
    mismatched = tuple((key, tuple(state[key].shape), shape) for key, shape in expected.items()
                       if key in state and tuple(state[key].shape) != shape)
    return LoadReport(path=path, strict=strict, missing=missing, unexpected=unexpected, mismatched=mismatched)


def _outputs_by_module(model: Any, example_input: Any, adapter: ModelAdapter,
                       inputs: dict[str, list[Any]] | None = None) -> dict[str, list[np.ndarray]]:
    """Run `model` once and keep a copy of every module's tensor outputs, by dotted path (and, into
    `inputs`, [positional arguments, outputs] of each module's first call: a module may run twice)."""
    from inspector.events import flatten_values

    captured: dict[str, list[np.ndarray]] = {}
    handles = []
    for path, module in model.named_modules():
        def hook(module: Any, args: Any, output: Any, path: str = path) -> None:
            captured[path] = [np.array(adapter.array(leaf)) for leaf in flatten_values(output)
                              if adapter.is_tensor(leaf)]
            if inputs is not None and len(inputs.get(path, ())) == 1:  # the first call's output
                inputs[path].append(captured[path])

        def pre_hook(module: Any, args: Any, path: str = path) -> None:
            if inputs is not None and path not in inputs:  # a copy: an in-place op may change it later
                inputs[path] = [tuple(adapter.tensor_from(adapter.array(arg)) if adapter.is_tensor(arg)
                                      else arg for arg in args)]
        handles.append(module.register_forward_hook(hook))
        handles.append(module.register_forward_pre_hook(pre_hook))
    from inspector.trace import call_model

    try:
        with adapter.lib.no_grad():
            call_model(model, example_input)
    finally:
        for handle in handles:
            handle.remove()
    return captured


def compare_modes(model: Any, example_input: Any) -> ModeComparison:
    """Run a deep copy in eval mode, then in train mode; the real model and its buffers stay as they were."""
    adapter = adapter_for(model)
    try:
        twin = copy.deepcopy(model)
        note = "ran on a copy: the model is unchanged"
    except Exception:  # a model holding something uncopyable: run on the model, then put everything back
        twin = None
        note = "ran on the model, then restored its buffers and modes"
    target = twin if twin is not None else model
    modes = {path: module.training for path, module in model.named_modules()}
    saved = {key: np.array(to_numpy(value)) for key, value in model.state_dict().items()}
    try:
        target.eval()
        eval_inputs: dict[str, list[Any]] = {}
        eval_outputs = _outputs_by_module(target, example_input, adapter, eval_inputs)
        before = {key: np.array(to_numpy(value)) for key, value in target.named_buffers()}
        target.train()
        train_outputs = _outputs_by_module(target, example_input, adapter)
        after = {key: np.array(to_numpy(value)) for key, value in target.named_buffers()}
    finally:
        if twin is None:
            model.load_state_dict({key: adapter.tensor_from(value) for key, value in saved.items()})
            for path, module in model.named_modules():
                module.training = modes[path]
    kinds = {path: type(module).__name__ for path, module in model.named_modules()}
    differing, same = [], []
    for path in eval_outputs:
        first, second = eval_outputs[path], train_outputs.get(path, [])
        if len(first) != len(second) or any(a.shape != b.shape for a, b in zip(first, second)):
            differing.append((path, kinds.get(path, "?"), float("inf")))
            continue
        largest = max((_max_abs(a, b) for a, b in zip(first, second)), default=0.0)
        if largest > 0.0:
            differing.append((path, kinds.get(path, "?"), largest))
        else:
            same.append(path)
    changed, unchanged = [], []
    for key, value in before.items():
        largest = _max_abs(value, after[key]) if value.shape == after[key].shape else float("inf")
        if largest > 0.0:
            changed.append((key, largest))
        else:
            unchanged.append(key)
    not_called = tuple(path for path in kinds if path not in eval_outputs and path not in train_outputs)
    own = _own_differences(twin, [path for path, _, _ in differing], eval_inputs, adapter)
    return ModeComparison(tuple(differing), tuple(same), tuple(changed), tuple(unchanged), note,
                          tuple(kinds.items()), not_called, own)


def _own_differences(twin: Any, paths: list[str], calls: dict[str, list[Any]],
                     adapter: ModelAdapter) -> tuple[str, ...]:
    """The leaf modules among `paths` that give a different output in train mode on their eval-mode input
    (`calls`: path -> [arguments, outputs] of its first call in eval mode).

    Only on a copy (`twin`, already used; each leaf is copied again so its buffers start as the model's
    were): without one, say nothing rather than touch the user's model again.
    """
    if twin is None:
        return ()
    own = []
    for path in paths:
        module = twin.get_submodule(path) if path else twin
        if len(calls.get(path, ())) != 2 or any(True for _ in module.children()):
            continue
        arguments, before = calls[path]
        try:
            probe = copy.deepcopy(module)
            probe.train()
            with adapter.lib.no_grad():
                output = probe(*arguments)
        except Exception:  # a module that cannot run alone (keyword arguments, state): not a verdict
            continue
        from inspector.events import flatten_values

        values = [np.array(adapter.array(leaf)) for leaf in flatten_values(output) if adapter.is_tensor(leaf)]
        if len(values) != len(before) or any(a.shape != b.shape or _max_abs(a, b) > 0.0
                                              for a, b in zip(values, before)):
            own.append(path)
    return tuple(own)
