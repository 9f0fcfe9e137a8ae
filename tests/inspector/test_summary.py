"""The model summary (inspector/summary.py, `minimod summary`, the app's Summary tab): every number checked
against a hand computation, and against torchinfo where torchinfo counts right."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

import minimod as mm
from inspector.app import InspectorApp
from inspector.screens.dialogs import PromptScreen
from inspector.summary import human_bytes, summarize
from inspector.targets import LoadedTarget
from inspector.widgets.summary_panel import SummaryPanel
from minimod import nn
from minimod.cli import main
from tests.inspector.twin_models import build


def rows_by_path(summary):
    return {row.path: row for row in summary.rows}


def test_convnet_counts_shapes_and_memory_by_hand() -> None:
    model, example = build("convnet", mm)
    summary = summarize(model, example)
    rows = rows_by_path(summary)
    # conv1: (1*5*5*10 weights + 10 biases) at each of 2 x 24 x 24 output positions
    assert rows["conv1"].parameters == 260 and rows["conv1"].mult_adds == 260 * 2 * 24 * 24
    assert rows["conv2"].mult_adds == (10 * 5 * 5 * 20 + 20) * 2 * 8 * 8
    assert rows["fc1"].mult_adds == (320 * 50 + 50) * 2 and rows["fc2"].mult_adds == 510 * 2
    assert rows["pool1"].mult_adds is None and rows["pool1"].parameters == 0
    assert rows["conv1"].input_shapes == ((2, 1, 28, 28),)
    assert rows["conv1"].output_shapes == ((2, 10, 24, 24),)
    assert rows["fc1"].input_shapes == ((2, 320),) and rows[""].output_shapes == ((2, 10),)
    assert summary.parameters == summary.trainable == 21_840 and summary.buffers == 0
    assert summary.mult_adds == 299_520 + 642_560 + 32_100 + 1_020
    assert summary.parameter_bytes == summary.gradient_bytes == 21_840 * 4
    assert summary.input_bytes == 2 * 28 * 28 * 4
    # every leaf module's output (two convs, two pools, two linears), float32
    outputs = 10 * 24 * 24 + 10 * 12 * 12 + 20 * 8 * 8 + 20 * 4 * 4 + 50 + 10
    assert summary.activation_bytes == 4 * 2 * outputs
    assert [row.trainable for row in summary.rows] == ["", "yes", "", "yes", "", "yes", "yes"]


def test_tied_weights_count_once_and_non_persistent_buffers_are_marked() -> None:
    model, example = build("tied", mm)
    summary = summarize(model, example)
    rows = rows_by_path(summary)
    assert rows["decoder"].parameters == 0 and rows["decoder"].tied == ("weight = embed.weight",)
    assert summary.parameters == 12 * 6 + 6 * 6 + 6  # torchinfo says 186: the tied weight twice (#322)
    assert summary.tied == [("decoder.weight", "embed.weight")]
    assert summary.buffers == summary.non_persistent == 6 and rows[""].non_persistent == 6
    # the decoder still does its products with the tied weight: 3 x 5 positions x 12 x 6
    assert rows["decoder"].mult_adds == 3 * 5 * 12 * 6
    # a Linear on (N, L, in) counts every (N, L) position (torchinfo counts N only)
    assert rows["hidden"].mult_adds == 3 * 5 * (6 * 6 + 6)
    text = summary.text(width=120)
    assert "Tied: decoder.weight is embed.weight (counted once)" in text
    assert "6 not in the state_dict" in text and "tied" in text


def test_attention_matmuls_are_counted_in_the_module_that_runs_them() -> None:
    model, example = build("transformer_block", mm)
    rows = rows_by_path(summarize(model, example))
    # q @ k^T and weights @ v: batch 2, heads 2, 8 x 8 scores over head size 8, each
    assert rows["attn"].mult_adds == 2 * (2 * 2 * 8 * 8 * 8)
    assert rows["ln_1"].mult_adds == 2 * 8 * 16  # one multiply-add per element (scale and shift)
    assert rows["attn.drop"].input_shapes == ((2, 2, 8, 8),)


class Frozen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
        self.unused = nn.ModuleList([nn.Linear(2, 2)])
        self.body[0].requires_grad_(False)
        self.body[1].bias.requires_grad_(False)

    def forward(self, x):
        return self.body(x)


def test_frozen_partly_frozen_never_called_and_depth() -> None:
    summary = summarize(Frozen(), mm.randn(3, 4))
    rows = rows_by_path(summary)
    assert rows["body.0"].trainable == "no" and rows["body.1"].trainable == "partly"
    assert summary.trainable == 8 + 6 and summary.parameters == 20 + 10 + 6  # body.1.weight, unused
    assert rows["unused"].input_shapes is None and "not called" in summary.text()
    shallow = summarize(Frozen(), mm.randn(3, 4), depth=1)
    assert [row.path for row in shallow.rows] == ["", "body", "unused"]
    body = rows_by_path(shallow)["body"]
    assert body.collapsed and body.parameters == 30 and body.mult_adds == 3 * 20 + 3 * 10
    assert body.trainable == "partly" and "(+)" in shallow.text()


def test_human_bytes() -> None:
    assert human_bytes(120) == "120 B" and human_bytes(1536) == "1.5 KiB"
    assert human_bytes(3 * 1024 ** 2) == "3.0 MiB"


def test_summary_command_prints_the_table_and_a_bad_target_is_one_line(capsys) -> None:
    assert main(["summary", "convnet", "--depth", "1", "--width", "130"]) == 0
    out = capsys.readouterr().out
    assert "conv1: Conv2d" in out and "149,760" in out and "Parameters: 21,840" in out  # batch 1
    assert main(["summary", "convnet", "--input-shape", "1,3,3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("minimod: error:") and err.count("\n") == 1


@pytest.mark.parametrize("name", ["convnet", "resnet", "transformer_block", "tied"])
def test_a_torch_model_summarizes_as_its_minimod_twin(name: str) -> None:
    torch = pytest.importorskip("torch")
    mine = summarize(*build(name, mm))
    theirs = summarize(*build(name, torch))
    assert theirs.library == "PyTorch" and mine.library == "minimod"
    assert [(row.path, row.kind, row.input_shapes, row.output_shapes, row.parameters, row.buffers,
             row.mult_adds, row.trainable, row.tied) for row in theirs.rows] == \
        [(row.path, row.kind, row.input_shapes, row.output_shapes, row.parameters, row.buffers,
          row.mult_adds, row.trainable, row.tied) for row in mine.rows]
    assert (theirs.parameters, theirs.mult_adds, theirs.parameter_bytes, theirs.activation_bytes) == \
        (mine.parameters, mine.mult_adds, mine.parameter_bytes, mine.activation_bytes)


@pytest.mark.parametrize("name", ["convnet", "resnet"])
def test_against_torchinfo_where_its_formulas_are_right(name: str) -> None:
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    model, example = build(name, torch)
    theirs = torchinfo.summary(model, input_data=example, verbose=0, depth=10)
    ours = summarize(model, example)
    assert ours.parameters == theirs.total_params and ours.trainable == theirs.trainable_params
    rows = {row.path: row for row in ours.rows}
    checked = 0
    for layer in theirs.summary_list:
        path = layer.var_name if layer.depth == 1 else None
        if layer.class_name in ("Conv2d",) or (layer.class_name == "Linear" and len(layer.output_size) == 2):
            matches = [row for row in ours.rows if row.kind == layer.class_name
                       and list(row.output_shapes[0]) == list(layer.output_size)
                       and row.parameters == layer.num_params and row.mult_adds == layer.macs]
            assert matches, (layer.class_name, layer.output_size, layer.macs, path)
            checked += 1
    assert checked >= 4 and rows[""].output_shapes == ((2, 10),)


def test_torchinfo_counts_a_tied_weight_twice_and_we_do_not() -> None:
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo")
    model, example = build("tied", torch)
    theirs = torchinfo.summary(model, input_data=example, verbose=0)
    assert theirs.total_params == 186  # torchinfo issue #322
    assert summarize(model, example).parameters == 114


async def _settle(pilot) -> None:
    deadline = time.monotonic() + 30
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


async def test_the_summary_tab_and_its_text_export(tmp_path: Path) -> None:
    model, example = build("tied", mm)
    app = InspectorApp(LoadedTarget("tied", model, example), show_time=False)
    async with app.run_test(size=(160, 48)) as pilot:
        panel = pilot.app.screen.query_one(SummaryPanel)
        assert panel.summary is None  # made only when asked for
        await pilot.press("5")
        await _settle(pilot)
        assert pilot.app.screen.query_one("#tabs").active == "tab-summary"
        table = panel.table
        assert table.row_count == 4
        assert [table.row_text(index)[0] for index in range(4)] == [
            "TiedLM", "├─embed: Embedding", "├─hidden: Linear", "└─decoder: Linear"]
        assert table.row_text(3)[3] == "-- + tied"
        assert "Parameters: 114" in str(pilot.app.screen.query_one("#summary-footer").render())
        await pilot.press("m")  # the model changes (eval mode): the open summary is made again
        await _settle(pilot)
        assert panel.summary.mode == "eval"
        await pilot.press("S")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PromptScreen)
        pilot.app.screen.query_one("#prompt-input").value = str(tmp_path / "tied.txt")
        await pilot.press("enter")
        await _settle(pilot)
        text = (tmp_path / "tied.txt").read_text()
        assert "decoder: Linear" in text and "Tied: decoder.weight is embed.weight" in text
