"""Lesson 13, from minimod to PyTorch: the same class body under torch's imports, recordings that are
torch's own output and answers, a lesson that runs without torch and says how to install it, and the
app walking it with the PyTorch model in its panes."""

import shutil

import pytest

import minimod as mm
from lessons import pytorch_facts, torch_recordings
from lessons.course import StepRunner, find_lesson
from lessons.progress import Progress

LESSON = find_lesson(13)
pytestmark = pytest.mark.lesson13

# The right choice of each question, as the step's text explains it after the answer.
RIGHT = {
    "q1": "9",
    "q2": "False",
    "q3": "RuntimeError: expected torch.Tensor ... but received numpy.ndarray",
    "q4": "True",
    "q5": "True",
    "q6": "RuntimeError: Can't call numpy() on Tensor that requires grad",
    "q7": "RuntimeError",
}


@pytest.fixture(params=["torch", "no torch"])
def torch_installed(request, monkeypatch):
    """Run a test with torch, and again as if it were not installed."""
    if request.param == "torch":
        pytest.importorskip("torch")
        return True
    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    return False


def _class_body(code: str) -> str:
    start = code.index("class TinyNet")
    return code[start:code.index("\n\n", code.index("def forward", start))]


def test_the_pytorch_class_is_minimods_class_body_under_torchs_imports():
    minimod_code, torch_code = LESSON.steps[0].code, LESSON.steps[1].code
    assert minimod_code.startswith("import minimod as mm\nfrom minimod import nn\n\nclass TinyNet")
    assert torch_code.startswith("import torch\nfrom torch import nn\n\nclass TinyNet")
    body = _class_body(minimod_code)
    assert _class_body(torch_code) == body and "mm." not in body and "torch" not in body


def test_exactly_the_steps_that_use_torch_are_marked():
    for index, step in enumerate(LESSON.steps):
        assert ("torch" in step.code) == step.needs_torch, f"step {index + 1}"


def test_each_questions_right_answer_is_what_the_code_shows(torch_installed):
    runner = StepRunner(LESSON)
    for question in LESSON.questions:
        value, correct = runner.answer(question)
        assert correct is not None and question.choices[correct] == RIGHT[question.key], (question.key, value)
    assert set(RIGHT) == {question.key for question in LESSON.questions}


def test_recordings_are_what_pytorch_prints_and_answers():
    torch = pytest.importorskip("torch")
    recorded = pytorch_facts.recordings(LESSON.folder)
    assert torch.__version__.startswith(recorded["torch"])
    assert pytorch_facts.record(LESSON) == recorded, "record them again: python -m lessons.pytorch_facts"


def test_without_torch_each_torch_step_says_how_to_install_it_and_shows_pytorchs_output(monkeypatch):
    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    recorded = pytorch_facts.recordings(LESSON.folder)["steps"]
    runner = StepRunner(LESSON)
    for index, step in enumerate(LESSON.steps):
        result = runner.run(index)
        assert result.error is None, result.error
        assert isinstance(result.model, mm.nn.Module), "the panes keep the minimod model"
        if step.needs_torch:
            lines = result.output.splitlines()
            assert lines[0] == pytorch_facts.INSTALL and 'pip install -e ".[torch]"' in lines[0]
            assert "PyTorch 2.13.0 (recorded)" in lines[1]
            assert result.output.endswith(recorded[str(index + 1)]["output"])
    assert set(recorded) == {str(index + 1) for index, step in enumerate(LESSON.steps) if step.needs_torch}


def test_a_torch_step_with_nothing_recorded_fails_saying_how_to_install_torch(monkeypatch, tmp_path):
    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    monkeypatch.setattr(torch_recordings, "recordings", lambda folder: {"torch": "", "steps": {}})
    result = StepRunner(LESSON).run(1)
    assert result.error.startswith(pytorch_facts.INSTALL)
    assert "python -m lessons.pytorch_facts" in result.error


def test_the_checker_skips_the_pytorch_checks_without_torch_and_says_how_to_install_it(monkeypatch):
    from lessons.checker import run_checks

    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    result = run_checks(13, LESSON.check_path, LESSON.solution_path)
    skipped = [outcome.title for outcome in result.outcomes if outcome.skipped]
    assert len(skipped) == 3 and all("PyTorch" in title for title in skipped)
    assert result.passed and result.summary == "3/3 checks pass, 3 skipped"
    text = result.format()
    assert "  skip  safe_load changes nothing when a PyTorch load fails" in text
    assert f"Skipped: {pytorch_facts.INSTALL}, to run them." in text
    starter = run_checks(13, LESSON.check_path, LESSON.exercise_path)
    assert not starter.passed and starter.summary == "0/3 checks pass, 3 skipped"
    assert "Still stuck?" in starter.format("words")


# --- the app ------------------------------------------------------------------------------------

textual = pytest.importorskip("textual")

from textual.widgets import Static, TabbedContent  # noqa: E402

from inspector.app import InspectorApp  # noqa: E402
from inspector.screens.lessons import LessonScreen  # noqa: E402
from inspector.trace import trace_forward  # noqa: E402
from inspector.widgets.lesson_question import QuestionPanel  # noqa: E402
from inspector.widgets.module_tree import ModuleTree  # noqa: E402
from inspector.widgets.tensor_tables import TensorTables  # noqa: E402
from inspector.widgets.trace_table import TraceTable  # noqa: E402


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMOD_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def _settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def _answer_rightly(app, pilot, screen):
    panel = screen.query_one(QuestionPanel)
    question = panel.question
    await pilot.press(str(question.choices.index(RIGHT[question.key]) + 1))
    await _settle(app, pilot)
    assert screen.last_result.error is None, screen.last_result.error
    assert "Right!" in str(panel.content), question.key


def _tensor_names(screen):
    tables = screen.query_one(TensorTables)
    return [row.name for row in tables.parameters], [row.name for row in tables.buffers]


async def test_walk_lesson_13_with_the_pytorch_model_in_the_panes(data_dir):
    torch = pytest.importorskip("torch")
    Progress().set_step(LESSON.slug, 0)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(LESSON))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        tabs = screen.query_one("#lesson-tabs", TabbedContent)
        tree = screen.query_one(ModuleTree)
        await _answer_rightly(app, pilot, screen)  # step 1: minimod's TinyNet, its whole subtree's tensors
        minimod_tensors = _tensor_names(screen)
        assert isinstance(tree.model, mm.nn.Module) and minimod_tensors[1][-1] == "body.1.num_batches_tracked"

        await pilot.press("n")
        await _answer_rightly(app, pilot, screen)  # step 2: the same class in PyTorch
        assert isinstance(tree.model, torch.nn.Module) and tabs.active == "lesson-tab-tree"
        await pilot.press("v", "a")  # the Tensors pane, the whole subtree: the same names as minimod's
        await pilot.pause()
        assert tabs.active == "lesson-tab-tensors" and _tensor_names(screen) == minimod_tensors

        await pilot.press("n")
        await _answer_rightly(app, pilot, screen)  # step 3: the weights moved across; the trace
        assert tabs.active == "lesson-tab-trace"
        events = [(event.phase, event.module) for event in screen.query_one(TraceTable).shown_events]
        namespace = screen.runner.namespace  # minimod's TinyNet on the same batch: the same calls
        minimod_trace = trace_forward(namespace["mm_net"], mm.tensor(namespace["x"]), record_ops=False)
        assert events == [(event.phase, event.module) for event in minimod_trace.events]
        assert [module for _, module in events].count("body.1") == 2  # entered and left

        for _ in range(4, len(LESSON.steps) + 1):
            await pilot.press("n")
            await _answer_rightly(app, pilot, screen)
            assert isinstance(tree.model, torch.nn.Module)
        output = str(screen.query_one("#lesson-output-body", Static).content)
        assert "torch.load(minimod's file): RuntimeError" in output

        shutil.copy(LESSON.solution_path, screen.exercise_path)
        await pilot.press("c")
        await _settle(app, pilot)
        assert screen.last_check.passed and screen.last_check.summary == "6/6 checks pass"


async def test_without_torch_the_app_says_how_to_install_it_and_keeps_minimods_model(data_dir, monkeypatch):
    monkeypatch.setattr(torch_recordings, "torch_or_none", lambda: None)
    Progress().set_step(LESSON.slug, 1)
    app = InspectorApp("simple_model", initial_screen=lambda: LessonScreen(LESSON))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        await _answer_rightly(app, pilot, screen)  # step 2 runs step 1 first, then shows the recording
        output = str(screen.query_one("#lesson-output-body", Static).content)
        assert output.splitlines()[0] == pytorch_facts.INSTALL
        assert "the same state_dict keys, in the same order: True" in output
        assert isinstance(screen.query_one(ModuleTree).model, mm.nn.Module)
