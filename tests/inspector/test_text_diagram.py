"""Text diagrams for a terminal pane, and the lesson pictures built on them."""

import pytest

import minimod as mm
from inspector.graph import describe_modules
from inspector.graph_autograd import autograd_graph
from inspector.lesson_pictures import make_picture, parse, save_svg
from inspector.text_diagram import timeline_lines, tree_lines
from inspector.trace import trace_forward_backward
from minimod import nn


class BaseNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return self.linear(x)


class NestedNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.base_net = BaseNet()
        self.relu = nn.ReLU()
        self.linear = nn.Linear(3, 2)

    def forward(self, x):
        return self.linear(self.relu(self.base_net(x)))


def test_tree_lines_nest_children_under_their_parent():
    assert tree_lines(describe_modules(NestedNet())) == [
        "NestedNet  [23 numbers]",
        "├─ base_net: BaseNet  [15 numbers]",
        "│  └─ linear: Linear(in_features=4, out_features=3, b…  [15 numbers]",
        "│        · weight (3, 4)",
        "│        · bias (3,)",
        "├─ relu: ReLU",
        "└─ linear: Linear(in_features=3, out_features=2, b…  [8 numbers]",
        "      · weight (2, 3)",
        "      · bias (2,)",
    ]


def test_tree_lines_mark_buffers():
    lines = tree_lines(describe_modules(nn.BatchNorm1d(2)))
    assert "   · running_mean (2,) (buffer)" in lines and "   · num_batches_tracked () (buffer)" in lines


def test_graph_lines_read_backward_from_the_output():
    from inspector.text_diagram import graph_lines

    w = mm.tensor([2.0], requires_grad=True)
    y = (w * 3) ** 2
    assert graph_lines(autograd_graph(nn.Module(), y)) == [
        "output  (1,)", "└─ PowBackward0", "   └─ MulBackward0", "      └─ leaf  (1,)",
    ]
    shared = w * w  # one leaf used twice by one node: drawn once, one arrow (the diagrams draw one too)
    lines = graph_lines(autograd_graph(nn.Module(), shared))
    assert lines == ["output  (1,)", "└─ MulBackward0", "   └─ leaf  (1,)"]
    both = w * 3 + w  # one leaf used by two nodes: drawn once, then named again
    lines = graph_lines(autograd_graph(nn.Module(), both))
    assert lines[-1].endswith("(see above)") and sum("leaf" in line for line in lines) == 2


def test_timeline_shows_nesting_and_reverse_backward():
    model = NestedNet()
    trace = trace_forward_backward(model, mm.randn(2, 4, requires_grad=True), record_ops=False, stats=False)
    paths = [path for path, _ in model.named_modules()]
    kinds = {path: type(module).__name__ for path, module in model.named_modules()}
    lines = timeline_lines(trace.events, paths, kinds)
    rows = {path: lines[1 + index] for index, path in enumerate(paths)}
    start = len(lines[0]) - len("time →")  # where the columns begin, after the labels
    columns = {path: row[start:] for path, row in rows.items()}
    marks = {path: text.replace(" ", "") for path, text in columns.items()}
    assert marks[""] == "p" + "─" * 8 + "fb"  # the root's forward spans everything, its backward is last
    assert marks["base_net.linear"] == "pfb"
    assert columns[""].index("p") < columns["base_net"].index("p") < columns["base_net"].index("f") \
        < columns[""].index("f")
    backward = [columns[path].index("b") for path in ("linear", "relu", "base_net.linear", "base_net", "")]
    assert backward == sorted(backward), "backward hooks fire from the last module back to the root"


def test_pictures_from_a_namespace_and_their_svg(tmp_path):
    model = NestedNet()
    namespace = {"model": model, "example_input": mm.randn(2, 4, requires_grad=True),
                 "losses": [float(n) for n in range(250, 0, -1)], "w": mm.tensor([1.0], requires_grad=True)}
    namespace["y"] = namespace["w"] * 2
    tree = make_picture("tree", namespace)
    assert tree.lines[0] == "NestedNet  [23 numbers]"
    graph = make_picture("autograd:y", namespace)
    assert graph.lines[1] == "└─ MulBackward0" and "w" in graph.note
    timeline = make_picture("hooks", namespace)
    assert "forward pre-hook" in timeline.note
    curve = make_picture("loss:losses", namespace)
    assert len(curve.y) == 84 and curve.y[0] == pytest.approx(249.0) and "mean of 3 steps" in curve.note
    for picture in (timeline, curve):
        path = save_svg(picture, tmp_path / f"{picture.kind}.svg")
        assert path.read_text().startswith("<svg")
    with pytest.raises(ValueError, match="needs an expression"):
        parse("loss")
