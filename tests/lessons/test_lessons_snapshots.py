"""Snapshots of the lesson screen at 120x40: an answered question beside the hook timeline.

Regenerate with `pytest tests/lessons/test_lessons_snapshots.py --snapshot-update` after looking at the
report. What is shown has no digits that depend on rounding (shapes and hook order only).
"""

from __future__ import annotations

import pytest

from inspector.app import InspectorApp
from inspector.screens.lessons import LessonScreen
from lessons.course import find_lesson
from lessons.progress import Progress

pytest.importorskip("pytest_textual_snapshot")


def test_answered_question_and_hook_timeline(snap_compare, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    lesson = find_lesson(7)
    Progress().set_step(lesson.slug, 1)  # step 2: which module's forward hook fires last?

    async def answer(pilot) -> None:
        await pilot.pause()
        await pilot.press("1")  # a wrong prediction: the verdict shows the right one too
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)
        pilot.app.clear_notifications()
        await pilot.pause()

    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    assert snap_compare(app, terminal_size=(120, 40), run_before=answer)
