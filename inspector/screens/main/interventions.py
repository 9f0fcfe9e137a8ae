"""The main screen's interventions: I replaces the selected module's output through a forward hook
(zeroed, scaled, or a constant), u removes that hook, U removes them all."""

from __future__ import annotations

from typing import Any

import numpy as np

from inspector.events import flatten_values
from inspector.interventions import SYNTAX, InterventionError, parse_intervention
from inspector.screens.dialogs import PromptScreen


def first_output(session: Any) -> np.ndarray | None:
    """A copy of the first tensor of the session's last output (None: no run yet, or no tensor in it)."""
    for leaf in flatten_values(session.last_output) if session.last_output is not None else ():
        if session.adapter.is_tensor(leaf):
            return np.array(session.adapter.array(leaf))
    return None


def module_expression(path: str) -> str:
    """How PyTorch code reaches the module at `path`: `model`, `model.fc1`, `model.features[0].conv`."""
    expression = "model"
    for part in path.split(".") if path else []:
        expression += f"[{part}]" if part.isdigit() else f".{part}"
    return expression


class InterventionActions:
    """Mixed into MainScreen: the intervention keys, and what the next forward shows of them."""

    # the model's output (and the optimizer steps taken) when the interventions last changed, until the next
    # run: what that run's output is compared with
    _output_before_change: tuple[np.ndarray, int] | None = None

    def action_intervene(self) -> None:
        if self.busy is not None:
            self.notify(f"{self.busy} is running; intervene when it finishes", severity="warning")
            return
        path = self.module_tree.selected_path
        current = self.session.interventions.get(path)
        value = current.badge.replace("\u00d7", "") if current is not None else "0"
        hint = (f"{SYNTAX}; what the hook returns replaces {module_expression(path)}'s output "
                f"until u removes it")
        self.app.push_screen(PromptScreen(f"Replace the output of {self.module_label(path)} with", value,
                                          "0, 0.5, scale 2, =1", hint),
                             lambda answer: self.ask_intervene(path, answer))

    def ask_intervene(self, path: str, answer: str | None) -> None:
        """Hook the module at `path` as `answer` says (None: cancelled)."""
        if answer is None:
            return
        try:
            intervention = parse_intervention(answer)
        except InterventionError as error:
            self.show_error(str(error))
            return
        self.remember_output()
        self.session.intervene(path, intervention)
        self.show_error(None)
        self.show_interventions()
        self.notify(f"{self.module_label(path)}'s output is {intervention.describe()} from the next forward "
                    f"(f shows what changes downstream): a forward hook's return value replaces the output. "
                    f"In PyTorch: {module_expression(path)}.register_forward_hook({intervention.hook_code()})"
                    f"; u removes it (handle.remove())", title="intervention", timeout=12, markup=False)

    def action_undo_intervention(self) -> None:
        path = self.module_tree.selected_path
        if path not in self.session.interventions:
            count = len(self.session.interventions)
            self.notify(f"{self.module_label(path)} has no intervention"
                        + (f"; U removes all {count}" if count else "; I adds one"), timeout=4)
            return
        self.remember_output()
        removed = self.session.undo_intervention(path)
        self.show_interventions()
        self.notify(f"{self.module_label(path)}: hook {removed.badge if removed else ''} removed; the next "
                    f"forward gives its own output again", timeout=4, markup=False)

    def action_undo_interventions(self) -> None:
        if not len(self.session.interventions):
            self.notify("no interventions to undo: I adds one to the selected module", timeout=3)
            return
        self.remember_output()
        count = self.session.undo_interventions()
        self.show_interventions()
        self.notify(f"{count} intervention{'' if count == 1 else 's'} removed: every module gives its own "
                    f"output again from the next forward", timeout=4)

    def show_interventions(self) -> None:
        """The tree's badges and the status line after the interventions changed."""
        self.module_tree.set_badges(self.session.interventions.badges())
        self.fit_tree()
        self.update_status()

    def remember_output(self) -> None:
        """Keep the last output (of the model as it was before this change of hooks) for the next run."""
        if self._output_before_change is not None:
            return  # several changes before the next run: compare with the output before the first
        output = first_output(self.session)
        if output is not None:
            self._output_before_change = (output, self.session.steps)

    def report_intervention_effect(self, action: str) -> None:
        """After the first forward since the hooks changed: how far the model's output moved."""
        before, self._output_before_change = self._output_before_change, None
        if before is None or action != "forward" or self.session.steps != before[1]:
            return  # nothing to compare, or a training step moved the weights meanwhile
        after = first_output(self.session)
        if after is None or after.shape != before[0].shape:
            return
        with np.errstate(invalid="ignore", over="ignore"):
            moved = float(np.max(np.abs(after.astype(np.float64) - before[0]))) if after.size else 0.0
        hooks = ", ".join(f"{path or '(root)'} {badge}"
                          for path, badge in self.session.interventions.badges().items()) or "none now"
        self.notify(f"with the hooks changed ({hooks}), the model's output moved by max |Δ| "
                    f"{moved:.4g} from the forward before; the Trace tab marks each replaced call",
                    title="intervention", timeout=10, markup=False)
