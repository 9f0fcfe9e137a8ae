"""Tests for render_dot, diagram and `minimod render`: golden DOT, well-formed deterministic SVG, files."""

import itertools
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import minimod as mm
import minimod.zoo as zoo
from inspector.diagram import ForwardFailedError, render
from inspector.targets import resolve
from minimod.cli import main
from minimod.errors import UserError

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MINIMOD_UPDATE_GOLDEN") == "1"  # rewrite the golden files, then review the diff
SVG = "{http://www.w3.org/2000/svg}"

CASES = {
    "convnet_tree": ("convnet", {"view": "tree"}),
    "convnet_flow": ("convnet", {"view": "flow"}),
    "convnet_autograd": ("convnet", {"view": "autograd"}),
    "nested_net_tree": ("nested_net", {"view": "tree"}),
    "running_mean_tree": ("running_mean", {"view": "tree", "mode": "eval"}),
    "resnet18_tree_depth2": ("resnet18", {"view": "tree", "depth": 2}),
    "resnet18_flow_depth2_lr": ("resnet18", {"view": "flow", "depth": 2, "rankdir": "LR"}),
    "transformer_block_flow": ("transformer_block", {"view": "flow"}),
    # Diagrams II: frames, selective collapse, the autograd view's frames and extras, the diff picture
    "resnet18_tree": ("resnet18", {"view": "tree"}),
    "resnet18_flow": ("resnet18", {"view": "flow"}),
    "resnet18_tree_collapse_basicblock": ("resnet18", {"view": "tree", "collapse": ["BasicBlock"]}),
    "resnet18_tree_depth1_expand": ("resnet18", {"view": "tree", "depth": 1, "expand": ["layer2.0"]}),
    "resnet18_autograd_depth2": ("resnet18", {"view": "autograd", "depth": 2}),
    "transformer_block_autograd": ("transformer_block", {"view": "autograd"}),
    "convnet_autograd_extras": ("convnet", {"view": "autograd", "saved_tensors": True,
                                            "accumulate_grad": True}),
    "convnet_tree_diff": ("convnet", {"view": "tree", "diff": "changed"}),
}


def _changed_state(model) -> dict:
    """The model's state dict with one tensor 1.4 times as large, one 1.001 times, one key dropped, one
    added and one of another shape: every colour of the diff picture, with changes of 40% and 0.1% (no
    digit or shade that depends on rounding: both are far from the shades' bounds)."""
    state = {key: np.array(value) for key, value in model.state_dict().items()}
    state["conv1.weight"] = state["conv1.weight"] * 1.4
    state["conv2.bias"] = state["conv2.bias"] * 1.001
    del state["fc2.bias"]
    state["fc3.weight"] = np.zeros((5, 10), np.float32)
    state["fc1.weight"] = np.zeros((40, 320), np.float32)
    return state


def _render_case(case: str):
    name, options = CASES[case]
    target = resolve(name)
    if options.get("diff") == "changed":
        options = {**options, "diff": _changed_state(target.model)}
    return render(target.model, example_input=target.example_input, **options)


@pytest.mark.parametrize("case", list(CASES))
def test_dot_text_matches_golden(case):
    dot = _render_case(case).dot
    path = GOLDEN / f"{case}.dot"
    if UPDATE:
        path.write_text(dot, encoding="utf-8")
    assert dot == path.read_text(encoding="utf-8"), f"{case} changed; review, then MINIMOD_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("name", list(zoo.ZOO))
@pytest.mark.parametrize("view", ["tree", "flow", "autograd"])
@pytest.mark.parametrize("options", [{}, {"depth": 1, "fold": False, "rankdir": "LR", "mode": "eval"}],
                         ids=["default", "depth1_nofold_lr_eval"])
def test_every_zoo_model_renders_well_formed_svg(name, view, options):
    """Every view of every zoo model: a standalone SVG whose clusters nest without overlapping."""
    target = resolve(name)
    diagram = render(target.model, view=view, example_input=target.example_input, **options)
    svg = diagram.svg()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = " ".join(element.text or "" for element in root.iter(f"{SVG}text"))
    assert f"{view} view" in texts
    assert "DejaVu Sans,Verdana" in svg
    assert "href" not in svg and "<image" not in svg  # standalone: nothing fetched from elsewhere
    assert not _layout_problems(root, diagram.dot)


@pytest.mark.parametrize("case", list(CASES))
def test_the_golden_layouts_draw_without_overlaps(case):
    """Every layout the golden cases pin (frames, collapsed and expanded modules, the autograd view's frames
    and side rows, the diff picture) is drawn with no box on another and every box inside its frames."""
    diagram = _render_case(case)
    assert not _layout_problems(ET.fromstring(diagram.svg()), diagram.dot)


@pytest.mark.parametrize("name", ["convnet", "resnet18", "transformer_block", "dynamic_net"])
def test_the_autograd_extras_draw_without_overlaps(name):
    target = resolve(name)
    diagram = render(target.model, view="autograd", example_input=target.example_input, saved_tensors=True,
                     accumulate_grad=True, rankdir="LR")
    assert not _layout_problems(ET.fromstring(diagram.svg()), diagram.dot)


def _bounds(group) -> tuple[float, float, float, float] | None:
    """The bounding box of an SVG group's outlines (polygons, paths, ellipses); None for a box drawn as
    text only (the legend's plain "legend:")."""
    xs, ys = [], []
    for element in group.iter():
        if element.tag in (f"{SVG}polygon", f"{SVG}path"):
            outline = element.get("points") or element.get("d")
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", outline)]
            xs += numbers[0::2]
            ys += numbers[1::2]
        elif element.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(element.get(key)) for key in ("cx", "cy", "rx", "ry"))
            xs += [cx - rx, cx + rx]
            ys += [cy - ry, cy + ry]
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _overlap(a, b) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


def _inside(outer, inner) -> bool:
    return all(outer[i] <= inner[i] + 0.5 for i in (0, 1)) and all(outer[i] >= inner[i] - 0.5 for i in (2, 3))


def _layout_problems(root, dot: str) -> list[str]:
    """What dot drew wrong: clusters that overlap without nesting, boxes on top of each other, a box
    outside its own cluster or inside another's."""
    shapes: dict[str, dict[str, tuple]] = {"cluster": {}, "node": {}}
    for group in root.iter(f"{SVG}g"):  # each box's and frame's SVG id is its DOT id
        if group.get("class") in shapes and _bounds(group) is not None:
            shapes[group.get("class")][group.get("id")] = _bounds(group)
    clusters, nodes = shapes["cluster"], shapes["node"]
    problems = []
    for first, second in itertools.combinations(clusters, 2):
        a, b = clusters[first], clusters[second]
        if _overlap(a, b) and not (_inside(a, b) or _inside(b, a)):
            problems.append(f"clusters {first} and {second} overlap")
    problems += [f"{first} and {second} overlap" for first, second in itertools.combinations(nodes, 2)
                 if _overlap(nodes[first], nodes[second])]
    nesting: list[str | None] = []  # the subgraphs open at each DOT line: a cluster's name, None for a row
    for line in dot.splitlines():  # which clusters each node is drawn in, from the DOT nesting
        line = line.strip()
        enclosing = [name for name in nesting if name is not None]
        if line.startswith("subgraph cluster_"):
            nesting.append(line.split()[1])
        elif line == "{":
            nesting.append(None)
        elif line == "}" and nesting:
            nesting.pop()
        elif (match := re.match(r"(n\d+) \[", line)) and match.group(1) in nodes:
            box = nodes[match.group(1)]
            for cluster, bounds in clusters.items():
                if (cluster in enclosing) != _inside(bounds, box) or (cluster not in enclosing and
                                                                      _overlap(bounds, box)):
                    problems.append(f"{match.group(1)} and {cluster}: in {enclosing}")
    return problems


def test_layout_check_sees_overlaps():
    """_layout_problems is not blind: it reports a box moved onto its neighbour and out of its cluster."""
    target = resolve("convnet")
    diagram = render(target.model, view="tree")
    root = ET.fromstring(diagram.svg())
    assert not _layout_problems(root, diagram.dot)
    weight_row = next(group for group in root.iter(f"{SVG}g") if group.get("id") == "n0")
    for polygon in weight_row.iter(f"{SVG}polygon"):
        numbers = [float(n) for n in polygon.get("points").replace(",", " ").split()]
        polygon.set("points", " ".join(f"{x},{y + 120}" for x, y in zip(numbers[0::2], numbers[1::2])))
    problems = _layout_problems(root, diagram.dot)
    assert any(problem.startswith("n0 and cluster_1") for problem in problems), problems


def test_svg_is_deterministic_and_model_state_is_untouched():
    target = resolve("resnet18")
    before = {key: value.copy() for key, value in target.model.state_dict().items()}
    first = render(target.model, view="flow", example_input=target.example_input).svg()
    second = render(resolve("resnet18").model, view="flow", example_input=target.example_input).svg()
    assert first == second
    after = target.model.state_dict()
    assert all((before[key] == after[key]).all() for key in before)


def test_mode_is_shown_and_the_model_keeps_its_own():
    target = resolve("conv_bn")
    diagram = render(target.model, view="flow", example_input=target.example_input, mode="eval")
    assert "flow view, eval mode" in diagram.dot
    assert target.model.training and all(module.training for module in target.model.modules())


def _legend(dot: str) -> dict[str, str]:
    """The legend's sample boxes in the DOT text: id -> its line."""
    return {line.split()[0]: line for line in dot.splitlines()
            if line.strip().startswith("legend_") and line.split()[1].startswith("[")}


def test_legend_lists_the_styles_used():
    target = resolve("running_mean")
    dot = render(target.model).dot
    legend = _legend(dot)
    assert list(legend) == ["legend_buffer", "legend_buffer_nonpersistent", "legend_cluster_module"]
    assert "label=buffer" in legend["legend_buffer"] and "dashed" in legend["legend_buffer"]


def test_legend_draws_the_shapes_of_the_boxes_and_the_frames():
    """An op is an ellipse in the legend as in the diagram; a frame style used is in the legend too."""
    target = resolve("resnet18")
    dot = render(target.model, view="flow", example_input=target.example_input).dot
    legend = _legend(dot)
    assert "shape=ellipse" in legend["legend_op"]
    assert {"legend_cluster_module", "legend_cluster_folded"} <= set(legend)
    assert "first of N identical modules" in legend["legend_cluster_folded"]


def test_save_by_extension_atomically(tmp_path):
    diagram = render(resolve("net").model)
    for suffix, magic in ((".svg", b"<?xml"), (".png", b"\x89PNG"), (".dot", b"digraph")):
        path = diagram.save(tmp_path / f"net{suffix}")
        assert path.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.dot", "net.png", "net.svg"]
    with pytest.raises(Exception, match=r"unknown diagram format '\.pdf'; use \.svg, \.png or \.dot"):
        diagram.save(tmp_path / "net.pdf")
    with pytest.raises(Exception, match="does not exist; create it first"):
        diagram.save(tmp_path / "missing" / "net.svg")
    assert diagram._repr_svg_() == diagram.svg()


def test_render_needs_an_example_input_for_traced_views():
    with pytest.raises(Exception, match="needs an example input"):
        render(resolve("net").model, view="flow")
    with pytest.raises(ValueError, match="unknown view 'side'"):
        render(resolve("net").model, view="side")


def test_cli_render_prints_the_path(tmp_path, capsys):
    out = tmp_path / "convnet.svg"
    options = ["--view", "flow", "--rankdir", "LR", "--mode", "eval"]
    assert main(["render", "convnet", "-o", str(out), *options]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    ET.fromstring(out.read_text(encoding="utf-8"))
    assert main(["render", "resnet18", "-o", str(tmp_path / "r.dot"), "--depth", "1", "--no-fold"]) == 0
    assert "layer1: Sequential" in (tmp_path / "r.dot").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["nope"], "minimod: error: unknown TARGET 'nope'"),
        (["convnet", "--view", "flow", "--input-shape", "1,3,32,32"], "failed: RuntimeError"),
        (["convnet", "--input-shape", "1,x"], "bad --input-shape '1,x'"),
        (["missing_file.py:Net"], "the file missing_file.py does not exist"),
    ],
)
def test_cli_bad_target_is_one_line_exit_1(tmp_path, capsys, arguments, expected):
    assert main(["render", *arguments, "-o", str(tmp_path / "x.svg")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and expected in error and "Traceback" not in error
    assert not (tmp_path / "x.svg").exists()


def test_cli_bad_targets_in_a_file_are_one_line_exit_1(tmp_path, capsys):
    source = tmp_path / "student.py"
    source.write_text(
        "from minimod import nn\n"
        "import minimod as mm\n"
        "class Broken(nn.Module):\n"
        "    def forward(self, x):\n"
        "        raise ValueError('oops in forward')\n"
        "class Fine(nn.Linear):\n"
        "    def __init__(self):\n"
        "        super().__init__(4, 2)\n"
        "example_input = mm.randn(1, 4)\n"
        "NUMBER = 3\n",
        encoding="utf-8",
    )
    cases = [
        ([f"{source}:Broken", "--view", "flow"], "failed: ValueError: oops in forward"),
        ([f"{source}:NUMBER"], "NUMBER is an int, not a Module subclass"),
        ([f"{source}:Nope"], "has no name 'Nope'; models found there: Broken, Fine"),
        ([f"{source}:Fine", "--view", "flow", "--input-shape", "1,5"], "on input of shape (1, 5) failed"),
    ]
    for arguments, expected in cases:
        assert main(["render", *arguments, "-o", str(tmp_path / "x.svg")]) == 1
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and expected in error and "Traceback" not in error, error
    assert not (tmp_path / "x.svg").exists()
    assert main(["render", f"{source}:Fine", "--view", "autograd", "-o", str(tmp_path / "fine.png")]) == 0
    assert (tmp_path / "fine.png").read_bytes().startswith(b"\x89PNG")


def test_cli_unknown_extension_fails_before_building_the_model(tmp_path, capsys, monkeypatch):
    import inspector.targets

    def no_build(*args, **kwargs):
        raise AssertionError("the target was resolved before the output path was checked")

    monkeypatch.setattr(inspector.targets, "resolve", no_build)
    assert main(["render", "resnet18", "-o", str(tmp_path / "r.txt")]) == 1
    assert "unknown diagram format '.txt'; use .svg, .png or .dot" in capsys.readouterr().err


def test_svg_draws_a_modules_state_in_state_dict_order():
    from minimod import nn

    model = nn.Sequential(nn.Conv2d(3, 3, 1), nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)))
    root = ET.fromstring(render(model, view="tree").svg())
    names = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    texts = [(float(t.get("y")), float(t.get("x")), t.text)
             for t in root.iter(f"{SVG}text") if t.text in names]
    lowest = max(y for y, _, _ in texts)  # the BatchNorm row is drawn last, lowest on the page
    assert [name for _, _, name in sorted((x, y, n) for y, x, n in texts if y == lowest)] == names


def test_dot_text_is_built_by_the_graphviz_package_imported_only_to_render():
    import subprocess
    import sys

    code = (
        "import sys, inspector.diagram, inspector.render_dot, inspector.graph, inspector.graph_trace\n"
        "assert 'graphviz' not in sys.modules, 'imported before rendering'\n"
        "from inspector.targets import resolve\n"
        "dot = inspector.diagram.render(resolve('net').model).dot\n"
        "assert 'graphviz' in sys.modules\n"
        "print(dot.splitlines()[0])\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == "digraph minimod {\n"


MODELS_THAT_MISBEHAVE = (
    "from minimod import nn\n"
    "import minimod as mm\n"
    "class SecondCallFails(nn.Module):\n"
    "    calls = 0\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, 2)\n"
    "    def forward(self, x):\n"
    "        SecondCallFails.calls += 1\n"
    "        if SecondCallFails.calls > 1:\n"
    "            raise RuntimeError('only once')\n"
    "        return self.fc(x)\n"
    "class ReturnsNone(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, 2)\n"
    "    def forward(self, x):\n"
    "        self.fc(x)\n"
    "example_input = mm.randn(1, 4)\n"
)


def test_cli_flow_view_runs_the_model_once(tmp_path, capsys):
    """The command line's check of the input is the run the flow view draws: a model that raises on its
    second call renders; a forward that raises inside render() is one line naming the view."""
    source = tmp_path / "misbehave.py"
    source.write_text(MODELS_THAT_MISBEHAVE, encoding="utf-8")
    out = tmp_path / "x.svg"
    assert main(["render", f"{source}:SecondCallFails", "--view", "flow", "-o", str(out)]) == 0
    assert out.exists() and capsys.readouterr().err == ""
    target = resolve(f"{source}:SecondCallFails")
    type(target.model).calls = 1  # the class counts its calls: the next one is the second
    with pytest.raises(ForwardFailedError) as raised:
        render(target.model, view="flow", example_input=target.example_input)
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    assert "SecondCallFails on input of shape (1, 4) for the flow view failed: RuntimeError: only" in message


def test_forward_returning_no_tensor_says_so(tmp_path):
    source = tmp_path / "misbehave.py"
    source.write_text(MODELS_THAT_MISBEHAVE, encoding="utf-8")
    target = resolve(f"{source}:ReturnsNone")
    for view in ("flow", "autograd"):
        dot = render(target.model, view=view, example_input=target.example_input).dot
        assert "no tensor in what the forward returned" in dot, view


def test_cli_unwritable_output_is_one_line_before_the_model_is_built(tmp_path, capsys, monkeypatch):
    import inspector.targets

    def no_build(*args, **kwargs):
        raise AssertionError("the target was resolved before the output path was checked")

    monkeypatch.setattr(inspector.targets, "resolve", no_build)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert main(["render", "convnet", "-o", str(tmp_path / "c.svg")]) == 1
    error = capsys.readouterr().err
    expected = f"cannot write {tmp_path / 'c.svg'}: the directory {tmp_path} is not writable; choose another"
    assert error == f"minimod: error: {expected}\n"


def test_a_failed_write_leaves_no_file_and_the_saved_file_gets_the_usual_mode(tmp_path, capsys, monkeypatch):
    out = tmp_path / "c.svg"
    assert main(["render", "net", "-o", str(out)]) == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's private 0o600
    capsys.readouterr()

    def refuse(source, destination):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    assert main(["render", "net", "-o", str(tmp_path / "d.png")]) == 1
    assert capsys.readouterr().err == (
        f"minimod: error: cannot write {tmp_path / 'd.png'}: Permission denied; choose another -o path\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.svg"]


# --- Diagrams II: the command line's options and errors, sizes, notebooks, the app's export -----------


@pytest.mark.parametrize(
    "arguments, expected",
    [
        (["--depth", "-1"], "argument --depth: expected a whole number 0 or more, got '-1'; "
                            "see 'minimod render --help'"),
        (["--view", "side"], "argument --view: invalid choice: 'side'"),
        (["--collapse", "Bottleneck"], "collapse 'Bottleneck' matches no module of ConvNet: name a class"),
        (["--fit", "huge"], "cannot fit to 'huge': give a width in pixels (e.g. 1200) or a page (a4, a3,"),
        (["--view", "flow", "--diff", "x.npz"], "--diff draws the tree view; drop --view flow"),
        (["--saved-tensors"], "--saved-tensors and --accumulate-grad belong to the autograd view"),
        (["--diff", "nowhere.npz"], "cannot compare with nowhere.npz: no such file"),
    ],
)
def test_cli_option_mistakes_are_one_line_exit_1(tmp_path, capsys, arguments, expected):
    assert main(["render", "convnet", "-o", str(tmp_path / "x.svg"), *arguments]) == 1
    error = capsys.readouterr().err
    assert error.startswith("minimod: error: ") and expected in error, error
    assert error.count("\n") == 1 and "usage:" not in error
    assert not (tmp_path / "x.svg").exists()


def test_cli_missing_output_and_output_without_extension_are_one_line(tmp_path, capsys, monkeypatch):
    assert main(["render", "convnet"]) == 1
    assert capsys.readouterr().err == ("minimod: error: the following arguments are required: -o/--output; "
                                       "see 'minimod render --help'\n")
    monkeypatch.chdir(tmp_path)
    assert main(["render", "convnet", "-o", "e"]) == 1
    assert capsys.readouterr().err == ("minimod: error: cannot write e: no extension to choose the format "
                                       "by; name it e.svg, e.png or e.dot\n")
    assert list(tmp_path.iterdir()) == []


def test_cli_new_options_reach_the_diagram(tmp_path, capsys):
    out = tmp_path / "r.dot"
    arguments = ["render", "resnet18", "-o", str(out), "--collapse", "BasicBlock", "--expand", "layer2.0",
                 "--view", "autograd", "--saved-tensors", "--accumulate-grad"]
    assert main(arguments) == 0
    dot = out.read_text(encoding="utf-8")
    assert "layer1.0-1: BasicBlock \u00d7 2" in dot and "layer2.0: BasicBlock" in dot  # folded; opened
    assert "layer3.0" in dot and "layer3.0.conv1" not in dot  # collapsed
    assert ">AccumulateGrad<" in dot and "saved (" in dot
    checkpoint = tmp_path / "c.npz"
    target = resolve("convnet")
    mm.save(_changed_state(target.model), str(checkpoint))
    assert main(["render", "convnet", "--diff", str(checkpoint), "-o", str(tmp_path / "d.dot")]) == 0
    assert "tree view compared with c.npz" in (tmp_path / "d.dot").read_text(encoding="utf-8")
    assert main(["render", "nested_net", "--diff", "net", "-o", str(tmp_path / "t.dot")]) == 0  # a TARGET
    compared = (tmp_path / "t.dot").read_text(encoding="utf-8")
    assert "tree view compared with net" in compared and "4 missing, 4 unexpected" in compared


def test_cli_names_the_shrinking_options_of_a_very_large_diagram(tmp_path, capsys):
    assert main(["render", "resnet18", "-o", str(tmp_path / "r.svg")]) == 0
    out, error = capsys.readouterr()
    assert out == f"{tmp_path / 'r.svg'}\n"
    assert error.startswith("minimod: note: the diagram is ") and error.count("\n") == 1
    assert "to make it smaller: --depth 2, --collapse BasicBlock, --fit a4" in error
    assert main(["render", "resnet18", "-o", str(tmp_path / "r.svg"), "--depth", "1"]) == 0
    assert capsys.readouterr().err == ""  # small enough: no note


def test_fit_scales_the_svg_to_a_width_or_a_page():
    diagram = render(resolve("convnet").model)
    width, height = diagram.size()
    root = ET.fromstring(diagram.svg(fit=1200))
    assert root.get("width") == "1200px" and root.get("height") == f"{1200 * height / width:.0f}px"
    assert root.get("viewBox") == ET.fromstring(diagram.svg()).get("viewBox")  # the same drawing, scaled
    page = ET.fromstring(diagram.svg(fit="a4-landscape"))
    fitted_width, fitted_height = (float(page.get(key).removesuffix("pt")) for key in ("width", "height"))
    assert fitted_height == pytest.approx(595 - 72, abs=0.01) and fitted_width < 842 - 72  # tall: its height
    assert fitted_width / fitted_height == pytest.approx(width / height, rel=1e-3)


def _chain(count: int):
    """A Diagram of `count` boxes one below the other (about 36 pt each)."""
    from inspector.diagram import Diagram

    edges = "\n".join(f"n{i} -> n{i + 1}" for i in range(count - 1))
    return Diagram(f"digraph chain {{ node [shape=box]\n{edges}\n}}", "flow", "chain", ("--depth 1",))


def test_a_tall_png_is_scaled_to_fit_and_a_taller_one_is_refused_in_one_line(tmp_path):
    pytest.importorskip("cairosvg")
    from PIL import Image

    tall = _chain(330)  # about 24,000 pt: at 2 pixels a point, taller than cairo's 32,767 pixels
    assert tall.size()[1] > 20000
    path = tall.save(tmp_path / "tall.png")
    with Image.open(path) as image:
        assert image.size[1] <= 32767 and image.size[1] > 20000
    too_tall = _chain(700)  # at most 0.67 pixels a point: unreadable
    with pytest.raises(UserError) as error:
        too_tall.save(tmp_path / "too_tall.png")
    message = str(error.value)
    assert "\n" not in message and "save it as .svg (any size), or shrink it: --depth 1" in message
    assert not (tmp_path / "too_tall.png").exists()
    with pytest.raises(UserError, match="too large for one PNG"):
        tall.png(fit=40000)  # asked for more than cairo draws


def test_png_without_cairosvg_comes_from_dot(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cairosvg(name, *args, **kwargs):
        if name == "cairosvg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cairosvg)
    data = render(resolve("net").model).png(fit=600)
    assert data.startswith(b"\x89PNG")
    assert int.from_bytes(data[16:20], "big") == pytest.approx(600, abs=2)  # the PNG header's width


def test_notebooks_get_svg_png_and_text():
    import base64

    diagram = render(resolve("net").model)
    assert diagram._repr_png_().startswith(b"\x89PNG")
    bundle = diagram._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "image/png", "text/plain"}
    assert bundle["image/svg+xml"] == diagram.svg()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == "<Diagram: Net: tree view, train mode>"
    assert set(diagram._repr_mimebundle_(include=["image/svg+xml"])) == {"image/svg+xml"}
    assert set(diagram._repr_mimebundle_(exclude=["image/png"])) == {"image/svg+xml", "text/plain"}


def test_svg_hover_titles_are_module_paths_and_reprs():
    target = resolve("resnet18")
    svg = render(target.model, view="flow", example_input=target.example_input, depth=2).svg()
    titles = [element.text for element in ET.fromstring(svg).iter(f"{SVG}title")]
    assert "conv1: Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)" in titles
    assert "layer2: Sequential()" in titles  # a frame's too
    assert "conv1 \u2192 bn1: (1, 64, 32, 32)" in titles  # an arrow's: its ends and its tensor
    assert "input (1, 3, 32, 32)" in titles  # a box without a tooltip of its own: its lines
    assert not [title for title in titles if re.fullmatch(r"(n|cluster_|node|edge)\d+.*", title)]  # no ids


async def test_the_apps_export_collapses_what_the_module_tree_collapses(tmp_path):
    from inspector.app import InspectorApp
    from inspector.targets import LoadedTarget
    from minimod import nn

    mm.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.ReLU()), nn.Linear(2, 2)))
    async with InspectorApp(LoadedTarget("nested", model, mm.randn(1, 2))).run_test(size=(120, 40)) as pilot:
        screen = pilot.app.screen
        assert screen.module_tree.collapsed_paths() == ["0.0"]  # the tree shows two levels at first
        await pilot.press("e")
        await pilot.pause()
        title = str(pilot.app.screen.query_one("#prompt-title").render())
        assert "1 module collapsed as in the tree" in title
        pilot.app.screen.query_one("#prompt-input").value = str(tmp_path / "nested.svg")
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.last_export:
                break
    root = ET.fromstring((tmp_path / "nested.svg").read_text(encoding="utf-8"))
    texts = " ".join(text.text or "" for text in root.iter(f"{SVG}text"))
    assert "2 submodules (collapsed)" in texts and "0: Linear" not in texts.replace("0.0", "")
