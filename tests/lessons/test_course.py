"""The course as data: lesson folders, markdown sections vs steps, questions, progress store, the command."""

import json
import os
from argparse import Namespace
from pathlib import Path

import pytest

from lessons import command
from lessons.course import LESSONS_DIR, Question, Step, StepRunner, find_lesson, load_course, load_lesson
from lessons.progress import Progress, atomic_write, data_dir, workspace_exercise
from minimod.errors import UserError

REPO = LESSONS_DIR.parent


def test_nine_lessons_in_order():
    course = load_course()
    assert [lesson.number for lesson in course] == list(range(1, len(course) + 1))
    assert len(course) >= 9
    assert [lesson.slug for lesson in course[:2]] == ["01_first_module", "02_parameters_and_buffers"]


def test_find_lesson_by_number_or_name():
    assert find_lesson(3).slug == "03_nesting_and_names"
    assert find_lesson("03").number == 3
    assert find_lesson("09_apply_and_conversions").number == 9
    with pytest.raises(UserError, match="no lesson '42'.*numbered 1, 2"):
        find_lesson(42)


def test_markdown_and_steps_must_agree(tmp_path):
    folder = tmp_path / "01_broken"
    folder.mkdir()
    (folder / "lesson.md").write_text("# Lesson\n\nintro\n\n## Step 1: one\n\ntext\n\n"
                                      "## Step 2: two\n\nmore\n")
    (folder / "steps.py").write_text("from lessons.course import Step\nSTEPS = [Step('x = 1')]\n")
    with pytest.raises(UserError, match="2 '## ' sections but steps.py has 1 STEPS"):
        load_lesson(folder)


def test_exercise_section_is_not_a_step(tmp_path):
    folder = tmp_path / "01_ok"
    folder.mkdir()
    (folder / "lesson.md").write_text("# Title\n\nintro\n\n## Step 1: a\n\nbody\n\n"
                                      "## Your exercise\n\nwrite f\n")
    (folder / "steps.py").write_text("from lessons.course import Step\nSTEPS = [Step('x = 1')]\n")
    lesson = load_lesson(folder)
    assert lesson.title == "Title" and lesson.intro == "intro"
    assert lesson.sections == [("Step 1: a", "body")]
    assert lesson.exercise_text == "write f"


def test_step_rejects_unknown_view():
    with pytest.raises(ValueError, match="Step.show must be one of"):
        Step("x = 1", show="graph")


def test_question_matches_choice_as_text():
    question = Question(1, "?", ("2", "float32", "None", "(8, 10)"), "0", "")
    assert question.correct_choice(2) == 0
    assert question.correct_choice(2.0) == 0
    assert question.correct_choice("float32") == 1
    assert question.correct_choice(None) == 2
    assert question.correct_choice((8, 10)) == 3
    assert question.correct_choice(3) is None


def _tiny_lesson(tmp_path, steps_source):
    folder = tmp_path / "01_tiny"
    folder.mkdir()
    count = steps_source.count("Step(")
    sections = "".join(f"## Step {i + 1}\n\ntext\n\n" for i in range(count))
    (folder / "lesson.md").write_text(f"# Tiny\n\n{sections}")
    (folder / "steps.py").write_text("from lessons.course import Question, Step\n" + steps_source)
    return load_lesson(folder)


def test_runner_shares_namespace_and_reruns_earlier_steps(tmp_path):
    lesson = _tiny_lesson(tmp_path, "STEPS = [Step('n = 1\\nprint(n)'), Step('n += 1\\nprint(n)')]\n"
                                    "QUESTIONS = [Question(1, 'n?', ('1', '2'), 'n', 'because')]\n")
    runner = StepRunner(lesson)
    result = runner.run(1)  # runs step 1 first
    assert result.output == "2\n" and result.error is None
    assert runner.run(1).output == "2\n"  # running again starts from scratch: not 3
    value, index = runner.answer(lesson.questions[0])  # re-runs up to the question's step
    assert (value, index) == (1, 0)
    assert lesson.questions[0].key == "q1"


def test_runner_reports_errors_and_warnings(tmp_path):
    lesson = _tiny_lesson(tmp_path, "STEPS = [Step('import warnings\\nwarnings.warn(\"careful\")'), "
                                    "Step('print(\"before\")\\n1 / 0')]\n")
    runner = StepRunner(lesson)
    assert "UserWarning: careful" in runner.run(0).output
    result = runner.run(1)
    assert result.output == "before\n"
    assert "ZeroDivisionError" in result.error and "<lesson 1, step 2>" in result.error
    assert runner.ran == 0


# --- progress ------------------------------------------------------------------------------------


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIMOD_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "minimod"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "minimod"
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path / "override"))
    assert data_dir() == tmp_path / "override"


def test_progress_survives_a_restart(tmp_path):
    path = tmp_path / "progress.json"
    progress = Progress(path)
    progress.set_step("01_first_module", 3)
    progress.mark_step_done("01_first_module", 2)
    progress.mark_step_done("01_first_module", 0)
    progress.record_answer("01_first_module", "q1", 1, True)
    progress.record_check("01_first_module", True)
    progress.record_check("01_first_module", False)  # a later failure does not take the pass back
    again = Progress(path).lesson("01_first_module")
    assert again["step"] == 3 and again["steps_done"] == [0, 2]
    assert {k: (v["choice"], v["correct"]) for k, v in again["questions"].items()} == {"q1": (1, True)}
    assert again["exercise_passed"] is True
    assert Progress(path).summary("01_first_module", 6, 3) == "2/6 steps, 1/3 questions, exercise passed"
    assert not list(tmp_path.glob("*.tmp")), "atomic writes leave no temporary files behind"


def test_damaged_progress_file_is_set_aside(tmp_path):
    path = tmp_path / "progress.json"
    path.write_text("{not json")
    progress = Progress(path)
    assert progress.lessons == {} and "unreadable" in progress.warning
    assert (tmp_path / "progress.json.damaged").read_text() == "{not json"
    progress.set_step("x", 1)
    assert json.loads(path.read_text())["lessons"]["x"]["step"] == 1


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "file.txt"
    path.write_text("old")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_workspace_copy_is_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    lesson = find_lesson(1)
    path = workspace_exercise(lesson.slug, lesson.exercise_path)
    assert path == tmp_path / "workspace" / "01_first_module" / "exercise.py"
    path.write_text("# my work\n")
    assert workspace_exercise(lesson.slug, lesson.exercise_path).read_text() == "# my work\n"


# --- the command -----------------------------------------------------------------------------------


def _args(**overrides):
    values = {"list": False, "check": None, "reset": None, "file": None, "report": False, "hint": False}
    values.update(overrides)
    return Namespace(**values)


def test_list_prints_every_lesson(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    Progress().record_check("02_parameters_and_buffers", True)
    assert command.run(_args(list=True)) == 0
    out = capsys.readouterr().out
    assert " 1. Your first Module  (0/6 steps" in out
    assert "exercise passed" in out.splitlines()[2]  # lesson 2's line
    assert str(tmp_path) in out


def test_minimod_lessons_opens_the_course_in_the_inspector(tmp_path, monkeypatch):
    """The terminal side answers nothing without an option; the inspector's command then opens the app
    on the lesson list (the lessons import nothing of the inspector)."""
    from inspector.app import InspectorApp
    from inspector.commands import lessons_command
    from inspector.screens.lesson_list import LessonListScreen

    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    assert command.run(_args()) is None
    opened = []
    monkeypatch.setattr(InspectorApp, "run", lambda app: opened.append(app.initial_screen))
    assert lessons_command.run(_args()) == 0
    assert opened == [LessonListScreen]
    opened.clear()
    assert lessons_command.run(_args(list=True)) == 0 and opened == []


def test_reset_forgets_progress_but_keeps_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    exercise = workspace_exercise("01_first_module", find_lesson(1).exercise_path)
    progress = Progress()
    progress.record_check("01_first_module", True)
    progress.record_check("02_parameters_and_buffers", True)
    assert command.run(_args(reset="1")) == 0
    assert set(Progress().lessons) == {"02_parameters_and_buffers"}
    assert command.run(_args(reset="all")) == 0
    assert Progress().lessons == {}
    assert exercise.exists()
    assert "kept" in capsys.readouterr().out


def test_file_without_check_is_a_user_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    with pytest.raises(UserError, match="--file only goes with --check"):
        command.run(_args(file="x.py"))


def test_every_source_path_exists():
    for lesson in load_course():
        for source in lesson.sources:
            assert (REPO / source).exists(), f"lesson {lesson.number} points to missing {source}"


def test_package_data_ships_the_lessons():
    setup = (REPO / "setup.py").read_text()
    assert '"lessons": ["**/*.md", "**/*.py", "**/*.json"]' in setup
    assert all(Path(lesson.folder / name).is_file() for lesson in load_course()
               for name in ("lesson.md", "steps.py", "exercise.py", "solution.py", "check.py"))


def test_a_pass_recorded_elsewhere_survives_the_apps_next_save(tmp_path):
    # the app holds a Progress open; a shell records a pass through another Progress meanwhile
    path = tmp_path / "progress.json"
    app = Progress(path)
    app.set_step("01_first_module", 2)
    shell = Progress(path)
    shell.record_check("01_first_module", True)
    app.mark_step_done("01_first_module", 2)  # the app's next save: it must merge, not overwrite
    app.set_step("01_first_module", 3)
    record = Progress(path).lesson("01_first_module")
    assert record["exercise_passed"] is True
    assert record["steps_done"] == [2] and record["step"] == 3
    assert app.lesson("01_first_module")["exercise_passed"] is True  # the app sees it too


def test_the_first_prediction_is_kept_and_wrong_ones_are_listed(tmp_path):
    path = tmp_path / "progress.json"
    progress = Progress(path)
    progress.record_answer("03_nesting_and_names", "q1", 0, False, prompt="How many?", chosen="3", answer="5")
    progress.record_answer("03_nesting_and_names", "q1", 2, True)  # a second answer does not replace it
    progress.record_answer("03_nesting_and_names", "q2", 1, True, prompt="Which?", chosen="a", answer="a")
    missed = Progress(path).missed("03_nesting_and_names")
    assert [(entry["key"], entry["chosen"], entry["answer"]) for entry in missed] == [("q1", "3", "5")]


def test_check_counts_failures_for_the_hint_level(tmp_path):
    progress = Progress(tmp_path / "progress.json")
    assert progress.record_check("x", False) == 0
    assert progress.record_check("x", False) == 1
    assert command.hint_level(0, asked=False) == "message"
    assert command.hint_level(1, asked=False) == "words"
    assert command.hint_level(0, asked=True) == "code"


def test_list_and_report_show_first_wrong_predictions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path))
    lesson = find_lesson(3)
    question = lesson.questions[0]
    progress = Progress()
    progress.record_answer(lesson.slug, question.key, 0, False, prompt=question.prompt,
                           chosen=question.choices[0], answer="5")
    progress.record_answer(lesson.slug, lesson.questions[1].key, 2, True, prompt="", chosen="x", answer="x")
    assert command.run(_args(list=True)) == 0
    out = capsys.readouterr().out
    assert f"first answered wrongly: 3.{question.step} {question.prompt}" in out
    assert command.run(_args(report=True)) == 0
    out = capsys.readouterr().out
    assert "Lesson 3: Nesting and names: 2 answered, 1 wrong the first time" in out
    assert f"[WRONG] {question.prompt}" in out and "predicted: 3" in out and "answer:    5" in out
    assert "2 predictions, 1 wrong the first time." in out
