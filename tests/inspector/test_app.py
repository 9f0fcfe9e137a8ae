"""The inspector app driven by Pilot: module tree, tensor tables, live trace, filters, step-through."""

from __future__ import annotations

import asyncio
import time

import pytest
from rich.text import Text
from textual import events

import minimod as mm
from inspector.app import InspectorApp
from inspector.events import TensorStats, TraceEvent
from inspector.messages import TraceBatch
from inspector.targets import LoadedTarget
from inspector.widgets.fast_table import FastTable
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.tensor_tables import PARAMETER_COLUMNS, TensorTables
from inspector.widgets.trace_panel import TracePanel
from minimod import nn

SIZE = (120, 40)


def make_app(target: object = "convnet", **options: object) -> InspectorApp:
    mm.manual_seed(0)
    return InspectorApp(target, **options)


async def settle(pilot, timeout: float = 30.0) -> None:
    """Wait for the model worker to finish and its messages to be handled."""
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline, f"{pilot.app.main_screen.busy} did not finish"
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


def cell_text(value: object) -> str:
    return value.plain.strip() if isinstance(value, Text) else str(value).strip()


def row(table, index: int) -> list[str]:
    if isinstance(table, FastTable):
        return [text.strip() for text in table.row_text(index)]
    return [cell_text(value) for value in table.get_row_at(index)]


class NaNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)
        with mm.no_grad():
            self.fc2.weight.fill_(float("nan"))

    def forward(self, x):
        return self.fc2(self.fc1(x))


async def test_tree_lists_every_module_with_type_counts_and_mode() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(ModuleTree)
        assert tree.visible_paths() == ["", "conv1", "pool1", "conv2", "pool2", "fc1", "fc2"]
        conv1 = tree.node_for("conv1").label.plain
        assert conv1 == "T conv1 Conv2d 260 params"  # the train badge leads: a narrow pane never cuts it
        assert tree.node_for("").label.plain == "T ConvNet 21.8k params"
        root = tree.node_for("").label.plain
        assert "ConvNet" in root and "21.8k params" in root
        assert tree.tree_view.has_focus


async def test_expand_collapse_and_filter_by_name_or_type() -> None:
    mm.manual_seed(0)
    async with make_app("resnet18").run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(ModuleTree)
        layer1 = tree.node_for("layer1")
        assert layer1.is_expanded and not tree.node_for("layer1.0").is_expanded
        tree.select_path("layer1")
        await pilot.press("space")
        assert not layer1.is_expanded
        await pilot.press("slash")
        await pilot.press(*"bn2")
        await pilot.pause()
        paths = tree.visible_paths()
        assert "layer1.0.bn2" in paths and "layer1.0" in paths and "conv1" not in paths
        assert all(path == "" or "bn2" in path or any(other.startswith(path + ".") for other in paths)
                   for path in paths)
        tree.set_filter("basicblock")  # by type, any case
        await pilot.pause()
        blocks = [f"layer{stage}.{index}" for stage in range(1, 5) for index in range(2)]
        assert [path for path in tree.visible_paths() if "." in path] == blocks
        top = [path for path in tree.visible_paths() if "." not in path]
        assert top == ["", "layer1", "layer2", "layer3", "layer4"]


async def test_a_filter_that_keeps_every_module_leaves_the_nodes_as_a_rebuild_would() -> None:
    """A filter keeping every module (a first letter, often) and its clearing reuse the tree's nodes,
    each expanded or collapsed and labelled as a rebuild from scratch leaves it."""
    from collections import OrderedDict

    blocks = OrderedDict(block1=nn.Sequential(nn.Linear(2, 2), nn.ReLU()),
                         block2=nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2))))
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("blocks", nn.Sequential(blocks), mm.randn(1, 2)))
    async with app.run_test(size=SIZE) as pilot:
        tree = pilot.app.screen.query_one(ModuleTree)

        def shown() -> list[tuple[str, bool, str]]:
            return [(path, node.is_expanded, node.label.markup) for path, node in tree._path_nodes.items()]

        def rebuilt() -> list[tuple[str, bool, str]]:
            tree._path_nodes = {}  # whatever was there: built again from scratch
            tree._rebuild()
            return shown()

        tree.node_for("block1").collapse()  # a rebuild opens it again
        tree.node_for("block2.1").expand()  # and closes this one
        for text in ("", "l", "bl", "", "B"):  # each keeps every module ("block": in every path)
            nodes = dict(tree._path_nodes)
            tree.set_filter(text)
            await pilot.pause()
            assert all(tree._path_nodes[path] is node for path, node in nodes.items())  # the same nodes
            reused = shown()
            assert reused == rebuilt()
        assert [expanded for _, expanded, _ in reused] == [True, True, False, False, True, False, True, False]
        tree.set_filter("relu")
        await pilot.pause()
        assert tree.visible_paths() == ["", "block1", "block1.1"]  # fewer modules: built again


async def test_escape_in_a_filter_clears_it_and_slash_filters_what_is_in_front() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(ModuleTree)
        await pilot.press("slash", *"conv", "enter")  # enter keeps the filter, back in the tree
        await pilot.pause()
        assert tree.visible_paths() == ["", "conv1", "conv2"] and tree.tree_view.has_focus
        await pilot.press("slash", "escape")  # escape clears it
        await pilot.pause()
        assert len(tree.visible_paths()) == 7 and tree.tree_view.has_focus
        await pilot.press("f", "2")
        await settle(pilot)
        trace = screen.query_one(TracePanel)
        await pilot.press("slash", *"fc", "enter")  # on the Trace tab, / filters the events
        await pilot.pause()
        assert trace.module_filter == "fc" and trace.table.matched == 4
        assert trace.table.table.has_focus and tree.visible_paths() != ["", "conv1", "conv2"]
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert trace.module_filter == "" and trace.table.matched == 14 and trace.table.table.has_focus


@pytest.mark.parametrize("size", [(120, 40), (160, 48)])
async def test_the_histogram_takes_the_lines_the_tables_leave(size) -> None:
    async with make_app().run_test(size=size) as pilot:
        screen = pilot.app.screen
        await pilot.press("b")
        await settle(pilot)
        await pilot.press("down")  # conv1: two parameters, a short table
        await pilot.pause()
        tables, histogram = screen.query_one(TensorTables), screen.query_one("#tensor-histogram")
        info, pane = screen.query_one("#module-info"), screen.query_one("#tab-tensors")
        # no empty band: the tables end where the histogram starts, which ends where the info starts
        assert tables.region.bottom == histogram.region.y and histogram.region.bottom == info.region.y
        assert info.region.bottom == pane.content_region.bottom
        lines = str(histogram.render()).splitlines()
        value_rows = sum(1 for line in lines if "█" in line)
        assert histogram.region.height >= 10 and len(lines) <= histogram.region.height
        assert value_rows >= 6  # taller bars than the two lines a fixed height gave


async def test_module_info_marks_the_first_runs_time() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await pilot.press("f")  # the session's first run: its times include kernels loading
        await settle(pilot)
        await pilot.press("down")  # conv1, as the first run saw it
        await pilot.pause()
        text = str(screen.query_one("#module-info").render())
        assert "ms* (first run: one-time setup included)" in text
        await pilot.press("f")
        await settle(pilot)
        text = str(screen.query_one("#module-info").render())
        assert "last forward:" in text and " ms (event" in text and "ms*" not in text


async def test_histogram_follows_the_tables_and_empties_for_a_module_without_tensors() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        histogram = screen.query_one("#tensor-histogram")
        assert str(histogram.render()).startswith("conv1.weight  histogram of 250 values")
        await pilot.press("a")  # the root's own tensors: it has none
        await pilot.pause()
        assert screen.query_one(TensorTables).parameters == [] and str(histogram.render()) == ""
        await pilot.press("a", "down", "down")  # pool1: no tensors either
        await pilot.pause()
        assert screen.selected_path == "pool1" and str(histogram.render()) == ""
        await pilot.press("down")
        await pilot.pause()
        assert str(histogram.render()).startswith("conv2.weight  histogram of 5,000 values")
        assert "grad (none yet" in str(histogram.render())


async def test_selecting_a_module_shows_its_parameters_and_buffers() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        tables = pilot.app.screen.query_one(TensorTables)
        assert tables.recursive and tables.parameter_table.row_count == 8  # the root: its whole subtree
        assert "21,840 elements" in str(tables.query_one("#parameter-totals").render())
        await pilot.press("a")
        await pilot.pause()
        assert not tables.recursive and tables.parameter_table.row_count == 0  # none of its own
        await pilot.press("down")
        await pilot.pause()
        assert tables.path == "conv1"
        values = tables.row_values("parameter", 0)
        assert [values[key] for key in ("name", "shape", "dtype", "numel", "grad", "|grad|")] == [
            "weight", "10×1×5×5", "float32", "250", "yes", "-"]  # no grad yet
        assert tables.shown_columns("parameter") == list(PARAMETER_COLUMNS)  # everything fits at 120
        assert tables.buffer_table.row_count == 0
        info = str(pilot.app.screen.query_one("#module-info").render())
        assert "Conv2d(1, 10, kernel_size=(5, 5)" in info and "not traced yet" in info
        histogram = str(pilot.app.screen.query_one("#tensor-histogram").render())
        assert "conv1.weight  histogram of 250 values" in histogram and "none yet" in histogram
        await pilot.press("b")
        await settle(pilot)
        histogram = str(pilot.app.screen.query_one("#tensor-histogram").render())
        assert "grad" in histogram and "none yet" not in histogram


async def test_batchnorm_buffers_and_shared_parameters_are_shown_apart() -> None:
    mm.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 3))
    model[2].weight = model[0].weight
    async with make_app(LoadedTarget("shared", model, mm.randn(4, 3))).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        screen.module_tree.select_path("1")
        await pilot.pause()
        tables = screen.query_one(TensorTables)
        assert [row(tables.buffer_table, i)[0] for i in range(3)] == [
            "running_mean", "running_var", "num_batches_tracked"]
        assert tables.row_values("buffer", 2)["dtype"] == "int64"
        assert tables.row_values("buffer", 0)["saved"] == "yes"
        # params and buffers, as counts of values
        assert screen.module_tree.node_for("1").label.plain == "T 1 BatchNorm1d 6 params 7 buffers"
        # the shared weight once
        assert screen.module_tree.node_for("").label.plain == "T Sequential 21 params 7 buffers"
        screen.module_tree.select_path("2")
        await pilot.pause()
        assert row(tables.parameter_table, 0)[0] == "weight (shared)"
        assert "2.weight = 0.weight" in str(tables.query_one("#parameter-totals").render())


async def test_forward_backward_and_step_stream_events_and_update_tables() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        trace = screen.query_one(TracePanel).table
        await pilot.press("down", "2", "f")  # on the Trace tab (a hidden one gets its rows when shown)
        await settle(pilot)
        assert trace.table.row_count == 14 and len(pilot.app.session.events) == 14
        assert row(trace.table, 0)[:4] == ["0", "pre", "(root)", "1×1×28×28"]
        assert row(trace.table, 2)[1:5] == ["fwd", "conv1", "1×1×28×28", "1×10×24×24"]
        await pilot.press("b")
        await settle(pilot)
        assert trace.table.row_count == 14 + 21
        assert any(row(trace.table, i)[1] == "bwd" for i in range(trace.table.row_count))
        tables = screen.query_one(TensorTables)
        assert float(tables.row_values("parameter", 0)["|grad|"]) > 0  # grad norm after backward
        before = pilot.app.session.model.conv1.weight.numpy().copy()
        await pilot.press("o")
        await settle(pilot)
        assert pilot.app.session.steps == 1
        assert not (before == pilot.app.session.model.conv1.weight.numpy()).all()
        assert "steps 1" in str(screen.query_one("#status-bar").render())


async def test_f_b_and_o_start_the_model_once_the_screen_shows_the_run(monkeypatch) -> None:
    """The model's thread starts after the frame that shows the run started: the key's answer is not
    slowed by the model running beside it."""
    from inspector.screens.main.screen import MainScreen

    frames = []
    started = []
    original_display = InspectorApp._display
    original_run = MainScreen._run_worker

    def display(self, screen, renderable) -> None:
        if renderable is not None:
            frames.append(screen.query_one("#status-bar").render())
        original_display(self, screen, renderable)

    def run_worker(self, action, job):
        started.append((action, len(frames), str(frames[-1]) if frames else ""))
        return original_run(self, action, job)

    monkeypatch.setattr(InspectorApp, "_display", display)
    monkeypatch.setattr(MainScreen, "_run_worker", run_worker)
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key, action in (("f", "forward"), ("b", "backward"), ("o", "step")):
            shown = len(frames)
            await pilot.press(key)
            await settle(pilot)
            name, frame, status = started[-1]
            assert name == action and frame > shown and action in status  # painted "running" first
        assert pilot.app.main_screen.last_result is not None and pilot.app.session.steps == 1


async def test_train_n_steps_from_the_prompt() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.press("t")
        await pilot.pause()
        prompt = pilot.app.screen.query_one("#prompt-input")
        prompt.value = "4"
        await pilot.press("enter")
        await settle(pilot)
        session = pilot.app.session
        assert session.steps == 4 and len(session.events) == 4 * 21
        await pilot.press("t")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-input").value = "zero"
        await pilot.press("enter")
        await settle(pilot)
        assert session.steps == 4
        assert "whole number" in pilot.app.main_screen.last_error


async def test_x_stops_a_training_run() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        assert screen.start_train(10_000)
        while pilot.app.session.steps < 2:
            await asyncio.sleep(0.02)
        await pilot.press("m")  # refused while training: the model is busy
        assert pilot.app.session.model.training
        await pilot.press("x")
        await settle(pilot)
        assert 2 <= pilot.app.session.steps < 10_000 and screen.busy is None


async def test_trace_filters_by_module_and_phase() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await settle(pilot)
        panel = pilot.app.screen.query_one(TracePanel)
        panel.set_filters(module="conv1")
        await pilot.pause()
        modules = {row(panel.table.table, i)[2] for i in range(panel.table.table.row_count)}
        assert modules == {"conv1"} and panel.table.table.row_count == 3
        panel.set_filters(module="", phase="backward")
        await pilot.pause()
        assert panel.table.table.row_count == 7
        assert "7 of 21 events match (phase = backward)" in str(panel.query_one("#trace-note").render())


def _event(index: int, value: float = 0.5) -> TraceEvent:
    stats = TensorStats((1, 4), "float32", value, 0.1, 0.0, 1.0, 0, 0)
    return TraceEvent(index, ("forward_pre", "forward", "backward")[index % 3], f"layer{index % 7}", "Linear",
                      (stats,), (stats,), 0.01, True)


async def test_trace_stays_bounded_and_responsive_with_100k_events() -> None:
    async with make_app(trace_max_rows=2000).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        events = [_event(index) for index in range(100_000)]
        pilot.app.session.events.extend(events)
        for begin in range(0, 100_000, 5000):
            screen.post_message(TraceBatch(events[begin:begin + 5000]))
        await pilot.pause()
        await pilot.press("2")
        table = screen.query_one(TracePanel).table
        assert table.table.row_count == 2000 and table.matched == 100_000 and table.dropped == 98_000
        assert row(table.table, 1999)[0] == "99999"
        note = str(table.query_one("#trace-note").render())
        assert "newest 2,000 shown, 98,000 older dropped from view" in note
        assert screen.query_one("#tabs").active == "tab-trace"
        screen.query_one(TracePanel).set_filters(module="layer3")  # filters run over the full list
        await pilot.pause()
        assert table.matched == len([e for e in events if "layer3" in e.module])
        assert table.table.row_count == 2000
        await pilot.press("n", "n", "n")  # stepping walks the matching events only, from the first
        await pilot.pause()
        assert screen.step_cursor == 17 and [row(table.table, i)[0] for i in range(3)] == ["3", "10", "17"]
        await pilot.press("p")
        await pilot.pause()
        assert screen.step_cursor == 10 and table.table.row_count == 2


async def test_module_info_indexes_the_trace_as_it_arrives() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        stats = TensorStats((1, 10, 24, 24), "float32", 0.5, 0.1, 0.0, 1.0, 0, 0)
        events = [TraceEvent(index, "forward", "conv1" if index in (3, 7) else "fc1", "Conv2d", (stats,),
                             (stats,), 0.01, True) for index in range(10)]
        pilot.app.session.events.extend(events)
        screen.post_message(TraceBatch(events))
        await pilot.pause()
        info = screen.query_one("#module-info")
        # indexed on arrival, before any module is shown: showing one reads no events
        assert info._calls._seen == 10 and info._calls.last["conv1"]["forward"] is events[7]
        await pilot.press("down")
        await pilot.pause()
        assert screen.selected_path == "conv1"
        assert "last forward: 1×10×24×24 -> 1×10×24×24" in str(info.render())
        assert "(event 7)" in str(info.render())
        more = [TraceEvent(10, "forward", "conv1", "Conv2d", (stats,), (stats,), 0.01, True)]
        pilot.app.session.events.extend(more)
        screen.post_message(TraceBatch(more))
        await pilot.pause()
        screen.show_module_info()
        await pilot.pause()
        assert "(event 10)" in str(info.render())


async def test_the_tensor_tables_size_themselves_as_datatable_measures() -> None:
    """The tables set their size without measuring cells (their columns have fixed widths): the same
    size that DataTable's own measuring gives."""
    from textual.widgets import DataTable

    mm.manual_seed(0)
    async with make_app("resnet18").run_test(size=SIZE) as pilot:
        tables = pilot.app.screen.query_one(TensorTables)
        for key in ("down", "down", "down", "w", "up"):
            await pilot.press(key)
            await pilot.pause()
            for table in (tables.parameter_table, tables.buffer_table):
                assert not table._require_update_dimensions and not table._new_rows
                ours = table.virtual_size
                DataTable._update_dimensions(table, list(table.rows))  # measures every cell
                assert table.virtual_size == ours and ours.height == table.row_count + 1


async def test_leaving_step_through_shows_the_same_rows_again_without_reformatting() -> None:
    async with make_app(trace_max_rows=2000).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        events = [_event(index) for index in range(10_000)]
        pilot.app.session.events.extend(events)
        screen.post_message(TraceBatch(events))  # unfiltered: counted, only the newest 2,000 formatted
        await pilot.pause()
        await pilot.press("2")
        table = screen.query_one(TracePanel).table
        assert (table.seen, table.matched, table.dropped) == (10_000, 10_000, 8_000)
        assert row(table.table, 0)[0] == "8000" and row(table.table, 1999)[0] == "9999"
        before = list(table.table.rows)
        await pilot.press("n", "n")
        await pilot.pause()
        assert screen.step_cursor is not None and table.table.row_count == 2
        await pilot.press("escape")
        await pilot.pause()
        assert screen.step_cursor is None and table.table.row_count == 2000
        assert all(new is old for new, old in zip(table.table.rows, before, strict=True))
        assert table.table.cursor_row == 1999  # the detail follows the cursor, in the same update
        assert str(screen.query_one("#step-detail").render()).startswith("event 9999")


async def test_the_tensors_tab_catches_up_with_the_tree_when_shown() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tables = screen.query_one(TensorTables)
        await pilot.press("2", "down")  # the tree keeps the focus on the Trace tab
        await pilot.pause()
        assert screen.selected_path == "conv1" and tables.path == ""  # not filled while hidden
        await pilot.press("1")
        await pilot.pause()
        assert tables.path == "conv1" and tables.parameter_table.row_count == 2
        assert str(screen.query_one("#module-info").render()).startswith("conv1")
        await pilot.press("3", "down")
        await pilot.pause()
        assert tables.path == "conv1"
        await pilot.click("#--content-tab-tab-tensors")  # the tab clicked, not keyed
        await pilot.pause()
        assert tables.path == screen.selected_path != "conv1"


async def test_show_text_updates_a_static_only_when_what_it_shows_changes() -> None:
    from textual.widgets import Static

    from inspector.widgets.cells import show_text

    async with make_app().run_test(size=SIZE) as pilot:
        static = Static("")
        await pilot.app.screen.mount(static)
        shown = []
        static.update = lambda content, layout=True: shown.append((content, layout))  # type: ignore[method-assign]
        show_text(static, Text("1.5", style=""))
        show_text(static, Text("1.5", style=""))
        show_text(static, Text("1.5", style="bold red"))  # same characters, now red: shown
        show_text(static, Text("1.5", style="bold red", justify="right"))
        show_text(static, "1.5")
        show_text(static, "1.5")
        assert [str(getattr(item, "style", "")) for item, _ in shown] == ["", "bold red", "bold red", ""]
        assert all(layout for _, layout in shown)  # its height follows its text: laid out again
        # a text that cannot change the widget's size is repainted without a layout
        line = Static("")
        await pilot.app.screen.mount(line)
        line.styles.height = 1
        laid_out = []
        line.update = lambda content, layout=True: laid_out.append(layout)  # type: ignore[method-assign]
        show_text(line, "a")
        line.styles.width = "1fr"  # measured by its text in a horizontal layout
        show_text(line, "b")
        line.styles.width = 30
        line.styles.height = "auto"
        show_text(line, "c")
        line.styles.height = "1fr"
        show_text(line, "d")
        assert laid_out == [False, True, True, False]


async def test_step_through_advances_one_event_and_highlights_its_module() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        table = screen.query_one(TracePanel).table
        assert screen.step_cursor == 0 and table.table.row_count == 1
        await pilot.press("n", "n")
        await pilot.pause()
        assert screen.step_cursor == 2 and table.table.row_count == 3 and table.highlighted == 2
        assert screen.module_tree.selected_path == "conv1"
        detail = str(screen.query_one("#step-detail").render())
        assert "forward conv1 Conv2d" in detail and "output[0] 1×10×24×24" in detail
        await pilot.press("p")
        await pilot.pause()
        assert screen.step_cursor == 1 and table.table.row_count == 2
        await pilot.press("escape")
        await pilot.pause()
        assert screen.step_cursor is None and table.table.row_count == 14
        await pilot.press("n", "n")
        await pilot.press("slash", *"fc2")  # a new filter while stepping: the whole filtered trace again
        await pilot.pause()
        assert screen.step_cursor is None and table.table.row_count == 2
        assert "stepping" not in str(screen.query_one("#status-bar").render())
        await pilot.press("enter", "n")
        await pilot.pause()
        assert screen.step_cursor == 11 and table.table.row_count == 1  # pre fc2, the first match
        await pilot.press("slash", *"zzz", "enter", "n")
        await pilot.pause()
        assert screen.step_cursor is None
        assert any("no event matches the trace filters" in str(note.message)
                   for note in pilot.app._notifications)


async def test_the_trace_table_takes_a_runs_events_when_its_tab_is_shown() -> None:
    """While another tab is in front, a run's events wait (no rows formatted and laid out unseen, beside
    the run); showing the Trace tab, by key or by click, gives the table all of them at once, in order;
    stepping starts from them too."""
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        trace = screen.query_one(TracePanel).table
        await pilot.press("f")
        await settle(pilot)
        assert len(pilot.app.session.events) == 14 and trace.table.row_count == 0  # on the Tensors tab
        await pilot.press("2")
        await pilot.pause()
        assert [event.index for event in trace.shown_events] == list(range(14))
        await pilot.press("1", "f")
        await settle(pilot)
        assert trace.table.row_count == 14
        await pilot.click("#tabs Tab#--content-tab-tab-trace")
        await pilot.pause()
        assert [event.index for event in trace.shown_events] == list(range(28))
        await pilot.press("1", "f")
        await settle(pilot)
        screen.step_to(+1)  # from the Tensors tab: the step's table holds the newest run's first event
        await pilot.pause()
        assert screen.step_cursor == 28 and trace.shown_events[-1].index == 28
        screen.leave_step_mode()
        await pilot.pause()
        assert [event.index for event in trace.shown_events] == list(range(42))


async def test_nan_and_inf_are_highlighted() -> None:
    mm.manual_seed(0)
    async with make_app(LoadedTarget("nan", NaNNet(), mm.randn(2, 3))).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        screen.module_tree.select_path("fc2")
        await pilot.pause()
        tables = screen.query_one(TensorTables)
        assert "red" in str(tables.parameter_table.get_cell("fc2.weight", "mean").style)
        assert tables.row_values("parameter", 0)["mean"] == "-"  # no finite value to average
        await pilot.press("f", "2")
        await settle(pilot)
        table = screen.query_one(TracePanel).table
        fc2 = next(i for i, event in enumerate(table.shown_events) if event.module == "fc2"
                   and event.phase == "forward")
        assert "red" in table.table.rows[fc2][2][1]
        fc1 = next(i for i, event in enumerate(table.shown_events) if event.module == "fc1"
                   and event.phase == "forward")
        assert "red" not in table.table.rows[fc1][2][1]
        target = table.shown_events[fc2].index
        screen.step_to(+1)
        while screen.step_cursor != target:
            screen.step_to(+1)
        await pilot.pause()
        assert screen.query_one("#step-detail").has_class("nonfinite")


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_main_panes_fit_the_terminal(size: tuple[int, int]) -> None:
    async with make_app().run_test(size=size) as pilot:
        screen = pilot.app.screen
        assert screen.has_class("narrow") == (size[0] < 100)
        tree = screen.query_one(ModuleTree)
        assert tree.region.width >= 26 and tree.region.height >= size[1] - 6
        assert screen.query_one("#tabs").region.right <= size[0]
        await pilot.press("down")
        await pilot.pause()
        tables = screen.query_one(TensorTables)
        assert tables.parameter_table.row_count == 2
        shown = tables.shown_columns("parameter")
        assert {"name", "shape", "mean", "std"} <= set(shown)  # the most useful columns stay
        assert tables.parameter_table.virtual_size.width <= tables.parameter_table.size.width  # no h-scroll
        hidden = [name for name in PARAMETER_COLUMNS if name not in shown]
        totals = str(tables.query_one("#parameter-totals").render())
        assert bool(hidden) == (size[0] < 100)
        assert not hidden or f"hidden here: {', '.join(hidden)} (w widens)" in totals
        view = tree.tree_view
        lines = [view.render_line(y).text for y in range(3)]
        await pilot.press("w")  # the tables take the whole width
        await pilot.pause()
        assert not tree.display and screen.query_one("#tabs").region.x == 0
        assert len(tables.shown_columns("parameter")) > len(shown) or not hidden
        await pilot.press("w")
        await pilot.pause()
        assert tree.display
        assert tables.shown_columns("parameter") == shown
        assert [view.render_line(y).text for y in range(3)] == lines
        # a Resize that keeps the width (the tree shown again) keeps its drawn lines; a new width redraws
        # them (_updates: Textual's count of the tree's redraws, what SteadyTree saves)
        drawn_at = view._updates
        view.post_message(events.Resize(view.size, view.virtual_size, view.container_size))
        await pilot.pause()
        assert view._updates == drawn_at
        view.post_message(events.Resize(view.size.with_width(view.size.width - 1), view.virtual_size,
                                        view.container_size))
        await pilot.pause()
        assert view._updates > drawn_at
        await pilot.press("f", "2")
        await settle(pilot)
        trace = screen.query_one(TracePanel).table
        visible = [trace.table.columns[i][0] for i in trace.table._visible]
        assert {"phase", "module", "out"} <= set(visible)
        assert trace.table.virtual_size.width <= trace.table.scrollable_content_region.width
        note = str(trace.query_one("#trace-note").render())
        assert bool(trace.table.hidden_columns) == ("hidden at this width" in note)
        assert bool(trace.table.hidden_columns) == (size[0] < 100)


async def test_a_warning_repeated_while_its_toast_shows_is_not_stacked() -> None:
    from textual.widgets._toast import Toast

    warning = "no events to step through: press f (forward) or b (backward) first"

    def shown() -> list[str]:
        return [str(toast._notification.message) for toast in app.screen.query(Toast)]

    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("n")  # nothing to step through yet: the same warning, three times
        await pilot.pause()
        assert shown().count(warning) == 1, shown()
        app.clear_notifications()  # once cleared, the same warning shows again
        await pilot.pause()
        assert shown() == []
        await pilot.press("n")
        await pilot.pause()
        assert shown() == [warning]
        app.notify("something else", severity="warning")
        await pilot.pause()
        assert sorted(shown()) == sorted([warning, "something else"])


async def test_an_empty_table_hides_its_header_and_gives_up_the_focus() -> None:
    mm.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    async with make_app(LoadedTarget("bn", model, mm.randn(4, 3))).run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tables = screen.query_one(TensorTables)
        screen.module_tree.select_path("1")
        await pilot.pause()
        assert tables.buffer_table.display and tables.buffer_table.row_count == 3
        tables.buffer_table.focus()
        await pilot.pause()
        screen.module_tree.select_path("0")  # Linear: no buffers
        await pilot.pause()
        assert not tables.buffer_table.display and tables.buffer_table.row_count == 0
        assert "no buffers" in str(tables.query_one("#buffer-totals").render())
        assert screen.focused is not None and screen.focused is not tables.buffer_table
        screen.module_tree.select_path("1")
        await pilot.pause()
        assert tables.buffer_table.display and tables.buffer_table.row_count == 3


async def test_the_app_collects_garbage_less_often_while_it_runs_and_puts_the_setting_back() -> None:
    """A key press allocates tens of thousands of small objects: the young-generation threshold is raised
    while the app runs (fewer collections a press), and restored after."""
    import gc

    from inspector.app import GC_YOUNG_THRESHOLD

    before = gc.get_threshold()
    app = InspectorApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert gc.get_threshold()[0] >= GC_YOUNG_THRESHOLD and gc.get_threshold()[1:] == before[1:]
    assert gc.get_threshold() == before


def _gc_and_paints_recorded(monkeypatch) -> tuple:
    """(counts, events, fake gc): a gc whose counts the test sets (counts[0]) and whose collections are
    recorded in events, beside each paint of the app; the test puts the fake in as inspector.app's gc."""
    import gc

    counts = [(0, 0, 0)]
    events: list[str] = []

    class Gc:  # the real gc, with the counts and collections under test control
        def __getattr__(self, name):
            return getattr(gc, name)

        def get_count(self):
            return counts[0]

        def collect(self, generation=2):
            events.append(f"collect {generation}")
            return 0

    original_display = InspectorApp._display

    def display(self, screen, renderable) -> None:
        if renderable is not None:
            events.append("paint")
        original_display(self, screen, renderable)

    monkeypatch.setattr(InspectorApp, "_display", display)
    return counts, events, Gc()


async def test_the_middle_generation_is_collected_once_a_key_is_done_and_painted(monkeypatch) -> None:
    """After a key's work is handled and painted, the middle generation is collected if it is half way to
    its threshold (not during the key)."""
    import inspector.app as app_module

    counts, events, fake_gc = _gc_and_paints_recorded(monkeypatch)
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app_module, "gc", fake_gc)
        counts[0] = (100, app_module.GC_MIDDLE_AT_REST - 1, 0)
        await pilot.press("down")
        await pilot.pause(0.1)
        assert "paint" in events and "collect 1" not in events  # not half way yet: nothing collected
        assert not pilot.app._collecting
        events.clear()
        counts[0] = (100, app_module.GC_MIDDLE_AT_REST, 0)
        await pilot.press("down")
        await pilot.pause(0.1)
        # the key's paints (the tree's cursor, the tables), then the collection, and nothing left to paint
        assert events.count("paint") >= 1 and events[-1] == "collect 1" and events.count("collect 1") == 1
        assert not pilot.app._collecting and pilot.app.screen.selected_path == "pool1"


async def test_a_full_collection_due_next_is_done_once_a_key_is_done_and_painted(monkeypatch) -> None:
    """When the middle generation has been collected often enough that Python's next collection of it
    may be a full one (100-120 ms on a 2,000-layer model), the full collection is done at rest, after the
    key is painted, instead of on whichever key would set it off."""
    import gc

    import inspector.app as app_module

    counts, events, fake_gc = _gc_and_paints_recorded(monkeypatch)
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app_module, "gc", fake_gc)
        full = gc.get_threshold()[2]
        counts[0] = (100, app_module.GC_MIDDLE_AT_REST, full - 1)
        await pilot.press("down")
        await pilot.pause(0.1)
        assert events[-1] == "collect 1" and "collect 2" not in events  # not due yet: the middle one
        events.clear()
        counts[0] = (100, 0, full)
        await pilot.press("down")
        await pilot.pause(0.1)
        assert "paint" in events and events[-1] == "collect 2" and events.count("collect 2") == 1
        assert events.index("paint") < events.index("collect 2")


async def test_the_first_runs_times_are_marked_as_including_one_time_setup() -> None:
    async with make_app().run_test(size=(160, 40)) as pilot:
        screen = pilot.app.screen
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("f", "2")
        await settle(pilot)
        table = screen.query_one(TracePanel).table
        forward_ms = [row(table.table, index)[-1] for index in range(table.table.row_count)
                      if row(table.table, index)[1] == "fwd"]
        assert len(forward_ms) == 14
        assert all(cell.endswith("*") for cell in forward_ms[:7])  # the first run
        assert not any(cell.endswith("*") for cell in forward_ms[7:])
        assert "ms* includes one-time setup" in str(screen.query_one("#trace-note").render())
