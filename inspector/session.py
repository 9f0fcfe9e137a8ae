"""The inspector's model session: model, example input, loss, optimizer, trace events and snapshots.

Pure logic with no Textual: the app calls these methods from a worker thread and shows the results.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import minimod as mm
from inspector.adapters import adapter_for
from inspector.interventions import Intervention, Interventions
from inspector.session_state import (
    KeyDiff,
    LoadReport,
    ModeComparison,
    check_state,
    compare_modes,
    diff_states,
    parameter_keys,
    read_state_file,
)
from inspector.training_history import TrainingHistory

EventCallback = Callable[[Any], None]

__all__ = ["Session", "KeyDiff", "LoadReport", "ModeComparison", "StepResult", "describe_error"]


@dataclasses.dataclass(frozen=True)
class StepResult:
    """What one forward / backward / optimizer step did."""

    action: str  # "forward", "backward" or "step"
    output_shape: tuple[int, ...] | None
    loss: float | None
    events: int  # trace events this run added
    elapsed_ms: float
    nonfinite: tuple[str, str] | None = None  # (module, phase) where a NaN or Inf first appeared


def _has_nonfinite(items: tuple) -> bool:
    return any(stats is not None and (stats.nan or stats.inf) for stats in items)


def first_nonfinite(events: list[Any]) -> tuple[str, str] | None:
    """(module path, phase) of the first event whose result holds a NaN or Inf although what it was given
    did not (its output in forward, its grad_input in backward); failing that, the first event whose
    result holds one (the input was not finite already). None when everything was finite."""
    def result(event: Any) -> tuple:
        return event.outputs if event.phase == "forward" else event.inputs

    def given(event: Any) -> tuple:
        return event.inputs if event.phase == "forward" else event.outputs

    candidates = [event for event in events if event.phase in ("forward", "backward")
                  and _has_nonfinite(result(event))]
    if not candidates:
        return None
    # forward events end children first: the earliest ending innermost module is the one that made it
    for event in candidates:
        if not _has_nonfinite(given(event)):
            return event.module, event.phase
    return candidates[0].module, candidates[0].phase


# Frames in these folders are ours, not the user's: the error's location is the innermost other frame.
_LIBRARY_DIRS = (str(Path(mm.__file__).resolve().parent), str(Path(__file__).resolve().parent))


def describe_error(error: BaseException, library_dirs: tuple[str, ...] = ()) -> str:
    """One line naming the exception and, when it came from the user's code, where it was raised.

    Frames in minimod, the inspector or `library_dirs` (the model's library) are not the user's code."""
    ours_dirs = _LIBRARY_DIRS + tuple(library_dirs)
    where = ""
    trace = error.__traceback__
    frames = []
    while trace is not None:
        frames.append(trace.tb_frame)
        trace = trace.tb_next
    # Only frames below our own count: the ones above are whoever called the session.
    ours = [index for index, frame in enumerate(frames) if frame.f_code.co_filename.startswith(ours_dirs)]
    for frame in reversed(frames[ours[0]:] if ours else frames):
        filename = frame.f_code.co_filename
        if not filename.startswith(ours_dirs):
            where = f" (in {Path(filename).name}:{frame.f_lineno}, {frame.f_code.co_name})"
            break
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"


def _changed_keys(before: dict[str, np.ndarray], after: dict[str, np.ndarray]) -> tuple[str, ...]:
    """The keys of both states whose values differ (NaN equal to NaN)."""
    return tuple(key for key in after if key in before
                 and not np.array_equal(before[key], after[key], equal_nan=True))


class Session:
    """One model under inspection, with everything the inspector does to it."""

    def __init__(self, model: Any, example_input: Any, name: str = "model", *, lr: float = 0.01,
                 seed: int = 0) -> None:
        self.model = model
        self.adapter = adapter_for(model)  # the library's side: hooks, tensors, optimizer, loss
        self.library = self.adapter.library  # "minimod" or "PyTorch", for the header and status line
        self.example_input = example_input
        self.name = name
        self.lr = lr
        self.events: list[Any] = []
        self.warnings: list[str] = []  # every distinct warning a run raised
        self.new_warnings: list[str] = []  # not yet shown to the user
        self.steps = 0  # optimizer steps taken
        self.losses: list[float] = []
        self.history = TrainingHistory()  # per-step statistics of every optimizer step, in bounded memory
        self.last_output: Any = None
        self.snapshot: dict[str, np.ndarray] | None = None
        self.snapshot_path: Path | None = None
        self._optimizer: Any = None
        self._targets: Any = None
        self._seed = seed
        self._lock = threading.Lock()  # one run at a time, whichever thread asks
        self.failed_module: str | None = None  # the module whose forward raised in the last run
        self.nonfinite: tuple[str, str] | None = None  # where the last run first met a NaN or Inf
        # forward hooks that replace modules' outputs, until undone (interventions.py)
        self.interventions = Interventions(model, self.adapter.is_tensor)

    def input_hint(self) -> str:
        """How to give the model an input: the i key, with a shape read from its first layer if any."""
        from inspector.targets import suggest_input

        suggestion = suggest_input(self.model)
        if suggestion is None:
            return "press i to set its shape (e.g. 1,3,32,32)"
        shape, dtype = suggestion
        shown = ",".join(str(size) for size in shape) + ("" if dtype == "float32" else f" {dtype}")
        return f"press i to set its shape (its first layer suggests {shown})"

    def set_input(self, shape: tuple[int, ...], dtype: str = "float32") -> None:
        """A new random example input of `shape` and `dtype` (float: standard normal; int: token ids)."""
        from inspector.targets import make_input

        with self._lock:
            self.example_input = make_input(self.model, shape, dtype, self._seed)
            self._targets = None  # the loss's random classes follow the new batch size

    def describe(self, error: BaseException) -> str:
        """One line for an error a run raised, naming where in the user's code (not the library's)."""
        return describe_error(error, self.adapter.source_dirs)

    # --- running the model -----------------------------------------------------------------------

    @property
    def optimizer(self) -> Any:
        """SGD over the model's parameters, made on first use."""
        if self._optimizer is None:
            self._optimizer = self.adapter.lib.optim.SGD(self.model.parameters(), lr=self.lr)
        return self._optimizer

    def _call(self) -> Any:
        from inspector.trace import call_model

        if self.example_input is None:
            raise ValueError(f"{self.name} has no example input: {self.input_hint()}")
        return call_model(self.model, self.example_input)

    def _record(self, run: Callable[[], Any], on_event: EventCallback | None) -> tuple[Any, int]:
        from inspector.trace import Recorder, hook_warnings_silenced

        offset = len(self.events)
        added = 0

        def keep(event: Any) -> None:
            nonlocal added
            replaced = self.interventions.get(event.module) if event.phase == "forward" else None
            event = dataclasses.replace(event, index=offset + added,
                                        intervention=replaced.badge if replaced is not None else "")
            added += 1
            self.events.append(event)
            if on_event is not None:
                on_event(event)

        # Warnings (e.g. torch's note on full backward hooks when no input requires grad) would scribble
        # over the terminal UI: keep them, once each, for the app to show.
        self.failed_module = None
        recorder = Recorder(self.model, on_event=keep)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                with recorder, hook_warnings_silenced(self.model):
                    result = run()
            finally:
                self.failed_module = recorder.failed_in
                self.nonfinite = first_nonfinite(self.events[offset:])
        for warning in caught:
            message = str(warning.message).split(" See http")[0]  # the link does not fit a toast
            text = f"{warning.category.__name__}: {message}"
            if text not in self.warnings:
                self.warnings.append(text)
                self.new_warnings.append(text)
        return result, added

    def loss_for(self, output: Any) -> Any:
        """Cross-entropy against fixed random classes for an (N, C) output, else MSE against zeros."""
        lib = self.adapter.lib
        shape = tuple(output.shape)
        if len(shape) == 2 and shape[1] > 1:
            if self._targets is None or tuple(self._targets.shape) != (shape[0],):
                generator = np.random.default_rng(self._seed)
                classes = generator.integers(0, shape[1], size=shape[0]).astype(np.int64)
                self._targets = self.adapter.tensor_from(classes)
            return lib.nn.functional.cross_entropy(output, self._targets)
        return lib.nn.functional.mse_loss(output, lib.zeros(*shape, dtype=output.dtype))

    def loss_name(self) -> str:
        """How the loss is made, for the help and status lines."""
        output = self.last_output
        if output is not None and len(tuple(output.shape)) == 2 and tuple(output.shape)[1] > 1:
            return "cross-entropy on random classes"
        return "MSE against zeros"

    def _first_tensor(self, output: Any) -> Any:
        from inspector.events import flatten_values

        for leaf in flatten_values(output):
            if self.adapter.is_tensor(leaf):
                return leaf
        raise TypeError(f"the model returned {type(output).__name__}, not a Tensor: "
                        "nothing to take a loss of")

    def forward(self, on_event: EventCallback | None = None) -> StepResult:
        """Run the model on the example input, recording forward_pre and forward events."""
        with self._lock:
            start = time.perf_counter()
            output, added = self._record(self._call, on_event)
            self.last_output = output
            tensor = self._first_tensor(output)
            elapsed = (time.perf_counter() - start) * 1e3
            return StepResult("forward", tuple(tensor.shape), None, added, elapsed, self.nonfinite)

    def _forward_backward(self) -> tuple[Any, float]:
        self.model.zero_grad()
        output = self._call()
        self.last_output = output
        tensor = self._first_tensor(output)
        loss = self.loss_for(tensor)
        if not loss.requires_grad:
            raise ValueError(f"{self.name}'s output does not require grad (no parameter requires grad and "
                             "the input does not either): there is nothing for backward to do")
        loss.backward()
        return tensor, float(loss.item())

    def backward(self, on_event: EventCallback | None = None) -> StepResult:
        """Forward, a loss, and backward (gradients from zero), recording every event."""
        with self._lock:
            start = time.perf_counter()
            (tensor, loss), added = self._record(self._forward_backward, on_event)
            elapsed = (time.perf_counter() - start) * 1e3
            return StepResult("backward", tuple(tensor.shape), loss, added, elapsed, self.nonfinite)

    def step(self, on_event: EventCallback | None = None) -> StepResult:
        """Forward, loss, backward and one optimizer step."""
        with self._lock:
            start = time.perf_counter()
            with self.history.recording(self.model):
                (tensor, loss), added = self._record(self._forward_backward, on_event)
            self.optimizer.step()
            self.steps += 1
            self.losses.append(loss)
            self.history.add_step(self.steps, loss, self.model)
            elapsed = (time.perf_counter() - start) * 1e3
            return StepResult("step", tuple(tensor.shape), loss, added, elapsed, self.nonfinite)

    def train(self, steps: int, on_event: EventCallback | None = None,
              on_step: Callable[[int, StepResult], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> list[StepResult]:
        """`steps` optimizer steps; `on_step(i, result)` after each, stopping early when `cancelled()`."""
        if steps < 1:
            raise ValueError(f"number of steps must be at least 1, got {steps}")
        results = []
        for number in range(steps):
            if cancelled is not None and cancelled():
                break
            results.append(self.step(on_event))
            if on_step is not None:
                on_step(number, results[-1])
        return results

    def events_matching(self, module: str = "", phase: str = "") -> list[Any]:
        """The recorded events of modules whose path contains `module`, in phase `phase` (if given)."""
        return [event for event in self.events if (not phase or event.phase == phase)
                and (not module or module in event.module)]

    def clear_events(self) -> None:
        self.events.clear()

    # --- train / eval ---------------------------------------------------------------------------

    def module(self, path: str) -> Any:
        return self.model.get_submodule(path) if path else self.model

    def set_training(self, path: str, mode: bool) -> None:
        """train(mode) on the module at `path` and its whole subtree."""
        self.module(path).train(mode)
        self.history.mark(self.steps, f"{'train' if mode else 'eval'} {path or 'model'}")

    def toggle_training(self, path: str = "") -> bool:
        """Flip the subtree at `path` to the opposite of its root's mode; returns the new mode."""
        mode = not self.module(path).training
        self.set_training(path, mode)
        return mode

    def compare_modes(self) -> ModeComparison:
        """The same input in eval and in train mode: differing outputs, buffers a training run changes."""
        with self._lock:
            return compare_modes(self.model, self.example_input)

    # --- interventions ---------------------------------------------------------------------------

    def intervene(self, path: str, intervention: Intervention) -> None:
        """From the next forward on, the module at `path` gives `intervention`'s output instead of its own
        (a forward hook that returns the new output)."""
        with self._lock:
            self.interventions.set(path, intervention)

    def undo_intervention(self, path: str) -> Intervention | None:
        """Remove the hook on `path`; the intervention it held (None: there was none)."""
        with self._lock:
            return self.interventions.remove(path)

    def undo_interventions(self) -> int:
        """Remove every intervention's hook; how many there were."""
        with self._lock:
            return self.interventions.clear()

    # --- state dict snapshots ---------------------------------------------------------------------

    def save_snapshot(self, path: str | Path, overwrite: bool = False) -> Path:
        """mm.save the model's state_dict to `path`; refuses an existing file unless `overwrite`."""
        path = Path(path).expanduser().absolute()
        if path.suffix != ".npz":
            raise ValueError(f"snapshot file {path} must end in .npz")
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; confirm to overwrite it or choose another name")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"folder {path.parent} does not exist; create it or choose another path")
        with self._lock:
            # the state dict's values as numpy arrays, in minimod's .npz format (no pickle), whichever the
            # library: a torch model's snapshot is not a torch.save file
            mm.save(self.current_state(), str(path))
            self.snapshot = read_state_file(path)
            self.snapshot_path = path
        self.history.mark(self.steps, "snapshot")
        return path

    def current_state(self) -> dict[str, np.ndarray]:
        """A copy of the model's state_dict as numpy arrays."""
        array = self.adapter.array
        return {key: np.array(array(value)) for key, value in self.model.state_dict().items()}

    def snapshot_diff(self) -> list[KeyDiff]:
        """Every key of the model and the snapshot: changed or not, max |difference|, parameter or buffer."""
        if self.snapshot is None:
            raise ValueError("no snapshot yet: save one first (s)")
        with self._lock:
            return diff_states(self.current_state(), self.snapshot, parameter_keys(self.model))

    def check_file(self, path: str | Path) -> LoadReport:
        """What loading `path` would meet: missing keys, unexpected keys, shape mismatches."""
        state = read_state_file(Path(path).expanduser())
        return check_state(self.model, state, Path(path).expanduser(), strict=True)

    def load_snapshot(self, path: str | Path, strict: bool = True) -> LoadReport:
        """load_state_dict from `path`; the report lists problems, or what changed back."""
        path = Path(path).expanduser().absolute()
        state = read_state_file(path)
        with self._lock:
            report = check_state(self.model, state, path, strict=strict)
            before = self.current_state()
            values = {key: self.adapter.tensor_from(value) for key, value in state.items()}
            try:
                result = self.model.load_state_dict(values, strict=strict)
            except RuntimeError as error:
                # minimod's load is all or nothing; PyTorch's has copied every matching key before it
                # raises: say which keys a failed load changed all the same
                partly = _changed_keys(before, self.current_state())
                return dataclasses.replace(report, error=str(error), loaded=False, restored=partly)
            after = self.current_state()
            changed = _changed_keys(before, after)
            self.history.mark(self.steps, "load")
            remaining = diff_states(after, {key: state[key] for key in state if key in after},
                                    parameter_keys(self.model))
            return dataclasses.replace(
                report, loaded=True, missing=tuple(result.missing_keys),
                unexpected=tuple(result.unexpected_keys), restored=changed,
                still_different=tuple(item.key for item in remaining if item.changed and item.key in state),
            )

    def summary(self, depth: int | None = None) -> Any:
        """The model's summary (inspector.summary.Summary) from one traced forward; the model is unchanged."""
        from inspector.summary import summarize

        if self.example_input is None:
            raise ValueError(f"{self.name} has no example input: {self.input_hint()}")
        with self._lock:
            return summarize(self.model, self.example_input, name=self.name, depth=depth)

    def take_warnings(self) -> list[str]:
        """The warnings not shown yet (each distinct one is returned once)."""
        taken, self.new_warnings = self.new_warnings, []
        return taken
