"""Messages shared by the inspector's screens and widgets, posted by the model worker thread."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class TraceBatch(Message):
    """A batch of TraceEvents the worker recorded (posted a few times a second, not once per event)."""

    def __init__(self, events: list[Any]) -> None:
        super().__init__()
        self.events = events


class RunFinished(Message):
    """A forward, backward, step, training run, compare, save or load finished; `result` says how."""

    def __init__(self, action: str, result: Any) -> None:
        super().__init__()
        self.action = action
        self.result = result


class RunFailed(Message):
    """The user's model (or a file) raised; `description` is one line naming the error and where;
    `module` the path of the module whose forward raised (None: not inside a module's forward)."""

    def __init__(self, action: str, description: str, module: str | None = None) -> None:
        super().__init__()
        self.action = action
        self.description = description
        self.module = module


class TrainProgressed(Message):
    """Training finished step `done` of `total` with loss `loss`."""

    def __init__(self, done: int, total: int, loss: float | None) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.loss = loss
