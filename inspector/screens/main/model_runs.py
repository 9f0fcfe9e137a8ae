"""Running the model in a worker thread: its trace events, progress and result come back as messages.

The events go in batches a few times a second (inspector/messages.py holds the messages)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.worker import Worker, get_current_worker

from inspector.messages import RunFailed, RunFinished, TraceBatch, TrainProgressed
from inspector.session import Session, StepResult
from inspector.tensor_summary import shape_text

# a job: job(on_event, worker) -> its result; on_event takes each trace event as it is recorded
Job = Callable[[Callable[[Any], None], Worker], Any]
BATCH_SECONDS = 0.1  # how often the worker hands recorded events to the UI


def run_job(session: Session, action: str, job: Job, post: Callable[[Message], Any]) -> None:
    """Run `job` in the current worker thread, posting its trace events in batches (TraceBatch), then
    RunFinished with its result, or RunFailed naming what the user's model raised and where."""
    worker = get_current_worker()
    pending: list[Any] = []
    last_flush = time.monotonic()

    def on_event(event: Any) -> None:
        nonlocal last_flush
        pending.append(event)
        now = time.monotonic()
        if now - last_flush >= BATCH_SECONDS:
            post(TraceBatch(pending[:]))
            pending.clear()
            last_flush = now

    try:
        result = job(on_event, worker)
    except Exception as error:  # the user's model raised: report it, keep the app alive
        if pending:
            post(TraceBatch(pending[:]))
        post(RunFailed(action, session.describe(error), session.failed_module))
        return
    if pending:
        post(TraceBatch(pending[:]))
    post(RunFinished(action, result))


def train_job(session: Session, steps: int, post: Callable[[Message], Any]) -> Job:
    """A job taking `steps` optimizer steps, posting TrainProgressed a few times a second; the worker's
    cancellation (x) stops it after the current step."""
    last = [0.0]

    def job(on_event: Callable[[Any], None], worker: Worker) -> list[StepResult]:
        def on_step(number: int, result: StepResult) -> None:
            now = time.monotonic()
            if now - last[0] >= BATCH_SECONDS or number + 1 == steps:
                last[0] = now
                post(TrainProgressed(number + 1, steps, result.loss))

        return session.train(steps, on_event, on_step, lambda: worker.is_cancelled)

    return job


def describe_run(action: str, result: StepResult | list[StepResult]) -> str:
    """One line on a finished run: its output, events, time and loss; a training run's first and last loss."""
    if isinstance(result, list):
        losses = [item.loss for item in result if item.loss is not None]
        return f"trained {len(result)} steps; loss {losses[0]:.4f} -> {losses[-1]:.4f}" if losses else ""
    shape = shape_text(result.output_shape) if result.output_shape is not None else "none"
    text = f"{action}: output {shape}, {result.events} events, {result.elapsed_ms:.1f} ms"
    return text + (f", loss {result.loss:.4f}" if result.loss is not None else "")
