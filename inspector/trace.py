"""Record what a model does: a Recorder attaches hooks in a `with` block and removes every one on exit."""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from inspector.adapters import adapter_for
from inspector.events import OpEvent, TraceEvent, flatten_values, tensor_stats

__all__ = [
    "Recorder", "Trace", "call_model", "hook_warnings_silenced", "preserved_state", "trace_forward",
    "trace_forward_backward",
]


class Recorder:
    """Records a TraceEvent for every forward pre-hook, forward hook and full backward hook of every
    module in `model` (and, with `record_ops=True`, an OpEvent for every functional op).

    Use it as a context manager: it attaches the global module hooks of the model's library
    (nn.register_module_* in minimod, torch.nn.modules.module's in torch) and its op observer, and
    removes every handle on exit, also when the forward raises.
    `on_event(event)` is called for each TraceEvent as it happens (from the thread running the
    model), `on_op(op)` for each OpEvent. With `stats=False` the inputs and outputs are recorded as
    empty tuples (cheapest). `track_tensors` (default: `record_ops`) numbers the tensors seen
    (keeping them alive until the recorder is dropped) so `input_ids`/`output_ids` link a producer
    to its consumers; `backward=False` skips the backward hooks. Full backward hooks wrap each
    module's inputs and outputs in new tensors after the hooks have seen them (as in torch), so ids
    link across modules only with `backward=False`.
    """

    def __init__(
        self,
        model,
        *,
        on_event: Callable[[TraceEvent], None] | None = None,
        record_ops: bool = False,
        stats: bool = True,
        on_op: Callable[[OpEvent], None] | None = None,
        track_tensors: bool | None = None,
        backward: bool = True,
    ) -> None:
        self.model = model
        self.adapter = adapter_for(model)
        self._tensor_type = self.adapter.tensor_type
        self.on_event = on_event
        self.on_op = on_op
        self.record_ops = record_ops
        self.stats = stats
        self.track_tensors = record_ops if track_tensors is None else track_tensors
        self.backward = backward
        self.events: list[TraceEvent] = []
        self.ops: list[OpEvent] = []
        # seq number of a parameter or buffer of the model -> its state_dict-style name
        self.tensor_names: dict[int, str] = {}
        self._handles: list = []
        self._paths: dict[int, str] = {}
        self._stack: list[tuple[str, float]] = []
        self._counter = 0
        self._thread: int | None = None
        self._tensor_seq: dict[int, int] = {}
        self._tensor_refs: list = []  # keeps tracked tensors alive, so their id() stays unique
        self._named_tensors: dict[int, str] = {}
        self.failed_in: str | None = None  # the innermost module running when the run raised
        # with track_tensors: an op's or a module call's index -> its outputs' grad_fn at that moment (an
        # in-place op later gives the same tensor a new one); the autograd view groups nodes by module
        self.grad_fns: dict[int, tuple] = {}

    # --- attaching and detaching ---------------------------------------------------------------

    def __enter__(self) -> Recorder:
        self._thread = threading.get_ident()
        self._stack.clear()
        try:
            for path, module in self.model.named_modules():
                self._paths[id(module)] = path
            # global hooks: three handles however big the model, and modules the model creates or
            # swaps in during the run are seen too (those outside the model are ignored)
            self._handles.extend(self.adapter.module_hooks(
                self._forward_pre_hook, self._forward_hook, self._backward_hook if self.backward else None))
            if self.track_tensors:
                for name, tensor in self.model.named_parameters():
                    self._named_tensors[id(tensor)] = name
                for name, tensor in self.model.named_buffers():
                    self._named_tensors[id(tensor)] = name
            if self.record_ops:
                self._handles.append(self.adapter.observe_ops(self._op_observer))
        except BaseException:
            self.remove()
            raise
        return self

    def __exit__(self, exc_type, *exc_info) -> bool:
        if exc_type is not None and self._stack:
            self.failed_in = self._stack[-1][0]  # its forward (or a hook of it) raised
        self.remove()
        return False

    def remove(self) -> None:
        """Detach every hook and the op observer (safe to call twice)."""
        handles, self._handles = self._handles, []
        for handle in handles:
            handle.remove()
        self._stack.clear()

    # --- numbering ---------------------------------------------------------------------------

    def _next_index(self) -> int:
        index = self._counter
        self._counter += 1
        return index

    def _seq(self, value: object) -> int | None:
        if not self.track_tensors or not isinstance(value, self._tensor_type):
            return None
        key = id(value)
        seq = self._tensor_seq.get(key)
        if seq is None:
            seq = len(self._tensor_refs)
            self._tensor_seq[key] = seq
            self._tensor_refs.append(value)
            name = self._named_tensors.get(key)
            if name is not None:
                self.tensor_names[seq] = name
        return seq

    def tensor_id(self, value: object) -> int | None:
        """The number this recorder gave `value` (None if it is not a tracked tensor)."""
        return self._tensor_seq.get(id(value)) if isinstance(value, self._tensor_type) else None

    def _describe(self, value: object) -> tuple[tuple, tuple]:
        leaves = flatten_values(value)
        array = self.adapter.array
        stats = tuple(tensor_stats(array(leaf)) for leaf in leaves) if self.stats else ()
        ids = tuple(self._seq(leaf) for leaf in leaves) if self.track_tensors else ()
        return stats, ids

    def _emit(self, event: TraceEvent) -> None:
        self.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    # --- hooks -------------------------------------------------------------------------------

    def _forward_pre_hook(self, module, args) -> None:
        path = self._paths.get(id(module))
        if path is None:
            return  # a module that is not part of the model (another model, or the UI's)
        if path == "":
            self._stack.clear()  # a new top-level call: forget anything an earlier raise left behind
        inputs, input_ids = self._describe(args)
        self._emit(
            TraceEvent(self._next_index(), "forward_pre", path, type(module).__name__, inputs, (), 0.0,
                       module.training, input_ids, ())
        )
        self._stack.append((path, time.perf_counter()))

    def _forward_hook(self, module, args, output) -> None:
        end = time.perf_counter()
        path = self._paths.get(id(module))
        if path is None:
            return
        start = end
        # pop this module's frame (and any frame a raising child left above it)
        while self._stack:
            frame_path, frame_start = self._stack.pop()
            if frame_path == path:
                start = frame_start
                break
        inputs, input_ids = self._describe(args)
        outputs, output_ids = self._describe(output)
        index = self._next_index()
        if self.track_tensors:
            self.grad_fns[index] = self._grad_fns(flatten_values(output))
        self._emit(
            TraceEvent(index, "forward", path, type(module).__name__, inputs, outputs,
                       (end - start) * 1000.0, module.training, input_ids, output_ids)
        )

    def _backward_hook(self, module, grad_input, grad_output) -> None:
        path = self._paths.get(id(module))
        if path is None:
            return
        inputs, input_ids = self._describe(grad_input)
        outputs, output_ids = self._describe(grad_output)
        self._emit(
            TraceEvent(self._next_index(), "backward", path, type(module).__name__, inputs, outputs, 0.0,
                       module.training, input_ids, output_ids)
        )

    def _grad_fns(self, values: list) -> tuple:
        return tuple(value.grad_fn for value in values if isinstance(value, self._tensor_type))

    def _plain(self, value: object) -> object:
        """An op argument as a plain value: numpy scalars as Python's, tensors and arrays as "tensor"."""
        if isinstance(value, (self._tensor_type, np.ndarray)):
            return "tensor"
        if isinstance(value, (list, tuple)):
            return tuple(self._plain(item) for item in value)
        if isinstance(value, slice):
            return slice(self._plain(value.start), self._plain(value.stop), self._plain(value.step))
        if isinstance(value, np.generic):
            return value.item()
        if value is None or value is Ellipsis or isinstance(value, (bool, int, float, str)):
            return value
        return str(value)  # a dtype, a device

    def _op_observer(self, name: str, inputs, outputs, arguments: dict) -> None:
        if threading.get_ident() != self._thread:
            return  # another thread's op (e.g. the UI's); not part of this model's run
        stack = tuple(path for path, _ in self._stack)
        in_tensors = [value for value in flatten_values(inputs) if isinstance(value, self._tensor_type)]
        out_tensors = [value for value in flatten_values(outputs) if isinstance(value, self._tensor_type)]
        index = self._next_index()
        if self.track_tensors:
            self.grad_fns[index] = self._grad_fns(out_tensors)
        op = OpEvent(
            index,
            name,
            stack[-1] if stack else "",
            stack,
            tuple(tuple(value.shape) for value in in_tensors),
            tuple(tuple(value.shape) for value in out_tensors),
            tuple(self._seq(value) for value in in_tensors) if self.track_tensors else (),
            tuple(self._seq(value) for value in out_tensors) if self.track_tensors else (),
            tuple((key, self._plain(value)) for key, value in arguments.items()),
        )
        self.ops.append(op)
        if self.on_op is not None:
            self.on_op(op)


# --- one traced run ------------------------------------------------------------------------------


@dataclass
class Trace:
    """What one traced run recorded, with the forward's output (its grad_fn graph is still there)."""

    model_name: str
    training: bool
    events: list[TraceEvent]
    ops: list[OpEvent]
    output: object
    loss: object | None = None  # the Tensor backward ran from
    tensor_names: dict[int, str] = field(default_factory=dict)
    grad_fns: dict[int, tuple] = field(default_factory=dict)  # see Recorder.grad_fns

    def forward_events(self) -> list[TraceEvent]:
        return [event for event in self.events if event.phase == "forward"]

    def backward_events(self) -> list[TraceEvent]:
        return [event for event in self.events if event.phase == "backward"]

    def root_call(self) -> tuple[TraceEvent | None, TraceEvent | None]:
        """The root module's (forward_pre, forward) events of the first call."""
        pre = next((e for e in self.events if e.phase == "forward_pre" and e.module == ""), None)
        post = next((e for e in self.events if e.phase == "forward" and e.module == ""), None)
        return pre, post


def call_model(model, example_input: object) -> object:
    """`model(*example_input)` for a tuple of arguments, else `model(example_input)`."""
    if isinstance(example_input, tuple):
        return model(*example_input)
    return model(example_input)


@contextmanager
def preserved_state(model) -> Iterator[None]:
    """Put back the buffers (e.g. BatchNorm's running statistics) and the parameters' .grad afterwards,
    so tracing a model for a diagram leaves it as it was."""
    adapter = adapter_for(model)
    buffers = [(name, np.array(adapter.array(buffer), copy=True)) for name, buffer in model.named_buffers()]
    grads = [(parameter, parameter.grad) for parameter in model.parameters()]
    try:
        yield
    finally:
        with adapter.lib.no_grad():
            for name, saved in buffers:
                try:
                    buffer = model.get_buffer(name)
                except AttributeError:
                    continue  # the forward removed it; nothing to put back
                if adapter.is_tensor(buffer) and tuple(buffer.shape) == saved.shape:
                    buffer.copy_(adapter.tensor_from(saved))
        for parameter, grad in grads:
            parameter.grad = grad


@contextmanager
def hook_warnings_silenced(model) -> Iterator[None]:
    """Silence the warning a full backward hook gives on a module whose inputs need no grad (the first
    layer, fed the input) when the hooks are the inspector's own: the model did not ask for them, so
    the warning must not look like the model's. A model with backward hooks of its own keeps it."""
    own_hooks = any(getattr(module, "_backward_hooks", None) for module in model.modules())
    with warnings.catch_warnings():
        if not own_hooks:
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
        yield


def _default_loss(model, output: object) -> object | None:
    """The sum of every floating output that requires grad (so backward sends ones back)."""
    adapter = adapter_for(model)
    total = None
    for leaf in flatten_values(output):
        if adapter.is_tensor(leaf) and leaf.requires_grad and adapter.is_floating(leaf):
            part = leaf.sum()
            total = part if total is None else total + part
    return total


def trace_forward(model, example_input: object, *, record_ops: bool = True, stats: bool = True) -> Trace:
    """Run one forward under a Recorder (no backward hooks); the model's state is left unchanged."""
    with preserved_state(model), Recorder(model, record_ops=record_ops, stats=stats, backward=False) as rec:
        output = call_model(model, example_input)
    return Trace(type(model).__name__, model.training, rec.events, rec.ops, output, None, rec.tensor_names,
                 rec.grad_fns)


def trace_forward_backward(
    model, example_input: object, loss_fn: Callable[[object], object] | None = None, *,
    record_ops: bool = True, stats: bool = True,
) -> Trace:
    """Run forward and backward under one Recorder; the model's buffers and grads are put back after.

    The loss is `loss_fn(output)`, or the sum of the outputs; no backward runs if nothing requires grad.
    """
    with preserved_state(model), Recorder(model, record_ops=record_ops, stats=stats) as rec, \
            hook_warnings_silenced(model):
        output = call_model(model, example_input)
        loss = loss_fn(output) if loss_fn is not None else _default_loss(model, output)
        if loss is not None and loss.requires_grad:
            loss.backward()
    return Trace(type(model).__name__, model.training, rec.events, rec.ops, output, loss, rec.tensor_names,
                 rec.grad_fns)
