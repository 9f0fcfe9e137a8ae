"""MainScreen: the module tree beside tabs for tensors, the live trace, train/eval and the state_dict."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Static, TabbedContent, TabPane

from inspector.messages import RunFailed, RunFinished, TraceBatch, TrainProgressed
from inspector.screens.compare_actions import COMPARE_COMMANDS, CompareActions
from inspector.screens.intervention_actions import INTERVENTION_COMMANDS, InterventionActions
from inspector.screens.main_actions import MainActions
from inspector.screens.main_training import TrainingActions
from inspector.session import Session, StepResult
from inspector.tensor_summary import shape_text
from inspector.widgets.cells import show_text
from inspector.widgets.histogram import TensorHistogram
from inspector.widgets.key_footer import KeyFooter
from inspector.widgets.modes_panel import ModesPanel
from inspector.widgets.module_info import ModuleInfo
from inspector.widgets.module_tree import LEGEND, ModuleTree
from inspector.widgets.state_panel import StatePanel, display_path
from inspector.widgets.summary_panel import SummaryPanel
from inspector.widgets.tensor_tables import TensorTables
from inspector.widgets.trace_panel import TracePanel
from inspector.widgets.training_panel import TrainingPanel

TABS = ("tab-tensors", "tab-trace", "tab-modes", "tab-state", "tab-summary", "tab-training")

# (key, action, footer label, shown in the footer, command palette title, help text)
COMMANDS: list[tuple[str, str, str, bool, str, str]] = [
    ("f", "forward", "Forward", True, "Run forward",
     "Run the model on the example input, tracing every hook"),
    ("b", "backward", "Backward", True, "Run backward",
     "Forward, a loss on random targets, and backward (gradients from zero)"),
    ("o", "step", "Step", True, "Optimizer step", "Forward, backward and one SGD step"),
    ("t", "train", "Train", True, "Train N steps", "Ask for N, then take N optimizer steps (x stops)"),
    ("x", "stop", "Stop", False, "Stop training", "Stop a training run after its current step"),
    ("n", "step_next", "Next", True, "Step through: next event",
     "Replay the last run one event at a time; highlights the module in the tree"),
    ("p", "step_previous", "Prev event", False, "Step through: previous event", "Go back one event"),
    ("escape", "leave", "Leave step", False, "Leave step-through",
     "Show the whole trace again (and clear the error panel)"),
    ("m", "toggle_mode", "Mode", True, "Toggle train/eval of the selected subtree",
     "Flip the selected module and its children between train and eval"),
    ("M", "toggle_model_mode", "Model mode", False, "Toggle train/eval of the whole model",
     "Flip every module between train and eval"),
    ("c", "compare", "Compare", True, "Compare train and eval",
     "Run the input in both modes: modules whose outputs differ, buffers a training forward changes"),
    *INTERVENTION_COMMANDS,
    ("s", "save", "Save", True, "Save state_dict snapshot", "mm.save the state_dict to a .npz file"),
    ("l", "load", "Load", True, "Load state_dict (strict)", "load_state_dict from a .npz file, strict=True"),
    ("L", "load_nonstrict", "Load loose", False, "Load state_dict (strict=False)",
     "load_state_dict from a .npz file with strict=False"),
    ("d", "diff", "Diff", False, "Diff against snapshot", "Compare every state_dict key with the snapshot"),
    *COMPARE_COMMANDS,
    ("e", "export", "SVG", True, "Export diagram to SVG",
     "Draw the current view (tree, flow or autograd) at the current depth and folds"),
    ("v", "cycle_view", "View", False, "Cycle diagram view", "tree -> flow -> autograd"),
    ("plus", "depth(1)", "Depth+", False, "Diagram depth +1", "Show one more level of modules (up to all)"),
    ("minus", "depth(-1)", "Depth-", False, "Diagram depth -1", "Collapse modules one level higher"),
    ("z", "toggle_fold", "Fold", False, "Diagram fold on/off",
     "Draw consecutive identical sibling modules once, as x N"),
    ("a", "toggle_recursive", "Own/subtree", False, "Tensors: own or subtree",
     "Show the selected module's own tensors or its whole subtree's"),
    ("slash", "focus_filter", "Filter", False, "Filter modules",
     "Type to filter the tree by name or type (on the Trace tab: the events by module); "
     "enter keeps the filter, escape clears it"),
    ("left_square_bracket", "tree_width(-4)", "Narrower", False, "Module tree narrower",
     "Make the module tree 4 columns narrower (its right edge can be dragged with the mouse too)"),
    ("right_square_bracket", "tree_width(4)", "Wider", False, "Module tree wider",
     "Make the module tree 4 columns wider (its right edge can be dragged with the mouse too)"),
    ("w", "toggle_tree", "Wide", False, "Hide or show the module tree",
     "Give the tables the whole width (handy at 80 columns); left/right scroll a wide table"),
    ("i", "set_input", "Input", False, "Set the example input",
     "Ask for the example input's shape and dtype (the first layer suggests one when it can)"),
    ("j", "jump", "Jump", False, "Jump to the marked module",
     "Select the module where a NaN or Inf first appeared, or whose forward raised"),
    ("g", "lessons", "Lessons", True, "Open the guided lessons",
     "The lesson list: pick a lesson, Enter opens it; i in the list comes back here"),
    ("1", "tab('tab-tensors')", "Tensors", False, "Show the tensors tab", "Parameters and buffers"),
    ("2", "tab('tab-trace')", "Trace", False, "Show the trace tab", "The live hook trace"),
    ("3", "tab('tab-modes')", "Modes", False, "Show the train/eval tab", "Modes and the comparison"),
    ("4", "tab('tab-state')", "State", False, "Show the state_dict tab", "Snapshot diff and load report"),
    ("5", "tab('tab-summary')", "Summary", False, "Show the summary tab",
     "Every module's shapes, parameters, buffers and mult-adds, with totals and memory (as torchinfo)"),
    ("6", "tab('tab-training')", "Training", False, "Show the training tab",
     "The loss over optimizer steps, and every layer's statistics, activations and weights over steps"),
    ("V", "cycle_history_view", "History view", False, "Training: next view",
     "Every layer's output std, every layer's gradient norm, the selected module's outputs over steps "
     "(colorful dimension), the selected parameter's values over steps"),
    ("S", "export_summary", "Summary file", False, "Write the summary to a text file",
     "The Summary tab's table and totals as plain text, to paste into a notebook or a report"),
]

# Footer labels when the full ones do not fit (80 columns), by action; the help screen spells them out.
SHORT_LABELS = {
    "app.help": "help", "forward": "fwd", "backward": "bwd", "step": "step", "train": "train",
    "step_next": "next", "toggle_mode": "mode", "compare": "cmp", "save": "save", "load": "load",
    "export": "svg", "lessons": "lessons", "quit": "quit",
}
FOOTER_OPTIONAL = ("lessons",)  # left out of a footer too narrow for every key (help and palette list it)


# Every this many new trace events, the objects alive are moved out of the garbage collector's sight
# (gc.freeze): the trace only grows, and a full collection walking 100k events' records took 60-130 ms,
# landing on whichever key press happened to trigger it.
FREEZE_EVERY = 20_000


class MainScreen(MainActions, InterventionActions, CompareActions, TrainingActions, Screen):
    """The inspector's main screen for one Session."""

    BINDINGS = [Binding("question_mark", "app.help", "Help")] + [
        Binding(key, action, label, show=shown) for key, action, label, shown, _, _ in COMMANDS
    ]

    def __init__(self, session: Session, *, trace_max_rows: int = 2000, show_time: bool = True) -> None:
        super().__init__(id="main-screen")
        self.session = session
        self.trace_max_rows = trace_max_rows
        self.show_time = show_time
        self.selected_path = ""
        self.recursive = True  # at the root, the whole model's tensors; r shows a module's own only
        self.busy: str | None = None  # the action running in the worker, if any
        self.step_cursor: int | None = None  # index into session.events while stepping through
        self.run_start = 0  # index of the first event of the last run
        self.step_start = 0  # the first event shown while stepping
        self.snapshot_steps = 0  # session.steps when the snapshot was saved
        self.diagram_view = "tree"
        self.diagram_depth: int | None = None  # None: every level
        self.diagram_fold = True
        self.last_export: str | None = None
        self.last_result: StepResult | None = None
        self.last_error: str | None = None
        self.train_progress: tuple[int, int] | None = None
        self._frozen_events = 0  # len(session.events) at the last gc.freeze
        self._tensors_stale = False  # the selection changed while the Tensors tab was hidden
        self._summary_stale = True  # the model changed since the summary was made (or none was)
        self.jump_target: str | None = None  # the module j selects: a NaN's first, or one that raised
        self.tree_width: int | None = None  # set by [ ] or a drag; None: sized to the tree's labels
        self.loss_stale = False  # a load changed the weights since the loss shown was computed

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="▣")
        with Horizontal(id="main-body"):
            yield ModuleTree(self.session.model, id="module-tree")
            with Vertical(id="right-pane"):
                with TabbedContent(id="tabs", initial="tab-tensors"):
                    with TabPane("Tensors", id="tab-tensors"):
                        yield TensorTables(id="tensor-tables")
                        yield TensorHistogram(id="tensor-histogram")
                        yield ModuleInfo(show_time=self.show_time, id="module-info")
                    with TabPane("Trace", id="tab-trace"):
                        yield TracePanel(lambda: self.session.events, max_rows=self.trace_max_rows,
                                         show_time=self.show_time, id="trace-panel")
                    with TabPane("Train/Eval", id="tab-modes"):
                        yield ModesPanel(id="modes-panel")
                    with TabPane("State dict", id="tab-state"):
                        yield StatePanel(id="state-panel")
                    with TabPane("Summary", id="tab-summary"):
                        yield SummaryPanel(id="summary-panel")
                    with TabPane("Training", id="tab-training"):
                        yield TrainingPanel(id="training-panel")
                yield Static("", id="error-panel")
        yield Static("", id="status-bar")
        yield KeyFooter(SHORT_LABELS, FOOTER_OPTIONAL, id="main-footer")

    def on_mount(self) -> None:
        self.title = "minimod inspector"
        self.sub_title = f"{self.session.name} ({self.session.library} model)"
        self.query_one("#error-panel").display = False
        self.module_tree.border_title = "modules"
        self.module_tree.border_subtitle = LEGEND
        self.query_one(TensorTables).show(self.session.model, "", self.recursive)
        self.show_module_info()
        self.update_histogram()
        self.query_one(ModesPanel).show_modes(self.session.model)
        self.query_one("#module-tree-view").focus()
        self.fit_tree()
        self.update_status()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "narrow")
        self.fit_tree()

    def fit_tree(self) -> None:
        """The tree pane's width: what its labels need, up to MAX_SHARE of the screen (a third at 80
        columns); or the user's choice ([ ], a drag), which may leave the tables as few as 30 columns."""
        from inspector.widgets.module_tree import MAX_SHARE, MIN_WIDTH

        tree = self.module_tree
        if self.tree_width is not None:
            wanted, most = self.tree_width, self.size.width - 30
        else:
            share = MAX_SHARE if self.size.width >= 100 else 1 / 3
            wanted, most = tree.fitting_width(), int(self.size.width * share)
        tree.styles.width = max(MIN_WIDTH, min(wanted, most))

    def action_tree_width(self, step: int) -> None:
        current = self.module_tree.outer_size.width or self.module_tree.fitting_width()
        self.tree_width = current + step
        self.module_tree.display = True
        self.fit_tree()

    def on_module_tree_width_dragged(self, message: ModuleTree.WidthDragged) -> None:
        self.tree_width = message.width
        self.fit_tree()

    # --- widgets ---------------------------------------------------------------------------------

    @property
    def module_tree(self) -> ModuleTree:
        return self.query_one(ModuleTree)

    @property
    def tensors(self) -> TensorTables:
        return self.query_one(TensorTables)

    @property
    def trace(self) -> TracePanel:
        return self.query_one(TracePanel)

    @property
    def state_panel(self) -> StatePanel:
        return self.query_one(StatePanel)

    @property
    def modes_panel(self) -> ModesPanel:
        return self.query_one(ModesPanel)

    @property
    def summary_panel(self) -> SummaryPanel:
        return self.query_one(SummaryPanel)

    def show_tab(self, tab: str) -> None:
        if tab == "tab-tensors" and self._tensors_stale:  # before it shows: painted once, up to date
            self.show_module_tensors()
        self.query_one(TabbedContent).active = tab
        if tab == "tab-summary":
            self.refresh_summary()
        self.refresh_training()

    def show_error(self, description: str | None) -> None:
        """Show a one-line error (None hides the panel); the app keeps running either way."""
        self.last_error = description
        panel = self.query_one("#error-panel", Static)
        if description is None:
            panel.display = False
            return
        panel.update(Text.assemble(("error ", "bold reverse red"), " ", description,
                                   ("   (escape hides this)", "dim")))
        panel.display = True

    def update_status(self) -> None:
        session = self.session
        model = session.model
        text = Text()
        text.append(f" {session.name} ", style="bold reverse")
        text.append(f" {session.library}", style="bold magenta")
        example = session.example_input
        items = example if isinstance(example, tuple) else (example,)
        if example is None:
            text.append(" no example input (i sets one)", style="bold red")
        else:
            shown = [shape_text(tuple(item.shape)) if hasattr(item, "shape") else repr(item)
                     for item in items]
            text.append(f" input {', '.join(shown)}")
        text.append("  train" if model.training else "  eval", style="bold yellow" if model.training
                    else "bold blue")
        text.append(f"  events {len(session.events):,}  steps {session.steps}")
        if self.loss_stale:  # a load changed the weights (or may have): the last loss is not theirs
            text.append("  loss - (weights loaded; b computes it)")
        elif session.losses:
            text.append(f"  loss {session.losses[-1]:.4f}")
        elif self.last_result is not None and self.last_result.loss is not None:
            text.append(f"  loss {self.last_result.loss:.4f}")
        if self.busy:
            progress = (f" {self.train_progress[0]}/{self.train_progress[1]}" if self.train_progress
                        else "")
            text.append(f"  running {self.busy}{progress}...", style="bold green")
        if self.step_cursor is not None:
            text.append(f"  stepping: event {self.step_cursor}", style="bold cyan")
        if len(session.interventions):
            text.append(f"  hooks {len(session.interventions)} (u/U undo)", style="bold magenta")
        depth = "all" if self.diagram_depth is None else self.diagram_depth
        levels = "all levels" if self.diagram_depth is None else f"depth {depth}"
        text.append(f"  e draws: {self.diagram_view}, {levels}{', folded' if self.diagram_fold else ''}")
        if self.last_export:
            text.append(f" -> {display_path(Path(self.last_export))}", style="green")
        show_text(self.query_one("#status-bar", Static), text)

    def refresh_summary(self) -> None:
        """Make the summary again (in the worker) if the model changed since the last one."""
        if self._summary_stale and self.busy is None:
            self._summary_stale = False
            self.start_run("summary", lambda on_event, worker: self.session.summary())

    def refresh_model_views(self) -> None:
        """After anything that changed values or modes: tree badges, tensor tables, modes, diff."""
        self.module_tree.refresh_labels()
        self.fit_tree()
        self.tensors.refresh_values()
        self.show_module_info()
        self.update_histogram()
        self.modes_panel.show_modes(self.session.model)
        if self.session.snapshot is not None:
            since = self.session.steps - self.snapshot_steps
            self.state_panel.show_snapshot(self.session.snapshot_path, since)
            self.state_panel.show_diff(self.session.snapshot_diff())
        self.update_status()
        self._summary_stale = True  # modes, shapes or parameters may have changed
        if self.query_one(TabbedContent).active == "tab-summary":
            self.refresh_summary()
        self.refresh_training()

    # --- events ----------------------------------------------------------------------------------

    @on(ModuleTree.ModuleSelected)
    def _module_selected(self, message: ModuleTree.ModuleSelected) -> None:
        self.selected_path = message.path
        if self.query_one(TabbedContent).active == "tab-tensors":
            self.show_module_tensors()
        else:  # filled when the tab is shown: moving through the tree elsewhere relays nothing out
            self._tensors_stale = True
        self.refresh_training()

    def show_module_tensors(self) -> None:
        """The selected module's tensors, information and histogram (the Tensors tab)."""
        self._tensors_stale = False
        self.tensors.show(self.session.model, self.selected_path, self.recursive)
        self.show_module_info()
        self.update_histogram()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-tensors" and self._tensors_stale:  # a click on the tab
            self.show_module_tensors()
        elif event.pane.id == "tab-summary":
            self.refresh_summary()
        elif event.pane.id == "tab-training":
            self.refresh_training()

    @on(DataTable.RowHighlighted, "#parameter-table, #buffer-table")
    def _tensor_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.update_histogram()

    def update_histogram(self) -> None:
        """The histogram of the row under the cursor of the focused tensor table, else of the parameter
        table, else of the buffer table; empty when the module shown has no tensors."""
        tables = self.tensors
        candidates = [(tables.parameter_table, True, tables.parameters),
                      (tables.buffer_table, False, tables.buffers)]
        for table, parameter, rows in sorted(candidates, key=lambda item: not item[0].has_focus):
            if rows and 0 <= table.cursor_row < len(rows):
                self.show_histogram(parameter, rows[table.cursor_row].name)
                return
        self.show_histogram(True, None)

    def show_histogram(self, parameter: bool, name: str | None) -> None:
        """The histogram of the parameter or buffer `name` (a dotted path from the root)."""
        tensor = None
        if name is not None:
            try:
                model = self.session.model
                tensor = model.get_parameter(name) if parameter else model.get_buffer(name)
            except AttributeError:  # the model changed under the table: show nothing
                name = None
        self.query_one(TensorHistogram).show(name, tensor)

    def show_module_info(self) -> None:
        path = self.selected_path
        self.query_one(ModuleInfo).show(path, self.session.module(path), self.session.events,
                                        self.trace.table.first_run_end)

    def on_trace_panel_filters_changed(self, message: TracePanel.FiltersChanged) -> None:
        # the table now shows the filtered trace (the detail: its cursor's event): stepping starts again
        # from the last run's first match
        if self.step_cursor is not None:
            self.step_cursor = None
            self.update_status()

    def on_trace_batch(self, message: TraceBatch) -> None:
        if self.step_cursor is None:
            self.trace.table.add_events(message.events)
        self.settle_trace()

    def settle_trace(self) -> None:
        """Once the trace has grown by FREEZE_EVERY events, collect the young garbage and freeze what
        is left: the records stay (and are freed by reference counting when dropped) but full
        collections stop walking them on every later key press."""
        if abs(len(self.session.events) - self._frozen_events) >= FREEZE_EVERY:
            self._frozen_events = len(self.session.events)
            gc.collect(1)
            gc.freeze()

    def on_train_progressed(self, message: TrainProgressed) -> None:
        self.train_progress = (message.done, message.total)
        self.update_status()
        self.refresh_training()  # the loss curve grows while training runs

    def _first_run_done(self) -> None:
        table = self.trace.table
        if table.first_run_end is None and self.session.events:
            table.first_run_end = len(self.session.events)
            self.show_module_info()  # its time is no longer the running first run's

    def on_run_finished(self, message: RunFinished) -> None:
        self._first_run_done()
        self.busy = None
        self.train_progress = None
        self.finish(message.action, message.result)
        self.settle_trace()

    def on_run_failed(self, message: RunFailed) -> None:
        self._first_run_done()
        self.busy = None
        self.train_progress = None
        if message.module is not None:  # the trace up to the failure stays; the module is marked
            self.module_tree.set_marks({message.module: "raised"})
            self.jump_target = message.module
            self.show_error(f"{message.action} failed in {self.module_label(message.module)}: "
                            f"{message.description}")
            self.module_tree.select_path(message.module)
        else:
            self.show_error(f"{message.action} failed: {message.description}")
        self.refresh_model_views()

    @on(Button.Pressed, "#load-nonstrict")
    def _load_nonstrict_pressed(self) -> None:
        report = self.state_panel.report
        if report is not None:
            self.start_load(str(report.path), strict=False)

    def on_click(self, event: Any) -> None:
        if getattr(event.widget, "id", None) == "error-panel":
            self.show_error(None)
