"""MainScreen: the module tree beside tabs for tensors, the live trace, train/eval and the state_dict."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Header, Static, TabbedContent, TabPane

from inspector.messages import RunFailed, RunFinished, TraceBatch, TrainProgressed
from inspector.restyle import RestylesPanesWhenShown
from inspector.screens.dialogs import PromptScreen
from inspector.screens.main.comparing import CompareActions
from inspector.screens.main.diagram_choice import DiagramChoice, model_depth
from inspector.screens.main.example_input import input_prompt
from inspector.screens.main.files import ask_for_file, file_stem, summary_job
from inspector.screens.main.interventions import InterventionActions
from inspector.screens.main.model_runs import Job, describe_run, run_job, train_job
from inspector.screens.main.status_line import status_line
from inspector.screens.main.training import TrainingActions
from inspector.screens.main_keys import COMMANDS, FOOTER_OPTIONAL, SHORT_LABELS
from inspector.session import Session, StepResult
from inspector.session_state import LoadReport, ModeComparison
from inspector.state_compare import StateComparison
from inspector.summary import Summary
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

# Every this many new trace events, the objects alive are moved out of the garbage collector's sight
# (gc.freeze): the trace only grows, and a full collection walking 100k events' records took 60-130 ms,
# landing on whichever key press happened to trigger it.
FREEZE_EVERY = 20_000


class MainScreen(InterventionActions, CompareActions, TrainingActions, RestylesPanesWhenShown, Screen):
    """The inspector's main screen for one Session: the module tree beside tabs, what each key does, and
    what a run's messages change on screen.

    The work behind the keys lives by concern beside this file, in files that know nothing of this
    screen: running the model in a worker (model_runs.py), the diagram's choices (diagram_choice.py), the
    files it writes (files.py), the status line (status_line.py), the example input's prompt
    (example_input.py); step-through is the Trace tab's TracePanel's. The keys are one table
    (screens/main_keys.py).
    """

    BINDINGS = [Binding("question_mark", "app.help", "Help")] + [
        Binding(key, action, label, show=shown) for key, action, label, shown, _, _ in COMMANDS
    ]

    # Textual's Screen.focused repaints the whole screen whenever the focus moves (/, escape, tab, w):
    # every widget drawn again and composed into all 40 lines (~40 ms on the 2,000-layer model). Nothing
    # of the screen's own drawing depends on the focus; the widgets that gain or lose it, and those
    # whose :focus-within styles change, repaint themselves.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, session: Session, *, trace_max_rows: int = 2000, show_time: bool = True) -> None:
        super().__init__(id="main-screen")
        self.session = session
        self.trace_max_rows = trace_max_rows
        self.show_time = show_time
        self.selected_path = ""
        self.recursive = True  # at the root, the whole model's tensors; a shows a module's own only
        self.busy: str | None = None  # the action running in the worker, if any
        self.run_start = 0  # index of the first event of the last run
        self.snapshot_steps = 0  # session.steps when the snapshot was saved
        self.diagram = DiagramChoice()
        self.last_export: str | None = None
        self.last_result: StepResult | None = None
        self.last_error: str | None = None
        self.train_progress: tuple[int, int] | None = None
        self._frozen_events = 0  # len(session.events) at the last gc.freeze
        self._arrived: list[Any] = []  # trace events of batches not yet given to the trace table
        self._unshown_trace: list[Any] = []  # events that arrived while the Trace tab was hidden
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

    @property
    def step_cursor(self) -> int | None:
        """The index of the event stepped to (n, p); None when not stepping."""
        return self.trace.step_cursor

    @property
    def diagram_view(self) -> str:
        return self.diagram.view

    @property
    def diagram_depth(self) -> int | None:
        return self.diagram.depth

    def show_tab(self, tab: str) -> None:
        if tab == "tab-tensors" and self._tensors_stale:  # before it shows: painted once, up to date
            self.show_module_tensors()
        elif tab == "tab-trace":
            self.show_trace_events()
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
        loss = self.last_result.loss if self.last_result is not None else None
        text = status_line(self.session, loss=loss, loss_stale=self.loss_stale, busy=self.busy,
                           train_progress=self.train_progress, step_cursor=self.step_cursor,
                           diagram=self.diagram, last_export=self.last_export)
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

    @property
    def _model_may_change(self) -> bool:
        """Whether the model may have changed since the tensor tables last read it afresh: only while a
        run goes (each run, load and mode change ends in refresh_model_views, which reads it afresh)."""
        return self.busy is not None

    def show_module_tensors(self) -> None:
        """The selected module's tensors, information and histogram (the Tensors tab)."""
        self._tensors_stale = False
        self.tensors.show(self.session.model, self.selected_path, self.recursive,
                          fresh=self._model_may_change)
        self.show_module_info()
        self.update_histogram()

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-tensors" and self._tensors_stale:  # a click on the tab
            self.show_module_tensors()
        elif event.pane.id == "tab-trace":
            self.show_trace_events()
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
        self.update_status()  # the panel has left step-through, if it was stepping

    def on_trace_batch(self, message: TraceBatch) -> None:
        # The batches queued together go to the table together: the table formats only the rows it can
        # show, so a run of 8,000 events arriving in five batches formats 2,000 rows, not 5 x 1,600.
        if not self._arrived:
            self.call_later(self._show_arrived)
        self._arrived.extend(message.events)
        self.settle_trace()

    def _show_arrived(self) -> None:
        events, self._arrived = self._arrived, []
        self.query_one(ModuleInfo).take_events(self.session.events)  # a few ms per 100k events
        if self.step_cursor is None:
            self._unshown_trace.extend(events)
            if self.query_one(TabbedContent).active == "tab-trace":
                self.show_trace_events()

    def show_trace_events(self) -> None:
        """Give the trace table the events that arrived while its tab was hidden. Held back until then:
        on a 2,000-layer model each of a run's ~15 batches cost the screen ~17 ms of rows and a layout
        nobody saw, beside the run, so a key pressed during it waited."""
        if self._unshown_trace:
            events, self._unshown_trace = self._unshown_trace, []
            self.trace.table.add_events(events)

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

    # --- running the model in a worker ----------------------------------------------------------

    def start_run(self, action: str, job: Job, after_paint: bool = False) -> bool:
        """Run `job(on_event, worker)` in a thread; False (and a notice) if another run is going.
        `after_paint`: the thread starts once the screen shows the run started (a key's answer is painted
        first, not slowed by the model's thread running beside it)."""
        if self.busy is not None:
            self.notify(f"{self.busy} is still running; wait, or press x to stop training",
                        severity="warning")
            return False
        self.busy = action
        self.leave_step_mode()
        self.run_start = len(self.session.events)
        self.update_status()
        if after_paint:
            self.call_after_refresh(self._run_worker, action, job)
        else:
            self._run_worker(action, job)
        return True

    @work(thread=True, group="model", exit_on_error=False)
    def _run_worker(self, action: str, job: Job) -> None:
        run_job(self.session, action, job, self.post_message)

    def finish(self, action: str, result: Any) -> None:
        """Show what a run produced (called on the UI thread when the worker posts RunFinished)."""
        if isinstance(result, StepResult) or action == "train":
            last = result[-1] if isinstance(result, list) and result else result
            self.last_result = last if isinstance(last, StepResult) else None
            self.loss_stale = False
            self.show_error(None)
            if self.last_result is not None:
                self.notify(describe_run(action, result), timeout=3)
                self.mark_nonfinite(self.last_result.nonfinite)
            self.report_intervention_effect(action)
        elif isinstance(result, Summary):
            self.summary_panel.show(result)
            self.show_error(None)
            self.update_status()
            return  # making a summary changes nothing else
        elif isinstance(result, ModeComparison):
            self.modes_panel.show_comparison(result)
            self.show_tab("tab-modes")
        elif isinstance(result, StateComparison):
            self.state_panel.show_comparison(result)
            self.show_tab("tab-state")
        elif isinstance(result, LoadReport):
            self.state_panel.show_report(result)
            # loaded, or (in PyTorch) partly loaded before the error: the loss shown is not the model's
            self.loss_stale = self.loss_stale or result.loaded or bool(result.restored)
            self.show_tab("tab-state")
            if result.error is None:
                if result.path == self.session.snapshot_path:
                    self.snapshot_steps = self.session.steps  # the model is the snapshot again
                self.show_error(None)
                self.notify(f"loaded {display_path(result.path)}", timeout=3)
            else:
                self.notify(f"load_state_dict refused {display_path(result.path)}: see the State dict tab",
                            severity="error", timeout=5)
        for warning in self.session.take_warnings():
            self.notify(warning, title="warning from the model", severity="warning", timeout=8)
        if action == "export":
            self.last_export = str(result)
            self.show_error(None)
            self.notify(f"diagram saved to {display_path(result)}", timeout=5)
        elif action == "summary export":
            self.show_error(None)
            self.notify(f"summary written to {result}", timeout=5)
        self.refresh_model_views()

    def mark_nonfinite(self, where: tuple[str, str] | None) -> None:
        """Mark in the tree the module where a NaN or Inf first appeared, and say so (j jumps there)."""
        self.module_tree.set_marks({where[0]: "NaN"} if where is not None else {})
        self.jump_target = where[0] if where is not None else None
        if where is not None:
            path, phase = where
            what = "output" if phase == "forward" else "input gradient (backward)"
            self.notify(f"NaN or Inf first in the {what} of {self.module_label(path)}: j jumps there",
                        title="not finite", severity="warning", timeout=8)

    def module_label(self, path: str) -> str:
        """`fc2 (Linear)`, or `the root (Net)`."""
        kind = type(self.session.module(path)).__name__
        return f"{path} ({kind})" if path else f"the root ({kind})"

    def action_jump(self) -> None:
        """Select the module marked in the tree: where a NaN first appeared, or whose forward raised."""
        if self.jump_target is None:
            self.notify("nothing to jump to: j goes to the module where a NaN appeared or a forward raised",
                        timeout=3)
            return
        if not self.module_tree.select_path(self.jump_target):
            self.module_tree.set_filter("")
            self.call_after_refresh(self.module_tree.select_path, self.jump_target)
        self.module_tree.tree_view.focus()

    def action_forward(self) -> None:
        self.start_run("forward", lambda on_event, worker: self.session.forward(on_event), after_paint=True)

    def action_backward(self) -> None:
        self.start_run("backward", lambda on_event, worker: self.session.backward(on_event), after_paint=True)

    def action_step(self) -> None:
        self.start_run("step", lambda on_event, worker: self.session.step(on_event), after_paint=True)

    def action_train(self) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is still running", severity="warning")
            return
        self.app.push_screen(PromptScreen("Train how many optimizer steps?", "10", "a whole number",
                                          "each step: forward, loss, backward, SGD step; x stops"),
                             self._train_answered)

    def _train_answered(self, answer: str | None) -> None:
        if answer is None:
            return
        try:
            steps = int(answer)
            if steps < 1:
                raise ValueError
        except ValueError:
            self.show_error(f"number of steps must be a whole number above 0, got {answer!r}")
            return
        self.start_train(steps)

    def start_train(self, steps: int) -> bool:
        """Take `steps` optimizer steps in the worker, reporting progress a few times a second."""
        return self.start_run("train", train_job(self.session, steps, self.post_message))

    def action_stop(self) -> None:
        if self.busy == "train":
            self.workers.cancel_group(self, "model")
            self.notify("stopping after the current step", timeout=2)

    # --- step-through (the Trace tab's panel keeps the cursor) ------------------------------------

    def action_step_next(self) -> None:
        self.step_to(+1)

    def action_step_previous(self) -> None:
        self.step_to(-1)

    def step_to(self, direction: int) -> None:
        """Move the step-through cursor to the next (+1) or previous (-1) matching event."""
        if self.busy is not None:
            self.notify("wait for the run to finish before stepping", severity="warning")
            return
        self.show_trace_events()  # (stepping starts from the table's rows)
        target = self.trace.step(direction, self.run_start)
        if target is None:  # the panel said why
            return
        self.show_tab("tab-trace")
        self.module_tree.select_path(target.module)
        self.update_status()

    def leave_step_mode(self) -> None:
        if self.trace.leave_step():
            self.update_status()

    def action_leave(self) -> None:
        if self.step_cursor is not None:
            self.leave_step_mode()
        else:
            self.show_error(None)

    # --- train / eval ---------------------------------------------------------------------------

    def _set_mode(self, path: str) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is running; change modes when it finishes", severity="warning")
            return
        mode = self.session.toggle_training(path)
        where = f"{path} and its submodules" if path else "the whole model"
        self.notify(f"{where}: {'train' if mode else 'eval'} mode", timeout=3)
        self.refresh_model_views()

    def action_toggle_mode(self) -> None:
        self._set_mode(self.module_tree.selected_path)  # the cursor's, even before its message arrives

    def action_toggle_model_mode(self) -> None:
        self._set_mode("")

    def action_compare(self) -> None:
        self.start_run("compare", lambda on_event, worker: self.session.compare_modes())

    # --- state dict -----------------------------------------------------------------------------

    def _default_snapshot(self) -> str:
        if self.session.snapshot_path is not None:
            return str(self.session.snapshot_path)
        name = file_stem(self.session.name)
        return str(Path.cwd() / f"{name}-snapshot.npz")  # the full path: where it will go

    def action_save(self) -> None:
        ask_for_file(self.app, PromptScreen("Save the state_dict (mm.save) to", self._default_snapshot(),
                                            "path/to/file.npz"), self.save_snapshot)

    def save_snapshot(self, path: Path, overwrite: bool) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is running; save when it finishes", severity="warning")
            return
        try:
            saved = self.session.save_snapshot(path, overwrite=overwrite)
        except (OSError, ValueError) as error:
            self.show_error(f"save failed: {self.session.describe(error)}")
            return
        self.show_error(None)
        self.state_panel.show_snapshot(saved, 0)
        self.snapshot_steps = self.session.steps
        self.state_panel.show_report(None)
        self.show_tab("tab-state")
        self.notify(f"state_dict saved to {display_path(saved)}", timeout=3)
        self.refresh_model_views()

    def action_load(self) -> None:
        self.app.push_screen(PromptScreen("Load a state_dict (strict=True) from", self._default_snapshot(),
                                          "path/to/file.npz"),
                             lambda answer: self.start_load(answer, strict=True) if answer else None)

    def action_load_nonstrict(self) -> None:
        report = self.state_panel.report
        default = str(report.path) if report is not None else self._default_snapshot()
        self.app.push_screen(PromptScreen("Load a state_dict with strict=False from", default, "file.npz"),
                             lambda answer: self.start_load(answer, strict=False) if answer else None)

    def start_load(self, path: str, strict: bool) -> bool:
        return self.start_run("load", lambda on_event, worker: self.session.load_snapshot(path, strict))

    def action_diff(self) -> None:
        if self.session.snapshot is None:
            self.notify("no snapshot yet: press s to save one", severity="warning")
            return
        self.state_panel.close_comparison()
        self.state_panel.show_diff(self.session.snapshot_diff())
        self.show_tab("tab-state")

    # --- diagram and summary files ----------------------------------------------------------------

    def action_cycle_view(self) -> None:
        self.diagram.next_view()
        self.update_status()

    def action_depth(self, change: int) -> None:
        self.diagram.change_depth(change, model_depth(self.session.model))
        self.update_status()

    def action_toggle_fold(self) -> None:
        self.diagram.toggle_fold()
        self.update_status()

    def action_export(self) -> None:
        title = self.diagram.export_title(len(self.module_tree.collapsed_paths()))
        hint = "to change them first: escape, then v (view), + and - (depth), z (folding)"
        default = f"{file_stem(self.session.name)}-{self.diagram.view}.svg"
        ask_for_file(self.app, PromptScreen(title, default, "path/to/file.svg", hint),
                     lambda path, _overwrite: self.start_export(path))

    def start_export(self, path: Path) -> bool:
        """Render the current view, depth and fold state to `path` in the worker; the modules collapsed
        in the module tree are collapsed in the diagram."""
        job = self.diagram.export_job(self.session, path, self.module_tree.collapsed_paths())
        return self.start_run("export", job)

    def action_export_summary(self) -> None:
        name = file_stem(self.session.name)
        default = str(Path.cwd() / f"{name}-summary.txt")  # the full path: where it goes
        ask_for_file(self.app, PromptScreen("Write the summary (as text) to", default, "path/to/file.txt"),
                     self.start_summary_export)

    def start_summary_export(self, path: Path, _overwrite: bool = False) -> bool:
        """Summarize the model again (it may have changed) and write the text to `path`, atomically."""
        return self.start_run("summary export", summary_job(self.session, path))

    # --- the example input --------------------------------------------------------------------------

    def action_set_input(self) -> None:
        self.app.push_screen(input_prompt(self.session), self.ask_set_input)

    def ask_set_input(self, answer: str | None) -> None:
        from inspector.targets import TargetError, parse_input_spec

        if answer is None:
            return
        if self.busy is not None:
            self.notify(f"{self.busy} is running; set the input when it finishes", severity="warning")
            return
        try:
            shape, dtype = parse_input_spec(answer)
        except TargetError as error:
            self.show_error(str(error).replace("--input-shape", "input shape"))
            return
        self.session.set_input(shape, dtype)
        self.show_error(None)
        self.notify(f"example input: {shape_text(shape)} {dtype}; f runs the model on it", timeout=4)
        self.refresh_model_views()

    # --- navigation -----------------------------------------------------------------------------

    def action_lessons(self) -> None:
        """Open the lesson list above the inspector (its i key comes back here)."""
        from inspector.screens.lesson_list import LessonListScreen  # the course loads when asked for
        from minimod.errors import UserError

        try:
            screen = LessonListScreen()
        except UserError as error:  # e.g. the progress file or the course cannot be read
            self.show_error(str(error))
            return
        self.app.push_screen(screen)

    def action_toggle_recursive(self) -> None:
        self.recursive = not self.recursive
        self.tensors.show(self.session.model, self.selected_path, self.recursive,
                          fresh=self._model_may_change)
        self.update_histogram()
        self.show_tab("tab-tensors")

    def action_focus_filter(self) -> None:
        """/ filters what is in front: the trace's events on the Trace tab, else the module tree."""
        if self.query_one(TabbedContent).active == "tab-trace":
            self.trace.focus_filter()
            return
        if not self.module_tree.display:  # (setting it when shown asks for a layout all the same)
            self.module_tree.display = True
        self.query_one("#module-filter").focus()

    def action_toggle_tree(self) -> None:
        tree = self.module_tree
        tree.display = not tree.display
        if not tree.display and tree.has_focus_within:
            self.set_focus(None)
            self.focus_next()  # the focus chain leaves hidden widgets out at once: no extra frame

    def action_tab(self, tab: str) -> None:
        self.show_tab(tab)
