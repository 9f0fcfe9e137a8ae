"""The pictures a lesson step draws after it runs: module tree, autograd graph, hook timeline, loss curve.

A step names its picture (lessons.course.Step.picture); `make_picture` builds it from the step's
namespace as plain data (text lines, or the points of a curve), and `save_svg` writes the same
picture as an SVG: the project's renderer (inspector/diagram.py) for the tree and the autograd
graph, the text picture itself for the timeline and the curve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.text_diagram import TIMELINE_LEGEND, graph_lines, timeline_lines, tree_lines

KINDS = ("tree", "autograd", "hooks", "loss")
CURVE_POINTS = 100  # a loss curve averages its values into at most this many points


@dataclass(frozen=True)
class Picture:
    """What the Picture tab shows: a title and text lines, or (kind "loss") a curve's points."""

    kind: str
    title: str
    lines: tuple[str, ...] = ()
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    note: str = ""
    source: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def parse(spec: str) -> tuple[str, str]:
    """"autograd:loss" -> ("autograd", "loss"): the kind and the expression it draws (may be "")."""
    kind, _, expression = spec.partition(":")
    if kind not in KINDS:
        raise ValueError(f"Step.picture must start with one of {KINDS}, got {spec!r}")
    if kind in ("autograd", "loss") and not expression:
        raise ValueError(f"Step.picture {spec!r} needs an expression: '{kind}:NAME'")
    return kind, expression


def _module(namespace: dict[str, Any]):
    from minimod import nn

    model = namespace.get("model")
    return model if isinstance(model, nn.Module) else nn.Module()


def _leaves_created(namespace: dict[str, Any]) -> list[str]:
    """Names of the step's own leaf tensors that require grad (not parameters: those carry names)."""
    from minimod import Tensor
    from minimod.nn import Parameter

    return [name for name, value in namespace.items()
            if isinstance(value, Tensor) and not isinstance(value, Parameter) and not name.startswith("_")
            and value.requires_grad and value.grad_fn is None]


def make_picture(spec: str, namespace: dict[str, Any]) -> Picture:
    """Build the picture `spec` from a step's namespace (runs in the step's worker thread)."""
    kind, expression = parse(spec)
    value = eval(compile(expression, "<picture>", "eval"), namespace) if expression else None
    if kind == "tree":
        from inspector.graph import describe_modules

        model = _module(namespace)
        return Picture(kind, f"The module tree of {type(model).__name__}",
                       tuple(tree_lines(describe_modules(model))), source={"model": model})
    if kind == "autograd":
        from inspector.graph_autograd import autograd_graph

        graph = autograd_graph(_module(namespace), value)  # no traced run: no module frames
        note = "Read from the top: the output, then the nodes backward() visits, down to the leaves"
        created = _leaves_created(namespace)
        if created:
            note += (" ('leaf': a tensor you created, where AccumulateGrad collects its gradient: "
                     f"{', '.join(created)})")
        return Picture(kind, f"The autograd graph of {expression}", tuple(graph_lines(graph)), note=note,
                       source={"graph": graph})
    if kind == "hooks":
        from inspector.trace import trace_forward_backward

        model = _module(namespace)
        trace = trace_forward_backward(model, namespace["example_input"], record_ops=False, stats=False)
        modules = list(model.named_modules())
        lines = timeline_lines(trace.events, [path for path, _ in modules],
                               {path: type(module).__name__ for path, module in modules})
        return Picture(kind, f"Hook firing order: {type(model).__name__}(example_input), then backward",
                       tuple(lines), note=TIMELINE_LEGEND)
    values = [float(number) for number in value]
    size = max(1, -(-len(values) // CURVE_POINTS))  # ceil: at most CURVE_POINTS points
    points = [values[start:start + size] for start in range(0, len(values), size)]
    x = tuple(float(start + size) for start in range(0, len(values), size))
    y = tuple(sum(chunk) / len(chunk) for chunk in points)
    note = f"each point: the mean of {size} steps" if size > 1 else ""
    return Picture(kind, f"{expression}: loss over {len(values)} training steps", x=x, y=y, note=note)


def curve_text(picture: Picture, width: int = 100, height: int = 25) -> str:
    """The loss curve as plotext draws it in a terminal (ANSI colours included)."""
    import plotext

    plotext.clear_figure()
    plotext.plotsize(width, height)
    plotext.title(picture.title)
    plotext.xlabel("training step")
    plotext.ylabel("loss")
    plotext.plot(list(picture.x), list(picture.y), marker="braille")
    text = plotext.build()
    plotext.clear_figure()
    return text


def save_svg(picture: Picture, path: Path) -> Path:
    """Write `picture` as an SVG file at `path` (atomically); returns the path."""
    from inspector.diagram import Diagram, _atomic_write

    if picture.kind == "tree":
        from inspector.diagram import render

        render(picture.source["model"], view="tree").save(path)
        return path
    if picture.kind == "autograd":
        from inspector.render_dot import to_dot

        graph = picture.source["graph"]
        Diagram(to_dot(graph), "autograd", " ".join(graph.title)).save(path)
        return path
    import io

    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=120, file=io.StringIO())
    if picture.kind == "loss":
        console.print(Text.from_ansi(curve_text(picture)))
    else:
        console.print(Text(picture.title, style="bold"))
        console.print(Text("\n".join(picture.lines)))
        if picture.note:
            console.print(Text(picture.note, style="italic"))
    _atomic_write(path, console.export_svg(title=picture.title).encode("utf-8"))
    return path
