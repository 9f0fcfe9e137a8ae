"""The traced views as graphs: flow (module calls and functional ops, tensors as edges) and autograd."""

from __future__ import annotations

from inspector.adapters import adapter_for
from inspector.adapters.base import PASS_THROUGH
from inspector.events import OpEvent, TraceEvent, flatten_values
from inspector.graph import (
    Cluster,
    Edge,
    Graph,
    ModuleInfo,
    Node,
    describe_modules,
    fold_runs,
    run_name,
    shape_text,
    title_lines,
    totals_line,
    wrap_text,
)
from inspector.trace import Trace

__all__ = ["flow_graph", "autograd_graph"]


NO_TENSOR = "no tensor in what the forward returned"  # what the output box says then


class _FlowBuilder:
    def __init__(self, infos: dict[str, ModuleInfo], trace: Trace, depth: int | None, fold: bool) -> None:
        self.infos = infos
        self.trace = trace
        self.depth = depth
        self.run_of: dict[str, list[str]] = {}
        if fold:
            for path in infos:
                for run in fold_runs(infos, path):
                    if len(run) > 1:
                        for member in run:
                            self.run_of[member] = run
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: dict[str, Cluster] = {}
        self.producer: dict[int, str] = {}
        self.shapes: dict[int, tuple[int, ...]] = {}
        self.run_nodes: dict[str, str] = {}
        self.calls: dict[str, int] = {}
        self.outside: dict[object, str] = {}  # a parameter's name or an unknown tensor's id -> its node
        self.state_styles: dict[str, str] = {}  # a parameter's or buffer's dotted name -> its tree-view style
        for path, info in infos.items():
            prefix = f"{path}." if path else ""
            for name, _, requires_grad, _ in info.parameters:
                self.state_styles[prefix + name] = "parameter" if requires_grad else "parameter_frozen"
            for name, _, persistent in info.buffers:
                self.state_styles[prefix + name] = "buffer" if persistent else "buffer_nonpersistent"
        self._edge_set: set[tuple[str, str, str]] = set()

    # --- which module calls become nodes ----------------------------------------------------------

    def _atomic(self, path: str) -> bool:
        """Drawn as one node: a module without children, or one at --depth. The root is opened even
        without children (unless --depth 0), so a one-module model shows the ops its forward runs."""
        info = self.infos[path]
        if self.depth is not None and info.depth >= self.depth:
            return True
        return not info.children and path != ""

    def _owner(self, paths: list[str]) -> str | None:
        """The first path that is drawn as one node (a folded run member or an atomic module)."""
        for path in paths:
            if path in self.run_of or self._atomic(path):
                return path
        return None

    def _cluster(self, stack: list[str]) -> str | None:
        """The cluster of the innermost running container (created on first use); None for the root."""
        parent = None
        for path in stack:
            if path == "":
                continue
            cluster = self.clusters.get(path)
            if cluster is None:
                info = self.infos[path]
                lines = (f"{path}: {info.kind}", *(wrap_text(info.extra) if info.extra else ()))
                cluster = Cluster(f"cluster_{len(self.clusters)}", lines, "module", parent)
                self.clusters[path] = cluster
            parent = cluster.id
        return parent

    # --- nodes and edges ----------------------------------------------------------------------------

    def _node(self, lines: list[str], style: str, cluster: str | None) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, tuple(lines), style, cluster))
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
            if tail is None:
                name = self.trace.tensor_names.get(tensor_id)
                if name is None and shape == ():
                    continue  # a Python number the op wrapped in a tensor (x / 8): not worth a node
                key: object = name if name is not None else tensor_id
                tail = self.outside.get(key)
                if tail is None:
                    style = self.state_styles.get(name, "parameter") if name is not None else "tensor"
                    tail = self._node([name or "constant", shape_text(shape)], style, cluster)
                    self.outside[key] = tail
            self._edge(tail, head, shape_text(shape))

    def _outputs(self, ids: tuple[int | None, ...], node: str) -> None:
        for tensor_id in ids:
            if tensor_id is not None:
                self.producer[tensor_id] = node

    def _module_node(self, owner: str, stack: list[str]) -> str:
        run = self.run_of.get(owner)
        if run is not None:
            existing = self.run_nodes.get(run[0])
            if existing is not None:
                return existing
            info = self.infos[run[0]]
            lines = [f"{run_name(run)}", f"{info.kind} \u00d7 {len(run)}"]
            if info.total_parameters or info.total_buffers:
                lines.append(f"{totals_line(info.total_parameters, info.total_buffers)} each")
            node = self._node(lines, "folded", self._cluster(stack))
            for member in run:
                self.run_nodes[member] = node
            return node
        info = self.infos[owner]
        self.calls[owner] = self.calls.get(owner, 0) + 1
        title = owner or info.kind
        if self.calls[owner] > 1:
            title += f" (call {self.calls[owner]})"
        lines = [title, info.kind if info.name else "", *wrap_text(info.extra)]
        lines = [line for line in lines if line]
        style = "module"
        if info.children:  # collapsed by depth
            style = "collapsed"
            lines.append(totals_line(info.total_parameters, info.total_buffers))
        return self._node(lines, style, self._cluster(stack))

    def _timeline(self) -> list[TraceEvent | OpEvent]:
        timeline: list[TraceEvent | OpEvent] = [e for e in self.trace.events if e.phase != "backward"]
        timeline += self.trace.ops
        timeline.sort(key=lambda item: item.index)
        return timeline

    def _display_sequence(self, timeline: list[TraceEvent | OpEvent]) -> list[str | None]:
        """What would be drawn, in order: the owning path of each module node, None for each op."""
        sequence: list[str | None] = []
        stack: list[str] = []
        for item in timeline:
            if isinstance(item, OpEvent):
                if item.stack and self._owner(list(item.stack)) is None:
                    sequence.append(None)
            elif item.phase == "forward_pre":
                if self._owner(stack) is None and self._owner([item.module]) is not None:
                    sequence.append(item.module)
                stack.append(item.module)
            else:
                while stack and stack.pop() != item.module:
                    pass
        return sequence

    def _keep_chained_runs(self, timeline: list[TraceEvent | OpEvent]) -> None:
        """Fold a run only where its members ran back to back, once each, in order (a chain);
        otherwise (q/k/v projections, a ModuleList used in a loop with other calls between) draw
        every call. Unfolding can reveal runs nested inside, so repeat until nothing changes."""
        changed = True
        while changed and self.run_of:
            changed = False
            sequence = self._display_sequence(timeline)
            runs = {run[0]: run for run in self.run_of.values()}
            for run in runs.values():
                positions = [index for index, owner in enumerate(sequence) if owner in run]
                members = [sequence[index] for index in positions]
                chained = members == run and positions == list(range(positions[0], positions[0] + len(run))) \
                    if positions else True
                if not chained:
                    for member in run:
                        self.run_of.pop(member, None)
                    changed = True

    def build(self) -> None:
        timeline = self._timeline()
        self._keep_chained_runs(timeline)
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
        for item in timeline:
            if isinstance(item, OpEvent):
                self._note_shapes(item.input_ids, item.input_shapes)
                self._note_shapes(item.output_ids, item.output_shapes)
                if not item.stack or self._owner(list(item.stack)) is not None:
                    continue  # outside the model, or inside a module drawn as one node
                if item.name == PASS_THROUGH:
                    for source, target in zip(item.input_ids, item.output_ids, strict=False):
                        if source in self.producer and target is not None:
                            self.producer[target] = self.producer[source]
                    continue
                node = self._node([item.name], "op", self._cluster(list(item.stack)))
                self._inputs(item.input_ids, node, None)
                self._outputs(item.output_ids, node)
                continue
            shapes = tuple(s.shape if s else () for s in item.inputs)
            self._note_shapes(item.input_ids, shapes)
            if item.phase == "forward_pre":
                node = None
                if self._owner(stack) is None and self._owner([item.module]) is not None:
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
               mode: str = "train") -> Graph:
    """One traced forward: module calls as nodes, tensors as edges labelled with their shapes, and the
    functional ops run between modules (relu, flatten, a residual add) as small nodes."""
    infos = describe_modules(model)
    builder = _FlowBuilder(infos, trace, depth, fold)
    builder.build()
    return Graph(title_lines(model, "flow", mode, infos), builder.nodes, builder.edges,
                 list(builder.clusters.values()), rankdir)


def autograd_graph(model, output: object, *, rankdir: str = "TB", mode: str = "train") -> Graph:
    """The grad_fn graph behind `output`: one node per autograd node (MulBackward0, ...), parameters
    named by their state_dict keys, arrows in the direction the forward ran."""
    is_tensor = adapter_for(model).is_tensor
    infos = describe_modules(model)
    names = {id(parameter): name for name, parameter in model.named_parameters()}
    nodes: list[Node] = []
    edges: list[Edge] = []
    seen: dict[int, str] = {}
    keep: list[object] = []  # hold the graph nodes so their id() stays unique during the walk

    def node_for(function) -> tuple[str, bool]:
        key = id(function)
        if key in seen:
            return seen[key], False
        keep.append(function)
        node_id = f"n{len(nodes)}"
        variable = getattr(function, "variable", None)
        if variable is not None:
            name = names.get(id(variable))
            shape = shape_text(tuple(variable.shape))
            lines = (name, shape) if name else ("leaf", shape)
            nodes.append(Node(node_id, lines, "parameter" if name else "tensor"))
        else:
            nodes.append(Node(node_id, (function.name(),), "grad_fn"))
        seen[key] = node_id
        return node_id, True

    leaves = flatten_values(output)
    outputs = [leaf for leaf in leaves if is_tensor(leaf) and leaf.grad_fn is not None]
    for number, tensor in enumerate(outputs):
        root, fresh = node_for(tensor.grad_fn)
        title = "output" if len(outputs) == 1 else f"output {number}"
        out_id = f"n{len(nodes)}"
        nodes.append(Node(out_id, (title, shape_text(tuple(tensor.shape))), "output"))
        edges.append(Edge(root, out_id))
        pending = [tensor.grad_fn] if fresh else []
        while pending:  # depth-first, in next_functions order: a stable numbering
            function = pending.pop()
            head = seen[id(function)]
            discovered = []
            for next_function, _ in function.next_functions:
                if next_function is None:
                    continue
                tail, fresh_next = node_for(next_function)
                edges.append(Edge(tail, head))
                if fresh_next:
                    discovered.append(next_function)
            pending.extend(reversed(discovered))  # visit the first input first
    if not outputs:  # nothing required grad (no parameters, or under no_grad): say so, don't draw nothing
        for number, leaf in enumerate(leaf for leaf in leaves if is_tensor(leaf)):
            lines = ("output" if number == 0 else f"output {number}", shape_text(tuple(leaf.shape)),
                     "no grad_fn: nothing here requires grad")
            nodes.append(Node(f"n{len(nodes)}", lines, "output"))
        if not any(is_tensor(leaf) for leaf in leaves):
            nodes.append(Node(f"n{len(nodes)}", ("output", NO_TENSOR), "output"))
    return Graph(title_lines(model, "autograd", mode, infos), nodes, edges, [], rankdir)
