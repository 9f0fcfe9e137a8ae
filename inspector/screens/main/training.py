"""The main screen's Training tab: which module and parameter it shows, and the key that changes its view."""

from __future__ import annotations

from textual.widgets import TabbedContent

from inspector.widgets.training_panel import TrainingPanel


class TrainingActions:
    """Mixed into MainScreen: the Training tab follows the tree's selection and every optimizer step."""

    @property
    def training_panel(self) -> TrainingPanel:
        return self.query_one(TrainingPanel)

    def refresh_training(self) -> None:
        """Redraw the Training tab when it is in front (it is drawn when it comes to the front otherwise)."""
        if self.query_one(TabbedContent).active == "tab-training":
            self.training_panel.show(self.session.history, self.selected_path, self.selected_parameter())

    def selected_parameter(self) -> str | None:
        """The parameter under the Tensors tab's cursor when that tab shows the selected module, else the
        selected module's first parameter (its subtree's), else None."""
        tables = self.tensors
        rows = tables.parameters
        if not self._tensors_stale and 0 <= tables.parameter_table.cursor_row < len(rows):
            return rows[tables.parameter_table.cursor_row].name
        prefix = f"{self.selected_path}." if self.selected_path else ""
        return next((name for name, _ in self.session.model.named_parameters() if name.startswith(prefix)),
                    None)

    def action_cycle_history_view(self) -> None:
        self.training_panel.next_view()
        self.show_tab("tab-training")
        self.refresh_training()
