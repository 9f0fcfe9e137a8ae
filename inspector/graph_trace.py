"""The flow view: one traced forward as module calls and functional ops, with tensors as edges."""

from __future__ import annotations

from inspector.adapters.base import PASS_THROUGH
from inspector.events import OpEvent, TraceEvent
from inspector.graph import (
    Cluster,
    Edge,
    Graph,
    ModuleInfo,
    Node,
    describe_modules,
    module_tooltip,
    run_lines,
    run_name,
    shape_text,
    title_lines,
    wrap_text,
)
from inspector.graph_folding import Folding
from inspector.op_arguments import argument_text
from inspector.trace import Trace

__all__ = ["flow_graph", "NO_TENSOR", "parameter_text", "state_styles"]


NO_TENSOR = "no tensor in what the forward returned"  # what the output box says then


def parameter_text(info: ModuleInfo) -> list[str]:
    """A module's own parameters with their shapes, `weight (64, 3, 3, 3), bias (64,)`, each shared one
    with its other names."""
    pieces = []
    for name, shape, requires_grad, _ in info.parameters:
        piece = f"{name} {shape_text(shape)}"
        if info.aliases.get(name):
            piece += f" shared with {' and '.join(info.aliases[name])}"
        if not requires_grad:
            piece += " frozen"
        pieces.append(piece)
    return wrap_text(", ".join(pieces)) if pieces else []


def state_styles(infos: dict[str, ModuleInfo]) -> dict[str, str]:
    """A parameter's or buffer's dotted name -> the style the tree view draws it in."""
    styles: dict[str, str] = {}
    for path, info in infos.items():
        prefix = f"{path}." if path else ""
        for name, _, requires_grad, _ in info.parameters:
            shared = info.aliases.get(name)
            styles[prefix + name] = "parameter_shared" if shared else \
                "parameter" if requires_grad else "parameter_frozen"
        for name, _, persistent in info.buffers:
            styles[prefix + name] = "buffer" if persistent else "buffer_nonpersistent"
    return styles


class _FlowBuilder:
    def __init__(self, infos: dict[str, ModuleInfo], trace: Trace, folding: Folding) -> None:
        self.infos = infos
        self.trace = trace
        self.folding = folding
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: dict[str, Cluster] = {}
        self.producer: dict[int, str] = {}
        self.shapes: dict[int, tuple[int, ...]] = {}
        self.run_nodes: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.outside: dict[object, str] = {}  # a parameter's name or an unknown tensor's id -> its node
        self.state_styles = state_styles(infos)
        self.aliases = {(f"{path}." if path else "") + name: others
                        for path, info in infos.items() for name, others in info.aliases.items()}
        self._edge_set: set[tuple[str, str, str]] = set()
        # folded runs that ran as chains: drawn as one node when the first member is one node anyway
        # (compact), else the first member is drawn open in a "× N" frame and the others are hidden
        self.compact: dict[str, list[str]] = {}
        self.frames: dict[str, list[str]] = {}
        self.hidden: dict[str, str] = {}  # a later member of a framed run -> the run's first member
        self.frame_outputs: dict[str, list[str | None]] = {}  # first member -> its outputs' producers
        for run in {id(run): run for run in folding.chained_runs(trace.events, trace.ops).values()}.values():
            if folding.atomic(run[0]):
                self.compact.update((member, run) for member in run)
            else:
                self.frames[run[0]] = run
                self.hidden.update((member, run[0]) for member in run[1:])

    # --- which module calls become nodes ----------------------------------------------------------

    def _owner(self, paths: list[str]) -> str | None:
        """The first path that is drawn as one node (a compact run's member or an atomic module)."""
        for path in paths:
            if path in self.compact or self.folding.atomic(path):
                return path
        return None

    def _hidden(self, paths: list[str] | tuple[str, ...]) -> bool:
        """Inside a framed run's later member: the frame draws the first member for all of them."""
        return any(path in self.hidden for path in paths)

    def _cluster(self, stack: list[str]) -> str | None:
        """The cluster of the innermost running container (created on first use); None for the root."""
        parent = None
        for path in stack:
            if path == "":
                continue
            cluster = self.clusters.get(path)
            if cluster is None:
                info = self.infos[path]
                arguments = wrap_text(info.arguments) if info.arguments else []
                run = self.frames.get(path)
                if run is not None:
                    lines = tuple(run_lines(run, info, qualified=True))
                else:
                    lines = (f"{path}: {info.kind}", *arguments)
                style = "folded" if run else "module"
                cluster = Cluster(f"cluster_{len(self.clusters)}", lines, style, parent, module_tooltip(info))
                self.clusters[path] = cluster
            parent = cluster.id
        return parent

    # --- nodes and edges ----------------------------------------------------------------------------

    def _node(self, lines: list[str], style: str, cluster: str | None, tooltip: str = "") -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, tuple(lines), style, cluster, tooltip=tooltip))
        return node_id

    def _edge(self, tail: str, head: str, label: str = "") -> None:
        if tail == head or (tail, head, label) in self._edge_set:
            return  # a folded run feeding itself, or the same tensor twice
        self._edge_set.add((tail, head, label))
        self.edges.append(Edge(tail, head, label))

    def _note_shapes(self, ids: tuple[int | None, ...], shapes: tuple[tuple[int, ...], ...]) -> None:
        for tensor_id, shape in zip(ids, shapes, strict=False):
            if tensor_id is not None:
                self.shapes.setdefault(tensor_id, shape)

    def _inputs(self, ids: tuple[int | None, ...], head: str, cluster: str | None) -> None:
        for tensor_id in ids:
            if tensor_id is None:
                continue
            shape = self.shapes.get(tensor_id, ())
            tail = self.producer.get(tensor_id)
            label = shape_text(shape)
            if tail is None:
                label = ""  # a parameter, buffer or constant: its box shows its shape
                name = self.trace.tensor_names.get(tensor_id)
                if name is None and shape == ():
                    continue  # a Python number the op wrapped in a tensor (x / 8): shown on the op's node
                key: object = name if name is not None else tensor_id
                tail = self.outside.get(key)
                if tail is None:
                    if name is None:
                        tail = self._node(["constant", shape_text(shape)], "tensor", cluster)
                    else:
                        aliases = [f"= {alias}" for alias in self.aliases.get(name, ())]
                        tail = self._node([name, *aliases, shape_text(shape)],
                                          self.state_styles.get(name, "parameter"), cluster, name)
                    self.outside[key] = tail
            self._edge(tail, head, label)

    def _outputs(self, ids: tuple[int | None, ...], node: str) -> None:
        for tensor_id in ids:
            if tensor_id is not None:
                self.producer[tensor_id] = node

    def _module_node(self, owner: str, stack: list[str]) -> str:
        run = self.compact.get(owner)
        if run is not None:
            existing = self.run_nodes.get(run[0])
            if existing is not None:
                return existing
            info = self.infos[run[0]]
            lines = run_lines(run, info, qualified=True, drawn=False)
            tooltip = f"{run_name(run)}: {len(run)} \u00d7 {module_tooltip(info)}"
            node = self._node(lines, "folded", self._cluster(stack), tooltip)
            for member in run:
                self.run_nodes[member] = node
            return node
        info = self.infos[owner]
        self.calls[owner] = self.calls.get(owner, 0) + 1
        title = owner or info.kind
        if self.calls[owner] > 1:
            title += f" (call {self.calls[owner]})"
        lines = [title, info.kind if info.name else "", *wrap_text(info.arguments)]
        lines = [line for line in lines if line]
        style = "module"
        if self.folding.collapsed(owner) and info.children:
            style = "collapsed"
            lines.append(info.totals())
        elif info.parameters or info.buffers:
            lines += parameter_text(info)
            lines.append(info.totals())
        return self._node(lines, style, self._cluster(stack), module_tooltip(info))

    def _op_node(self, op: OpEvent) -> str:
        arguments = argument_text(op)
        lines = [op.name, *(wrap_text(arguments, 28) if arguments else [])]
        where = op.stack[-1] or self.infos[""].kind
        tooltip = f"{op.name}({arguments}) in {where}" if arguments else f"{op.name} in {where}"
        return self._node(lines, "op", self._cluster(list(op.stack)), tooltip)

    def _timeline(self) -> list[TraceEvent | OpEvent]:
        timeline: list[TraceEvent | OpEvent] = [e for e in self.trace.events if e.phase != "backward"]
        timeline += self.trace.ops
        timeline.sort(key=lambda item: item.index)
        return timeline

    def _op(self, item: OpEvent) -> None:
        self._note_shapes(item.input_ids, item.input_shapes)
        self._note_shapes(item.output_ids, item.output_shapes)
        if not item.stack or self._owner(list(item.stack)) is not None or self._hidden(item.stack):
            return  # outside the model, inside a module drawn as one node, or inside a hidden copy
        if item.name == PASS_THROUGH:
            for source, target in zip(item.input_ids, item.output_ids, strict=False):
                if source in self.producer and target is not None:
                    self.producer[target] = self.producer[source]
            return
        node = self._op_node(item)
        self._inputs(item.input_ids, node, None)
        self._outputs(item.output_ids, node)

    def _returned(self, path: str, outer: list[str], output_ids: tuple[int | None, ...]) -> None:
        """A framed run's first member hands its outputs' producers to the hidden members after it, so
        the last member's output comes out of the frame."""
        if path in self.frames:
            self.frame_outputs[path] = [self.producer.get(tensor_id) if tensor_id is not None else None
                                        for tensor_id in output_ids]
        elif path in self.hidden and not self._hidden(outer):
            for tensor_id, producer in zip(output_ids, self.frame_outputs.get(self.hidden[path], []),
                                           strict=False):
                if tensor_id is not None and producer is not None:
                    self.producer[tensor_id] = producer

    def build(self) -> None:
        stack: list[str] = []
        frames: list[str | None] = []  # per running module: the node drawn for this call, if any
        root_pre, root_post = self.trace.root_call()
        if root_pre is not None:
            self._note_shapes(root_pre.input_ids, tuple(s.shape if s else () for s in root_pre.inputs))
            tensor_ids = [tensor_id for tensor_id in root_pre.input_ids if tensor_id is not None]
            for number, tensor_id in enumerate(tensor_ids):
                title = "input" if len(tensor_ids) == 1 else f"input {number}"
                lines = [title, shape_text(self.shapes[tensor_id])]
                self.producer[tensor_id] = self._node(lines, "input", None)
        for item in self._timeline():
            if isinstance(item, OpEvent):
                self._op(item)
                continue
            shapes = tuple(s.shape if s else () for s in item.inputs)
            self._note_shapes(item.input_ids, shapes)
            if item.phase == "forward_pre":
                node = None
                if self._owner(stack) is None and not self._hidden([*stack, item.module]) and \
                        self._owner([item.module]) is not None:
                    node = self._module_node(item.module, stack)
                    self._inputs(item.input_ids, node, None)
                stack.append(item.module)
                frames.append(node)
            else:
                self._note_shapes(item.output_ids, tuple(s.shape if s else () for s in item.outputs))
                while stack:
                    path, node = stack.pop(), frames.pop()
                    if path == item.module:
                        if node is not None:
                            self._outputs(item.output_ids, node)
                        self._returned(path, stack, item.output_ids)
                        break
        if root_post is not None:
            tensor_ids = [tensor_id for tensor_id in root_post.output_ids if tensor_id is not None]
            for number, tensor_id in enumerate(tensor_ids):
                title = "output" if len(tensor_ids) == 1 else f"output {number}"
                shape = self.shapes.get(tensor_id, ())
                node = self._node([title, shape_text(shape)], "output", None)
                tail = self.producer.get(tensor_id)
                if tail is not None:
                    self._edge(tail, node)
            if not tensor_ids:
                last = self.nodes[-1].id if self.nodes else None
                node = self._node(["output", NO_TENSOR], "output", None)
                if last is not None:  # drawn below the rest, where an output belongs
                    self.edges.append(Edge(last, node, style="order"))


def flow_graph(model, trace: Trace, *, depth: int | None = None, fold: bool = True, rankdir: str = "TB",
               mode: str = "train", collapse: tuple[str, ...] = (), expand: tuple[str, ...] = ()) -> Graph:
    """One traced forward: module calls as nodes (with their parameters' shapes and counts), tensors as
    edges labelled with their shapes, and the functional ops run between modules (relu, flatten, a
    residual add) as small nodes with their arguments. `depth`, `collapse`, `expand` and `fold` as in
    the tree view (graph_folding); a folded run of blocks draws the first block open in a "× N" frame."""
    infos = describe_modules(model)
    folding = Folding(infos, depth=depth, fold=fold, collapse=collapse, expand=expand)
    builder = _FlowBuilder(infos, trace, folding)
    builder.build()
    return Graph(title_lines(model, "flow", mode, infos), builder.nodes, builder.edges,
                 list(builder.clusters.values()), rankdir)
