"""ModuleInfo: the selected module's repr, mode, hooks and what its last traced call saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import Static

from inspector.tensor_summary import shape_text, short_path
from inspector.widgets.cells import show_text

MAX_REPR_LINES = 4
MAX_CHILDREN = 8


def _hook_count(module: Any, name: str) -> int:
    hooks = getattr(module, name, None)
    return len(hooks) if hasattr(hooks, "__len__") else 0


class LastCalls:
    """The newest trace event of each (module, phase), kept up to date as the trace grows, so showing a
    module never searches the whole trace (100k events, on every cursor move onto a ModuleList)."""

    def __init__(self) -> None:
        self._events: Sequence[Any] | None = None
        self._first: Any = None
        self._seen = 0
        self.last: dict[str, dict[str, Any]] = {}  # module path -> phase -> its newest event

    def update(self, events: Sequence[Any]) -> LastCalls:
        """Take in the events added since the last call (all of them when the trace was replaced)."""
        first = events[0] if events else None
        if events is not self._events or len(events) < self._seen or first is not self._first:
            self._events, self._first, self._seen = events, first, 0
            self.last = {}
        for event in events[self._seen:]:
            self.last.setdefault(event.module, {})[event.phase] = event
        self._seen = len(events)
        return self

    def any_within(self, path: str) -> bool:
        """Whether a module inside `path` (not `path` itself) appears in the trace."""
        prefix = f"{path}." if path else ""
        return any(module.startswith(prefix) and module != path for module in self.last)


def module_info(path: str, module: Any, events: Sequence[Any] = (), show_time: bool = True,
                calls: LastCalls | None = None, first_run_end: int | None = None) -> Text:
    """A few lines on one module; `events` is the session's trace (`calls`: an index of it kept by the
    caller, which saves a search of the trace on every call). Events before `first_run_end` (all of
    them while it is None) belong to the first run, whose times include one-time setup."""
    text = Text()
    text.append(short_path(path, 60) if path else "(root)", style="bold")
    text.append(f"  {type(module).__name__}", style="cyan")
    text.append("  train" if module.training else "  eval", style="bold yellow" if module.training
                else "bold blue")
    children = sum(1 for _ in module.children())
    text.append(f"  {children} child{'' if children == 1 else 'ren'}" if children else "  leaf module")
    forward = _hook_count(module, "_forward_hooks") + _hook_count(module, "_forward_pre_hooks")
    backward = _hook_count(module, "_backward_hooks") + _hook_count(module, "_backward_pre_hooks")
    if forward or backward:
        text.append(f"  hooks: {forward} forward, {backward} backward")
    if children:  # the tree already shows a container's children: name them, skip the long repr
        names = [name for name, _ in module.named_children()]
        shown = ", ".join(names[:MAX_CHILDREN]) + (f", ... ({len(names)} in all)" if len(names) > MAX_CHILDREN
                                                    else "")
        text.append(f"\n{type(module).__name__}({shown})", style="dim")
    else:
        lines = repr(module).splitlines()
        text.append("\n" + "\n".join(lines[:MAX_REPR_LINES]))
        if len(lines) > MAX_REPR_LINES:
            text.append(f"\n... {len(lines) - MAX_REPR_LINES} more lines", style="dim italic")
    calls = (calls or LastCalls()).update(events)
    last = calls.last.get(path, {})
    if "forward" in last:
        event = last["forward"]
        inputs = ", ".join(shape_text(item.shape) for item in event.inputs if item is not None)
        outputs = ", ".join(shape_text(item.shape) for item in event.outputs if item is not None)
        text.append("\nlast forward: ", style="bold")
        first_run = first_run_end is None or event.index < first_run_end
        timing = ""
        if show_time:
            timing = f" in {event.elapsed_ms:.2f} ms" + ("* (first run: one-time setup included)" if first_run
                                                          else "")
        text.append(f"{inputs or '-'} -> {outputs or '-'}{timing} (event {event.index})")
    if "backward" in last:
        event = last["backward"]
        grads = ", ".join(shape_text(item.shape) for item in event.outputs if item is not None)
        text.append("\nlast backward: ", style="bold")
        text.append(f"grad_output {grads or '-'} (event {event.index})")
    if not last:
        if not events:
            note = "not traced yet: f runs a forward pass"
        elif children and calls.any_within(path):
            # a ModuleList or ModuleDict holds modules that the parent's forward calls one by one
            note = f"a {type(module).__name__} is never called itself: its modules are (select one)"
        else:
            note = "not called in the runs traced so far"
        text.append(f"\n{note}", style="dim")
    return text


class ModuleInfo(Static):
    """Static text about one module; `show(path, module, events)` refreshes it."""

    DEFAULT_CSS = """
    ModuleInfo { height: auto; max-height: 8; padding: 0 1; border-top: hkey $primary 40%; }
    """

    def __init__(self, *, show_time: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_time = show_time
        self._calls = LastCalls()

    def take_events(self, events: Sequence[Any]) -> None:
        """Index the events added to the trace since the last call, as they arrive: showing a module
        after a long run then finds its last calls without first reading the run's events."""
        self._calls.update(events)

    def show(self, path: str, module: Any, events: Sequence[Any] = (),
             first_run_end: int | None = None) -> None:
        show_text(self, module_info(path, module, events, self.show_time, self._calls, first_run_end))
