"""Diagrams drawn in characters, for a terminal pane: the module tree, a graph read back from its
output (the autograd view), and a timeline of hook firings. Pure functions: data in, lines out."""

from __future__ import annotations

from collections.abc import Iterable

from inspector.events import TraceEvent
from inspector.graph import Graph, ModuleInfo, count_text

# the phases of a TraceEvent, the letter a timeline marks them with, and what the letter means
HEADING_WIDTH = 48
PHASE_MARKS = {"forward_pre": ("p", "forward pre-hook"), "forward": ("f", "forward hook"),
               "backward": ("b", "backward hook")}


def _branches(count: int) -> Iterable[tuple[str, str]]:
    """(this line's connector, the prefix for lines below it) for each of `count` siblings."""
    for index in range(count):
        last = index == count - 1
        yield ("└─ " if last else "├─ "), ("   " if last else "│  ")


def tree_lines(infos: dict[str, ModuleInfo]) -> list[str]:
    """The module tree of graph.describe_modules(model): one line per module, its name and type,
    then its own parameters and buffers with their shapes, and the count of numbers below it."""
    lines: list[str] = []

    def visit(path: str, connector: str, prefix: str) -> None:
        info = infos[path]
        count = f"  [{count_text(info.total_parameters)} numbers]" if info.total_parameters else ""
        heading = info.heading()
        if len(heading) > HEADING_WIDTH:  # long hyperparameters (BatchNorm's) would wrap the tree
            heading = heading[:HEADING_WIDTH - 1] + "…"
        lines.append(f"{connector}{heading}{count}")
        tensors = [f"{name} {_shape(shape)}" for name, shape, _grad, _shared in info.parameters]
        tensors += [f"{name} {_shape(shape)} (buffer)" for name, shape, _persistent in info.buffers]
        below = prefix + ("│  " if info.children else "   ")
        for text in tensors:
            lines.append(f"{below}· {text}")
        for child, (child_connector, child_prefix) in zip(info.children, _branches(len(info.children))):
            visit(child, prefix + child_connector, prefix + child_prefix)

    visit("", "", "")
    return lines


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def graph_lines(graph: Graph) -> list[str]:
    """A graph whose edges run forward (tail feeds head) drawn backwards from its last node, as
    backward() walks it: each node, then the nodes that feed it, indented. A node reached a second
    time is named again with "(see above)" instead of being drawn twice."""
    feeds: dict[str, list[str]] = {}
    for edge in graph.edges:
        feeds.setdefault(edge.head, []).append(edge.tail)
    heads = {edge.head for edge in graph.edges}
    tails = {edge.tail for edge in graph.edges}
    labels = {node.id: "  ".join(node.lines) for node in graph.nodes}
    roots = [node.id for node in graph.nodes if node.id in heads and node.id not in tails] or \
        [node.id for node in graph.nodes if node.id not in tails]
    lines: list[str] = []
    drawn: set[str] = set()

    def visit(node: str, connector: str, prefix: str) -> None:
        if node in drawn:
            lines.append(f"{connector}{labels[node]}  (see above)")
            return
        drawn.add(node)
        lines.append(f"{connector}{labels[node]}")
        inputs = feeds.get(node, [])
        for tail, (child_connector, child_prefix) in zip(inputs, _branches(len(inputs))):
            visit(tail, prefix + child_connector, prefix + child_prefix)

    for root in roots:
        visit(root, "", "")
    return lines


def timeline_lines(events: list[TraceEvent], paths: list[str], kinds: dict[str, str]) -> list[str]:
    """One row per module (in `paths` order, indented by depth), one column per hook firing in time
    order: p, f or b where that module's hook fired, ─ while its forward runs (between its p and f).
    TIMELINE_LEGEND says so in words."""
    column = {path: [" "] * len(events) for path in paths}
    open_at: dict[str, int] = {}
    for time, event in enumerate(events):
        if event.module not in column:
            continue
        column[event.module][time] = PHASE_MARKS[event.phase][0]
        if event.phase == "forward_pre":
            open_at[event.module] = time
        elif event.phase == "forward" and event.module in open_at:
            for between in range(open_at.pop(event.module) + 1, time):
                column[event.module][between] = "─"
    labels = {path: "  " * (path.count(".") + (1 if path else 0)) + (path or "(model)") + f" {kinds[path]}"
              for path in paths}
    width = max(len(label) for label in labels.values()) + 1
    lines = [" " * width + "time →"]
    lines += [labels[path].ljust(width) + "".join(f"{mark} " for mark in column[path]).rstrip()
              for path in paths]
    return lines


TIMELINE_LEGEND = (", ".join(f"{mark} = {meaning}" for mark, meaning in PHASE_MARKS.values())
                   + "; ─ = the module's forward is running")
