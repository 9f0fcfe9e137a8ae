"""Diagram graphs as plain data (nodes, edges, clusters) and the facts every view shows about a module."""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass, field

from inspector.adapters import adapter_for

__all__ = [
    "Cluster", "Edge", "Graph", "Node", "ModuleInfo", "describe_modules", "fold_runs", "run_name",
    "others_text", "run_lines", "wrap_text", "count_text", "shape_text", "totals_line", "title_lines",
    "module_tooltip",
]


@dataclass(frozen=True, slots=True)
class Node:
    """One box of a diagram; `lines[0]` is its title. `style` is a key of render_dot.NODE_STYLES.

    A node with `cells` (style "row") is drawn as those boxes side by side, in order: a module's
    parameters and buffers, which must read in state_dict order (dot would reorder separate nodes).
    `tooltip` is what an SVG viewer shows when the pointer rests on the box (a module's path and repr).
    """

    id: str
    lines: tuple[str, ...]
    style: str
    cluster: str | None = None
    cells: tuple[Node, ...] = ()
    tooltip: str = ""


@dataclass(frozen=True, slots=True)
class Edge:
    """An arrow from `tail` to `head`; `style` is a key of render_dot.EDGE_STYLES."""

    tail: str
    head: str
    label: str = ""
    style: str = "data"


@dataclass(frozen=True, slots=True)
class Cluster:
    """A frame around other nodes and clusters (a module); `parent` is the enclosing cluster's id.
    `style` is a key of render_dot.CLUSTER_STYLES: "module", or "folded" (the first of N identical
    modules, drawn for all of them)."""

    id: str
    lines: tuple[str, ...]
    style: str
    parent: str | None = None
    tooltip: str = ""


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

    def cluster_styles_used(self) -> list[str]:
        return list(dict.fromkeys(cluster.style for cluster in self.clusters))


# --- text -----------------------------------------------------------------------------------------


def count_text(count: int) -> str:
    return f"{count:,}"


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: `(6, 3, 5, 5)`, `(120,)`, `()`."""
    return str(tuple(shape))


def wrap_text(text: str, width: int = 44) -> list[str]:
    """Split a long `a=1, b=2, ...` text at its commas into lines of about `width` characters."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for piece in _top_level_pieces(text):
        candidate = f"{current}, {piece}" if current else piece
        if current and len(candidate) > width:
            lines.append(current + ",")
            current = piece
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _top_level_pieces(text: str) -> list[str]:
    """`3, 64, kernel_size=(3, 3)` -> ['3', '64', 'kernel_size=(3, 3)']: split at the commas outside
    brackets and quotes."""
    pieces, depth, quote, start = [], 0, "", 0
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            pieces.append(text[start:index].strip())
            start = index + 1
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def totals_line(parameters: int, buffers: int) -> str:
    text = f"params {count_text(parameters)}"
    return f"{text} | buffers {count_text(buffers)}" if buffers else text


def run_name(paths: list[str]) -> str:
    """`layer1.0-1` for a run of children `layer1.0`, `layer1.1` (torch's repr writes `(0-1)`)."""
    first = paths[0]
    if len(paths) == 1:
        return first
    last = paths[-1].rpartition(".")[2]
    return f"{first}-{last}"


def others_text(paths: list[str], qualified: bool) -> str:
    """The members of a folded run after the first, as a frame names them: `1`, `1-11` (consecutive
    numbers), `b, c`; with `qualified`, as dotted paths (`h.1-11`)."""
    names = [path.rpartition(".")[2] for path in paths]
    prefix = paths[0].rpartition(".")[0] + "." if qualified and "." in paths[0] else ""
    if len(names) > 2 and all(name.isdigit() for name in names) and \
            [int(name) for name in names] == list(range(int(names[0]), int(names[0]) + len(names))):
        return f"{prefix}{names[0]}-{names[-1]}"
    return ", ".join(prefix + name for name in names)


def run_lines(run: list[str], info: ModuleInfo, *, qualified: bool, drawn: bool = True) -> list[str]:
    """What a folded run says, as a frame's title or a node's lines: `layer1.0-1: BasicBlock × 2`, which
    member is drawn and the others' names (`drawn`, for a frame), the hyperparameters, and the totals of
    one member and of all. `qualified`: with dotted paths (the flow and autograd views) rather than the
    names within the parent (the tree view, whose frames nest)."""
    name = run_name(run) if qualified else run_name(run).rpartition(".")[2]
    lines = [f"{name}: {info.kind} \u00d7 {len(run)}"]
    if drawn:
        first = run[0] if qualified else info.name
        lines.append(f"{first} drawn; {others_text(run[1:], qualified)} the same")
    lines += wrap_text(info.arguments) if info.arguments else []
    if info.total_parameters or info.total_buffers:
        lines.append(f"each: {info.totals()}")
        everything = totals_line(info.total_parameters * len(run), info.total_buffers * len(run))
        lines.append(f"all {len(run)}: {everything}")
    return lines


# --- what a module is -----------------------------------------------------------------------------


def _extra_repr(module) -> str:
    try:
        text = module.extra_repr()
    except Exception:  # a user's extra_repr that raises must not break the diagram
        return ""
    return " ".join(str(text).split())


_NAMED = re.compile(r"^[A-Za-z_]\w*=")


def labelled_arguments(module, extra: str) -> str:
    """extra_repr with its positional values named: `3, 64, kernel_size=(3, 3)` -> `in_channels=3,
    out_channels=64, kernel_size=(3, 3)`. A value is named after the constructor's parameter in its
    place only when the module holds an attribute of that name with that very repr (so a user's own
    extra_repr is never mislabelled)."""
    pieces = _top_level_pieces(extra)
    try:
        names = [name for name, parameter in inspect.signature(type(module).__init__).parameters.items()
                 if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)][1:]
    except (TypeError, ValueError):
        return extra
    labelled = []
    for position, piece in enumerate(pieces):
        name = names[position] if position < len(names) else None
        if not _NAMED.match(piece) and name is not None and repr(getattr(module, name, object())) == piece:
            piece = f"{name}={piece}"
        labelled.append(piece)
    return ", ".join(labelled)


@dataclass
class ModuleInfo:
    """The facts a diagram shows about one module (from the public Module API)."""

    path: str
    name: str  # last component of path ("" for the root)
    kind: str
    extra: str  # extra_repr on one line, as the module's repr shows it
    depth: int
    children: list[str]  # child paths, in registration order
    parameters: list[tuple[str, tuple[int, ...], bool, str | None]]  # name, shape, requires_grad, shared-with
    buffers: list[tuple[str, tuple[int, ...], bool]]  # name, shape, persistent
    total_parameters: int
    total_buffers: int
    signature: tuple
    container: bool = False  # a Sequential or ModuleList: the modules whose identical children fold
    arguments: str = ""  # extra with positional values named (labelled_arguments)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # own parameter -> its other names
    # shared parameters reached here through two names, which the children's totals count twice:
    # `decoder.weight is embed.weight`
    counted_once: tuple[str, ...] = ()

    def heading(self) -> str:
        """`conv1: Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))` without the hyperparameters' wrap."""
        call = f"{self.kind}({self.extra})" if self.extra else self.kind
        return f"{self.name}: {call}" if self.name else call

    def totals(self) -> str:
        """`params 114 | buffers 6`, with what is counted once when a parameter is shared."""
        text = totals_line(self.total_parameters, self.total_buffers)
        if self.counted_once:
            text += f" ({'; '.join(self.counted_once)}: counted once)"
        return text


def module_tooltip(info: ModuleInfo) -> str:
    """What hovering over a module's box shows: its path and its repr's first line."""
    call = f"{info.kind}({info.extra})" if info.extra else f"{info.kind}()"
    return f"{info.path}: {call}" if info.path else call


def _shape(tensor) -> tuple[int, ...]:
    return tuple(int(size) for size in tensor.shape)


def _owner(name: str) -> str:
    return name.rpartition(".")[0]


def _common_ancestor(paths: list[str]) -> str:
    parts = [path.split(".") if path else [] for path in paths]
    common: list[str] = []
    for pieces in zip(*parts):
        if len(set(pieces)) != 1:
            break
        common.append(pieces[0])
    return ".".join(common)


def describe_modules(model) -> dict[str, ModuleInfo]:
    """ModuleInfo for every module of `model`, keyed by dotted path, in named_modules order."""
    names_of: dict[int, list[str]] = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        names_of.setdefault(id(parameter), []).append(name)
    is_container = adapter_for(model).is_container
    infos: dict[str, ModuleInfo] = {}
    modules = list(model.named_modules())
    for path, module in modules:
        prefix = f"{path}." if path else ""
        parameters = []
        aliases = {}
        for name, parameter in module.named_parameters(recurse=False):
            names = names_of.get(id(parameter), [prefix + name])
            first = names[0]
            shared = first if first != prefix + name else None
            parameters.append((name, _shape(parameter), bool(parameter.requires_grad), shared))
            others = tuple(other for other in names if other != prefix + name)
            if others:
                aliases[name] = others
        non_persistent = getattr(module, "_non_persistent_buffers_set", set())
        buffers = [
            (name, _shape(buffer), name not in non_persistent)
            for name, buffer in module.named_buffers(recurse=False)
        ]
        extra = _extra_repr(module)
        infos[path] = ModuleInfo(
            path=path,
            name=path.rpartition(".")[2],
            kind=type(module).__name__,
            extra=extra,
            depth=path.count(".") + 1 if path else 0,
            children=[prefix + child for child, _ in module.named_children()],
            parameters=parameters,
            buffers=buffers,
            total_parameters=sum(math.prod(_shape(p)) for p in module.parameters()),
            total_buffers=sum(math.prod(_shape(b)) for b in module.buffers()),
            signature=(),
            container=is_container(module),
            arguments=labelled_arguments(module, extra),
            aliases=aliases,
        )
    # a child reached twice (a shared module) keeps its first path; its other names are skipped by
    # named_modules, so link only children that have an info
    for info in infos.values():
        info.children = [child for child in info.children if child in infos]
    # a shared parameter is counted once by the innermost module holding all its names
    for names in names_of.values():
        if len(names) > 1:
            where = _common_ancestor([_owner(name) for name in names])
            if where in infos:
                infos[where].counted_once += (f"{' and '.join(names[1:])} is {names[0]}",)
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


def title_lines(model, view: str, mode: str, infos: dict[str, ModuleInfo]) -> tuple[str, ...]:
    root = infos[""]
    trainable = sum(
        math.prod(_shape(p)) for p in model.parameters() if p.requires_grad
    )
    counts = f"{count_text(root.total_parameters)} parameters ({count_text(trainable)} trainable)"
    counts += f", {count_text(root.total_buffers)} buffer values"
    lines = [f"{root.kind}: {view} view, {mode} mode{_other_mode(model, mode)}", counts]
    shared = [note for info in infos.values() for note in info.counted_once]
    if shared:
        listed = "; ".join(shared[:3]) + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
        lines.append(f"shared parameters, counted once: {listed}")
    return tuple(lines)


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
