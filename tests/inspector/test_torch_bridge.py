"""The PyTorch bridge: the same architectures written in minimod and in torch (tests/inspector/twin_models.py)
open in the same inspector and renderer, and show the same tree, state_dict keys, trace events and diagrams.

Skipped as a whole without torch (CI installs it)."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import numpy as np
import pytest

import minimod as mm
from inspector import diagram
from inspector.app import InspectorApp
from inspector.graph import describe_modules
from inspector.session import Session
from inspector.targets import LoadedTarget, resolve
from inspector.tensor_summary import buffer_rows, parameter_rows, subtree_counts
from inspector.widgets.modes_panel import ModesPanel
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.state_panel import StatePanel
from inspector.widgets.tensor_tables import TensorTables
from inspector.widgets.trace_panel import TracePanel
from tests.inspector.twin_models import TWINS, build

torch = pytest.importorskip("torch")

SIZE = (120, 40)


def twins(name: str):
    """(minimod model, its input), (torch model, its input); the torch model holds the minimod one's
    weights."""
    mm_model, mm_input = build(name, mm)
    torch_model, torch_input = build(name, torch)
    torch_model.load_state_dict({key: torch.from_numpy(np.array(value))
                                 for key, value in mm_model.state_dict().items()})
    return (mm_model, mm_input), (torch_model, torch_input)


def module_facts(model) -> list[tuple]:
    return [(info.path, info.kind, info.extra, info.children, info.parameters, info.buffers,
             info.total_parameters, info.total_buffers, info.container)
            for info in describe_modules(model).values()]


def event_facts(events) -> list[tuple]:
    """What a trace event says apart from its numbers: which module, which phase, which shapes."""
    def shapes(items):
        return tuple(None if stats is None else (stats.shape, stats.dtype) for stats in items)

    return [(event.index, event.phase, event.module, event.kind, shapes(event.inputs), shapes(event.outputs),
             event.training) for event in events]


@pytest.mark.parametrize("name", list(TWINS))
def test_the_same_tree_tensors_and_state_dict_keys(name: str) -> None:
    (mm_model, _), (torch_model, _) = twins(name)
    assert module_facts(torch_model) == module_facts(mm_model)
    assert list(torch_model.state_dict()) == list(mm_model.state_dict())
    assert subtree_counts(torch_model) == subtree_counts(mm_model)
    for rows in (parameter_rows, buffer_rows):
        for model_rows in (rows(mm_model, recursive=True), rows(torch_model, recursive=True)):
            assert all(row.dtype in ("float32", "int64") for row in model_rows)
        mine, theirs = rows(mm_model, recursive=True), rows(torch_model, recursive=True)
        assert [(r.name, r.shape, r.dtype, r.flag, r.shared_with) for r in theirs] == \
            [(r.name, r.shape, r.dtype, r.flag, r.shared_with) for r in mine]
        for a, b in zip(mine, theirs):  # the same weights: the same statistics
            np.testing.assert_allclose([b.mean, b.std, b.min, b.max], [a.mean, a.std, a.min, a.max],
                                       rtol=1e-5, atol=1e-6)


def test_tied_weights_count_once_and_the_non_persistent_buffer_is_marked() -> None:
    (_, _), (model, _) = twins("tied")
    infos = describe_modules(model)
    assert infos["decoder"].parameters == [("weight", (12, 6), True, "embed.weight")]
    assert infos[""].buffers == [("scale", (6,), False)]
    assert infos[""].total_parameters == 12 * 6 + 6 * 6 + 6  # the shared weight once
    assert "scale" not in model.state_dict() and "decoder.weight" in model.state_dict()


@pytest.mark.parametrize("name", list(TWINS))
def test_the_same_trace_events_forward_backward_and_step(name: str) -> None:
    (mm_model, mm_input), (torch_model, torch_input) = twins(name)
    sessions = Session(mm_model, mm_input, name), Session(torch_model, torch_input, name)
    assert [session.library for session in sessions] == ["minimod", "PyTorch"]
    results = [(session.forward(), session.backward(), session.step()) for session in sessions]
    mine, theirs = (event_facts(session.events) for session in sessions)
    assert theirs == mine
    assert {event[1] for event in mine} == {"forward_pre", "forward", "backward"}
    assert [result.events for result in results[1]] == [result.events for result in results[0]]
    if name != "transformer_block":  # its dropout draws different masks in the two libraries
        assert results[1][1].loss == pytest.approx(results[0][1].loss, rel=1e-4)
        for key, value in mm_model.state_dict().items():  # one SGD step moved the weights alike
            np.testing.assert_allclose(torch_model.state_dict()[key].numpy(), value, rtol=1e-4, atol=1e-5)
    assert sessions[1].warnings == sessions[0].warnings == []  # the inspector's hooks warn of nothing


@pytest.mark.parametrize("name", list(TWINS))
@pytest.mark.parametrize("view", ["tree", "flow", "autograd"])
def test_the_same_diagram(name: str, view: str) -> None:
    (mm_model, mm_input), (torch_model, torch_input) = twins(name)
    mine = diagram.render(mm_model, view=view, example_input=mm_input)
    theirs = diagram.render(torch_model, view=view, example_input=torch_input)
    assert theirs.dot == mine.dot
    assert theirs.dot.count("label=") > 5


NEW_OPTIONS = {  # Diagrams II's options, each valid for every twin
    "flow_collapse": {"view": "flow", "collapse": "Linear"},
    "flow_unfolded_depth1_expand": {"view": "flow", "fold": False, "depth": 1, "expand": "Linear"},
    "autograd_depth1": {"view": "autograd", "depth": 1},
    "autograd_accumulate_grad_lr": {"view": "autograd", "accumulate_grad": True, "rankdir": "LR"},
    "tree_collapse_expand": {"view": "tree", "collapse": "Linear", "depth": 0, "expand": "Linear"},
}


@pytest.mark.parametrize("name", list(TWINS))
@pytest.mark.parametrize("option", list(NEW_OPTIONS))
def test_the_same_diagram_with_each_new_option(name: str, option: str) -> None:
    (mm_model, mm_input), (torch_model, torch_input) = twins(name)
    mine = diagram.render(mm_model, example_input=mm_input, **NEW_OPTIONS[option])
    theirs = diagram.render(torch_model, example_input=torch_input, **NEW_OPTIONS[option])
    assert theirs.dot == mine.dot


@pytest.mark.parametrize("name", list(TWINS))
def test_the_same_diff_picture(name: str) -> None:
    """Each model compared with its twin: the same keys, shapes and values, so every tensor unchanged."""
    (mm_model, _), (torch_model, _) = twins(name)
    mine = diagram.render(mm_model, diff=torch_model)
    theirs = diagram.render(torch_model, diff=mm_model)
    assert theirs.dot.replace("compared with ResNet", "") == mine.dot.replace("compared with ResNet", "")
    assert "unchanged" in mine.dot and "changed &lt;" not in mine.dot and "missing" not in mine.dot


def test_saved_tensors_are_each_librarys_own_and_the_rest_of_the_picture_the_same() -> None:
    """What a node saves for backward is the library's choice (minimod's convolution saves its im2col
    columns, torch's the input and the weight): the shapes differ, the rest of the diagram does not."""
    (mm_model, mm_input), (torch_model, torch_input) = twins("convnet")
    mine = diagram.render(mm_model, example_input=mm_input, view="autograd", saved_tensors=True).dot
    theirs = diagram.render(torch_model, example_input=torch_input, view="autograd", saved_tensors=True).dot

    def without_saved(dot: str) -> str:
        return re.sub(r'<TR><TD ALIGN="CENTER">(saved )?\([^<]*</TD></TR>', "", dot)

    assert without_saved(theirs) == without_saved(mine)
    assert 'ALIGN="CENTER">saved (2, 1, 28, 28), (10, 1, 5, 5)</TD>' in theirs  # the input and the weight
    assert 'ALIGN="CENTER">saved (2, 10, 24, 24)</TD>' in theirs and "saved (2, 10, 24, 24)" in mine  # relu


def _ops_model(lib):
    """A module running the ops whose arguments the flow view shows, written once for both libraries."""
    nn, F = lib.nn, lib.nn.functional

    class Ops(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 6)

        def forward(self, x):
            h = self.fc(x)
            a, b = h.split(3, dim=-1)
            c = lib.cat([a.permute(1, 0), b.transpose(-1, -2)], 1)
            d = c.masked_fill(c > 0, -1.0)[:, 1:].sum(dim=0, keepdim=True) * 0.5
            e = F.softmax(d.view(1, -1).flatten(1), dim=-1).clamp(min=0.01)
            return (1 - e).reshape(-1).unsqueeze(0) / 3

    return Ops()


def test_op_arguments_read_the_same_from_both_libraries() -> None:
    mm_model, torch_model = _ops_model(mm), _ops_model(torch)
    torch_model.load_state_dict({key: torch.from_numpy(np.array(value))
                                 for key, value in mm_model.state_dict().items()})
    values = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    mine = diagram.render(mm_model, view="flow", example_input=mm.tensor(values)).dot
    theirs = diagram.render(torch_model, view="flow", example_input=torch.from_numpy(values)).dot
    assert theirs == mine
    ops = re.findall(r'shape=ellipse style=filled tooltip="([^"]*) in Ops"', mine)
    assert ops == ["split(split_size=3, dim=1)", "permute(dims=(1, 0))", "transpose(dim0=0, dim1=1)",
                   "cat(dim=1)", "gt(0)", "masked_fill(value=-1)", "getitem([:, 1:])",
                   "sum(dim=0, keepdim=True)", "mul(0.5)", "view((1, 3))", "flatten(start_dim=1)",
                   "softmax(dim=1)", "clamp(min=0.01)", "sub(1)", "reshape((3,))", "unsqueeze", "div(3)"]


def test_the_flow_view_draws_torchs_functional_ops_with_shapes() -> None:
    (_, _), (model, example) = twins("convnet")
    dot = diagram.render(model, view="flow", example_input=example).dot
    for op in ("relu", "flatten"):
        assert f'<TD ALIGN="CENTER">{op}</TD>' in dot
    assert "(2, 320)" in dot and "(2, 10, 24, 24)" in dot


def test_options_apply_to_torch_models_and_leave_them_as_they_were() -> None:
    (_, _), (model, example) = twins("resnet")
    before = {key: value.clone() for key, value in model.state_dict().items()}
    model.train()
    folded = diagram.render(model, view="tree", depth=1)
    assert "collapsed" in folded.dot or "submodules" in folded.dot
    assert "\u00d7 2" in diagram.render(model, view="tree").dot  # layer1's two identical blocks fold
    evaluated = diagram.render(model, view="flow", example_input=example, mode="eval", rankdir="LR")
    assert "eval mode" in evaluated.title and "rankdir=LR" in evaluated.dot
    assert model.training  # the mode is put back
    for key, value in model.state_dict().items():  # BatchNorm's running statistics too
        assert torch.equal(value, before[key]), key


def test_backward_through_in_place_ops_on_hooked_outputs() -> None:
    # torchvision's BasicBlock: `out += identity` after a BatchNorm and ReLU(inplace=True). torch's full
    # backward hooks refuse an in-place change of a hooked output; the inspector's hooks must not break it.
    (_, _), (model, example) = twins("resnet")
    plain = model(example)
    plain.sum().backward()
    expected = [parameter.grad.clone() for parameter in model.parameters()]
    model.zero_grad()
    session = Session(model, example, "resnet")
    session.backward(), session.forward()
    model.zero_grad()
    session._record(lambda: session.model(example).sum().backward(), None)
    for parameter, grad in zip(model.parameters(), expected):
        torch.testing.assert_close(parameter.grad, grad)
    from torch.utils.hooks import BackwardHook

    assert BackwardHook._apply_on_tensors.__qualname__ == "BackwardHook._apply_on_tensors"  # put back


def test_a_failed_strict_load_reports_the_keys_torch_had_already_copied(tmp_path: Path) -> None:
    (_, _), (model, example) = twins("convnet")
    session = Session(model, example, "convnet")
    session.save_snapshot(tmp_path / "snap.npz")
    saved = mm.load(str(tmp_path / "snap.npz"))
    assert list(saved) == list(model.state_dict())  # a torch state dict in minimod's .npz, without pickle
    assert all(isinstance(value, np.ndarray) for value in saved.values())
    session.train(2)
    changed = [item.key for item in session.snapshot_diff() if item.changed]
    assert "fc2.weight" in changed
    state = dict(saved)
    del state["fc2.bias"]
    mm.save(state, str(tmp_path / "partial.npz"))
    report = session.load_snapshot(tmp_path / "partial.npz")
    assert report.error is not None and "Missing key(s)" in report.error and "fc2.bias" in report.error
    assert "fc2.weight" in report.restored  # PyTorch copied the matching keys before it raised
    report = session.load_snapshot(tmp_path / "snap.npz")
    assert report.loaded and report.still_different == ()
    assert not any(item.changed for item in session.snapshot_diff())


async def settle(pilot, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline, f"{pilot.app.main_screen.busy} did not finish"
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


async def answer_prompt(pilot, value: str) -> None:
    await pilot.pause()
    pilot.app.screen.query_one("#prompt-input").value = value
    await pilot.press("enter")
    await pilot.pause()


async def walk(model, example, name: str, folder: Path) -> dict:
    """Every tab of the app on one model, as a student would press the keys; what each one showed."""
    seen: dict = {}
    async with InspectorApp(LoadedTarget(name, model, example), show_time=False).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        seen["header"] = screen.sub_title
        seen["status"] = str(screen.query_one("#status-bar").render())
        tree = screen.query_one(ModuleTree)
        seen["tree"] = [tree.node_for(path).label.plain for path in tree.visible_paths()]
        tables = screen.query_one(TensorTables)
        seen["parameters"] = tables.parameter_table.row_count
        seen["buffers"] = tables.buffer_table.row_count
        for key in ("f", "b", "o"):
            await pilot.press(key)
            await settle(pilot)
        screen.show_tab("tab-trace")  # (a hidden Trace tab gets its rows when shown)
        trace = screen.query_one(TracePanel).table
        seen["trace rows"] = trace.table.row_count
        seen["events"] = [(event.phase, event.module) for event in pilot.app.session.events]
        assert pilot.app.session.steps == 1
        await pilot.press("t")
        await answer_prompt(pilot, "2")
        await settle(pilot)
        seen["steps"] = pilot.app.session.steps
        await pilot.press("m")  # the whole model to eval, and back
        await pilot.pause()
        seen["eval"] = not pilot.app.session.model.training
        await pilot.press("m")
        await pilot.press("c")
        await settle(pilot)
        modes = screen.query_one(ModesPanel)
        seen["compare rows"] = modes.query_one("#compare-modules").row_count
        await pilot.press("s")
        await answer_prompt(pilot, str(folder / f"{name}.npz"))
        await settle(pilot)
        await pilot.press("t")
        await answer_prompt(pilot, "1")
        await settle(pilot)
        panel = screen.query_one(StatePanel)
        seen["diff rows"] = panel.query_one("#state-parameter-diff").row_count
        await pilot.press("l")
        await answer_prompt(pilot, str(folder / f"{name}.npz"))
        await settle(pilot)
        seen["loaded"] = panel.report is not None and panel.report.loaded
        seen["errors"] = screen.last_error
    return seen


@pytest.mark.parametrize("name", ["convnet", "resnet"])
async def test_every_tab_of_the_app_on_a_torch_model_as_on_the_minimod_one(name: str, tmp_path: Path) -> None:
    (mm_model, mm_input), (torch_model, torch_input) = twins(name)
    (tmp_path / "minimod").mkdir()
    (tmp_path / "torch").mkdir()
    mine = await walk(mm_model, mm_input, name, tmp_path / "minimod")
    theirs = await walk(torch_model, torch_input, name, tmp_path / "torch")
    assert mine["header"] == f"{name} (minimod model)" and theirs["header"] == f"{name} (PyTorch model)"
    assert " minimod " in mine["status"] and " PyTorch " in theirs["status"]
    for key in ("tree", "parameters", "buffers", "trace rows", "events", "steps", "eval", "compare rows",
                "diff rows", "loaded", "errors"):
        assert theirs[key] == mine[key], key
    assert theirs["loaded"] and theirs["errors"] is None and theirs["steps"] == 3 and theirs["eval"]
    assert theirs["trace rows"] >= 3 * len(theirs["tree"]) and theirs["compare rows"] > 0
    assert theirs["diff rows"] == theirs["parameters"] > 0


# --- TARGETs naming torch models ------------------------------------------------------------------


TORCH_FILE = '''
import torch
from torch import nn

class TorchNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return torch.relu(self.fc(x))

def build():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU())

instance = TorchNet()
example_input = torch.ones(2, 4)
'''


@pytest.mark.parametrize("attribute", ["TorchNet", "build", "instance"])
def test_a_target_may_be_a_torch_class_function_or_instance(tmp_path: Path, attribute: str) -> None:
    path = tmp_path / "torchmodels.py"
    path.write_text(TORCH_FILE)
    target = resolve(f"{path}:{attribute}")
    assert isinstance(target.model, torch.nn.Module)
    assert isinstance(target.example_input, torch.Tensor) and tuple(target.example_input.shape) == (2, 4)
    shaped = resolve(f"{path}:{attribute}", "5,4")
    assert isinstance(shaped.example_input, torch.Tensor) and tuple(shaped.example_input.shape) == (5, 4)


def test_a_minimod_example_input_for_a_torch_model_is_named(tmp_path: Path) -> None:
    from inspector.targets import TargetError

    path = tmp_path / "mixed.py"
    path.write_text("import torch\nimport minimod\nnet = torch.nn.Linear(2, 2)\n"
                    "example_input = minimod.ones(1, 2)\n")
    with pytest.raises(TargetError, match="example_input is minimod Tensor, but the model is a PyTorch"):
        resolve(f"{path}:net")


def test_render_command_draws_a_torch_model(tmp_path: Path) -> None:
    from minimod.cli import main

    path = tmp_path / "torchmodels.py"
    path.write_text(TORCH_FILE)
    for view in ("tree", "flow", "autograd"):
        out = tmp_path / f"{view}.svg"
        assert main(["render", f"{path}:TorchNet", "--view", view, "-o", str(out)]) == 0
        assert out.read_text().startswith("<?xml") and "TorchNet" in out.read_text()


def test_the_readme_example_opens_and_renders(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    target = resolve(f"{repo / 'examples' / 'torch_resnet.py'}:ResNet")
    assert isinstance(target.model, torch.nn.Module) and tuple(target.example_input.shape) == (2, 3, 32, 32)
    dot = diagram.render(target.model, view="flow", example_input=target.example_input).dot
    assert "layer1.0-1: BasicBlock \u00d7 2" in dot and "layer2.0.downsample" in dot
    assert '<TD ALIGN="CENTER">add</TD>' in dot
