"""What e draws: the diagram's view (v), depth (+ and -) and folding (z), and the job that draws it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.worker import Worker

from inspector.diagram import VIEWS
from inspector.session import Session


def model_depth(model: Any) -> int:
    """How many module levels lie below the root (0 for a model without submodules)."""
    return max((path.count(".") + 1 for path, _ in model.named_modules() if path), default=0)


@dataclass
class DiagramChoice:
    """The view, depth (None: every level) and folding the next export draws with."""

    view: str = "tree"
    depth: int | None = None
    fold: bool = True

    def next_view(self) -> None:
        """tree -> flow -> autograd -> tree."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def change_depth(self, change: int, deepest: int) -> None:
        """Depth counts module levels below the root; past the model's `deepest` it is 'all' (None)."""
        current = deepest if self.depth is None else self.depth
        wanted = max(0, current + change)
        self.depth = None if wanted >= deepest else wanted

    def toggle_fold(self) -> None:
        self.fold = not self.fold

    def status(self) -> str:
        """The status bar's words: `e draws: tree, depth 2, folded`."""
        levels = "all levels" if self.depth is None else f"depth {self.depth}"
        return f"e draws: {self.view}, {levels}{', folded' if self.fold else ''}"

    def export_title(self, collapsed: int) -> str:
        """The export prompt's question, naming what will be drawn (`collapsed`: modules collapsed in the
        module tree, drawn collapsed too)."""
        depth = "all" if self.depth is None else self.depth
        modules = f"{collapsed} module{'' if collapsed == 1 else 's'}"
        as_in_tree = f", {modules} collapsed as in the tree" if collapsed else ""
        return (f"Export the {self.view} diagram (depth {depth}, "
                f"{'folded' if self.fold else 'unfolded'}{as_in_tree}) to")

    def export_job(self, session: Session, path: Path,
                   collapse: list[str]) -> Callable[[Callable[[Any], None], Worker], Path]:
        """A job rendering the session's model as chosen now to `path`; it returns the saved file's path."""
        view, depth, fold = self.view, self.depth, self.fold

        def job(on_event: Callable[[Any], None], worker: Worker) -> Path:
            from inspector.diagram import render

            diagram = render(session.model, view=view, example_input=session.example_input, depth=depth,
                             fold=fold, collapse=collapse)
            return diagram.save(path).resolve()

        return job
