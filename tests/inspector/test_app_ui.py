"""The inspector app's chrome: footer keys, help screen, command palette, themes, mouse, command line."""

from __future__ import annotations

import argparse
import asyncio
import io
import re
import sys
import time
from collections import OrderedDict

import pytest
from rich.console import Console
from textual import events
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

import minimod as mm
from inspector.app import InspectorApp
from inspector.commands import inspect_command
from inspector.screens.help import HelpScreen, key_table
from inspector.screens.main import COMMANDS, MainScreen
from inspector.targets import LoadedTarget, TargetError
from inspector.widgets.key_footer import KeyFooter
from inspector.widgets.module_tree import ModuleTree
from inspector.widgets.tensor_tables import TensorTables
from minimod import nn
from minimod.errors import UserError

SIZE = (120, 40)


def make_app(**options: object) -> InspectorApp:
    mm.manual_seed(0)
    return InspectorApp("convnet", **options)


async def settle(pilot, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while pilot.app.main_screen.busy is not None:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
        await pilot.pause()
    await pilot.pause()


async def test_footer_shows_the_main_keys() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        footer = pilot.app.screen.query_one(Footer)
        keys = {binding.key for (_, binding, enabled, _) in pilot.app.screen.active_bindings.values()
                if binding.show and enabled}
        assert {"f", "b", "o", "t", "n", "m", "c", "s", "l", "e", "question_mark", "q"} <= keys
        assert footer.region.height == 1 and footer.region.y == SIZE[1] - 1


async def test_footer_is_recomposed_only_when_the_keys_it_shows_change() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = pilot.app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        assert len(keys) > 5
        await pilot.press("w")  # the tree hides and the focus moves on: the same keys stay shown
        await pilot.pause()
        assert not pilot.app.screen.module_tree.has_focus_within and pilot.app.screen.focused is not None
        assert list(footer.query(FooterKey)) == keys
        footer._composed_bindings = ()  # as if other keys were shown: the next change recomposes
        recomposed = []
        recompose = footer.recompose

        async def counted() -> None:
            recomposed.append(1)
            await recompose()

        footer.recompose = counted  # type: ignore[method-assign]
        pilot.app.screen.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        new_keys = list(footer.query(FooterKey))
        assert new_keys and not set(new_keys) & set(keys)
        assert [key.key for key in new_keys] == [key.key for key in keys]
        assert len(recomposed) == 1  # once, however many ways the footer hears of the change


def _screenshot(app) -> str:
    return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())


async def test_a_text_box_hides_the_footer_keys_and_giving_back_the_focus_shows_the_same_ones() -> None:
    """/ focuses the tree's filter, where letters are typed, not keys: the footer shows only the palette
    key, as a recomposed footer would, and escape shows the same keys again, without remounting them."""
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = pilot.app.screen.query_one(KeyFooter)
        keys = list(footer.query(FooterKey))
        before = _screenshot(pilot.app)
        await pilot.press("slash")
        await pilot.pause()
        assert pilot.app.screen.query_one("#module-filter").has_focus
        assert list(footer.query(FooterKey)) == keys
        shown = [key for key in keys if key.display]
        assert [key.has_class("-command-palette") for key in shown] == [True]
        hidden_footer = footer.region
        typing = footer.render_lines(footer.region.reset_offset)  # (the filter's cursor blinks)
        footer._composed_bindings = None  # what Textual's own footer does: compose for these bindings
        pilot.app.screen.refresh_bindings()
        await pilot.pause()
        assert len(footer.query(FooterKey)) == 1 and footer.region == hidden_footer
        assert footer.render_lines(footer.region.reset_offset) == typing
        await pilot.press("escape")  # back to the tree: the keys composed again, all shown
        await pilot.pause()
        assert pilot.app.screen.module_tree.tree_view.has_focus
        assert _screenshot(pilot.app) == before
        keys = list(footer.query(FooterKey))
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert list(footer.query(FooterKey)) == keys and all(key.display for key in keys)
        assert _screenshot(pilot.app) == before


MAIN_KEYS = ["?", "f", "b", "o", "t", "n", "m", "c", "s", "l", "e", "q"]


@pytest.mark.parametrize("size", [(120, 40), (100, 30), (80, 24)])
async def test_footer_keys_fit_the_width(size: tuple[int, int]) -> None:
    async with make_app().run_test(size=size) as pilot:
        await pilot.pause()
        footer = pilot.app.screen.query_one(KeyFooter)
        # the footer composes again once its bindings and width are known: on a loaded machine that can
        # take more than one pause, so wait (up to 3 s) until it has composed for this width
        for _ in range(60):
            if footer._composed_width == size[0] and footer._bindings_ready and footer.is_mounted:
                break
            await pilot.pause(0.05)
        await pilot.pause()
        keys = [key for key in footer.query(FooterKey) if not key.has_class("-command-palette")]
        shown = [key.key_display for key in keys]
        assert [key for key in shown if key in MAIN_KEYS] == MAIN_KEYS  # every important key, in order
        assert all(key.region.right <= size[0] and key.region.width > 0 for key in keys)
        labels = {key.key_display: key.description for key in keys}
        palette = footer.query(".-command-palette")
        if size[0] == 120:
            assert footer.fit == "full" and labels["f"] == "Forward" and labels["g"] == "Lessons"
            assert len(palette) == 1
        else:  # short labels; g makes room, then at 80 the palette key too (both are in the help)
            assert footer.fit.startswith("short") and labels["f"] == "fwd" and labels["c"] == "cmp"
            assert "g" not in labels and bool(palette) == (size[0] == 100)
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        await pilot.pause()
        assert footer.fit == "full"


async def test_g_opens_the_lesson_list_and_i_comes_back() -> None:
    from inspector.screens.lesson_list import LessonListScreen

    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LessonListScreen)
        assert pilot.app.screen.query_one("#lesson-list").option_count >= 1
        await pilot.press("i")
        await pilot.pause()
        assert pilot.app.screen is pilot.app.main_screen


async def test_keys_typed_before_a_dialog_opens_reach_it() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.pause()
        # As a terminal delivers fast typing: all three keys queued before the app handles the first.
        for key, character in (("t", "t"), ("3", "3"), ("enter", None)):
            pilot.app.post_message(events.Key(key, character))
        for _ in range(100):
            await pilot.pause(0.02)
            if pilot.app.session.steps and pilot.app.main_screen.busy is None:
                break
        await settle(pilot)
        assert pilot.app.screen is pilot.app.main_screen
        assert pilot.app.session.steps == 3  # not the prompt's default of 10, and not a stray tab switch
        assert pilot.app.main_screen.query_one("#tabs").active == "tab-tensors"


async def test_clicking_a_footer_key_runs_its_action() -> None:
    async with make_app().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        key = next(key for key in pilot.app.screen.query(FooterKey) if key.key == "f")
        await pilot.click(key)
        await settle(pilot)
        assert len(pilot.app.session.events) == 14


async def test_help_screen_lists_every_key_and_closes() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        rendered = pilot.app.screen.query_one("#help-keys", Static)
        assert rendered.region.height >= len(COMMANDS)  # one line per key at least
        console = Console(width=96, record=True, file=io.StringIO())
        console.print(key_table(COMMANDS))
        text = console.export_text()
        for _key, _, _, _, title, _ in COMMANDS:
            assert title in text, title
        assert "ctrl+p" in text and "Theme: toggle light and dark" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, MainScreen)


async def test_every_action_is_in_the_command_palette() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        titles = {command.title for command in pilot.app.get_system_commands(pilot.app.screen)}
        assert {title for _, _, _, _, title, _ in COMMANDS} <= titles
        assert {"Help: keys", "Toggle light/dark theme", "Quit"} <= titles


async def test_running_an_action_from_the_command_palette() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Run forward")
        await asyncio.sleep(0.5)  # the palette searches asynchronously
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        assert len(pilot.app.session.events) == 14


async def test_theme_toggles_between_light_and_dark() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        assert pilot.app.current_theme.dark
        await pilot.press("D")
        assert not pilot.app.current_theme.dark
        await pilot.press("D")
        assert pilot.app.current_theme.dark


async def test_the_mouse_selects_modules_tabs_and_rows() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = pilot.app.screen
        tree = screen.query_one(ModuleTree)
        node = tree.node_for("fc1")
        await pilot.click(tree.tree_view, offset=(8, node.line - tree.tree_view.scroll_offset.y))
        await pilot.pause()
        assert tree.selected_path == "fc1" and screen.query_one(TensorTables).path == "fc1"
        await pilot.click("#tabs #--content-tab-tab-trace")
        await pilot.pause()
        assert screen.query_one("#tabs").active == "tab-trace"
        await pilot.press("f")
        await settle(pilot)
        table = screen.query_one("#trace-data")
        await pilot.click(table, offset=(3, 3))  # header is line 0: line 3 is the third row
        await pilot.pause()
        assert table.cursor_row == 2


async def test_initial_screen_opens_above_the_main_screen() -> None:
    class Hello(Screen):
        def compose(self):
            yield Static("hello", id="hello")

    async with make_app(initial_screen=Hello).run_test(size=SIZE) as pilot:
        assert isinstance(pilot.app.screen, Hello)
        assert pilot.app.main_screen in pilot.app.screen_stack
        assert pilot.app.session.name == "convnet"


def test_inspect_command_arguments_and_a_bad_target() -> None:
    parser = argparse.ArgumentParser()
    inspect_command.add_arguments(parser)
    assert parser.parse_args([]).target is None
    args = parser.parse_args(["mlp", "--input-shape", "2,1,28,28"])
    assert (args.target, args.input_shape) == ("mlp", "2,1,28,28")
    with pytest.raises(TargetError) as caught:
        inspect_command.run(parser.parse_args(["no_such_model"]))
    assert isinstance(caught.value, UserError) and "\n" not in str(caught.value)
    assert "no_such_model" in str(caught.value)


def test_inspect_command_module_is_import_light() -> None:
    import subprocess

    probe = ("import sys, inspector.commands.inspect_command as c; "
             "print(any(name.startswith('textual') for name in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_inspect_command_runs_the_app_on_the_resolved_target(monkeypatch) -> None:
    seen = {}

    def fake_run(self, *args, **kwargs):
        seen["name"] = self.session.name
        seen["shape"] = tuple(self.session.example_input.shape)

    monkeypatch.setattr(InspectorApp, "run", fake_run)
    parser = argparse.ArgumentParser()
    inspect_command.add_arguments(parser)
    assert inspect_command.run(parser.parse_args(["mlp", "--input-shape", "3,1,28,28"])) == 0
    assert seen == {"name": "mlp", "shape": (3, 1, 28, 28)}


async def test_the_tree_pane_fits_its_labels_and_resizes_by_keys_and_by_dragging_its_edge() -> None:
    from inspector.widgets.module_tree import MIN_WIDTH, ModuleTree

    mm.manual_seed(0)
    async with InspectorApp("resnet18").run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        tree = pilot.app.screen.query_one(ModuleTree)
        width = tree.region.width
        label = tree.node_for("layer1").label.plain
        assert label == "T layer1 Sequential 148k params 516 buffers"  # counts of values, not bytes
        assert width >= 3 + 2 + len(label) + 2  # indent, expander, label, border: nothing cut
        assert width <= 160 * 0.35
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert tree.region.width == width - 4
        await pilot.press("right_square_bracket", "right_square_bracket")
        await pilot.pause()
        assert tree.region.width == width + 4
        for _ in range(20):
            await pilot.press("left_square_bracket")
        await pilot.pause()
        assert tree.region.width == MIN_WIDTH  # never narrower
        edge = tree.region.width - 1
        await pilot.mouse_down(ModuleTree, offset=(edge, 10))
        await pilot.hover(ModuleTree, offset=(edge + 12, 10))
        await pilot.mouse_up(ModuleTree, offset=(edge + 12, 10))
        await pilot.pause()
        assert tree.region.width == MIN_WIDTH + 12


def deep_model(levels: int = 30) -> nn.Module:
    """A Linear at the bottom of `levels` nested Sequentials named `block`."""
    model: nn.Module = nn.Linear(4, 4)
    for _ in range(levels):
        model = nn.Sequential(OrderedDict(block=model))
    return model


async def test_long_module_paths_are_elided_and_the_numbers_stay() -> None:
    from inspector.tensor_summary import short_path
    from inspector.widgets.module_tree import ModuleTree
    from inspector.widgets.tensor_tables import TensorTables
    from inspector.widgets.trace_panel import TracePanel

    assert short_path("encoder.layers.11.attention.self.query.weight", 30) == "encoder.…(3).self.query.weight"
    assert short_path("fc.weight", 30) == "fc.weight"
    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("deep", deep_model(), mm.randn(2, 4)), show_time=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        tables = pilot.app.screen.query_one(TensorTables)
        shown = tables.shown_columns("parameter")
        assert {"name", "shape", "mean", "std"} <= set(shown)  # at the root: the subtree's
        names = [tables.parameter_table.get_row_at(index)[0].plain.strip() for index in range(2)]
        # 30 levels of block: the count of the ones left out tells the depths apart
        assert names[0] == "block.…(26).block.block.block.weight"
        assert names[1] == "block.…(26).block.block.block.bias"
        assert all(len(name) <= 36 for name in names)
        deepest = ".".join(["block"] * 30)
        assert pilot.app.screen.query_one(ModuleTree).select_path(deepest)
        for _ in range(50):
            await pilot.pause()
            if pilot.app.main_screen.selected_path == deepest:
                break
        title = str(pilot.app.screen.query_one("#parameter-title").render())
        assert title.startswith("Parameters of block.…(") and len(title) < 110
        await pilot.press("f", "2")
        while pilot.app.main_screen.busy is not None:
            await asyncio.sleep(0.02)
            await pilot.pause()
        await pilot.pause()
        table = pilot.app.screen.query_one(TracePanel).table.table
        assert not {"#", "phase", "in", "out", "mean"} & set(table.hidden_columns)
        assert table.row_text(table.row_count - 1)[2].strip() == "(root)"
        assert max(len(table.row_text(index)[2].strip()) for index in range(table.row_count)) <= 30


async def test_a_big_models_root_shows_the_first_tensors_and_counts_them_all() -> None:
    from inspector.widgets.tensor_tables import MAX_ROWS, TensorTables

    class Wide(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(300)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("wide", Wide(), mm.randn(2, 4)), show_time=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        tables = pilot.app.screen.query_one(TensorTables)
        assert tables.parameter_table.row_count == MAX_ROWS == 100
        assert len(tables.parameters) == 600  # every tensor counted in the totals
        totals = str(tables.query_one("#parameter-totals").render())
        assert totals.startswith("600 parameters, 6,000 elements")  # 300 x (16 + 4)
        assert f"the first {MAX_ROWS} shown" in totals


async def test_moving_back_onto_a_module_reuses_its_rows_until_the_model_changes() -> None:
    """Moving through the tree reads the model once and keeps each module's rows; a run (here an
    optimizer step, which changes every weight) makes the tables read it afresh."""
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.main_screen
        tables = screen.query_one(TensorTables)
        at_root = tables.parameters
        await pilot.press("down")
        await settle(pilot)
        assert screen.selected_path != "" and tables.parameters is not at_root
        await pilot.press("up")
        await settle(pilot)
        assert screen.selected_path == "" and tables.parameters is at_root  # the same rows, not made again
        await pilot.press("f", "b")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        fresh = tables.parameters
        assert fresh is not at_root and [row.name for row in fresh] == [row.name for row in at_root]
        assert [row.mean for row in fresh] != [row.mean for row in at_root]  # the step's new weights
        model = pilot.app.session.model
        expected = [float(mm.tensor(p.detach().numpy()).mean().item()) for _, p in model.named_parameters()]
        assert [row.mean for row in fresh] == pytest.approx(expected, rel=1e-4, abs=1e-6)


async def test_a_module_forty_levels_down_shows_in_the_tree_scrolled_sideways() -> None:
    from inspector.widgets.module_tree import ModuleTree

    mm.manual_seed(0)
    app = InspectorApp(LoadedTarget("deep", deep_model(40), mm.randn(2, 4)), show_time=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("slash", *"Linear", "enter", "end")
        for _ in range(5):
            await pilot.pause()
        tree = pilot.app.screen.query_one(ModuleTree)
        assert tree.selected_path.count(".") == 39
        view = tree.tree_view
        indent = 40 * view.guide_depth
        assert view.scroll_x <= indent < view.scroll_x + view.scrollable_content_region.width - 10
        info = str(pilot.app.screen.query_one("#module-info").render())
        assert info.startswith("block.…(") and "Linear" in info.splitlines()[0]


async def test_tensor_table_cells_are_drawn_as_the_data_table_draws_them() -> None:
    """SizedTable draws a one-line Text cell itself, without rich's render pipeline: the same segments
    (text, style, row/column meta) as DataTable's own _render_cell, for every cell the tables show after a
    backward (numbers, names, styled cells), on plain and striped rows, under the cursor and the hover,
    and for cells of every alignment with styles and spans of their own, in both themes."""
    from rich.style import Style
    from rich.text import Text
    from textual.widgets import DataTable

    from inspector.widgets.tensor_tables import SizedTable

    def segments(lines):
        return [[(segment.text, segment.style, segment.style.meta if segment.style else None)
                 for segment in line] for line in lines]

    def compare(table: SizedTable) -> int:
        compared = 0
        widths = [column.get_render_width(table) for column in table.ordered_columns]
        for row in range(-1, table.row_count):
            for column, width in enumerate(widths):
                for cursor, hover in ((False, False), (True, False), (False, True), (True, True)):
                    for base in (Style(), Style(bgcolor="#101010", color="white"), Style(bold=True)):
                        table._cell_render_cache.clear()
                        quick = table._render_cell(row, column, base, width, cursor, hover)
                        table._cell_render_cache.clear()
                        rich = DataTable._render_cell(table, row, column, base, width, cursor, hover)
                        assert segments(quick) == segments(rich), (row, column, cursor, hover, base)
                        compared += 1
        return compared

    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", "b")
        await settle(pilot)
        tables = pilot.app.screen.query_one(TensorTables)
        assert compare(tables.parameter_table) > 100
        table = SizedTable(id="odd-cells", cell_padding=0, cursor_type="row", zebra_stripes=True)
        await pilot.app.screen.mount(table)
        table.add_column(Text(" name"), width=20, key="name")  # default alignment: Padding pads it
        table.add_column(Text(" value", justify="right"), width=12, key="value")
        table.add_column(Text(" note"), width=16, key="note")
        shared = Text(" fc.weight", style="bold", justify="left")
        shared.append(" (shared)", style="bold magenta")
        table.add_row(shared, Text(" -1.5", style="bold red", justify="right"), Text(" plain"))
        table.add_row(Text(" x", justify="left"), Text(" 3", justify="right"), Text(" exactly 16 cols"))
        right = Text(" 7", justify="right")
        right.stylize("italic", 1, 2)
        table.add_row(Text(" frozen", style="bold blue"), right, Text(""))
        await pilot.pause()
        assert compare(table) > 100
        pilot.app.theme = "textual-light"
        await pilot.pause()
        assert compare(table) > 100


class _Terminal:
    """What a terminal shows after the screen updates the app wrote: characters and their styles."""

    def __init__(self, width: int, height: int) -> None:
        self.cells = [[(" ", "")] * width for _ in range(height)]

    def write(self, update, console: Console) -> None:
        from rich.segment import ControlType

        x = y = 0
        for segment in update.__rich_console__(console, console.options):
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = code[1], code[2]
                continue
            if segment.text == "\n":
                x, y = 0, y + 1
                continue
            style = str(segment.style.clear_meta_and_links()) if segment.style else ""
            for character in segment.text:
                self.cells[y][x] = (character, style)
                x += 1


async def test_the_screen_after_each_key_is_what_a_full_repaint_draws() -> None:
    """Keys that repaint or lay out less than the whole screen (a focus move repaints only the widgets
    whose look it changes, not the screen; new histogram bars are not laid out) leave on the terminal
    what a full repaint would draw, and the widgets where a fresh layout would put them."""
    from textual.widgets import Input

    app = make_app()
    terminal = _Terminal(*SIZE)
    updates = []
    display = app._display

    def written(screen: Screen, update) -> None:
        if update is not None and screen is app.screen:
            updates.append(update)
        display(screen, update)

    app._display = written  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for input_box in pilot.app.screen.query(Input):
            input_box.cursor_blink = False  # a blink between the two pictures is no difference
        for keys in (["slash"], ["l"], ["escape"], ["slash", "c", "o"], ["enter"], ["down", "down"],
                     ["tab"], ["w"], ["w"], ["2"], ["1"], ["D"], ["slash"], ["escape"], ["D"], ["f"], ["2"],
                     ["n"], ["n"], ["escape"], ["1"], ["down"]):
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause()
            for update in updates:
                terminal.write(update, pilot.app.console)
            updates.clear()
            full = _Terminal(*SIZE)
            compositor = pilot.app.screen._compositor
            full.write(compositor.render_update(full=True, screen_stack=pilot.app._background_screens),
                       pilot.app.console)
            for y, (shown, drawn) in enumerate(zip(terminal.cells, full.cells)):
                assert shown == drawn, (keys, y, "".join(c for c, _ in shown), "".join(c for c, _ in drawn))
            # and laid out as a fresh layout of the whole screen lays it out (a widget that repaints a new
            # text without a layout, as the histogram does, must be one whose size the text leaves alone)
            regions = {widget: widget.region for widget in pilot.app.screen.walk_children()}
            for widget in pilot.app.screen.walk_children(with_self=True):
                widget._clear_arrangement_cache()  # what the layout measured, as if nothing were known
                widget._box_model_cache.clear()
                widget.clear_cached_dimensions()
            pilot.app.screen._refresh_layout(pilot.app.screen.size)
            await pilot.pause()
            assert {widget: widget.region for widget in regions} == regions, keys
            for update in updates:
                terminal.write(update, pilot.app.console)
            updates.clear()


async def test_slash_shows_the_hidden_tree_and_focuses_its_filter() -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = pilot.app.screen.module_tree
        await pilot.press("w")
        await pilot.pause()
        assert not tree.display
        await pilot.press("slash")
        await pilot.pause()
        assert tree.display and tree.region.width > 0
        assert pilot.app.screen.query_one("#module-filter").has_focus
        await pilot.press("escape", "slash")  # shown already: / only focuses the filter
        await pilot.pause()
        assert tree.display and pilot.app.screen.query_one("#module-filter").has_focus


async def test_entering_and_leaving_the_filter_lays_the_screen_out_once() -> None:
    """/ and escape move the focus, hide or show the footer's keys, and (escape) empty the filter: one
    layout of the screen for all of it, not one for the focus and another when the footer's turn comes."""
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = pilot.app.screen
        layouts = []
        refresh_layout = screen._refresh_layout

        def counted(*args, **kwargs):
            layouts.append(args)
            return refresh_layout(*args, **kwargs)

        screen._refresh_layout = counted
        footer = screen.query_one(KeyFooter)
        steps = ((["slash"], True, True), (["escape"], False, True), (["slash"], True, True),
                 (["c"], True, False), (["escape"], False, False))
        for keys, hidden, once in steps:
            layouts.clear()
            await pilot.press(*keys)
            await pilot.pause()
            await pilot.pause()
            shown = [key.display for key in footer.query(FooterKey) if not key.has_class("-command-palette")]
            assert shown == [not hidden] * len(shown) and shown
            assert len(layouts) <= 1 or not once, keys  # (a filter typed or cleared rebuilds the tree)
        assert screen.module_tree.tree_view.has_focus and screen.module_tree.filter_text == ""
