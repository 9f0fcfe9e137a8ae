"""QuestionPanel: a predict-then-reveal question: the student picks a choice, then the live answer shows."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static


class QuestionPanel(Static):
    """Shows one question and its numbered choices; `reveal` adds the verdict and the explanation."""

    DEFAULT_CSS = """
    QuestionPanel { height: auto; padding: 0 1; border: round $accent; }
    QuestionPanel.-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-hidden")
        self.question: Any = None
        self.chosen: int | None = None
        self.correct: bool | None = None

    def ask(self, question: Any, position: str = "") -> None:
        """Show `question` (a lessons.course.Question) waiting for a prediction."""
        self.question, self.chosen, self.correct = question, None, None
        self.remove_class("-hidden")
        prompt = Text("Predict first: press the number of your answer.", style="italic")
        self.update(self._body(footer=prompt))
        self._position = position

    def hide(self) -> None:
        self.question = None
        self.add_class("-hidden")

    def reveal(self, chosen: int, correct_index: int | None, value: Any) -> bool:
        """Show the verdict for choice `chosen`, given the live answer `value`; returns True if right."""
        self.chosen = chosen
        self.correct = correct_index is not None and chosen == correct_index
        verdict = Text()
        if self.correct:
            verdict.append("Right! ", style="bold green")
        else:
            verdict.append("Not quite. ", style="bold red")
            if correct_index is not None:
                verdict.append(f"The answer is {correct_index + 1}) {self.question.choices[correct_index]}. ")
        verdict.append(f"Computed live from the model: {value!r}\n", style="dim")
        verdict.append(self.question.explanation)
        self.update(self._body(footer=verdict))
        return self.correct

    def _body(self, footer: Text) -> Text:
        text = Text()
        text.append("Predict: ", style="bold")
        text.append(self.question.prompt + "\n")
        for index, choice in enumerate(self.question.choices):
            marker = ">" if index == self.chosen else " "
            text.append(f"{marker} {index + 1}) {choice}\n")
        text.append_text(footer)
        return text
