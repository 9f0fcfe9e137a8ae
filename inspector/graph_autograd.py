"""The autograd view: the grad_fn graph behind a traced forward's output, grouped by the module call that
made each node.

Every node is given to a module call: the call that was running when an op's output got it as grad_fn;
a node the op made inside itself (the TBackward0 of a linear) and a parameter's node go to the innermost
call around all the nodes that use them. Calls are drawn as frames, a call collapsed by --depth or
--collapse as one node (its nodes and their edges merged into it), and a folded run of blocks as its
first block in a "× N" frame, the later blocks' nodes merged into the first block's output.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from inspector.adapters import adapter_for
from inspector.events import OpEvent, TraceEvent, flatten_values
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
from inspector.graph_folding import Folding
from inspector.graph_trace import NO_TENSOR
from inspector.trace import Trace

__all__ = ["autograd_graph"]


@dataclass(eq=False)
class _Call:
    """One call of one module during the traced forward."""

    path: str
    number: int  # 1 for the module's first call
    parent: _Call | None
    outputs: tuple = ()  # the grad_fn of each output when the call returned
    cluster: str | None = None
    members: list[str] = field(default_factory=list)  # the graph nodes drawn directly in it

    def ancestry(self) -> list[_Call]:
        """This call and the calls around it, outermost first."""
        chain: list[_Call] = []
        call: _Call | None = self
        while call is not None:
            chain.append(call)
            call = call.parent
        return chain[::-1]


def _common(calls: list[_Call | None]) -> _Call | None:
    """The innermost call around all of `calls` (None: outside every module)."""
    if not calls or any(call is None for call in calls):
        return None
    chains = [call.ancestry() for call in calls if call is not None]
    common = None
    for level in zip(*chains):
        if any(call is not level[0] for call in level):
            break
        common = level[0]
    return common


class _AutogradBuilder:
    def __init__(self, model, trace: Trace, infos: dict[str, ModuleInfo], folding: Folding, *,
                 saved_tensors: bool, accumulate_grad: bool) -> None:
        self.adapter = adapter_for(model)
        self.trace = trace
        self.infos = infos
        self.folding = folding
        self.saved_tensors = saved_tensors
        self.accumulate_grad = accumulate_grad
        names_of: dict[int, list[str]] = {}
        for name, parameter in model.named_parameters(remove_duplicate=False):
            names_of.setdefault(id(parameter), []).append(name)
        self.names_of = names_of
        self.position = {name: number for number, (name, _) in enumerate(model.named_parameters())}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []
        self.made_by: dict[int, _Call | None] = {}  # id(grad_fn) -> the call whose op made it
        self.shape_of: dict[int, tuple[int, ...]] = {}  # id(grad_fn) -> its output's shape, where known
        self.calls: list[_Call] = []
        self.keep: list[object] = []  # the graph nodes, alive so their id() stays unique
        runs = folding.chained_runs(trace.events, trace.ops)
        self.compact = {member: run for member, run in runs.items() if folding.collapsed(run[0])}
        self.frames = {run[0]: run for run in runs.values() if not folding.collapsed(run[0])}
        self.hidden = {member: run[0] for run in self.frames.values() for member in run[1:]}

    # --- which call made each node -----------------------------------------------------------------

    def _note_shapes(self, grad_fns: tuple, shapes: tuple[tuple[int, ...], ...]) -> None:
        for grad_fn, shape in zip(grad_fns, shapes, strict=False):
            if grad_fn is not None:
                self.shape_of.setdefault(id(grad_fn), shape)

    def record_calls(self) -> None:
        """Replay the trace: the module calls, which call made each grad_fn, and the shapes of the tensors
        that cross module boundaries or come out of the ops a module runs itself (both libraries report
        those alike; the ops inside a leaf module, such as linear's, they report differently)."""
        timeline: list[TraceEvent | OpEvent] = [e for e in self.trace.events if e.phase != "backward"]
        timeline += self.trace.ops
        timeline.sort(key=lambda item: item.index)
        stack: list[_Call] = []
        numbers: dict[str, int] = {}
        for item in timeline:
            grad_fns = self.trace.grad_fns.get(item.index, ())
            if isinstance(item, OpEvent):
                for grad_fn in grad_fns:
                    if grad_fn is not None and id(grad_fn) not in self.made_by:
                        self.keep.append(grad_fn)
                        self.made_by[id(grad_fn)] = stack[-1] if stack else None
                if stack and self.infos[stack[-1].path].children or stack and stack[-1].path == "":
                    self._note_shapes(grad_fns, item.output_shapes)
            elif item.phase == "forward_pre":
                numbers[item.module] = numbers.get(item.module, 0) + 1
                call = _Call(item.module, numbers[item.module], stack[-1] if stack else None)
                self.calls.append(call)
                stack.append(call)
            else:
                while stack:
                    call = stack.pop()
                    if call.path == item.module:
                        call.outputs = grad_fns
                        self.keep.extend(grad_fns)
                        self._note_shapes(grad_fns, tuple(s.shape if s else () for s in item.outputs))
                        break

    # --- the graph -------------------------------------------------------------------------------------

    def walk(self, outputs: list) -> tuple[list[object], list[tuple[object, object]]]:
        """The grad_fn graph behind `outputs`: its nodes depth-first in next_functions order (a stable
        numbering) and its edges (input node, consumer node), in the direction the forward ran."""
        seen: dict[int, object] = {}
        order: list[object] = []
        edges: list[tuple[object, object]] = []
        for tensor in outputs:
            pending = []
            if id(tensor.grad_fn) not in seen:
                seen[id(tensor.grad_fn)] = tensor.grad_fn
                order.append(tensor.grad_fn)
                pending.append(tensor.grad_fn)
            while pending:
                function = pending.pop()
                discovered = []
                for next_function, _ in function.next_functions:
                    if next_function is None:
                        continue
                    edges.append((next_function, function))
                    if id(next_function) not in seen:
                        seen[id(next_function)] = next_function
                        order.append(next_function)
                        discovered.append(next_function)
                pending.extend(reversed(discovered))  # visit the first input first
        self.keep.extend(order)
        return order, edges

    def assign(self, order: list[object], edges: list[tuple[object, object]]) -> dict[int, _Call | None]:
        """The call of every node: the one that made it, else the innermost around all its consumers
        (consumers are settled first: a node comes after all of them in reverse topological order)."""
        consumers: dict[int, list[object]] = {}
        indegree = {id(node): 0 for node in order}
        for tail, head in edges:
            consumers.setdefault(id(tail), []).append(head)
            indegree[id(tail)] += 1  # counted from the consumer side: outputs first
        ready = deque(node for node in order if indegree[id(node)] == 0)
        topological: list[object] = []
        while ready:
            node = ready.popleft()
            topological.append(node)
            for next_function, _ in node.next_functions:
                if next_function is None:
                    continue
                indegree[id(next_function)] -= 1
                if indegree[id(next_function)] == 0:
                    ready.append(next_function)
        call_of: dict[int, _Call | None] = {}
        for node in topological:
            if id(node) in self.made_by and getattr(node, "variable", None) is None:
                call_of[id(node)] = self.made_by[id(node)]
            else:
                call_of[id(node)] = _common([call_of[id(head)] for head in consumers.get(id(node), [])])
        return call_of

    # --- how each call is drawn ------------------------------------------------------------------------

    def _merged_into(self, call: _Call | None) -> _Call | None:
        """The outermost call around `call` (or itself) drawn as one node or hidden in a fold; None when
        its nodes are drawn open."""
        if call is None:
            return None
        for outer in call.ancestry():
            if outer.path in self.hidden or outer.path in self.compact or self.folding.collapsed(outer.path):
                return outer
        return None

    def _framed(self, call: _Call | None) -> bool:
        """Calls of modules with submodules get a frame; a leaf module's nodes say its path instead (a frame
        per layer would push every next layer aside, where its parameters sit above its first node)."""
        return call is not None and call.path != "" and (bool(self.infos[call.path].children)
                                                          or call.path in self.frames)

    def _cluster_of(self, call: _Call | None) -> str | None:
        """The frame of an open call (made on first use, inside its parents' frames); None for the root."""
        if call is not None and not self._framed(call):
            return self._cluster_of(call.parent)
        if call is None or call.path == "":
            return None
        if call.cluster is None:
            info = self.infos[call.path]
            arguments = wrap_text(info.arguments) if info.arguments else []
            run = self.frames.get(call.path)
            if run is not None:
                lines = tuple(run_lines(run, info, qualified=True))
            else:
                title = f"{call.path}: {info.kind}" + (f" (call {call.number})" if call.number > 1 else "")
                lines = (title, *arguments)
            parent = self._cluster_of(call.parent)
            call.cluster = f"cluster_{len(self.clusters)}"
            self.clusters.append(Cluster(call.cluster, lines, "folded" if run else "module", parent,
                                         module_tooltip(info)))
        return call.cluster

    def _node(self, lines: list[str] | tuple[str, ...], style: str, cluster: str | None, tooltip: str) -> str:
        node_id = f"n{len(self.nodes)}"
        self.nodes.append(Node(node_id, tuple(lines), style, cluster, tooltip=tooltip))
        return node_id

    def _merged_node(self, call: _Call, count: int) -> tuple[list[str], str, str]:
        """(lines, style, tooltip) of the node a collapsed call or a compact run is drawn as."""
        info = self.infos[call.path]
        run = self.compact.get(call.path)
        nodes = f"{count_text(count)} autograd node{'' if count == 1 else 's'}"
        if run is not None:
            lines = run_lines(run, info, qualified=True, drawn=False)
            lines.insert(1, f"{nodes} in all")
            return lines, "folded", f"{run_name(run)}: {len(run)} \u00d7 {module_tooltip(info)}"
        title = (call.path or info.kind) + (f" (call {call.number})" if call.number > 1 else "")
        arguments = wrap_text(info.arguments) if info.arguments else []
        lines = [title, *([info.kind] if call.path else []), *arguments, nodes, info.totals()]
        return lines, "collapsed", module_tooltip(info)

    def _grad_fn_lines(self, node) -> tuple[list[str], str, str]:
        variable = getattr(node, "variable", None)
        if variable is not None:
            names = self.names_of.get(id(variable), [])
            shape = shape_text(tuple(variable.shape))
            if not names:
                return ["leaf", shape], "tensor", f"a leaf tensor {shape} (not a parameter of the model)"
            style = "parameter_shared" if len(names) > 1 else "parameter"
            return [*names, shape], style, " = ".join(names)
        lines = [self.adapter.node_name(node)]
        if self.saved_tensors:
            saved = self.adapter.saved_tensor_shapes(node)
            if saved:
                lines += wrap_text("saved " + ", ".join(shape_text(shape) for shape in saved), 36)
        return lines, "grad_fn", lines[0]

    def _merge_key(self, call: _Call) -> tuple:
        """One node per collapsed call, one for all the calls of a compact run."""
        run = self.compact.get(call.path)
        return ("run", run[0]) if run is not None else ("call", id(call))

    def _parameter_row(self, rows: dict[int, int], consumer: object, lines: list[str], style: str,
                       cluster: str | None) -> str:
        """The parameters one autograd node uses (a convolution's weight and bias) drawn as one row of
        boxes in state_dict order, so the node has one input beside it, not two."""
        cell = Node("", tuple(lines), style, cluster)
        index = rows.get(id(consumer))
        if index is None:
            rows[id(consumer)] = len(self.nodes)
            node_id = self._node((), "row_joined", cluster, "")
            cells: list[Node] = []
        else:
            row = self.nodes[index]
            node_id, cells = row.id, list(row.cells)
        cells.append(cell)
        cells.sort(key=lambda box: self.position.get(box.lines[0], 0))
        cells = [Node(f"{node_id}_{number}", box.lines, box.style, cluster)
                 for number, box in enumerate(cells)]
        tooltip = ", ".join(box.lines[0] for box in cells)
        self.nodes[rows[id(consumer)]] = Node(node_id, (), "row_joined", cluster, tuple(cells), tooltip)
        return node_id

    def draw(self, order: list[object], edges: list[tuple[object, object]], call_of: dict) -> dict[int, str]:
        """Nodes and frames for the graph; returns the drawn node of every graph node."""
        consumers: dict[int, set[int]] = {}
        consumer_of: dict[int, object] = {}
        for tail, head in edges:
            consumers.setdefault(id(tail), set()).add(id(head))
            consumer_of[id(tail)] = head
        rows: dict[int, int] = {}  # id(consumer) -> the index of its parameters' row node
        users: dict[int, int] = {}  # id(consumer) -> how many parameters only it uses
        for node in order:
            if getattr(node, "variable", None) is not None and len(consumers.get(id(node), ())) == 1:
                key = id(consumer_of[id(node)])
                users[key] = users.get(key, 0) + 1
        merged_count: dict[tuple, int] = {}  # the autograd nodes merged into each node, parameters aside
        for node in order:
            outer = self._merged_into(call_of[id(node)])
            parameter = getattr(node, "variable", None) is not None
            if outer is not None and outer.path not in self.hidden and not parameter:
                key = self._merge_key(outer)
                merged_count[key] = merged_count.get(key, 0) + 1
        drawn: dict[int, str] = {}
        merged_nodes: dict[tuple, str] = {}
        hidden: list[tuple[object, _Call]] = []
        for node in reversed(order):
            call = call_of[id(node)]
            outer = self._merged_into(call)
            if outer is not None and outer.path in self.hidden:
                hidden.append((node, outer))
                continue
            if outer is not None:
                key = self._merge_key(outer)
                if key not in merged_nodes:
                    lines, style, tooltip = self._merged_node(outer, merged_count.get(key, 0))
                    merged_nodes[key] = self._node(lines, style, self._cluster_of(outer.parent), tooltip)
                drawn[id(node)] = merged_nodes[key]
                continue
            lines, style, tooltip = self._grad_fn_lines(node)
            parameter = getattr(node, "variable", None) is not None
            if call is not None and call.path and not parameter:
                tooltip += f", made by {call.path}"
                if style == "grad_fn" and not self._framed(call):
                    lines.append(call.path + (f" (call {call.number})" if call.number > 1 else ""))
            alone = parameter and len(consumers[id(node)]) == 1 and style != "tensor"
            if alone and not self.accumulate_grad and users[id(consumer_of[id(node)])] > 1:
                cluster = self._cluster_of(call)
                drawn[id(node)] = self._parameter_row(rows, consumer_of[id(node)], lines, style, cluster)
                continue
            node_id = self._node(lines, style, self._cluster_of(call), tooltip)
            drawn[id(node)] = node_id
            if self.accumulate_grad and getattr(node, "variable", None) is not None:
                accumulate = self._node(["AccumulateGrad"], "grad_fn", self._cluster_of(call),
                                        f"AccumulateGrad: adds the gradient into {lines[0]}.grad")
                self.edges.append(Edge(node_id, accumulate))
                drawn[id(node)] = accumulate
        # a later block of a folded run: its nodes stand for the first block's output
        for node, outer in hidden:
            first = next((call for call in self.calls if call.path == self.hidden[outer.path]), None)
            output = first.outputs[0] if first is not None and first.outputs else None
            if output is not None and id(output) in drawn:
                drawn[id(node)] = drawn[id(output)]
        return drawn

    def connect(self, edges: list[tuple[object, object]], drawn: dict[int, str]) -> None:
        seen: set[tuple[str, str]] = set()
        for tail, head in edges:
            if id(tail) not in drawn or id(head) not in drawn:
                continue
            tail_id, head_id = drawn[id(tail)], drawn[id(head)]
            if tail_id == head_id or (tail_id, head_id) in seen:
                continue
            seen.add((tail_id, head_id))
            shape = self.shape_of.get(id(tail))
            self.edges.append(Edge(tail_id, head_id, shape_text(shape) if shape is not None else ""))


def autograd_graph(model, trace: Trace | object, *, depth: int | None = None, fold: bool = True,
                   rankdir: str = "TB", mode: str = "train", collapse: tuple[str, ...] = (),
                   expand: tuple[str, ...] = (), saved_tensors: bool = False,
                   accumulate_grad: bool = False) -> Graph:
    """The grad_fn graph behind the traced forward's output: one node per autograd node (MulBackward0,
    ...), each parameter named by every name it has, arrows in the direction the forward ran, labelled
    with the shapes of the tensors that leave a module or one of its own ops. Nodes are framed by the
    module call that made them; `depth`, `collapse`, `expand` and `fold` as in the other views.
    torchviz's extras: `saved_tensors` writes the shapes each node saved for backward on it,
    `accumulate_grad` draws the AccumulateGrad node between a parameter and its users.
    `trace` may also be a bare output (a Tensor, or a tuple of them): its graph, without module frames."""
    if not isinstance(trace, Trace):
        trace = Trace(type(model).__name__, model.training, [], [], trace)
    infos = describe_modules(model)
    folding = Folding(infos, depth=depth, fold=fold, collapse=collapse, expand=expand)
    is_tensor = adapter_for(model).is_tensor
    builder = _AutogradBuilder(model, trace, infos, folding, saved_tensors=saved_tensors,
                               accumulate_grad=accumulate_grad)
    builder.record_calls()
    leaves = flatten_values(trace.output)
    outputs = [leaf for leaf in leaves if is_tensor(leaf) and leaf.grad_fn is not None]
    order, edges = builder.walk(outputs)
    call_of = builder.assign(order, edges)
    drawn = builder.draw(order, edges, call_of)
    builder.connect(edges, drawn)
    for number, tensor in enumerate(outputs):
        title = "output" if len(outputs) == 1 else f"output {number}"
        out_id = builder._node((title, shape_text(tuple(tensor.shape))), "output", None, title)
        builder.edges.append(Edge(drawn[id(tensor.grad_fn)], out_id))
    if not outputs:  # nothing required grad (no parameters, or under no_grad): say so, don't draw nothing
        for number, leaf in enumerate(leaf for leaf in leaves if is_tensor(leaf)):
            lines = ("output" if number == 0 else f"output {number}", shape_text(tuple(leaf.shape)),
                     "no grad_fn: nothing here requires grad")
            builder._node(lines, "output", None, lines[0])
        if not any(is_tensor(leaf) for leaf in leaves):
            builder._node(("output", NO_TENSOR), "output", None, "output")
    return Graph(title_lines(model, "autograd", mode, infos), builder.nodes, builder.edges, builder.clusters,
                 rankdir)
