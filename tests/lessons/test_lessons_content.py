"""Lesson content: every step runs, every question's live answer is one of its choices, stubs are labelled."""

import ast
import re

import pytest

from lessons.course import LESSONS_DIR, StepRunner, load_course

COURSE = load_course()
BY_LESSON = [pytest.param(lesson, id=lesson.slug, marks=getattr(pytest.mark, f"lesson{lesson.number}"))
             for lesson in COURSE]
REPO = LESSONS_DIR.parent


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_every_step_runs_and_questions_match_a_choice(lesson):
    runner = StepRunner(lesson)
    for index, step in enumerate(lesson.steps):
        result = runner.run(index)
        assert result.error is None, f"step {index + 1} failed:\n{result.error}"
        if result.model is None:  # a step about bare tensors: the panes keep showing nothing
            assert step.show != "trace" and not step.focus, f"step {index + 1} shows a pane but sets no model"
        else:
            assert hasattr(result.model, "named_modules"), f"step {index + 1}: `model` is not a Module"
        if step.focus:
            result.model.get_submodule(step.focus)
        if step.show == "trace":
            assert "example_input" in runner.namespace, \
                f"step {index + 1} shows a trace but sets no example_input"
        for question in lesson.questions_for(index):
            value, correct = runner.answer(question)
            assert correct is not None, \
                f"{question.key}: live answer {value!r} is not among {question.choices}"
            assert question.explanation


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_trace_steps_trace(lesson):
    from inspector.trace import trace_forward

    runner = StepRunner(lesson)
    for index, step in enumerate(lesson.steps):
        if step.show == "trace":
            result = runner.run(index)
            trace = trace_forward(result.model, runner.namespace["example_input"], record_ops=False)
            assert any(event.module == "" for event in trace.events)


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_stubs_name_their_lesson_and_step(lesson):
    tree = ast.parse(lesson.exercise_path.read_text())
    messages = [node.args[0].value if isinstance(node.args[0], ast.Constant) else ast.unparse(node.args[0])
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "NotImplementedError"]
    assert len(messages) >= 3
    for message in messages:
        assert re.match(rf"['\"(]*lesson {lesson.number}, step \d+: ", message), message


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_text_teaches_from_real_files(lesson):
    text = (lesson.folder / "lesson.md").read_text()
    paths = set(re.findall(r"`((?:minimod|inspector)/[\w/]+(?:\.py)?/?)`", text))
    assert paths, "the lesson should point to the source files it teaches"
    for path in paths:
        assert (REPO / path).exists(), f"lesson.md mentions {path}, which does not exist"
    assert len(lesson.sections) == len(lesson.steps) >= 4
    assert lesson.exercise_text, "the lesson ends with a '## Your exercise' section"
    assert lesson.questions, "each lesson asks at least one predict-then-reveal question"


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_files_open_with_a_docstring(lesson):
    for name in ("steps.py", "exercise.py", "solution.py", "check.py"):
        tree = ast.parse((lesson.folder / name).read_text())
        assert ast.get_docstring(tree), f"{lesson.slug}/{name} needs a one-line docstring"


def test_seed_examples_are_taught():
    code = "\n".join(step.code for lesson in COURSE for step in lesson.steps)
    for name in ("SimpleModel", "NestedNet", "BaseNet", "ConvNet", "MyLinear", "BigNet", "DynamicNet",
                 "RunningMean", "ResUnit", "init_weights", "persistent=False", "register_full_backward_hook",
                 "zero_grad", "optimizer.step()", "requires_grad_(False)", ".half()", ".double()"):
        assert name in code, f"no step uses {name}"


def test_the_course_has_at_least_eleven_lessons():
    assert len(COURSE) >= 11
    slugs = [lesson.slug for lesson in COURSE]
    assert {"10_inside_module", "11_nnabla_and_megengine", "12_devices_and_dtypes"} <= set(slugs)


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_text_after_the_answer_belongs_to_a_question(lesson):
    for index, reveal in enumerate(lesson.reveals):
        if reveal:
            assert lesson.questions_for(index), f"step {index + 1} hides text but asks no question"
        assert "### After you answer" not in lesson.sections[index][1]


# Each question that the issue found answered above itself, and the words that gave it away: they
# may appear only in the text shown after the answer (and not in the step's code comments).
GIVEAWAYS = [
    (2, 1, ["running_var", "num_batches_tracked"]),
    (2, 4, ["parameters **and**", "buffers"]),
    (2, 5, ["*not* be saved", "left out of the state dict"]),
    (3, 6, ["Every child counts"]),
    (4, 2, ["adds a child", "ADDS"]),
    (4, 4, ["**once**"]),
    (5, 5, ["goes back to eval", "back into eval"]),
    (6, 2, ["but not the snapshot", "**snapshot**"]),
    (10, 2, ["is fine", "is refused"]),
    (10, 7, ["reverse of the"]),
    (11, 3, ["the whole tree"]),
    (11, 5, ["Python module you import"]),
    (12, 2, ["does **not** change"]),
    (12, 4, ["integer\nbuffers included", "integer buffers included"]),
    (12, 5, ["is float64"]),
    (7, 4, ["holds nothing useful"]),
    (8, 1, ["18w", "= 36"]),
    (8, 3, ["**adds**"]),
    (9, 3, ["**floating-point**"]),
    (13, 1, ["Nine", "three buffers"]),
    (13, 2, ["other numbers", "own random"]),
    (13, 3, ["refuses", "tensors only"]),
    (13, 4, ["trained values", "share memory"]),
    (13, 5, ["copied the body", "half the"]),
    (13, 6, ["Can't call", "refuses"]),
    (13, 7, ["RuntimeError", "its own folder"]),
]


@pytest.mark.parametrize(("number", "step", "words"), GIVEAWAYS, ids=[f"{n}.{s}" for n, s, _ in GIVEAWAYS])
def test_answers_are_not_given_before_the_question(number, step, words):
    lesson = next(lesson for lesson in COURSE if lesson.number == number)
    before = lesson.sections[step - 1][1]
    code = lesson.steps[step - 1].code.splitlines()
    comments = "\n".join(line.split("#", 1)[1] for line in code if "#" in line)
    assert lesson.questions_for(step - 1), f"{number}.{step} asks no question"
    for word in words:
        assert word not in before, f"{number}.{step}'s text says {word!r} before the question"
        assert word not in comments, f"{number}.{step}'s code comments say {word!r}"
    assert lesson.reveals[step - 1], f"{number}.{step} explains nothing after the answer"


def test_every_difference_from_pytorch_has_a_note_and_a_question():
    lesson = next(lesson for lesson in COURSE if lesson.slug == "06_state_dict")
    text = (lesson.folder / "lesson.md").read_text()
    assert "best = {k: v.clone()\n        for k, v in model.state_dict().items()}" in text
    assert "copy.deepcopy(model.state_dict())" in text
    asked = " ".join(question.prompt for question in lesson.questions)
    assert "In PyTorch" in asked and "strict load" in asked
    for lesson in COURSE:
        for question in lesson.questions:
            if question.answer.startswith("in_pytorch(") or "In PyTorch" in question.prompt:
                assert "PyTorch" in question.explanation
