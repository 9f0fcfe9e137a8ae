"""Graph -> DOT text built with the graphviz package: one table of node styles, HTML labels, a legend.

The colour legend (what each node style means, shown in every diagram's title):

    module                 grey rounded box      a stateless module (ReLU), or one module call
    collapsed              grey 3-D box          a module whose submodules are hidden (--depth)
    folded                 violet 3-D box        consecutive identical sibling modules drawn once, "× N"
    parameter              filled blue box       an nn.Parameter (shape, element count)
    parameter_frozen       pale blue box         a Parameter with requires_grad=False
    buffer                 dashed orange box     a persistent buffer (saved in state_dict)
    buffer_nonpersistent   dotted orange box     a buffer registered with persistent=False
    op                     yellow ellipse        a functional op run between modules (relu, flatten, add)
    input / output         green rounded box     the tensors going into and out of the model
    grad_fn                light grey box        an autograd node (MulBackward0, ...)
    tensor                 pink box              a tensor from outside the graph (a constant, an unnamed leaf)

Clusters (rounded frames, alternately shaded by nesting) are modules that contain others.
Everything is emitted in the graph's order, with no ids from id() and no timestamps, so the same
graph always gives the same DOT text (and, through dot, the same SVG bytes).
"""

from __future__ import annotations

from inspector.graph import Cluster, Graph, Node

__all__ = ["NODE_STYLES", "EDGE_STYLES", "LEGEND", "to_dot", "html_escape"]

# dot sizes boxes with this font's metrics (DejaVu Sans is wider than Helvetica, so text fits with
# any of the fallbacks diagram.py adds to the SVG's font-family)
FONT = "DejaVu Sans"

def _look(shape: str, style: str, fillcolor: str, color: str, **extra: str) -> dict[str, str]:
    return {"shape": shape, "style": style, "fillcolor": fillcolor, "color": color, **extra}


# style key -> DOT attributes (the single table the legend above describes)
NODE_STYLES: dict[str, dict[str, str]] = {
    "module": _look("box", "rounded,filled", "#f2f2f2", "#666666"),
    "collapsed": _look("box3d", "filled", "#e4e4e4", "#444444"),
    "folded": _look("box3d", "filled", "#ece2fb", "#6a3fb5"),
    "parameter": _look("box", "filled", "#cfe2ff", "#1f5fbf"),
    "parameter_frozen": _look("box", "filled", "#eef2f7", "#8a9bb5"),
    "buffer": _look("box", "dashed,filled", "#fff1e0", "#e07b00"),
    "buffer_nonpersistent": _look("box", "dotted,filled", "#ffffff", "#e07b00"),
    "op": _look("ellipse", "filled", "#fff7c2", "#b39200", fontsize="9"),
    "input": _look("box", "rounded,filled", "#d9f2d9", "#2e7d32"),
    "output": _look("box", "rounded,filled", "#d9f2d9", "#2e7d32"),
    "grad_fn": _look("box", "filled", "#eeeeee", "#777777"),
    "tensor": _look("box", "filled", "#f8dcdc", "#a33a3a"),
}

# style key -> what the legend calls it
LEGEND: dict[str, str] = {
    "module": "module",
    "collapsed": "collapsed module",
    "folded": "identical modules \u00d7 N",
    "parameter": "parameter",
    "parameter_frozen": "frozen parameter",
    "buffer": "buffer",
    "buffer_nonpersistent": "non-persistent buffer",
    "op": "functional op",
    "input": "input / output",
    "output": "input / output",
    "grad_fn": "autograd node",
    "tensor": "other tensor",
}

EDGE_STYLES: dict[str, dict[str, str]] = {
    "data": {"color": "#555555"},
    "order": {"style": "invis"},
}

CLUSTER_FILLS = ("#fbfbfb", "#eef3f8")  # alternate by nesting depth, so a frame inside a frame shows


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _html_lines(lines: tuple[str, ...], bold_first: bool = True) -> str:
    rendered = []
    for index, line in enumerate(lines):
        text = html_escape(line)
        rendered.append(f"<B>{text}</B>" if index == 0 and bold_first else text)
    return "<" + "<BR/>".join(rendered) + ">"


def _cluster_label(lines: tuple[str, ...], keep_centre_clear: bool) -> str:
    """A cluster's title. With arrows running top to bottom through the cluster (the flow view), an
    arrow into a centred child would cross a centred title; so the title sits left and an empty cell
    as wide as the text holds the centre line free."""
    if not keep_centre_clear:
        return _html_lines(lines)
    text = _html_lines(lines)[1:-1]
    # a generous estimate of the widest line at the cluster font (11 pt DejaVu Sans, bold title)
    width = int(max(len(line) for line in lines) * 7.6) + 16
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
            f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD><TD WIDTH="{width}"></TD></TR></TABLE>>')


def _legend_table(styles: list[str]) -> str:
    cells = []
    seen: set[str] = set()
    for style in sorted(styles, key=list(NODE_STYLES).index):  # the table's order, not first use
        text = LEGEND.get(style, style)
        if text in seen:
            continue
        seen.add(text)
        look = NODE_STYLES[style]
        cell_style = ""
        if "dashed" in look["style"]:
            cell_style = ' STYLE="dashed"'
        elif "dotted" in look["style"]:
            cell_style = ' STYLE="dotted"'
        cells.append(
            f'<TD BGCOLOR="{look["fillcolor"]}" COLOR="{look["color"]}" BORDER="1"{cell_style}>'
            f'<FONT POINT-SIZE="9">{html_escape(text)}</FONT></TD>'
        )
    if not cells:
        return ""
    table = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="4" CELLPADDING="3">'
    return f'{table}<TR>{"".join(cells)}</TR></TABLE>'


def _title(graph: Graph) -> str:
    rows = []
    for index, line in enumerate(graph.title):
        text = html_escape(line)
        rows.append(f"<TR><TD>{f'<B>{text}</B>' if index == 0 else text}</TD></TR>")
    legend = _legend_table(graph.styles_used())
    if legend:
        rows.append(f"<TR><TD>{legend}</TD></TR>")
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0">{"".join(rows)}</TABLE>>'


def _cell(box: Node) -> str:
    """One box of a row node, as a table cell drawn in its style's colours and border."""
    look = NODE_STYLES[box.style]
    border = next((f' STYLE="{kind}"' for kind in ("dashed", "dotted") if kind in look["style"]), "")
    return (f'<TD BGCOLOR="{look["fillcolor"]}" COLOR="{look["color"]}" BORDER="1"{border} CELLPADDING="5">'
            f"{_html_lines(box.lines)[1:-1]}</TD>")


def _node_attributes(node: Node) -> dict[str, str]:
    """The DOT attributes of one node: a row node becomes a borderless table of its cells."""
    if node.cells:
        cells = "".join(_cell(box) for box in node.cells)
        table = '<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="10" CELLPADDING="5">'
        return {"label": f"<{table}<TR>{cells}</TR></TABLE>>", "shape": "plain"}
    return {"label": _html_lines(node.lines, bold_first=node.style != "op"), **NODE_STYLES[node.style]}


def to_dot(graph: Graph) -> str:
    """The DOT text of `graph`, built with the graphviz package: clusters nested as subgraphs, nodes
    inside their cluster, then the edges. graphviz writes attributes sorted by name, and every name
    and id here comes from the graph's order, so the text is the same for the same graph."""
    import graphviz  # only rendering needs it; `import inspector` stays light

    diagram = graphviz.Digraph(
        "minimod",
        graph_attr={
            "rankdir": graph.rankdir, "fontname": FONT, "fontsize": "12", "labelloc": "t",
            "label": _title(graph), "nodesep": "0.25", "ranksep": "0.35", "compound": "true",
            # a left-to-right diagram is read from its left end, so its title and legend start there
            "labeljust": "l" if graph.rankdir in ("LR", "RL") else "c",
        },
        node_attr={"fontname": FONT, "fontsize": "10", "margin": "0.12,0.07"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.7"},
    )
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[Node]] = {}
    for node in graph.nodes:
        members.setdefault(node.cluster, []).append(node)

    vertical = graph.rankdir in ("TB", "BT") and any(edge.style == "data" for edge in graph.edges)

    def emit(target: graphviz.Digraph, cluster_id: str | None, level: int) -> None:
        for node in members.get(cluster_id, []):
            target.node(node.id, **_node_attributes(node))
        for cluster in children.get(cluster_id, []):
            attributes = {
                "label": _cluster_label(cluster.lines, vertical),
                "style": "rounded,filled", "color": "#8c8c8c",
                "fillcolor": CLUSTER_FILLS[level % 2], "fontsize": "11", "margin": "10",
                "labeljust": "l" if vertical else "c",  # not the graph's: its title may sit left
            }
            with target.subgraph(name=cluster.id, graph_attr=attributes) as subgraph:
                emit(subgraph, cluster.id, level + 1)

    emit(diagram, None, 0)
    for edge in graph.edges:
        attributes = dict(EDGE_STYLES[edge.style])
        if edge.label:
            attributes["label"] = f" {edge.label} "
        diagram.edge(edge.tail, edge.head, **attributes)
    return diagram.source
