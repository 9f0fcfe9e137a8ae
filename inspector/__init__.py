"""minimod's inspector: the terminal app and the Graphviz renderer; Textual and graphviz load when used."""

from typing import Any

__all__ = ["render"]


def __getattr__(name: str) -> Any:
    # `inspector.render` without importing the renderer (and graphviz) on `import inspector`.
    if name == "render":
        from inspector.diagram import render

        return render
    raise AttributeError(f"module 'inspector' has no attribute {name!r}")
