"""The main screen's status line: model, input, mode, counts and loss, what runs, and what e draws."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from inspector.screens.main.diagram_choice import DiagramChoice
from inspector.session import Session
from inspector.tensor_summary import shape_text
from inspector.widgets.state_panel import display_path


def status_line(session: Session, *, loss: float | None, loss_stale: bool, busy: str | None,
                train_progress: tuple[int, int] | None, step_cursor: int | None, diagram: DiagramChoice,
                last_export: str | None) -> Text:
    """One line: `loss` is the last run's (None: none yet), `loss_stale` when a load changed the weights
    since; `busy` the run going on, with training's progress; the step-through cursor; the diagram choice
    and the last file it was exported to."""
    model = session.model
    text = Text()
    text.append(f" {session.name} ", style="bold reverse")
    text.append(f" {session.library}", style="bold magenta")
    example = session.example_input
    items = example if isinstance(example, tuple) else (example,)
    if example is None:
        text.append(" no example input (i sets one)", style="bold red")
    else:
        shown = [shape_text(tuple(item.shape)) if hasattr(item, "shape") else repr(item) for item in items]
        text.append(f" input {', '.join(shown)}")
    text.append("  train" if model.training else "  eval", style="bold yellow" if model.training
                else "bold blue")
    text.append(f"  events {len(session.events):,}  steps {session.steps}")
    if loss_stale:  # a load changed the weights (or may have): the last loss is not theirs
        text.append("  loss - (weights loaded; b computes it)")
    elif session.losses:
        text.append(f"  loss {session.losses[-1]:.4f}")
    elif loss is not None:
        text.append(f"  loss {loss:.4f}")
    if busy:
        progress = f" {train_progress[0]}/{train_progress[1]}" if train_progress else ""
        text.append(f"  running {busy}{progress}...", style="bold green")
    if step_cursor is not None:
        text.append(f"  stepping: event {step_cursor}", style="bold cyan")
    if len(session.interventions):
        text.append(f"  hooks {len(session.interventions)} (u/U undo)", style="bold magenta")
    text.append(f"  {diagram.status()}")
    if last_export:
        text.append(f" -> {display_path(Path(last_export))}", style="green")
    return text
