"""QuestionPanel: predict-then-reveal: the student predicts before the step runs, then sees the truth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class Revealed:
    """One question's outcome: the prediction, the live value and which choice it matches (None: none)."""

    chosen: int
    value: Any
    correct_index: int | None

    @property
    def correct(self) -> bool:
        return self.correct_index is not None and self.chosen == self.correct_index


class QuestionPanel(Static):
    """The questions of one step, asked one by one before the step runs; `reveal` shows every verdict.

    States: hidden (no questions), asking (a prediction is awaited), predicted (every question has a
    prediction; the step is to run), revealed (verdicts and explanations shown).
    """

    VERDICTS = ("Right!", "Not quite.")  # how a verdict line starts

    DEFAULT_CSS = """
    QuestionPanel { height: auto; padding: 0 1; border: round $accent; }
    QuestionPanel.-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="-hidden")
        self.questions: list[Any] = []
        self.predictions: list[int] = []
        self.revealed: list[Revealed] = []

    # --- state ---------------------------------------------------------------------------------

    @property
    def question(self) -> Any:
        """The question awaiting a prediction, or None."""
        return self.questions[len(self.predictions)] if self.asking else None

    @property
    def asking(self) -> bool:
        return len(self.predictions) < len(self.questions)

    @property
    def predicted(self) -> bool:
        """Every question has a prediction and nothing is revealed yet: the step should run now."""
        return bool(self.questions) and not self.asking and not self.revealed

    # --- changes -------------------------------------------------------------------------------

    def ask(self, questions: list[Any]) -> None:
        """Show `questions` (lessons.course.Question) and wait for a prediction for the first one."""
        self.questions, self.predictions, self.revealed = list(questions), [], []
        self.set_class(not self.questions, "-hidden")
        self._refresh_text()

    def hide(self) -> None:
        self.ask([])

    def predict(self, index: int) -> bool:
        """Record choice `index` for the current question; False if there is none or no such choice."""
        question = self.question
        if question is None or not 0 <= index < len(question.choices):
            return False
        self.predictions.append(index)
        self._refresh_text()
        return True

    def reveal(self, outcomes: list[Revealed]) -> None:
        """Show each question's verdict, the live value and the explanation."""
        self.revealed = list(outcomes)
        self._refresh_text()

    # --- text ----------------------------------------------------------------------------------

    def _refresh_text(self) -> None:
        text = Text()
        for position, question in enumerate(self.questions):
            if position:
                text.append("\n")
            chosen = self.predictions[position] if position < len(self.predictions) else None
            if position < len(self.revealed):  # compact once answered: the prompt stays in sight
                text.append("Question: ", style="bold")
                text.append(question.prompt + "\n")
                self._verdict_text(text, question, self.revealed[position])
                continue
            self._question_text(text, question, chosen)
            if position == len(self.predictions):
                text.append("Predict first: press the number of your answer.", style="italic")
                if position + 1 < len(self.questions):
                    text.append(f" (question {position + 1} of {len(self.questions)})", style="dim")
                break  # later questions appear once this one has a prediction
            elif self.predicted and position == len(self.questions) - 1:
                text.append("Press r to run the step and see the answer.", style="italic")
        text.rstrip()
        self.update(text)

    @staticmethod
    def _question_text(text: Text, question: Any, chosen: int | None) -> None:
        text.append("Predict: ", style="bold")
        text.append(question.prompt + "\n")
        for index, choice in enumerate(question.choices):
            marked = index == chosen
            text.append(f"{'>' if marked else ' '} {index + 1}) {choice}\n", style="bold" if marked else "")

    @staticmethod
    def _verdict_text(text: Text, question: Any, outcome: Revealed) -> None:
        chosen = f"{outcome.chosen + 1}) {question.choices[outcome.chosen]}"
        if outcome.correct:
            text.append("Right! ", style="bold green")
            text.append(f"You said {chosen}. ")
        else:
            text.append("Not quite. ", style="bold red")
            text.append(f"You said {chosen}. ")
            if outcome.correct_index is not None:
                text.append(f"The answer is {outcome.correct_index + 1}) "
                            f"{question.choices[outcome.correct_index]}. ")
        text.append(f"Computed live: {outcome.value!r}\n", style="dim")
        text.append(question.explanation + "\n")
