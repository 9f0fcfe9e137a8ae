"""Graph -> DOT text built with the graphviz package: one table of node styles, HTML labels, a legend.

The colour legend (what each node style means; the diagram's legend draws the styles it uses, with the
very shapes and colours of the boxes):

    module                 grey rounded box      a stateless module (ReLU), or one module call
    collapsed              grey 3-D box          a module whose insides are hidden (--depth, --collapse)
    folded                 violet 3-D box        consecutive identical sibling modules drawn once, "× N"
    parameter              filled blue box       an nn.Parameter (shape, element count)
    parameter_shared       teal box              a Parameter with several names (tied weights)
    parameter_frozen       pale blue box         a Parameter with requires_grad=False
    buffer                 dashed orange box     a persistent buffer (saved in state_dict)
    buffer_nonpersistent   dotted orange box     a buffer registered with persistent=False
    op                     yellow ellipse        a functional op run between modules (relu, flatten, add)
    input / output         green rounded box     the tensors going into and out of the model
    grad_fn                light grey box        an autograd node (MulBackward0, ...)
    tensor                 pink box              a tensor from outside the graph (a constant, an unnamed leaf)
    diff_*                 (the diff picture)    missing red, unexpected green, shape mismatch, changed
                                                 shaded by how much, unchanged white

Cluster styles: "module", a rounded frame around what a module contains (alternately shaded by
nesting), and "folded", a violet frame around the first of N identical modules, drawn for all of them.
Everything is emitted in the graph's order, with no ids from id() and no timestamps, so the same
graph always gives the same DOT text (and, through dot, the same SVG bytes).
"""

from __future__ import annotations

from inspector.graph import Cluster, Edge, Graph, Node

__all__ = ["NODE_STYLES", "CLUSTER_STYLES", "EDGE_STYLES", "LEGEND", "to_dot", "html_escape"]

# dot sizes boxes with this font's metrics (DejaVu Sans is wider than Helvetica, so text fits with
# any of the fallbacks diagram.py adds to the SVG's font-family)
FONT = "DejaVu Sans"


def _look(shape: str, style: str, fillcolor: str, color: str, **extra: str) -> dict[str, str]:
    return {"shape": shape, "style": style, "fillcolor": fillcolor, "color": color, **extra}


# the five shades of a changed tensor in the diff picture, least changed first (graph_diff.CHANGE_STEPS)
CHANGE_SHADES = ("#fff3e0", "#ffd9a8", "#ffb366", "#f08c2e", "#c85f00")

# style key -> DOT attributes (the single table the legend above describes)
NODE_STYLES: dict[str, dict[str, str]] = {
    "module": _look("box", "rounded,filled", "#f2f2f2", "#666666"),
    "collapsed": _look("box3d", "filled", "#e4e4e4", "#444444"),
    "folded": _look("box3d", "filled", "#ece2fb", "#6a3fb5"),
    "parameter": _look("box", "filled", "#cfe2ff", "#1f5fbf"),
    "parameter_shared": _look("box", "filled", "#c9eee8", "#00796b", penwidth="2"),
    "parameter_frozen": _look("box", "filled", "#eef2f7", "#8a9bb5"),
    "buffer": _look("box", "dashed,filled", "#fff1e0", "#e07b00"),
    "buffer_nonpersistent": _look("box", "dotted,filled", "#ffffff", "#e07b00"),
    "op": _look("ellipse", "filled", "#fff7c2", "#b39200", fontsize="9"),
    "input": _look("box", "rounded,filled", "#d9f2d9", "#2e7d32"),
    "output": _look("box", "rounded,filled", "#d9f2d9", "#2e7d32"),
    "grad_fn": _look("box", "filled", "#eeeeee", "#777777"),
    "tensor": _look("box", "filled", "#f8dcdc", "#a33a3a"),
    "diff_missing": _look("box", "filled", "#f6c6c6", "#c62828", penwidth="2"),
    "diff_unexpected": _look("box", "filled", "#c8ecc9", "#2e7d32", penwidth="2"),
    "diff_shape": _look("box", "dashed,filled", "#f6c6c6", "#6a1b9a", penwidth="2"),
    **{f"diff_changed_{step}": _look("box", "filled", shade, "#8a4b00")
       for step, shade in enumerate(CHANGE_SHADES)},
    "diff_same": _look("box", "filled", "#ffffff", "#9e9e9e"),
}

# style key -> what the legend calls it
LEGEND: dict[str, str] = {
    "module": "module",
    "collapsed": "collapsed module",
    "folded": "identical modules \u00d7 N",
    "parameter": "parameter",
    "parameter_shared": "shared (tied) parameter",
    "parameter_frozen": "frozen parameter",
    "buffer": "buffer",
    "buffer_nonpersistent": "non-persistent buffer",
    "op": "functional op",
    "input": "input / output",
    "output": "input / output",
    "grad_fn": "autograd node",
    "tensor": "other tensor",
    "diff_missing": "missing (model only)",
    "diff_unexpected": "unexpected (other only)",
    "diff_shape": "shape mismatch",
    "diff_changed_0": "changed < 1%",
    "diff_changed_1": "changed < 10%",
    "diff_changed_2": "changed < 50%",
    "diff_changed_3": "changed < 100%",
    "diff_changed_4": "changed \u2265 100%",
    "diff_same": "unchanged",
}

LEGEND_PER_ROW = 6  # the legend wraps after this many boxes ("legend:" counts as one)

CLUSTER_FILLS = ("#fbfbfb", "#eef3f8")  # alternate by nesting depth, so a frame inside a frame shows

# cluster style key -> (border colour, fill, or None to alternate CLUSTER_FILLS; pen width; legend text)
CLUSTER_STYLES: dict[str, tuple[str, str | None, str, str]] = {
    "module": ("#8c8c8c", None, "1", "module with submodules"),
    "folded": ("#6a3fb5", "#f7f2ff", "2", "first of N identical modules"),
}

EDGE_STYLES: dict[str, dict[str, str]] = {
    "data": {"color": "#555555"},
    "order": {"style": "invis"},
}

# autograd nodes that only reshape (or accumulate into) the one tensor they take: made of a parameter,
# they sit beside its user with it
_RESHAPING_NODES = {"AccumulateGrad", "TBackward0", "TransposeBackward0", "PermuteBackward0", "ViewBackward0",
                    "ReshapeAliasBackward0", "ExpandBackward0", "UnsqueezeBackward0"}

# the styles of nodes that feed the main path from its side (parameters, buffers, constants): the arrows
# from them bend, so the main path's arrows can be straight
_SIDE_INPUTS = {"parameter", "parameter_shared", "parameter_frozen", "buffer", "buffer_nonpersistent",
                "tensor"}


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _rows(lines: tuple[str, ...], bold_first: bool, align: str = "CENTER") -> str:
    """The lines as table rows: each line its own row, so a line's underscores stay clear of the next
    (a <BR/> puts lines a font size apart, and `track_running_stats` touched the line below)."""
    rows = []
    for index, line in enumerate(lines):
        text = html_escape(line)
        text = f"<B>{text}</B>" if index == 0 and bold_first else text
        rows.append(f'<TR><TD ALIGN="{align}">{text}</TD></TR>')
    return ('<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">'
            f'{"".join(rows)}</TABLE>')


def _cluster_label(lines: tuple[str, ...], keep_centre_clear: bool) -> str:
    """A cluster's title. With arrows running top to bottom through the cluster (the flow view), an
    arrow into a centred child would cross a centred title; so the title sits left and an empty cell
    as wide as the text holds the centre line free."""
    if not keep_centre_clear:
        return f"<{_rows(lines, True)}>"
    # a generous estimate of the widest line at the cluster font (11 pt DejaVu Sans, bold title)
    width = int(max(len(line) for line in lines) * 7.6) + 16
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD ALIGN="LEFT" BALIGN="LEFT">{_rows(lines, True, "LEFT")}</TD><TD WIDTH="{width}"></TD></TR>'
            f'</TABLE>>')


def _title(graph: Graph) -> str:
    rows = []
    for index, line in enumerate(graph.title):
        text = html_escape(line)
        rows.append(f"<TR><TD>{f'<B>{text}</B>' if index == 0 else text}</TD></TR>")
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2">{"".join(rows)}</TABLE>>'


def _cell(box: Node) -> str:
    """One box of a row node, as a table cell drawn in its style's colours and border."""
    look = NODE_STYLES[box.style]
    border = next((f' STYLE="{kind}"' for kind in ("dashed", "dotted") if kind in look["style"]), "")
    width = look.get("penwidth", "1")
    return (f'<TD BGCOLOR="{look["fillcolor"]}" COLOR="{look["color"]}" BORDER="{width}"{border} '
            f'CELLPADDING="5">{_rows(box.lines, True)}</TD>')


def _node_attributes(node: Node) -> dict[str, str]:
    """The DOT attributes of one node: a row node becomes a borderless table of its cells, spaced apart
    (style "row", a module's state in the tree view) or side by side (style "row_joined", the parameters
    one autograd node uses: its arrow starts at their edge)."""
    # the hover text: the node's own, else its lines (never its id)
    shown = node.lines or tuple(cell.lines[0] for cell in node.cells)
    attributes = {"id": node.id, "tooltip": node.tooltip or " ".join(shown)}
    if node.cells:
        cells = "".join(_cell(box) for box in node.cells)
        spacing = "0" if node.style == "row_joined" else "10"
        table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="{spacing}" CELLPADDING="5">'
        return {"label": f"<{table}<TR>{cells}</TR></TABLE>>", "shape": "plain", **attributes}
    label = f"<{_rows(node.lines, bold_first=node.style != 'op')}>"
    return {"label": label, **NODE_STYLES[node.style], **attributes}


def _legend_items(graph: Graph) -> list[tuple[str, dict[str, str]]]:
    """(legend id, node attributes) of each style the graph uses, in the tables' order; a cluster style
    is shown as a node drawn like the frame."""
    items: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    for style in sorted(graph.styles_used(), key=list(NODE_STYLES).index):
        text = LEGEND.get(style, style)
        if style == "row" or text in seen:
            continue
        seen.add(text)
        look = {**NODE_STYLES[style], "fontsize": "9"}
        items.append((f"legend_{style}", {"label": html_escape(text), **look, "margin": "0.08,0.03",
                                          "height": "0.25", "tooltip": text, "id": f"legend_{style}"}))
    for style in sorted(graph.cluster_styles_used(), key=list(CLUSTER_STYLES).index):
        color, fill, width, text = CLUSTER_STYLES[style]
        items.append((f"legend_cluster_{style}", {
            "label": html_escape(text), "shape": "box", "style": "rounded,filled", "color": color,
            "fillcolor": fill or CLUSTER_FILLS[0], "penwidth": width, "fontsize": "9",
            "margin": "0.12,0.08", "height": "0.35", "tooltip": text, "id": f"legend_cluster_{style}",
        }))
    return items


def _emit_legend(diagram, graph: Graph) -> None:
    """The legend: rows of sample boxes above the diagram (left of it when it runs left to right), held
    centred above the diagram's top node by one invisible arrow (a frame around all of the diagram, the
    tree's root, would otherwise stand beside it)."""
    items = [("legend", {"label": "legend:", "shape": "plaintext", "fontsize": "9", "tooltip": "legend",
                         "id": "legend"}),
             *_legend_items(graph)]
    if len(items) == 1:
        return
    rows = [items[start:start + LEGEND_PER_ROW] for start in range(0, len(items), LEGEND_PER_ROW)]
    for number, row in enumerate(rows):
        with diagram.subgraph(graph_attr={"rank": "min" if number == 0 else "same"}) as same:
            for legend_id, attributes in row:
                same.node(legend_id, **attributes)
        for (left, _), (right, _) in zip(row, row[1:]):
            diagram.edge(left, right, style="invis")
    for upper, lower in zip(rows, rows[1:]):  # middle above middle: the rows centred on one another
        diagram.edge(upper[len(upper) // 2][0], lower[len(lower) // 2][0], style="invis")
    # the diagram's top node below the legend, so a frame around all of it (the tree's root) is below
    # the legend, not beside it; the legend's last row is held centred above that node
    top = _top_node(graph)
    if top is not None:
        diagram.edge(rows[-1][len(rows[-1]) // 2][0], top, style="invis")


def _top_node(graph: Graph) -> str | None:
    """The node dot puts on the first rank: the one with the longest path below it (first in the graph's
    order among equals)."""
    below: dict[str, list[str]] = {}
    for edge in graph.edges:
        below.setdefault(edge.tail, []).append(edge.head)
    length: dict[str, int] = {}
    for node in reversed(graph.nodes):  # iteratively: a long chain must not exhaust Python's stack
        stack = [(node.id, False)]
        while stack:
            current, expanded = stack.pop()
            if current in length:
                continue
            if expanded:
                length[current] = 1 + max((length.get(head, 0) for head in below.get(current, [])), default=0)
                continue
            stack.append((current, True))
            stack.extend((head, False) for head in below.get(current, []) if head not in length)
    return max(graph.nodes, key=lambda node: length.get(node.id, 0)).id if graph.nodes else None


def _side_rows(graph: Graph) -> tuple[dict[str | None, list[list[str]]], set[int]]:
    """Rows that put a node's side inputs beside it instead of above it: parameters, buffers, constants,
    and the nodes that only reshape them (a weight's TBackward0), each used by that node only and framed
    with it. The first input sits on the left; the others on the right, their arrows drawn reversed
    (dot lays a row's arrows left to right). Above, they would share the rank of the node feeding the
    main path, which a module's frame then pushes aside, and every next module further.
    Returns the rows by cluster and the indices of the edges to reverse."""
    styles = {node.id: node.style for node in graph.nodes}
    titles = {node.id: node.lines[0] if node.lines else "" for node in graph.nodes}
    clusters = {node.id: node.cluster for node in graph.nodes}
    into: dict[str, list[int]] = {}
    out_of: dict[str, list[int]] = {}
    for index, edge in enumerate(graph.edges):
        if edge.style == "data":
            into.setdefault(edge.head, []).append(index)
            out_of.setdefault(edge.tail, []).append(index)

    def chain(node_id: str, consumer: str) -> list[int] | None:
        """The edges of the side chain ending at node_id -> consumer, or None if node_id is no side input."""
        if clusters[node_id] != clusters[consumer] or len(out_of.get(node_id, [])) != 1:
            return None
        inputs = into.get(node_id, [])
        if (styles[node_id] in _SIDE_INPUTS or styles[node_id] == "row_joined") and not inputs:
            return []
        if styles[node_id] != "grad_fn" or len(inputs) != 1 or titles[node_id] not in _RESHAPING_NODES:
            return None
        edges: list[int] = []
        for index in inputs:
            found = chain(graph.edges[index].tail, node_id)
            if found is None:
                return None
            edges += [index, *found]
        return edges

    sides_of: dict[str, list[list[int]]] = {}
    for node in graph.nodes:
        if node.cells:  # a row of boxes is never a row's centre
            continue
        sides = []
        for index in into.get(node.id, []):
            found = chain(graph.edges[index].tail, node.id)
            if found is not None:
                sides.append([index, *found])
        if sides:
            sides_of[node.id] = sides
    inside = {graph.edges[index].tail for sides in sides_of.values() for side in sides for index in side}
    rows: dict[str | None, list[list[str]]] = {}
    flipped: set[int] = set()
    for node in graph.nodes:
        sides = sides_of.get(node.id)
        if sides is None or node.id in inside:  # a side chain's own node is in its user's row
            continue
        # left to right: the first chain (its far end first), the node, the other chains
        left = [graph.edges[index].tail for index in sides[0]][::-1]
        right = [graph.edges[index].tail for side in sides[1:] for index in side]
        rows.setdefault(node.cluster, []).append(list(dict.fromkeys([*left, node.id, *right])))
        for side in sides[1:]:
            flipped.update(side)
    return rows, flipped


def _decorated(graph: Graph) -> set[int]:
    """The labelled edges whose label dot may set between several arrows (a tail with several labelled
    arrows out, or a head with several in): each gets a line from its label to its arrow."""
    outgoing: dict[str, int] = {}
    incoming: dict[str, int] = {}
    for edge in graph.edges:
        if edge.style == "data" and edge.label:
            outgoing[edge.tail] = outgoing.get(edge.tail, 0) + 1
            incoming[edge.head] = incoming.get(edge.head, 0) + 1
    return {index for index, edge in enumerate(graph.edges)
            if edge.label and (outgoing.get(edge.tail, 0) > 1 or incoming.get(edge.head, 0) > 1)}


def _edge_attributes(edge: Edge, decorate: bool, straight: bool, names: dict[str, str]) -> dict[str, str]:
    attributes = dict(EDGE_STYLES[edge.style])
    if edge.style == "data":  # what hovering over the arrow shows: `conv1 -> relu: (1, 10, 24, 24)`
        ends = f"{names.get(edge.tail, edge.tail)} \u2192 {names.get(edge.head, edge.head)}"
        attributes["tooltip"] = f"{ends}: {edge.label}" if edge.label else ends
    if straight:
        attributes["weight"] = "4"  # the main path's arrows pull harder: they stay straight
    if edge.label:
        attributes["label"] = f" {edge.label} "
        if decorate:
            attributes["decorate"] = "true"
    return attributes


def to_dot(graph: Graph) -> str:
    """The DOT text of `graph`, built with the graphviz package: the legend, clusters nested as
    subgraphs, nodes inside their cluster, then the edges. graphviz writes attributes sorted by name, and
    every name and id here comes from the graph's order, so the text is the same for the same graph."""
    import graphviz  # only rendering needs it; `import inspector` stays light

    diagram = graphviz.Digraph(
        "minimod",
        graph_attr={
            "rankdir": graph.rankdir, "fontname": FONT, "fontsize": "12", "labelloc": "t",
            "label": _title(graph), "nodesep": "0.25", "ranksep": "0.35", "compound": "true",
            # a left-to-right diagram is read from its left end, so its title starts there
            "labeljust": "l" if graph.rankdir in ("LR", "RL") else "c",
            "tooltip": graph.title[0],
        },
        node_attr={"fontname": FONT, "fontsize": "10", "margin": "0.12,0.07"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"},
    )
    rows, flipped = _side_rows(graph)
    _emit_legend(diagram, graph)
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        members.setdefault(node.cluster, []).append(node)

    vertical = graph.rankdir in ("TB", "BT") and any(edge.style == "data" for edge in graph.edges)

    by_id = {node.id: node for node in graph.nodes}
    row_of = {node_id: row for row_list in rows.values() for row in row_list for node_id in row}

    def emit(target: graphviz.Digraph, cluster_id: str | None, level: int) -> None:
        declared: set[str] = set()
        for node in members.get(cluster_id, []):
            # a row's nodes declared together, left to right: dot starts from that order
            for node_id in row_of.get(node.id, [node.id]):
                if node_id not in declared:
                    declared.add(node_id)
                    target.node(node_id, **_node_attributes(by_id[node_id]))
        for row in rows.get(cluster_id, []):
            with target.subgraph(graph_attr={"rank": "same"}) as same:
                for node_id in row:
                    same.node(node_id)
        for cluster in children.get(cluster_id, []):
            color, fill, width, _ = CLUSTER_STYLES[cluster.style]
            attributes = {
                "label": _cluster_label(cluster.lines, vertical),
                "style": "rounded,filled", "color": color, "penwidth": width,
                "fillcolor": fill or CLUSTER_FILLS[level % 2], "fontsize": "11", "margin": "10",
                "labeljust": "l" if vertical else "c",  # not the graph's: its title may sit left
            }
            attributes["id"] = cluster.id
            if cluster.tooltip:
                attributes["tooltip"] = cluster.tooltip
            with target.subgraph(name=cluster.id, graph_attr=attributes) as subgraph:
                emit(subgraph, cluster.id, level + 1)

    emit(diagram, None, 0)
    decorated = _decorated(graph)
    sources = {node.id for node in graph.nodes if node.style in _SIDE_INPUTS or node.cells}
    names = {node.id: node.lines[0] if node.lines else " and ".join(cell.lines[0] for cell in node.cells)
             for node in graph.nodes}
    for index, edge in enumerate(graph.edges):
        straight = edge.style == "data" and edge.tail not in sources
        attributes = _edge_attributes(edge, index in decorated, straight, names)
        if index in flipped:  # a side input right of its node: the arrow drawn from the node, reversed
            diagram.edge(edge.head, edge.tail, dir="back", **attributes)
        else:
            diagram.edge(edge.tail, edge.head, **attributes)
    return diagram.source
