"""Pilot tests for the lesson screen: panes, pictures, answers revealed late, hints, merged progress."""

import pytest

pytest.importorskip("textual")

from textual.containers import VerticalScroll  # noqa: E402
from textual.widgets import Markdown, OptionList, Static, TabbedContent  # noqa: E402

from inspector.app import InspectorApp  # noqa: E402
from inspector.screens.help import HelpScreen  # noqa: E402
from inspector.screens.lesson_list import LessonListScreen  # noqa: E402
from inspector.screens.lessons import LessonScreen  # noqa: E402
from inspector.widgets.lesson_picture import LessonPicture  # noqa: E402
from inspector.widgets.lesson_question import QuestionPanel  # noqa: E402
from lessons.course import find_lesson  # noqa: E402
from lessons.progress import Progress  # noqa: E402


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def _settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def _open(number, step=0):
    lesson = find_lesson(number)
    Progress().set_step(lesson.slug, step)
    return lesson, InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))


def _text(screen) -> str:
    return screen.query_one("#lesson-markdown", Markdown).source


async def test_v_cycles_the_panes_and_the_header_says_the_step_ran(data_dir):
    lesson, app = _open(3)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        code = screen.query_one("#lesson-code", VerticalScroll)
        assert "press r to run" in code.border_title
        await pilot.press("r")
        await _settle(app, pilot)
        assert "ran; r runs it again" in code.border_title and "press r" not in code.border_title
        tabs = screen.query_one("#lesson-tabs", TabbedContent)
        assert tabs.active == "lesson-tab-tree"
        seen = []
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause()
            seen.append(tabs.active)
        assert seen == ["lesson-tab-tensors", "lesson-tab-trace", "lesson-tab-picture", "lesson-tab-tree"]
        await pilot.press("n")
        await pilot.pause()
        assert "ran" not in code.border_title


@pytest.mark.parametrize(("number", "step"), [(3, 3), (7, 2), (7, 4)], ids=["3.3", "7.2", "7.4"])
async def test_at_120x40_the_prompt_and_the_verdict_stay_in_sight(data_dir, number, step):
    lesson, app = _open(number, step - 1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        panel = screen.query_one(QuestionPanel)
        scroll = screen.query_one("#lesson-question-scroll", VerticalScroll)
        assert panel.asking
        assert scroll.max_scroll_y == 0, "the question and its choices fit without scrolling"
        await pilot.press("1")
        await _settle(app, pilot)
        await pilot.pause()
        rows = [line.plain for line in panel.content.wrap(app.console, panel.content_region.width)]
        verdict = next(row for row, line in enumerate(rows) if line.startswith(QuestionPanel.VERDICTS))
        top = scroll.scroll_y - panel.styles.gutter.top
        assert rows[0].startswith("Question: ") and top <= 0, "the prompt's first line is in view"
        assert verdict < top + scroll.size.height, "the verdict is in view"


async def test_the_explanation_appears_only_after_the_answer(data_dir):
    lesson, app = _open(8)  # step 1: dy/dw at w = 2
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "18w" not in _text(screen) and "chain rule" not in _text(screen)
        await pilot.press("r")  # refused: predict first, the text stays as it was
        await _settle(app, pilot)
        assert "18w" not in _text(screen)
        await pilot.press("3")
        await _settle(app, pilot)
        await pilot.pause()
        assert "### After you answer" in _text(screen) and "**chain rule**" in _text(screen)
        assert screen.query_one("#lesson-text", VerticalScroll).scroll_y > 0, "the explanation is scrolled to"
        await pilot.press("n", "p")  # answered before: the explanation shows at once
        await pilot.pause()
        assert "**chain rule**" in _text(screen)


async def test_a_step_draws_its_picture_and_s_saves_it_as_svg(data_dir):
    lesson, app = _open(8)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("s")  # nothing drawn yet: says so
        await pilot.press("3")
        await _settle(app, pilot)
        picture = screen.query_one(LessonPicture)
        assert screen.query_one("#lesson-tabs", TabbedContent).active == "lesson-tab-picture"
        assert picture.picture.kind == "autograd"
        assert picture.plain_text.splitlines()[:2] == ["output  (1,)", "└─ PowBackward0"]
        await pilot.press("s")
        await pilot.pause()
        svg = data_dir / "workspace" / lesson.slug / "step1-autograd.svg"
        assert screen.last_svg == svg and svg.read_text().lstrip().startswith(("<?xml", "<svg"))


async def test_a_pass_from_the_shell_survives_the_apps_next_save(data_dir):
    lesson, app = _open(1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        Progress().record_check(lesson.slug, True)  # `minimod lessons --check 1` in a shell, app open
        await pilot.press("r")
        await _settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
    record = Progress().lesson(lesson.slug)
    assert record["exercise_passed"] is True and record["step"] == 1 and 0 in record["steps_done"]


async def test_hints_come_in_three_levels(data_dir):
    lesson, app = _open(2)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        output = screen.query_one("#lesson-output-body", Static)
        await pilot.press("c")
        await _settle(app, pilot)
        first = str(output.content)
        assert "not written yet" in first and "tip:" not in first and "code:" not in first
        await pilot.press("c")
        await _settle(app, pilot)
        second = str(output.content)
        assert "tip: Buffers are registered with register_buffer" in second and "code:" not in second
        await pilot.press("h")
        await pilot.pause()
        assert "code: self.register_buffer('mean'" in str(output.content)


async def test_the_list_shows_questions_first_answered_wrongly_and_question_mark_lists_keys(data_dir):
    lesson = find_lesson(4)
    question = lesson.questions[0]
    Progress().record_answer(lesson.slug, question.key, 0, False, prompt=question.prompt, chosen="4",
                             answer="6")
    app = InspectorApp("simple_model", initial_screen=LessonListScreen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        line = str(options.get_option(lesson.slug).prompt)
        assert f"wrong at first: 4.{question.step} nested_net had 4 parameter tensors" in line
        options.highlighted = lesson.number - 1
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and app.screen.help_title == "minimod lessons: keys"
        table = app.screen.query_one("#help-keys", Static).content
        keys = "\n".join(str(cell) for column in table.columns for cell in column.cells)
        assert "Next pane" in keys and "Save the picture as SVG" in keys and "Run forward" not in keys
