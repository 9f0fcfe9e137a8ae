"""The main screen's actions: runs in a worker thread, step-through, modes, snapshots and export."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import TabbedContent
from textual.worker import Worker, get_current_worker

from inspector.messages import RunFailed, RunFinished, TraceBatch, TrainProgressed
from inspector.screens.dialogs import ConfirmScreen, PromptScreen
from inspector.session import StepResult
from inspector.session_state import LoadReport, ModeComparison
from inspector.state_compare import StateComparison
from inspector.summary import Summary
from inspector.tensor_summary import shape_text
from inspector.widgets.state_panel import display_path

if TYPE_CHECKING:
    from inspector.screens.main import MainScreen

Job = Callable[[Callable[[Any], None], Worker], Any]
VIEWS = ("tree", "flow", "autograd")
BATCH_SECONDS = 0.1  # how often the worker hands recorded events to the UI


class MainActions:
    """Mixed into MainScreen: every key's action, and the worker that runs the model."""

    # --- running the model in a worker --------------------------------------------------------

    def start_run(self: MainScreen, action: str, job: Job) -> bool:
        """Run `job(on_event, worker)` in a thread; False (and a notice) if another run is going."""
        if self.busy is not None:
            self.notify(f"{self.busy} is still running; wait, or press x to stop training",
                        severity="warning")
            return False
        self.busy = action
        self.leave_step_mode()
        self.run_start = len(self.session.events)
        self.update_status()
        self._run_worker(action, job)
        return True

    @work(thread=True, group="model", exit_on_error=False)
    def _run_worker(self: MainScreen, action: str, job: Job) -> None:
        worker = get_current_worker()
        pending: list[Any] = []
        last_flush = time.monotonic()

        def on_event(event: Any) -> None:
            nonlocal last_flush
            pending.append(event)
            now = time.monotonic()
            if now - last_flush >= BATCH_SECONDS:
                self.post_message(TraceBatch(pending[:]))
                pending.clear()
                last_flush = now

        try:
            result = job(on_event, worker)
        except Exception as error:  # the user's model raised: report it, keep the app alive
            if pending:
                self.post_message(TraceBatch(pending[:]))
            self.post_message(RunFailed(action, self.session.describe(error), self.session.failed_module))
            return
        if pending:
            self.post_message(TraceBatch(pending[:]))
        self.post_message(RunFinished(action, result))

    def finish(self: MainScreen, action: str, result: Any) -> None:
        """Show what a run produced (called on the UI thread when the worker posts RunFinished)."""
        if isinstance(result, StepResult) or action == "train":
            last = result[-1] if isinstance(result, list) and result else result
            self.last_result = last if isinstance(last, StepResult) else None
            self.loss_stale = False
            self.show_error(None)
            if self.last_result is not None:
                self.notify(self._describe_step(action, result), timeout=3)
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

    def mark_nonfinite(self: MainScreen, where: tuple[str, str] | None) -> None:
        """Mark in the tree the module where a NaN or Inf first appeared, and say so (j jumps there)."""
        self.module_tree.set_marks({where[0]: "NaN"} if where is not None else {})
        self.jump_target = where[0] if where is not None else None
        if where is not None:
            path, phase = where
            what = "output" if phase == "forward" else "input gradient (backward)"
            self.notify(f"NaN or Inf first in the {what} of {self.module_label(path)}: j jumps there",
                        title="not finite", severity="warning", timeout=8)

    def module_label(self: MainScreen, path: str) -> str:
        """`fc2 (Linear)`, or `the root (Net)`."""
        kind = type(self.session.module(path)).__name__
        return f"{path} ({kind})" if path else f"the root ({kind})"

    def action_jump(self: MainScreen) -> None:
        """Select the module marked in the tree: where a NaN first appeared, or whose forward raised."""
        if self.jump_target is None:
            self.notify("nothing to jump to: j goes to the module where a NaN appeared or a forward raised",
                        timeout=3)
            return
        if not self.module_tree.select_path(self.jump_target):
            self.module_tree.set_filter("")
            self.call_after_refresh(self.module_tree.select_path, self.jump_target)
        self.module_tree.tree_view.focus()

    def _describe_step(self, action: str, result: Any) -> str:
        if isinstance(result, list):
            losses = [item.loss for item in result if item.loss is not None]
            return f"trained {len(result)} steps; loss {losses[0]:.4f} -> {losses[-1]:.4f}" if losses else ""
        shape = shape_text(result.output_shape) if result.output_shape is not None else "none"
        text = f"{action}: output {shape}, {result.events} events, {result.elapsed_ms:.1f} ms"
        return text + (f", loss {result.loss:.4f}" if result.loss is not None else "")

    def action_forward(self: MainScreen) -> None:
        self.start_run("forward", lambda on_event, worker: self.session.forward(on_event))

    def action_backward(self: MainScreen) -> None:
        self.start_run("backward", lambda on_event, worker: self.session.backward(on_event))

    def action_step(self: MainScreen) -> None:
        self.start_run("step", lambda on_event, worker: self.session.step(on_event))

    def action_train(self: MainScreen) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is still running", severity="warning")
            return
        self.app.push_screen(PromptScreen("Train how many optimizer steps?", "10", "a whole number",
                                          "each step: forward, loss, backward, SGD step; x stops"),
                             self._train_answered)

    def _train_answered(self: MainScreen, answer: str | None) -> None:
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

    def start_train(self: MainScreen, steps: int) -> bool:
        """Take `steps` optimizer steps in the worker, reporting progress a few times a second."""
        last = [0.0]

        def job(on_event: Callable[[Any], None], worker: Worker) -> list[StepResult]:
            def on_step(number: int, result: StepResult) -> None:
                now = time.monotonic()
                if now - last[0] >= BATCH_SECONDS or number + 1 == steps:
                    last[0] = now
                    self.post_message(TrainProgressed(number + 1, steps, result.loss))

            return self.session.train(steps, on_event, on_step, lambda: worker.is_cancelled)

        return self.start_run("train", job)

    def action_stop(self: MainScreen) -> None:
        if self.busy == "train":
            self.workers.cancel_group(self, "model")
            self.notify("stopping after the current step", timeout=2)

    # --- step-through ---------------------------------------------------------------------------

    def _position(self: MainScreen, index: int) -> int:
        """Where event `index` sits in session.events (its index, unless the list was ever cleared)."""
        events = self.session.events
        if 0 <= index < len(events) and events[index].index == index:
            return index
        return next((position for position, event in enumerate(events) if event.index == index), len(events))

    def _matching_from(self: MainScreen, position: int, direction: int) -> Any | None:
        """The first event from `position` on (direction +1) or back (-1) that passes the trace filters.
        Only the events passed over are looked at: stepping stays quick over 100k events."""
        events, matches = self.session.events, self.trace.table.matches
        while 0 <= position < len(events):
            if matches(events[position]):
                return events[position]
            position += direction
        return None

    def action_step_next(self: MainScreen) -> None:
        self.step_to(+1)

    def action_step_previous(self: MainScreen) -> None:
        self.step_to(-1)

    def step_to(self: MainScreen, direction: int) -> None:
        """Move the step-through cursor to the next (+1) or previous (-1) matching event."""
        if self.busy is not None:
            self.notify("wait for the run to finish before stepping", severity="warning")
            return
        table = self.trace.table
        if self.step_cursor is None:  # start at the last run's first event (or the first one kept)
            target = (self._matching_from(self._position(self.run_start), +1)
                      or self._matching_from(0, +1))
            if target is None:
                self.notify("no event matches the trace filters: change them (/ on the Trace tab)"
                            if self.session.events else
                            "no events to step through: press f (forward) or b (backward) first",
                            severity="warning")
                return
            self.step_start = target.index
            table.set_filter(table.module_filter, table.phase_filter, [target])
        else:
            target = self._matching_from(self._position(self.step_cursor) + direction, direction)
            if target is None:
                self.notify("that was the last event" if direction > 0 else "that was the first event",
                            timeout=2)
                return
            if direction > 0:  # the table grows by one row
                table.add_events([target])
            else:  # back: the table holds the events from the start up to this one
                self.step_start = min(self.step_start, target.index)
                events = self.session.events
                span = events[self._position(self.step_start):self._position(target.index) + 1]
                shown = [event for event in span if table.matches(event)]
                table.set_filter(table.module_filter, table.phase_filter, shown)
        self.step_cursor = target.index
        table.highlight(target.index)
        self.trace.show_step(target)
        self.show_tab("tab-trace")
        self.module_tree.select_path(target.module)
        self.update_status()

    def leave_step_mode(self: MainScreen) -> None:
        if self.step_cursor is None:
            return
        self.step_cursor = None
        self.trace.apply_filters()  # the whole trace again; the detail follows the cursor
        self.update_status()

    def action_leave(self: MainScreen) -> None:
        if self.step_cursor is not None:
            self.leave_step_mode()
        else:
            self.show_error(None)

    # --- train / eval ---------------------------------------------------------------------------

    def _set_mode(self: MainScreen, path: str) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is running; change modes when it finishes", severity="warning")
            return
        mode = self.session.toggle_training(path)
        where = f"{path} and its submodules" if path else "the whole model"
        self.notify(f"{where}: {'train' if mode else 'eval'} mode", timeout=3)
        self.refresh_model_views()

    def action_toggle_mode(self: MainScreen) -> None:
        self._set_mode(self.module_tree.selected_path)  # the cursor's, even before its message arrives

    def action_toggle_model_mode(self: MainScreen) -> None:
        self._set_mode("")

    def action_compare(self: MainScreen) -> None:
        self.start_run("compare", lambda on_event, worker: self.session.compare_modes())

    # --- state dict -----------------------------------------------------------------------------

    def file_stem(self: MainScreen) -> str:
        """The model's name for a file: 'Tied' for mymodels.py:Tied, 'resnet18' for a zoo model."""
        name = self.session.name.rpartition(":")[2] or self.session.name
        return "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(name).name.removesuffix(".py"))

    def _default_snapshot(self: MainScreen) -> str:
        if self.session.snapshot_path is not None:
            return str(self.session.snapshot_path)
        return str(Path.cwd() / f"{self.file_stem()}-snapshot.npz")  # the full path: where it will go

    def action_save(self: MainScreen) -> None:
        self.app.push_screen(PromptScreen("Save the state_dict (mm.save) to", self._default_snapshot(),
                                          "path/to/file.npz"), self.ask_save)

    def write_asking_first(self: MainScreen, answer: str | None, write: Callable[[Path, bool], Any]) -> None:
        """`write(path, overwrite)` for the path the user typed (None: cancelled), asking first when a
        file is there already: the one way every prompt for a file name (save, SVG, summary) ends."""
        if answer is None:
            return
        path = Path(answer).expanduser()
        if path.exists():
            question = f"{display_path(path)} exists. Overwrite it?"
            self.app.push_screen(ConfirmScreen(question, "Overwrite", "Keep it"),
                                 lambda yes: write(path, True) if yes else None)
        else:
            write(path, False)

    def ask_save(self: MainScreen, answer: str | None) -> None:
        """Save to `answer`, asking first when the file exists."""
        self.write_asking_first(answer, lambda path, overwrite: self.save_snapshot(path, overwrite=overwrite))

    def save_snapshot(self: MainScreen, path: Path, overwrite: bool) -> None:
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

    def action_load(self: MainScreen) -> None:
        self.app.push_screen(PromptScreen("Load a state_dict (strict=True) from", self._default_snapshot(),
                                          "path/to/file.npz"),
                             lambda answer: self.start_load(answer, strict=True) if answer else None)

    def action_load_nonstrict(self: MainScreen) -> None:
        report = self.state_panel.report
        default = str(report.path) if report is not None else self._default_snapshot()
        self.app.push_screen(PromptScreen("Load a state_dict with strict=False from", default, "file.npz"),
                             lambda answer: self.start_load(answer, strict=False) if answer else None)

    def start_load(self: MainScreen, path: str, strict: bool) -> bool:
        return self.start_run("load", lambda on_event, worker: self.session.load_snapshot(path, strict))

    def action_diff(self: MainScreen) -> None:
        if self.session.snapshot is None:
            self.notify("no snapshot yet: press s to save one", severity="warning")
            return
        self.state_panel.close_comparison()
        self.state_panel.show_diff(self.session.snapshot_diff())
        self.show_tab("tab-state")

    # --- diagram --------------------------------------------------------------------------------

    def action_cycle_view(self: MainScreen) -> None:
        self.diagram_view = VIEWS[(VIEWS.index(self.diagram_view) + 1) % len(VIEWS)]
        self.update_status()

    def _model_depth(self: MainScreen) -> int:
        return max((path.count(".") + 1 for path, _ in self.session.model.named_modules() if path), default=0)

    def action_depth(self: MainScreen, change: int) -> None:
        """Depth counts module levels below the root; past the model's depth it is 'all' (None)."""
        deepest = self._model_depth()
        current = deepest if self.diagram_depth is None else self.diagram_depth
        wanted = max(0, current + change)
        self.diagram_depth = None if wanted >= deepest else wanted
        self.update_status()

    def action_toggle_fold(self: MainScreen) -> None:
        self.diagram_fold = not self.diagram_fold
        self.update_status()

    def action_export(self: MainScreen) -> None:
        name = self.file_stem()
        depth = "all" if self.diagram_depth is None else self.diagram_depth
        collapsed = len(self.module_tree.collapsed_paths())
        modules = f"{collapsed} module{'' if collapsed == 1 else 's'}"
        as_in_tree = f", {modules} collapsed as in the tree" if collapsed else ""
        title = (f"Export the {self.diagram_view} diagram (depth {depth}, "
                 f"{'folded' if self.diagram_fold else 'unfolded'}{as_in_tree}) to")
        hint = "to change them first: escape, then v (view), + and - (depth), z (folding)"
        self.app.push_screen(PromptScreen(title, f"{name}-{self.diagram_view}.svg", "path/to/file.svg", hint),
                             self.ask_export)

    def ask_export(self: MainScreen, answer: str | None) -> None:
        self.write_asking_first(answer, lambda path, _overwrite: self.start_export(path))

    def start_export(self: MainScreen, path: Path) -> bool:
        """Render the current view, depth and fold state to `path` in the worker; the modules collapsed
        in the module tree are collapsed in the diagram."""
        view, depth, fold = self.diagram_view, self.diagram_depth, self.diagram_fold
        collapse = self.module_tree.collapsed_paths()
        session = self.session

        def job(on_event: Callable[[Any], None], worker: Worker) -> Path:
            from inspector.diagram import render

            diagram = render(session.model, view=view, example_input=session.example_input, depth=depth,
                             fold=fold, collapse=collapse)
            return diagram.save(path).resolve()

        return self.start_run("export", job)

    def action_export_summary(self: MainScreen) -> None:
        default = str(Path.cwd() / f"{self.file_stem()}-summary.txt")  # the full path: where it goes
        self.app.push_screen(PromptScreen("Write the summary (as text) to", default, "path/to/file.txt"),
                             self.ask_export_summary)

    def ask_export_summary(self: MainScreen, answer: str | None) -> None:
        self.write_asking_first(answer, lambda path, _overwrite: self.start_summary_export(path))

    def start_summary_export(self: MainScreen, path: Path) -> bool:
        """Summarize the model again (it may have changed) and write the text to `path`, atomically."""
        session = self.session

        def job(on_event: Callable[[Any], None], worker: Worker) -> Path:
            from minimod.atomic_file import atomic_write

            text = session.summary().text(width=120)
            target = path.resolve()
            atomic_write(target, lambda stream: stream.write(text.encode("utf-8")))
            return target

        return self.start_run("summary export", job)

    # --- the example input --------------------------------------------------------------------------

    def action_set_input(self: MainScreen) -> None:
        """Ask for the example input's shape and dtype (the current one, or one read from the first layer)."""
        from inspector.targets import suggest_input

        def spec(shape: tuple[int, ...], dtype: str) -> str:
            return ",".join(str(size) for size in shape) + ("" if dtype == "float32" else f" {dtype}")

        example = self.session.example_input
        suggestion = suggest_input(self.session.model)
        value = ""
        if example is not None and hasattr(example, "shape") and not isinstance(example, tuple):
            value = spec(tuple(example.shape), str(self.session.adapter.array(example).dtype))
        elif suggestion is not None:
            value = spec(*suggestion)
        hint = "a shape, then a dtype if not float32 (int64 makes token ids); enter to accept"
        if suggestion is not None:
            hint = f"the first layer suggests {spec(*suggestion)}; {hint}"
        prompt = PromptScreen("Example input: shape and dtype", value, "e.g. 1,3,32,32 or 1,8 int64", hint)
        self.app.push_screen(prompt, self.ask_set_input)

    def ask_set_input(self: MainScreen, answer: str | None) -> None:
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

    def action_lessons(self: MainScreen) -> None:
        """Open the lesson list above the inspector (its i key comes back here)."""
        from inspector.screens.lesson_list import LessonListScreen
        from minimod.errors import UserError

        try:
            screen = LessonListScreen()
        except UserError as error:  # e.g. the progress file or the course cannot be read
            self.show_error(str(error))
            return
        self.app.push_screen(screen)

    def action_toggle_recursive(self: MainScreen) -> None:
        self.recursive = not self.recursive
        self.tensors.show(self.session.model, self.selected_path, self.recursive)
        self.update_histogram()
        self.show_tab("tab-tensors")

    def action_focus_filter(self: MainScreen) -> None:
        """/ filters what is in front: the trace's events on the Trace tab, else the module tree."""
        if self.query_one(TabbedContent).active == "tab-trace":
            self.trace.focus_filter()
            return
        self.module_tree.display = True
        self.query_one("#module-filter").focus()

    def action_toggle_tree(self: MainScreen) -> None:
        tree = self.module_tree
        tree.display = not tree.display
        if not tree.display and tree.has_focus_within:
            self.set_focus(None)
            self.focus_next()  # the focus chain leaves hidden widgets out at once: no extra frame

    def action_tab(self: MainScreen, tab: str) -> None:
        self.show_tab(tab)
