"""Tests for inspector.graph and inspector.graph_trace: the tree, flow and autograd views as data."""

import numpy as np
import pytest

import minimod as mm
import minimod.nn.functional as F
from inspector.graph import Graph, describe_modules
from inspector.graph_autograd import autograd_graph
from inspector.graph_trace import flow_graph
from inspector.graph_tree import tree_graph
from inspector.targets import resolve
from inspector.trace import trace_forward
from minimod import nn
from minimod.errors import UserError


def _titles(graph, style=None):
    return [node.lines[0] for node in graph.boxes() if style is None or node.style == style]


def _flow(model, example, **options):
    return flow_graph(model, trace_forward(model, example), **options)


def _autograd(model, example, **options):
    return autograd_graph(model, trace_forward(model, example), **options)


class Stateful(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)
        self.register_buffer("kept", mm.zeros(3))
        self.register_buffer("scratch", mm.zeros(2), persistent=False)


def test_tree_shows_parameters_and_buffers_in_their_styles():
    graph = tree_graph(Stateful())
    styles = {node.lines[0]: node.style for node in graph.boxes()}
    assert styles["kept"] == "buffer" and styles["scratch"] == "buffer_nonpersistent"
    frozen = [node for node in graph.boxes() if node.style == "parameter_frozen"]
    assert len(frozen) == 2 and all("frozen (requires_grad=False)" in node.lines for node in frozen)
    assert "(3,)  3" in next(node for node in graph.boxes() if node.lines[0] == "kept").lines
    assert graph.title[1] == "12 parameters (6 trainable), 5 buffer values"


def test_tree_of_convnet_has_a_cluster_per_stateful_module():
    graph = tree_graph(resolve("convnet").model)
    clusters = [cluster.lines[0] for cluster in graph.clusters]
    assert clusters == ["ConvNet", "conv1: Conv2d", "conv2: Conv2d", "fc1: Linear", "fc2: Linear"]
    weight = next(node for node in graph.boxes() if node.lines[0] == "weight")
    assert weight.style == "parameter" and weight.lines[1] == "(10, 1, 5, 5)  250"
    assert "pool1: MaxPool2d" in _titles(graph, "module")
    assert all(edge.style == "order" for edge in graph.edges)


def test_depth_collapses_and_fold_merges_identical_siblings():
    model = resolve("resnet18").model
    graph = tree_graph(model, depth=2)
    assert "0-1: BasicBlock \u00d7 2" in _titles(graph, "folded")
    collapsed = _titles(graph, "collapsed")
    assert collapsed.count("0: BasicBlock") == 3 and collapsed.count("1: BasicBlock") == 3
    unfolded = tree_graph(model, depth=2, fold=False)
    assert not _titles(unfolded, "folded") and len(_titles(unfolded, "collapsed")) == 8
    assert len(tree_graph(model, depth=0).nodes) == 1


def test_fold_needs_a_container_and_identical_structure():
    seq = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 3), nn.Linear(3, 4))
    graph = tree_graph(seq)
    frames = [cluster.lines for cluster in graph.clusters if cluster.style == "folded"]
    assert frames == [("0-2: Linear \u00d7 3", "0 drawn; 1, 2 the same",
                       "in_features=3, out_features=3, bias=True", "each: params 12", "all 3: params 36")]
    assert _titles(tree_graph(seq, collapse="Linear"), "folded") == ["0-2: Linear \u00d7 3"]
    infos = describe_modules(resolve("transformer_block").model)
    attention = tree_graph(resolve("transformer_block").model)
    assert not _titles(attention, "folded"), "q/k/v projections are not in a container: no fold"
    assert infos["attn.q_proj"].signature == infos["attn.k_proj"].signature


def test_shared_parameter_is_marked():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    graph = tree_graph(model, fold=False)
    assert any("shared with 0.weight" in node.lines for node in graph.boxes())


def test_parameters_and_buffers_stay_in_state_dict_order():
    """One row node per module, its cells in state_dict order (separate nodes were reordered by dot)."""
    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)))
    graph = tree_graph(model)
    rows = [node for node in graph.nodes if node.cells]
    assert [[cell.lines[0] for cell in row.cells] for row in rows] == [
        ["weight", "bias"], ["weight", "bias"],
        ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]]
    assert [cell.style for cell in rows[-1].cells] == ["parameter"] * 2 + ["buffer"] * 3


def test_flow_of_convnet_has_module_calls_ops_and_shapes():
    target = resolve("convnet")
    graph = _flow(target.model, target.example_input)
    titles = _titles(graph)
    assert titles[0] == "input" and titles[-1] == "output"
    assert [t for t in titles if t in {"conv1", "pool1", "conv2", "pool2", "fc1", "fc2"}] == [
        "conv1", "pool1", "conv2", "pool2", "fc1", "fc2"]
    assert "relu" in _titles(graph, "op")
    labels = {edge.label for edge in graph.edges}
    assert "(1, 10, 24, 24)" in labels and "(1, 320)" in labels
    nodes = {node.id for node in graph.nodes}
    assert all(edge.tail in nodes and edge.head in nodes for edge in graph.edges)


def test_flow_shows_the_residual_add_and_folds_chained_blocks():
    target = resolve("resnet18")
    graph = _flow(target.model, target.example_input)
    assert "add" in _titles(graph, "op")
    frame = next(cluster for cluster in graph.clusters if cluster.style == "folded")
    assert frame.lines == ("layer1.0-1: BasicBlock \u00d7 2", "layer1.0 drawn; layer1.1 the same",
                           "each: params 73,984 | buffers 258", "all 2: params 147,968 | buffers 516")
    inside = _titles(Graph(graph.title, [node for node in graph.nodes if node.cluster == frame.id]))
    assert inside == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu", "layer1.0.conv2", "layer1.0.bn2",
                      "add", "layer1.0.relu (call 2)"]
    assert not any(title.startswith("layer1.1") for title in _titles(graph))
    compact = _flow(target.model, target.example_input, collapse="BasicBlock")
    assert "layer1.0-1: BasicBlock \u00d7 2" in _titles(compact, "folded")
    assert "layer1.0.conv1" in _titles(_flow(target.model, target.example_input, fold=False))
    shallow = _flow(target.model, target.example_input, depth=1)
    assert "layer2" in _titles(shallow, "collapsed") and "add" not in _titles(shallow, "op")


def test_flow_does_not_fold_runs_that_are_not_chained():
    target = resolve("dynamic_net")
    graph = _flow(target.model, target.example_input)
    assert not _titles(graph, "folded")
    assert "activations.relu (call 3)" in _titles(graph)


def test_flow_shows_a_parameter_used_outside_a_leaf_module():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.gain = nn.Parameter(mm.ones(3))
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return F.relu(self.fc(x)) * self.gain

    graph = _flow(Scale(), mm.randn(2, 3))
    assert "gain" in _titles(graph, "parameter") and "mul" in _titles(graph, "op")


def test_autograd_graph_names_parameters_by_state_dict_key():
    target = resolve("convnet")
    graph = _autograd(target.model, target.example_input)
    parameters = set(_titles(graph, "parameter"))
    assert parameters == set(target.model.state_dict())
    names = _titles(graph, "grad_fn")
    assert "AddmmBackward0" in names and any(name.startswith("Convolution") for name in names)
    assert _titles(graph, "output") == ["output"]


def test_autograd_graph_of_an_output_without_grad():
    model = nn.ReLU()
    graph = _autograd(model, mm.randn(2))
    assert graph.nodes[0].lines[-1] == "no grad_fn: nothing here requires grad"


def test_flow_names_ops_as_torch_functionals_and_shows_flatten():
    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 3)

        def forward(self, x):
            return F.log_softmax(self.fc(x.flatten(1)), dim=1)

    ops = _titles(_flow(Head(), mm.randn(2, 2, 3)), "op")
    assert ops == ["flatten", "log_softmax"]


def test_flow_draws_a_copying_reshape_as_one_op():
    """x.transpose(1, 2).reshape(...) records CloneBackward0 then UnsafeViewBackward0, as torch does; the
    flow view still draws the one reshape the student wrote."""

    class Fold(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 2)

        def forward(self, x):
            return self.fc(x.transpose(1, 2).reshape(2, 6))

    example = mm.randn(2, 2, 3, requires_grad=True)
    folded = example.transpose(1, 2).reshape(2, 6).grad_fn
    assert [folded.name(), folded.next_functions[0][0].name()] == ["UnsafeViewBackward0", "CloneBackward0"]
    graph = _flow(Fold(), example)
    assert _titles(graph, "op") == ["transpose", "reshape"]
    titles = {node.id: node.lines[0] for node in graph.nodes}
    chain = [(titles[edge.tail], titles[edge.head]) for edge in graph.edges]
    assert chain == [("input", "transpose"), ("transpose", "reshape"), ("reshape", "fc"), ("fc", "output")]


def test_flow_draws_a_matmul_as_one_op_whatever_nodes_it_records():
    """q @ kᵀ records torch's expand, view, bmm and unsafe-view nodes; the flow view draws one matmul."""

    class Scores(nn.Module):
        def __init__(self):
            super().__init__()
            self.q = nn.Linear(4, 4)

        def forward(self, x):
            q = self.q(x).reshape(2, 3, 2, 2).transpose(1, 2)
            return q @ q.transpose(-2, -1)

    example = mm.randn(2, 3, 4, requires_grad=True)
    out = Scores()(example)
    assert out.grad_fn.name() == "UnsafeViewBackward0"
    assert out.grad_fn.next_functions[0][0].name() == "BmmBackward0"
    assert _titles(_flow(Scores(), example), "op") == ["reshape", "transpose", "transpose", "matmul"]
    seen = []
    with mm.autograd.register_op_observer(lambda function, inputs, outputs: seen.append(function.__name__)):
        mm.randn(2, 3, 4) @ mm.randn(4, 5, requires_grad=True)
    assert seen == ["MatMul"]


def test_flow_names_the_ops_that_share_a_node_type_by_what_the_student_called():
    """chunk records SplitBackward0, topk shares sort's code, amin amax's: each is drawn by its own name."""

    class Ops(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 8)

        def forward(self, x):
            h = self.fc(x)
            a, b = h.chunk(2, dim=-1)
            return a.topk(2).values.sum() + b.amin(1).sum() + h.unbind(0)[0].norm() + b.clamp_min(0).amax()

    ops = _titles(_flow(Ops(), mm.randn(2, 4)), "op")
    assert [op for op in ops if op not in ("sum", "add")] == [
        "chunk", "topk", "amin", "unbind", "norm", "clamp_min", "amax"
    ]


def test_flow_skips_backward_hook_plumbing():
    """A user's own full backward hook wraps tensors in BackwardHookFunction: not an op to draw."""
    model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 2))
    model[0].register_full_backward_hook(lambda module, grad_input, grad_output: None)
    graph = _flow(model, mm.randn(1, 3))
    assert not _titles(graph, "op")
    titles = {node.id: node.lines[0] for node in graph.nodes}
    chain = [(titles[edge.tail], titles[edge.head]) for edge in graph.edges]
    assert chain == [("input", "0"), ("0", "1"), ("1", "2"), ("2", "output")]


def _grad_fn_tree(function):
    """(name, leaf shape, inputs...) of a grad_fn graph, read the same way from torch and minimod."""
    if function is None:
        return None
    variable = getattr(function, "variable", None)
    shape = tuple(variable.shape) if variable is not None else None
    name = function.name().replace("torch::autograd::", "")
    return (name, shape, tuple(_grad_fn_tree(next_function) for next_function, _ in function.next_functions))


LINEAR_INPUTS = {  # name -> (shape, how the input is made from a leaf of that shape)
    "2d": ((2, 4), lambda x: x),
    "1d": ((4,), lambda x: x),
    "3d": ((5, 2, 4), lambda x: x),
    "4d": ((2, 3, 5, 4), lambda x: x),
    "no rows": ((0, 4), lambda x: x),
    "2d transposed": ((4, 5), lambda x: x.transpose(0, 1)),
    "3d transposed": ((2, 4, 5), lambda x: x.transpose(1, 2)),
    "1d strided": ((8,), lambda x: x[::2]),
}


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("input_requires_grad", [True, False], ids=["input_grad", "input_no_grad"])
@pytest.mark.parametrize("layout", list(LINEAR_INPUTS))
def test_linear_records_torchs_autograd_graph(layout, input_requires_grad, bias):
    """nn.Linear's grad_fn graph is torch's node for node (AddmmBackward0(bias, input, TBackward0(weight))
    on 2-D input; views, mm and add on others), with the same values and gradients."""
    torch = pytest.importorskip("torch")
    shape, make = LINEAR_INPUTS[layout]
    data = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    theirs = torch.nn.Linear(4, 3, bias=bias)
    ours = nn.Linear(4, 3, bias=bias)
    ours.load_state_dict({key: mm.tensor(value.detach().numpy()) for key, value in
                          theirs.state_dict().items()})
    leaf_theirs = torch.tensor(data, requires_grad=input_requires_grad)
    leaf_ours = mm.tensor(data, requires_grad=input_requires_grad)
    out_theirs, out_ours = theirs(make(leaf_theirs)), ours(make(leaf_ours))
    assert _grad_fn_tree(out_ours.grad_fn) == _grad_fn_tree(out_theirs.grad_fn)
    np.testing.assert_allclose(out_ours.numpy(), out_theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_theirs.sum().backward()
    out_ours.sum().backward()
    pairs = [(ours.weight, theirs.weight)] + ([(ours.bias, theirs.bias)] if bias else [])
    if input_requires_grad:
        pairs.append((leaf_ours, leaf_theirs))
    for mine, reference in pairs:
        assert mine.grad.shape == tuple(reference.grad.shape)
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-5, atol=1e-5)
    assert ours.weight.grad.numpy().flags.c_contiguous  # TBackward0 hands AccumulateGrad a C-ordered array


def test_autograd_view_names_weights_behind_their_transpose():
    """Linear weights reach the graph through TBackward0; the view still names them by state_dict key."""
    target = resolve("transformer_block")
    graph = _autograd(target.model, target.example_input)
    parameter_keys = {name for name, _ in target.model.named_parameters()}
    assert set(_titles(graph, "parameter")) == parameter_keys
    titles = {node.id: node.lines[0] for node in graph.nodes if node.lines}
    fed_by_transpose = {titles[edge.tail] for edge in graph.edges if titles.get(edge.head) == "TBackward0"}
    linear_weights = {f"{path}.weight" for path, module in target.model.named_modules()
                      if isinstance(module, nn.Linear)}
    assert fed_by_transpose == linear_weights


def test_flow_of_a_model_without_submodules_shows_the_ops_its_forward_runs():
    target = resolve("simple_model")
    graph = _flow(target.model, target.example_input)
    assert _titles(graph, "op") == ["mul", "add"]
    assert _titles(graph, "parameter") == ["weight", "bias"]
    assert _titles(_flow(target.model, target.example_input, depth=0), "module") == ["SimpleModel"]


def test_flow_draws_buffers_in_the_buffer_style():
    target = resolve("running_mean")
    graph = _flow(target.model, target.example_input)
    assert _titles(graph, "buffer") == ["mean"] and not _titles(graph, "parameter")


def test_title_names_modules_in_the_other_mode():
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Sequential(nn.BatchNorm2d(4), nn.ReLU()), nn.BatchNorm2d(4))
    assert tree_graph(model).title[0] == "Sequential: tree view, train mode"
    model[1].eval()
    model[2].eval()
    assert tree_graph(model).title[0] == "Sequential: tree view, train mode (eval: 1, 2)"
    model.eval()
    model[0].train()
    assert tree_graph(model, mode="eval").title[0] == "Sequential: tree view, eval mode (train: 0)"


def test_collapsed_counts_read_as_english():
    graph = tree_graph(resolve("nested_net").model, depth=1)
    collapsed = [node.lines for node in graph.nodes if node.style == "collapsed"]
    assert collapsed == [("base_net: BaseNet", "1 submodule (collapsed)", "params 15")]


# --- Diagrams II: frames, selective collapse, weights on flow nodes, op arguments, autograd frames -----


def _lines(graph, title):
    return next(node.lines for node in graph.boxes() if node.lines and node.lines[0] == title)


def test_positional_hyperparameters_are_named_after_the_constructor():
    infos = describe_modules(resolve("resnet18").model)
    assert infos["conv1"].arguments.startswith("in_channels=3, out_channels=64, kernel_size=(3, 3)")
    assert infos["conv1"].extra.startswith("3, 64, kernel_size=(3, 3)")  # the repr's own text is kept
    assert infos["bn1"].arguments.startswith("num_features=64, eps=1e-05")
    ln = describe_modules(nn.LayerNorm(8))[""]
    assert ln.arguments.startswith("normalized_shape=(8,), eps=1e-05")

    class Odd(nn.Module):
        def __init__(self, size):
            super().__init__()
            self.size = size

        def extra_repr(self):
            return f"{self.size * 2}, mode=odd"  # not the attribute's value: left as it is

    assert describe_modules(Odd(3))[""].arguments == "6, mode=odd"


def test_flow_module_nodes_show_their_weights_shapes_and_counts():
    target = resolve("resnet18")
    graph = _flow(target.model, target.example_input, depth=1)
    assert _lines(graph, "conv1")[-2:] == ("weight (64, 3, 3, 3)", "params 1,728")
    assert _lines(graph, "bn1")[-2:] == ("weight (64,), bias (64,)", "params 128 | buffers 129")
    assert _lines(graph, "relu")[-1] == "ReLU"  # no state, no counts
    assert _lines(graph, "layer1")[-1] == "params 147,968 | buffers 516"  # collapsed: totals


def test_op_nodes_show_their_arguments():
    target = resolve("transformer_block")
    graph = _flow(target.model, target.example_input)
    ops = [node.lines for node in graph.boxes() if node.style == "op"]
    assert ("transpose", "dim0=1, dim1=2") in ops and ("transpose", "dim0=2, dim1=3") in ops  # q, kᵀ
    assert ("reshape", "(1, 8, 4, 8)") in ops and ("softmax", "dim=3") in ops
    assert ("div", "2.828") in ops  # / sqrt(head_dim)
    assert ("add",) in ops  # an op without arguments worth showing: its name only


def test_op_arguments_of_the_common_ops():
    class Ops(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 6)

        def forward(self, x):
            h = self.fc(x)
            a, b = h.split(3, dim=-1)
            c = mm.cat([a.permute(1, 0), b.t()], 1)
            d = c.masked_fill(c > 0, -1.0)[:, 1:].sum(dim=0, keepdim=True) * 0.5
            return F.log_softmax(d.flatten(), dim=-1).clamp(min=-5.0) - 1

    ops = [node.lines for node in _flow(Ops(), mm.randn(2, 4)).boxes() if node.style == "op"]
    assert ops == [("split", "split_size=3, dim=1"), ("permute", "dims=(1, 0)"), ("t",), ("cat", "dim=1"),
                   ("gt", "0"), ("masked_fill", "value=-1"), ("getitem", "[:, 1:]"),
                   ("sum", "dim=0, keepdim=True"), ("mul", "0.5"), ("flatten",), ("log_softmax", "dim=0"),
                   ("clamp", "min=-5"), ("sub", "1")]


def test_collapse_and_expand_by_class_path_or_glob():
    model = resolve("resnet18").model
    collapsed = tree_graph(model, collapse="BasicBlock")
    assert _titles(collapsed, "folded") == ["0-1: BasicBlock \u00d7 2"]  # a run of collapsed blocks: one node
    assert _titles(collapsed, "collapsed").count("0: BasicBlock") == 3
    by_glob = tree_graph(model, collapse=["layer*.1", "conv1"])
    assert _titles(by_glob, "collapsed") == ["conv1: Conv2d"] + ["1: BasicBlock"] * 4  # runs split to show it
    opened = tree_graph(model, depth=1, expand="layer2.0")
    clusters = [cluster.lines[0] for cluster in opened.clusters]
    assert "layer2: Sequential" in clusters and "0: BasicBlock" in clusters
    assert {"1: BasicBlock", "layer3: Sequential"} <= set(_titles(opened, "collapsed"))
    unfolded = tree_graph(model, expand="layer1.1")  # naming a later member unfolds its run
    assert "0-1: BasicBlock \u00d7 2" not in [cluster.lines[0] for cluster in unfolded.clusters]
    assert "1: BasicBlock" in [cluster.lines[0] for cluster in unfolded.clusters]
    with pytest.raises(UserError, match=r"collapse 'Bottleneck' matches no module of ResNet: name a class "
                                        r"\(Conv2d, BatchNorm2d, ReLU, Sequential\) or a dotted path"):
        tree_graph(model, collapse="Bottleneck")


def test_tied_weights_are_marked_and_the_totals_explained():
    from tests.inspector.twin_models import build

    model, tokens = build("tied", mm)
    tree = tree_graph(model)
    assert tree.title[2] == "shared parameters, counted once: decoder.weight is embed.weight"
    totals = "params 114 | buffers 6 (decoder.weight is embed.weight: counted once)"
    assert tree.clusters[0].lines[1] == totals
    shared = [cell.lines for cell in tree.boxes() if cell.style == "parameter_shared"]
    assert shared == [("weight", "(12, 6)  72", "shared with decoder.weight"),
                      ("weight", "(12, 6)  72", "shared with embed.weight")]
    flow = _flow(model, tokens)
    assert "weight (12, 6) shared with decoder.weight" in _lines(flow, "embed")
    autograd = _autograd(model, tokens)
    assert _titles(autograd, "parameter_shared") == ["embed.weight"]
    assert _lines(autograd, "embed.weight") == ("embed.weight", "decoder.weight", "(12, 6)")


def test_autograd_nodes_are_framed_by_the_module_call_that_made_them():
    target = resolve("resnet18")
    graph = _autograd(target.model, target.example_input)
    frames = {cluster.lines[0]: cluster for cluster in graph.clusters}
    assert frames["layer1.0-1: BasicBlock \u00d7 2"].style == "folded"
    assert frames["layer1.0-1: BasicBlock \u00d7 2"].parent == frames["layer1: Sequential"].id
    inside = [node for node in graph.nodes if node.cluster == frames["layer1.0-1: BasicBlock \u00d7 2"].id]
    assert [node.lines for node in inside if node.style == "grad_fn"][:2] == [
        ("ConvolutionBackward0", "layer1.0.conv1"), ("NativeBatchNormBackward0", "layer1.0.bn1")]
    boxes = [box for node in inside for box in (node.cells or (node,))]
    assert {"layer1.0.conv1.weight", "layer1.0.bn1.bias"} <= {box.lines[0] for box in boxes}
    bn1 = next(node for node in inside if node.cells and node.cells[0].lines[0] == "layer1.0.bn1.weight")
    assert [cell.lines for cell in bn1.cells] == [("layer1.0.bn1.weight", "(64,)"),
                                                  ("layer1.0.bn1.bias", "(64,)")]  # one row, state_dict order
    assert not any("layer1.1" in line for node in graph.boxes() for line in node.lines)  # drawn once
    shapes = {edge.label for edge in graph.edges}
    assert "(1, 64, 32, 32)" in shapes and "(1, 512)" in shapes
    shallow = _autograd(target.model, target.example_input, depth=1)
    assert not shallow.clusters
    layer2 = _lines(shallow, "layer2")
    assert layer2 == ("layer2", "Sequential", "16 autograd nodes", "params 525,568 | buffers 1,285")
    assert len(shallow.nodes) < len(graph.nodes)
    unfolded = _autograd(target.model, target.example_input, fold=False)
    assert "layer1.1: BasicBlock" in [cluster.lines[0] for cluster in unfolded.clusters]


def test_autograd_extras_saved_tensors_and_accumulate_grad():
    target = resolve("convnet")
    plain = _autograd(target.model, target.example_input)
    extras = _autograd(target.model, target.example_input, saved_tensors=True, accumulate_grad=True)
    assert _titles(extras, "grad_fn").count("AccumulateGrad") == len(list(target.model.parameters())) == 8
    relu = next(node.lines for node in extras.nodes if node.lines[0] == "ReluBackward0")
    assert relu[1] == "saved (1, 10, 24, 24)"  # its result, saved for backward
    assert not any(line.startswith("saved") for node in plain.nodes for line in node.lines)
