"""Pilot tests: walk lesson 1 in the inspector from the lesson list to a passed exercise."""

import shutil

import pytest

pytest.importorskip("textual")

from inspector.app import InspectorApp  # noqa: E402
from inspector.screens.lesson_list import LessonListScreen  # noqa: E402
from inspector.screens.lessons import LessonScreen  # noqa: E402
from inspector.widgets.lesson_question import QuestionPanel  # noqa: E402
from inspector.widgets.module_tree import ModuleTree  # noqa: E402
from inspector.widgets.tensor_tables import TensorTables  # noqa: E402
from inspector.widgets.trace_table import TraceTable  # noqa: E402
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


@pytest.mark.lesson1
async def test_walk_lesson_one_end_to_end(data_dir):
    lesson = find_lesson(1)
    app = InspectorApp("simple_model", initial_screen=LessonListScreen)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonListScreen)
        await pilot.press("enter")  # the first lesson is highlighted
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LessonScreen) and screen.lesson.number == 1
        assert screen.exercise_path == data_dir / "workspace" / lesson.slug / "exercise.py"
        assert screen.exercise_path.read_text() == lesson.exercise_path.read_text()

        await pilot.press("r")
        await _settle(app, pilot)
        assert screen.last_result.error is None
        tree = screen.query_one(ModuleTree)
        assert type(tree.model).__name__ == "SimpleModel"
        names = [row.name for row in screen.query_one(TensorTables).parameters]
        assert names == ["weight", "bias"]

        await pilot.press("n")  # step 2 has a question: it is asked before the step runs
        await pilot.pause()
        panel = screen.query_one(QuestionPanel)
        assert panel.asking and "parameters()" in panel.question.prompt
        await pilot.press("r")  # refused: predict first
        await _settle(app, pilot)
        assert screen.last_result.index == 0 and panel.asking
        await pilot.press(str(panel.question.choices.index("2") + 1))  # predicting runs the step
        await _settle(app, pilot)
        assert screen.last_result.index == 1 and screen.last_result.error is None
        assert [outcome.correct for outcome in panel.revealed] == [True]
        assert "Right!" in str(panel.content)

        for step in range(2, len(lesson.steps)):
            await pilot.press("n")
            await pilot.pause()
            if panel.asking:
                await pilot.press("1")  # any prediction; the step runs and the answer is revealed
            else:
                await pilot.press("r")
            await _settle(app, pilot)
            assert screen.last_result.error is None, screen.last_result.error
            assert screen.last_result.index == step
            assert all(outcome.value is not None for outcome in panel.revealed)
        await pilot.press("n")  # past the last step: stays there
        assert screen.step == len(lesson.steps) - 1
        assert type(screen.query_one(ModuleTree).model).__name__ == "ConvNet"
        assert screen.query_one(TraceTable).shown_events, "the trace pane shows ConvNet's forward calls"

        await pilot.press("c")  # the untouched starter fails
        await _settle(app, pilot)
        assert screen.last_check is not None and not screen.last_check.passed

        shutil.copyfile(lesson.solution_path, screen.exercise_path)
        from textual.widgets import TextArea

        screen.query_one("#lesson-editor", TextArea).load_text(lesson.solution_path.read_text())
        await pilot.press("c")
        await _settle(app, pilot)
        assert screen.last_check.passed, screen.last_check.format()

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LessonListScreen)

    saved = Progress().lesson(lesson.slug)  # read back from disk, as after a restart
    assert saved["exercise_passed"] is True
    assert saved["steps_done"] == list(range(len(lesson.steps)))
    assert (saved["questions"]["q1"]["choice"], saved["questions"]["q1"]["correct"]) == (1, True)
    assert saved["questions"]["q1"]["chosen"] == "2" and "parameters()" in saved["questions"]["q1"]["prompt"]
    assert saved["step"] == len(lesson.steps) - 1


async def test_editor_saves_to_the_exercise_file(data_dir):
    from textual.widgets import TextArea

    lesson = find_lesson(3)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("e")
        editor = screen.query_one("#lesson-editor", TextArea)
        assert editor.has_focus
        editor.load_text("# my answer\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.exercise_path.read_text() == "# my answer\n"


async def test_an_exercise_edited_in_another_editor_is_not_overwritten(data_dir):
    from textual.widgets import TextArea

    lesson = find_lesson(5)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        editor = screen.query_one("#lesson-editor", TextArea)
        # the student writes the solution with another editor while the lesson is open...
        screen.exercise_path.write_text(lesson.solution_path.read_text())
        await pilot.press("c")  # ...and checks it: the editor's stale copy must not replace it
        await _settle(app, pilot)
        assert screen.last_check.passed, screen.last_check.format()
        assert screen.exercise_path.read_text() == lesson.solution_path.read_text()
        assert editor.text == lesson.solution_path.read_text()  # the editor shows the file's new text

        # edits in the editor pane win when only the editor changed
        editor.load_text(editor.text + "\n# more\n")
        await pilot.press("c")
        await _settle(app, pilot)
        assert screen.exercise_path.read_text().endswith("# more\n")

        # changed in both places: the editor's text is saved, the file's version kept beside it
        editor.load_text(editor.text + "# editor\n")
        screen.exercise_path.write_text("# outside\n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.exercise_path.read_text().endswith("# editor\n")
        backup = screen.exercise_path.with_name("exercise.py.bak")
        assert backup.read_text() == "# outside\n"


async def test_questions_come_before_the_step_and_answered_ones_are_not_asked_again(data_dir):
    lesson = find_lesson(8)  # step 3 asks two questions
    index = next(i for i in range(len(lesson.steps)) if len(lesson.questions_for(i)) == 2)
    Progress().set_step(lesson.slug, index)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        panel = screen.query_one(QuestionPanel)
        first, second = lesson.questions_for(index)
        assert screen.step == index and panel.question is first
        await pilot.press("r")  # no running before predicting
        await _settle(app, pilot)
        assert screen.last_result is None
        await pilot.press("9")  # not a choice: ignored
        await pilot.press("1")
        await pilot.pause()
        assert panel.question is second and screen.last_result is None  # the second waits its turn
        await pilot.press(str(second.choices.index("None") + 1))
        await _settle(app, pilot)
        assert screen.last_result.index == index and screen.last_result.error is None
        assert [outcome.correct for outcome in panel.revealed] == [False, True]
        assert "twice as big" in str(panel.content) and "Right!" in str(panel.content)
        await pilot.press("n", "p")  # back to the step: nothing left to predict
        await pilot.pause()
        assert not panel.asking and not panel.questions
    answers = Progress().lesson(lesson.slug)["questions"]  # saved on disk
    assert (answers[first.key]["choice"], answers[first.key]["correct"]) == (0, False)
    assert answers[second.key]["correct"] is True


async def test_tensor_hints_name_the_lesson_key(data_dir):
    lesson = find_lesson(3)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        await _settle(app, pilot)
        tables = screen.query_one(TensorTables)
        title = str(tables.query_one("#parameter-title").content)
        assert "a toggles own/subtree" in title  # the same key as in the main screen
        assert tables.parameters == [] and "(a shows the subtree)" in str(
            tables.query_one("#parameter-totals").content)
        await pilot.press("a")
        await pilot.pause()
        names = [row.name for row in tables.parameters]
        assert names[:2] == ["base_net.linear.weight", "base_net.linear.bias"]


async def test_the_list_opens_on_the_first_unfinished_lesson(data_dir):
    from textual.widgets import OptionList

    progress = Progress()
    first = find_lesson(1)
    for step in range(len(first.steps)):
        progress.mark_step_done(first.slug, step)
    progress.record_check(first.slug, True)
    app = InspectorApp("simple_model", initial_screen=LessonListScreen)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one(OptionList).highlighted == 1
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.lesson.number == 2


def test_a_key_on_both_screens_means_the_same_kind_of_thing():
    from inspector.screens.lessons import LESSON_HELP, LESSON_KEYS
    from inspector.screens.main import COMMANDS

    main = {key: action for key, action, *_ in COMMANDS}
    lesson = {key: action for key, action, *_ in LESSON_KEYS}
    assert main["a"] == "toggle_recursive" and lesson["a"] == "toggle_subtree"  # one key, one toggle
    assert "r" not in main and "o" not in lesson  # r runs a lesson step; o is the main screen's step
    # every other key the two screens share is one the lesson's help pairs with its main-screen meaning
    for key in set(main) & set(lesson) - {"a", "1", "2", "3", "4", "escape"}:
        assert f" {key} " in LESSON_HELP or f"{key} and" in LESSON_HELP or f"and {key} " in LESSON_HELP, key


async def test_tensor_hints_name_the_key_of_both_screens_when_the_tab_appears(data_dir):
    # Step 3 of lesson 3 switches from the Tree tab to the Tensors tab: the tables are laid out
    # again at their new size, and the hints still name a, the key that works here as in the main screen.
    lesson = find_lesson(3)
    Progress().set_step(lesson.slug, 2)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        panel = screen.query_one(QuestionPanel)
        await pilot.press("1" if panel.asking else "r")
        await _settle(app, pilot)
        tables = screen.query_one(TensorTables)
        assert tables.path == "base_net.linear"
        title = str(tables.query_one("#parameter-title").content)
        assert "a toggles own/subtree" in title, title
        await pilot.resize_terminal(100, 40)
        await _settle(app, pilot)
        title = str(tables.query_one("#parameter-title").content)
        assert "toggles" not in title or "a toggles" in title, title  # narrower: the hint may go


async def test_a_step_can_show_the_whole_subtree(data_dir):
    lesson = find_lesson(6)
    assert lesson.steps[0].subtree
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("r")
        await _settle(app, pilot)
        tables = screen.query_one(TensorTables)
        assert tables.recursive
        assert [row.name for row in tables.parameters] == list(screen.runner.namespace["state"])
        assert "subtree; a toggles" in str(tables.query_one("#parameter-title").content)
        await pilot.press("a")
        await pilot.pause()
        assert not tables.recursive and tables.parameters == []


async def test_the_list_leaves_for_the_inspector_and_comes_back(data_dir):
    from inspector.screens.main import MainScreen

    app = InspectorApp("simple_model", initial_screen=LessonListScreen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LessonListScreen)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("g")  # the inspector's key for the lessons
        await pilot.pause()
        assert isinstance(app.screen, LessonListScreen)


async def test_in_a_small_terminal_the_verdict_scrolls_into_view(data_dir):
    from textual.containers import VerticalScroll

    lesson = find_lesson(1)
    Progress().set_step(lesson.slug, 1)  # step 2 asks a question
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(lesson))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        text = screen.query_one("#lesson-text")
        assert text.size.height >= 6, "six lines of the lesson text stay readable beside a question"
        await pilot.press("3")  # a wrong prediction
        await _settle(app, pilot)
        await pilot.pause()
        scroll = screen.query_one("#lesson-question-scroll", VerticalScroll)
        assert scroll.max_scroll_y > 0, "at 80x24 the question panel has to scroll"
        panel = screen.query_one(QuestionPanel)
        rows = panel.content.wrap(app.console, panel.content_region.width)
        verdict = next(row for row, line in enumerate(rows) if line.plain.startswith("Not quite."))
        top = scroll.scroll_y - panel.styles.gutter.top
        assert top <= verdict < top + scroll.size.height
