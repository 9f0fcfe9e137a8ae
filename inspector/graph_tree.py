"""The tree view: a model's module hierarchy as nested frames, each module's parameters and buffers inside."""

from __future__ import annotations

import math

from inspector.graph import (
    Cluster,
    Edge,
    Graph,
    ModuleInfo,
    Node,
    count_text,
    describe_modules,
    module_tooltip,
    run_lines,
    run_name,
    shape_text,
    title_lines,
    wrap_text,
)
from inspector.graph_diff import StateDiff
from inspector.graph_folding import Folding

__all__ = ["tree_graph", "state_cells"]

Rows = tuple[list[str], list[str]]  # (top row, bottom row) of an item's node ids


def state_cells(info: ModuleInfo, cluster_id: str, diff: StateDiff | None = None) -> list[Node]:
    """One box per parameter and buffer of `info`, in state_dict order; with `diff`, coloured by it,
    and followed by the keys only the other side has that belong here."""
    prefix = f"{info.path}." if info.path else ""
    cells: list[Node] = []
    for name, shape, requires_grad, _ in info.parameters:
        lines = [name, f"{shape_text(shape)}  {count_text(math.prod(shape))}"]
        aliases = info.aliases.get(name, ())
        if aliases:
            lines.append(f"shared with {', '.join(aliases)}")
        if not requires_grad:
            lines.append("frozen (requires_grad=False)")
        style = "parameter_shared" if aliases else "parameter" if requires_grad else "parameter_frozen"
        cells.append(Node(f"{cluster_id}_{name}", tuple(lines), style, cluster_id))
    for name, shape, persistent in info.buffers:
        lines = [name, f"{shape_text(shape)}  {count_text(math.prod(shape))}"]
        if not persistent:
            lines.append("not in state_dict")
        style = "buffer" if persistent else "buffer_nonpersistent"
        cells.append(Node(f"{cluster_id}_{name}", tuple(lines), style, cluster_id))
    if diff is None:
        return cells
    coloured = []
    for cell in cells:
        key = prefix + cell.lines[0]
        status = diff.status.get(key)
        if status is None:  # a non-persistent buffer: not in the state dict, so not compared
            coloured.append(cell)
            continue
        coloured.append(Node(cell.id, (*cell.lines[:2], status.text), status.style, cluster_id))
    for key in diff.unexpected_under(info.path):
        status = diff.status[key]
        size = f"{shape_text(status.other_shape)}  {count_text(math.prod(status.other_shape))}"
        lines = (key[len(prefix):], size, status.text)
        coloured.append(Node(f"{cluster_id}_{key[len(prefix):].replace('.', '_')}", lines, status.style,
                             cluster_id))
    return coloured


class _TreeBuilder:
    def __init__(self, infos: dict[str, ModuleInfo], folding: Folding, diff: StateDiff | None) -> None:
        self.infos = infos
        self.folding = folding
        self.diff = diff
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []

    def _node(self, lines: list[str] | tuple[str, ...], style: str, cluster: str | None, tooltip: str) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, tuple(lines), style, cluster, tooltip=tooltip))
        return node_id

    def _chain(self, previous: Rows | None, current: Rows) -> None:
        """Invisible edges so siblings stack in registration order: every node of the previous item's
        bottom row to every node of the next one's top row, which keeps the column centred."""
        if previous is None:
            return
        for tail in previous[1]:
            for head in current[0]:
                self.edges.append(Edge(tail, head, style="order"))

    def _has_state(self, info: ModuleInfo) -> bool:
        return bool(info.parameters or info.buffers or (self.diff and self.diff.unexpected_under(info.path)))

    def _drawn_as_one(self, path: str) -> bool:
        info = self.infos[path]
        return self.folding.collapsed(path) or not (info.children or self._has_state(info))

    def module(self, path: str, cluster: str | None, frame: list[str] | None = None) -> Rows:
        """Draw module `path` (inside a "× N" frame titled `frame` when given); returns its (top row,
        bottom row) of node ids for ordering."""
        info = self.infos[path]
        heading = [f"{info.name}: {info.kind}" if info.name else info.kind,
                   *(wrap_text(info.arguments) if info.arguments else [])]
        tooltip = module_tooltip(info)
        if self.folding.collapsed(path) and (info.children or self._has_state(info)):
            count = _count_descendants(self.infos, path)
            inside = f"{count} submodule{'' if count == 1 else 's'} (collapsed)" if count else "(collapsed)"
            node = self._node([*heading, inside, info.totals()], "collapsed", cluster, tooltip)
            return [node], [node]
        if not info.children and not self._has_state(info):
            node = self._node(heading, "module", cluster, tooltip)
            return [node], [node]
        cluster_id = f"cluster_{len(self.clusters)}"
        lines = tuple(frame) if frame else (*heading, info.totals())
        self.clusters.append(Cluster(cluster_id, lines, "folded" if frame else "module", cluster, tooltip))
        state_row: list[str] = []
        cells = state_cells(info, cluster_id, self.diff)
        if cells:
            node_id = f"n{len(self.nodes)}"
            self.nodes.append(Node(node_id, (), "row", cluster_id, tuple(cells), tooltip))
            state_row.append(node_id)
        top: list[str] = state_row
        previous: Rows | None = (state_row, state_row) if state_row else None
        for run in self.folding.runs(path):
            current = self.module(run[0], cluster_id) if len(run) == 1 else self.folded(run, cluster_id)
            self._chain(previous, current)
            previous = current
            top = top or current[0]
        assert previous is not None
        return top, previous[1]

    def folded(self, run: list[str], cluster: str) -> Rows:
        """A run of identical siblings: the first drawn open inside a frame marked "× N", or, when the
        first is drawn as one node anyway, one node for all of them."""
        info = self.infos[run[0]]
        if not self._drawn_as_one(run[0]):
            return self.module(run[0], cluster, frame=run_lines(run, info, qualified=False))
        lines = run_lines(run, info, qualified=False, drawn=False)
        tooltip = f"{run_name(run)}: {len(run)} \u00d7 {module_tooltip(info)}"
        node = self._node(lines, "folded", cluster, tooltip)
        return [node], [node]


def _count_descendants(infos: dict[str, ModuleInfo], path: str) -> int:
    prefix = f"{path}." if path else ""
    return sum(1 for other in infos if other != path and other.startswith(prefix))


def tree_graph(model, *, depth: int | None = None, fold: bool = True, rankdir: str = "TB",
               mode: str = "train", collapse: tuple[str, ...] = (), expand: tuple[str, ...] = (),
               diff: StateDiff | None = None) -> Graph:
    """The module hierarchy as nested frames: each module's type and hyperparameters, its parameters
    (blue) and buffers (orange) with shapes and counts, and totals. `depth`, `collapse` and `expand` say
    which modules are drawn as one node, `fold` whether identical siblings are drawn once in a "× N"
    frame (see graph_folding); `diff` colours each tensor by a comparison with another state dict."""
    infos = describe_modules(model)
    folding = Folding(infos, depth=depth, fold=fold, collapse=collapse, expand=expand)
    builder = _TreeBuilder(infos, folding, diff)
    builder.module("", None)
    title = title_lines(model, "tree", mode, infos)
    if diff is not None:
        title = (f"{infos[''].kind}: tree view compared with {diff.other}", *title[1:], diff.summary())
    return Graph(title, builder.nodes, builder.edges, builder.clusters, rankdir)
