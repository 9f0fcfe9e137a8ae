"""Diagram graphs as plain data (nodes, edges, clusters) and the tree view: a model's module hierarchy."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from inspector.adapters import adapter_for

__all__ = [
    "Cluster", "Edge", "Graph", "Node", "ModuleInfo", "describe_modules", "fold_runs", "tree_graph",
    "wrap_text", "count_text", "shape_text",
]


@dataclass(frozen=True, slots=True)
class Node:
    """One box of a diagram; `lines[0]` is its title. `style` is a key of render_dot.NODE_STYLES.

    A node with `cells` (style "row") is drawn as those boxes side by side, in order: a module's
    parameters and buffers, which must read in state_dict order (dot would reorder separate nodes).
    """

    id: str
    lines: tuple[str, ...]
    style: str
    cluster: str | None = None
    cells: tuple[Node, ...] = ()


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from `tail` to `head`; `style` is a key of render_dot.EDGE_STYLES."""

    tail: str
    head: str
    label: str = ""
    style: str = "data"


@dataclass(frozen=True, slots=True)
class Cluster:
    """A box around other nodes and clusters (a module); `parent` is the enclosing cluster's id."""

    id: str
    lines: tuple[str, ...]
    style: str
    parent: str | None = None


@dataclass
class Graph:
    """Everything render_dot needs: a title, the parts in drawing order, and the layout direction."""

    title: tuple[str, ...]
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    rankdir: str = "TB"

    def boxes(self) -> list[Node]:
        """Every box drawn: the nodes, with a row node replaced by its cells."""
        return [box for node in self.nodes for box in (node.cells or (node,))]

    def styles_used(self) -> list[str]:
        seen: dict[str, None] = {}
        for node in self.boxes():
            seen.setdefault(node.style, None)
        return list(seen)


# --- what a module is -----------------------------------------------------------------------------


def count_text(count: int) -> str:
    return f"{count:,}"


def wrap_text(text: str, width: int = 44) -> list[str]:
    """Split a long `a=1, b=2, ...` text at its commas into lines of about `width` characters."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for piece in text.split(", "):
        candidate = f"{current}, {piece}" if current else piece
        if current and len(candidate) > width:
            lines.append(current + ",")
            current = piece
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _extra_repr(module) -> str:
    try:
        text = module.extra_repr()
    except Exception:  # a user's extra_repr that raises must not break the diagram
        return ""
    return " ".join(str(text).split())


@dataclass
class ModuleInfo:
    """The facts a diagram shows about one module (from the public Module API)."""

    path: str
    name: str  # last component of path ("" for the root)
    kind: str
    extra: str
    depth: int
    children: list[str]  # child paths, in registration order
    parameters: list[tuple[str, tuple[int, ...], bool, str | None]]  # name, shape, requires_grad, shared-with
    buffers: list[tuple[str, tuple[int, ...], bool]]  # name, shape, persistent
    total_parameters: int
    total_buffers: int
    signature: tuple
    container: bool = False  # a Sequential or ModuleList: the modules whose identical children fold

    def heading(self) -> str:
        """`conv1: Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))` without the hyperparameters' wrap."""
        call = f"{self.kind}({self.extra})" if self.extra else self.kind
        return f"{self.name}: {call}" if self.name else call


def _shape(tensor) -> tuple[int, ...]:
    return tuple(int(size) for size in tensor.shape)


def describe_modules(model) -> dict[str, ModuleInfo]:
    """ModuleInfo for every module of `model`, keyed by dotted path, in named_modules order."""
    owner: dict[int, str] = {}
    for name, parameter in model.named_parameters():
        owner.setdefault(id(parameter), name)
    is_container = adapter_for(model).is_container
    infos: dict[str, ModuleInfo] = {}
    modules = list(model.named_modules())
    for path, module in modules:
        prefix = f"{path}." if path else ""
        parameters = []
        for name, parameter in module.named_parameters(recurse=False):
            first = owner.get(id(parameter))
            shared = first if first is not None and first != prefix + name else None
            parameters.append((name, _shape(parameter), bool(parameter.requires_grad), shared))
        non_persistent = getattr(module, "_non_persistent_buffers_set", set())
        buffers = [
            (name, _shape(buffer), name not in non_persistent)
            for name, buffer in module.named_buffers(recurse=False)
        ]
        infos[path] = ModuleInfo(
            path=path,
            name=path.rpartition(".")[2],
            kind=type(module).__name__,
            extra=_extra_repr(module),
            depth=path.count(".") + 1 if path else 0,
            children=[prefix + child for child, _ in module.named_children()],
            parameters=parameters,
            buffers=buffers,
            total_parameters=sum(math.prod(_shape(p)) for p in module.parameters()),
            total_buffers=sum(math.prod(_shape(b)) for b in module.buffers()),
            signature=(),
            container=is_container(module),
        )
    # a child reached twice (a shared module) keeps its first path; its other names are skipped by
    # named_modules, so link only children that have an info
    for info in infos.values():
        info.children = [child for child in info.children if child in infos]
    for path in reversed(list(infos)):  # children before parents
        info = infos[path]
        info.signature = (
            info.kind,
            info.extra,
            tuple((name, shape, grad) for name, shape, grad, _ in info.parameters),
            tuple(info.buffers),
            tuple((infos[child].name, infos[child].signature) for child in info.children),
        )
    return infos


def fold_runs(infos: dict[str, ModuleInfo], path: str) -> list[list[str]]:
    """The children of `path` grouped into runs of consecutive identical modules (same class,
    extra_repr and structure); a child unlike its neighbours is a run of one. Only a container's
    children (Sequential, ModuleList) fold, as in torch's repr."""
    if not infos[path].container:
        return [[child] for child in infos[path].children]
    runs: list[list[str]] = []
    for child in infos[path].children:
        if runs and infos[runs[-1][0]].signature == infos[child].signature:
            runs[-1].append(child)
        else:
            runs.append([child])
    return runs


def run_name(paths: list[str]) -> str:
    """`layer1.0-1` for a run of children `layer1.0`, `layer1.1` (torch's repr writes `(0-1)`)."""
    first = paths[0]
    if len(paths) == 1:
        return first
    last = paths[-1].rpartition(".")[2]
    return f"{first}-{last}"


def totals_line(parameters: int, buffers: int) -> str:
    text = f"params {count_text(parameters)}"
    return f"{text} | buffers {count_text(buffers)}" if buffers else text


def title_lines(model, view: str, mode: str, infos: dict[str, ModuleInfo]) -> tuple[str, ...]:
    root = infos[""]
    trainable = sum(
        math.prod(_shape(p)) for p in model.parameters() if p.requires_grad
    )
    counts = f"{count_text(root.total_parameters)} parameters ({count_text(trainable)} trainable)"
    counts += f", {count_text(root.total_buffers)} buffer values"
    return (f"{root.kind}: {view} view, {mode} mode{_other_mode(model, mode)}", counts)


def _other_mode(model, mode: str) -> str:
    """` (eval: bn1, layer1.0.bn1)`: the outermost modules whose own train/eval flag is not `mode`,
    so a diagram of a model with a frozen BatchNorm does not claim that all of it is in train mode."""
    training = mode == "train"
    flags = {path: module.training for path, module in model.named_modules()}
    odd = [path for path, flag in flags.items()
           if path and flag != training and flags.get(path.rpartition(".")[0], training) == training]
    if not odd:
        return ""
    shown = ", ".join(odd[:3]) + (f" and {len(odd) - 3} more" if len(odd) > 3 else "")
    return f" ({'train' if not training else 'eval'}: {shown})"


# --- the tree view ---------------------------------------------------------------------------------


Rows = tuple[list[str], list[str]]  # (top row, bottom row) of an item's node ids


class _TreeBuilder:
    def __init__(self, infos: dict[str, ModuleInfo], depth: int | None, fold: bool) -> None:
        self.infos = infos
        self.depth = depth
        self.fold = fold
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []

    def _node(self, lines: list[str] | tuple[str, ...], style: str, cluster: str | None) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, tuple(lines), style, cluster))
        return node_id

    def _chain(self, previous: Rows | None, current: Rows) -> None:
        """Invisible edges so siblings stack in registration order: every node of the previous item's
        bottom row to every node of the next one's top row, which keeps the column centred."""
        if previous is None:
            return
        for tail in previous[1]:
            for head in current[0]:
                self.edges.append(Edge(tail, head, style="order"))

    def module(self, path: str, cluster: str | None) -> Rows:
        """Draw module `path`; returns its (top row, bottom row) of node ids for ordering."""
        info = self.infos[path]
        heading = [f"{info.name}: {info.kind}" if info.name else info.kind, *wrap_text(info.extra)]
        if info.extra == "":
            heading = heading[:1]
        has_state = bool(info.parameters or info.buffers)
        if info.children and self.depth is not None and info.depth >= self.depth:
            count = _count_descendants(self.infos, path)
            lines = [*heading, f"{count} submodule{'' if count == 1 else 's'} (collapsed)",
                     totals_line(info.total_parameters, info.total_buffers)]
            node = self._node(lines, "collapsed", cluster)
            return [node], [node]
        if not info.children and not has_state:
            node = self._node(heading, "module", cluster)
            return [node], [node]
        cluster_id = f"cluster_{len(self.clusters)}"
        self.clusters.append(
            Cluster(cluster_id, (*heading, totals_line(info.total_parameters, info.total_buffers)), "module",
                    cluster)
        )
        cells: list[Node] = []
        for name, shape, requires_grad, shared in info.parameters:
            lines = [name, f"{shape_text(shape)}  {count_text(math.prod(shape))}"]
            if shared:
                lines.append(f"shared with {shared}")
            if not requires_grad:
                lines.append("frozen (requires_grad=False)")
            style = "parameter" if requires_grad else "parameter_frozen"
            cells.append(Node(f"{cluster_id}_{name}", tuple(lines), style, cluster_id))
        for name, shape, persistent in info.buffers:
            lines = [name, f"{shape_text(shape)}  {count_text(math.prod(shape))}"]
            if not persistent:
                lines.append("not in state_dict")
            style = "buffer" if persistent else "buffer_nonpersistent"
            cells.append(Node(f"{cluster_id}_{name}", tuple(lines), style, cluster_id))
        state_row: list[str] = []
        if cells:
            node_id = f"n{len(self.nodes)}"
            self.nodes.append(Node(node_id, (), "row", cluster_id, tuple(cells)))
            state_row.append(node_id)
        top: list[str] = state_row
        previous: Rows | None = (state_row, state_row) if state_row else None
        runs = fold_runs(self.infos, path) if self.fold else [[child] for child in info.children]
        for run in runs:
            current = self.module(run[0], cluster_id) if len(run) == 1 else self.folded(run, cluster_id)
            self._chain(previous, current)
            previous = current
            top = top or current[0]
        assert previous is not None
        return top, previous[1]

    def folded(self, run: list[str], cluster: str) -> Rows:
        info = self.infos[run[0]]
        count = len(run)
        name = run_name(run).rpartition(".")[2]
        lines = [f"{name}: {info.kind} \u00d7 {count}", *(wrap_text(info.extra) if info.extra else [])]
        if info.total_parameters or info.total_buffers:
            each = totals_line(info.total_parameters, info.total_buffers)
            lines.append(f"each: {each}")
            total = totals_line(info.total_parameters * count, info.total_buffers * count)
            lines.append(f"all {count}: {total}")
        node = self._node(lines, "folded", cluster)
        return [node], [node]


def _count_descendants(infos: dict[str, ModuleInfo], path: str) -> int:
    prefix = f"{path}."
    return sum(1 for other in infos if other.startswith(prefix))


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: `(6, 3, 5, 5)`, `(120,)`, `()`."""
    return str(tuple(shape))


def tree_graph(model, *, depth: int | None = None, fold: bool = True, rankdir: str = "TB",
               mode: str = "train") -> Graph:
    """The module hierarchy as nested clusters: each module's type and hyperparameters, its parameters
    (blue) and buffers (orange) with shapes and counts, and totals; `depth` collapses deeper modules
    into one node; `fold` draws consecutive identical siblings as one node marked "× N"."""
    infos = describe_modules(model)
    builder = _TreeBuilder(infos, depth, fold)
    builder.module("", None)
    return Graph(title_lines(model, "tree", mode, infos), builder.nodes, builder.edges, builder.clusters,
                 rankdir)
