"""The checker: every reference solution passes, every untouched starter fails, broken code never crashes."""

import importlib.util
import subprocess
import sys
import textwrap

import pytest

from lessons.checker import check_exercise, run_checks
from lessons.course import LESSONS_DIR, find_lesson, load_course

COURSE = load_course()
BY_LESSON = [pytest.param(lesson, id=lesson.slug, marks=getattr(pytest.mark, f"lesson{lesson.number}"))
             for lesson in COURSE]
# Lesson 13's PyTorch checks run only where torch is installed (elsewhere the checker skips them).
NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
IN_TORCH_13 = [pytest.mark.lesson13, NEEDS_TORCH]
CHECKPOINT = "copy.deepcopy(model.state_dict())"  # lesson 13's safe_checkpoint


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_reference_solution_passes(lesson):
    result = run_checks(lesson.number, lesson.check_path, lesson.solution_path)
    assert result.passed, result.format()
    assert len(result.outcomes) >= 3, "each exercise has several checks"


@pytest.mark.parametrize("lesson", BY_LESSON)
def test_untouched_starter_fails_every_check_with_a_hint(lesson):
    result = run_checks(lesson.number, lesson.check_path, lesson.exercise_path)
    assert not result.passed
    assert not result.error, result.error  # the starter imports fine...
    for outcome in result.outcomes:  # ...and every check fails because a stub is not written yet
        assert not outcome.passed, f"{outcome.title} passes on the untouched starter"
        assert outcome.hint, f"{outcome.title} has no hint"
        assert outcome.tip and outcome.tip != outcome.hint, f"{outcome.title} has no tip in words"
    assert any(f"lesson {lesson.number}, step" in outcome.message for outcome in result.outcomes)


def _student(tmp_path, source):
    path = tmp_path / "exercise.py"
    path.write_text(textwrap.dedent(source))
    return path


@pytest.mark.lesson1
def test_partial_solution_passes_some_checks(tmp_path):
    lesson = find_lesson(1)
    source = lesson.solution_path.read_text().replace(
        "return sum(p.numel() for p in model.parameters())", "return len(list(model.parameters()))"
    )
    result = run_checks(1, lesson.check_path, _student(tmp_path, source))
    failed = [outcome for outcome in result.outcomes if not outcome.passed]
    assert [outcome.title for outcome in failed] == ["count_parameters adds up p.numel()"]
    assert "returned 2, expected 15" in failed[0].message
    assert "PASSED" not in result.format().splitlines()[-1].split(":")[0] or not result.passed


@pytest.mark.lesson1
def test_syntax_error_is_reported_with_its_line(tmp_path):
    result = run_checks(1, find_lesson(1).check_path, _student(tmp_path, "x = 1\ndef broken(:\n"))
    assert not result.passed
    assert result.error.startswith("exercise.py, line 2:")
    assert "fix the line" in result.hint


@pytest.mark.lesson1
def test_error_at_import_names_the_line(tmp_path):
    result = run_checks(1, find_lesson(1).check_path, _student(tmp_path, "import math\nmath.nope\n"))
    assert "importing the file failed" in result.error and "exercise.py, line 2" in result.error


@pytest.mark.lesson1
def test_exception_in_student_code_names_the_line(tmp_path):
    lesson = find_lesson(1)
    source = lesson.solution_path.read_text().replace(
        "return x * self.weight + self.bias", "return x * self.weights + self.bias"
    )
    result = run_checks(1, lesson.check_path, _student(tmp_path, source))
    failed = [outcome for outcome in result.outcomes if not outcome.passed]
    assert len(failed) == 1 and "your code raised AttributeError" in failed[0].message
    assert "exercise.py, line" in failed[0].message


@pytest.mark.lesson1
def test_infinite_loop_is_stopped_by_the_timeout(tmp_path):
    path = _student(tmp_path, "while True:\n    pass\n")
    result = check_exercise(find_lesson(1), path, timeout=3)
    assert not result.passed and "did not finish within 3 seconds" in result.error
    assert "loop" in result.hint


@pytest.mark.lesson1
def test_exit_in_student_code_is_reported(tmp_path):
    result = check_exercise(find_lesson(1), _student(tmp_path, "import os\nos._exit(3)\n"), timeout=30)
    assert not result.passed and "stopped before reporting" in result.error


@pytest.mark.lesson1
def test_missing_file_is_reported(tmp_path):
    result = check_exercise(find_lesson(1), tmp_path / "nothing.py")
    assert not result.passed and "no exercise file at" in result.error
    assert "--check 1" in result.hint
    assert result.format().splitlines()[-1] == "NOT PASSED YET: the file could not be checked."


@pytest.mark.lesson2
def test_subprocess_check_passes_the_solution_and_ignores_prints(tmp_path):
    lesson = find_lesson(2)
    source = "print('hello from the student')\n" + lesson.solution_path.read_text()
    result = check_exercise(lesson, _student(tmp_path, source), timeout=60)
    assert result.passed, result.format()


@pytest.mark.lesson2
def test_command_line_check_exit_codes(tmp_path):
    env = {"MINIMOD_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(LESSONS_DIR.parent)}
    import os

    env = {**os.environ, **env}
    solution = str(find_lesson(2).solution_path)
    passed = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--check", "2", "--file", solution],
                            capture_output=True, text=True, env=env, timeout=120)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "PASSED: 4/4 checks pass." in passed.stdout
    failed = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--check", "2"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert failed.returncode == 1
    # the first failure shows the checker's messages only; the second adds tips in words; code on request
    assert "not written yet: lesson 2, step" in failed.stdout
    assert "tip:" not in failed.stdout and "code:" not in failed.stdout
    again = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--check", "2"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "tip: Buffers are registered with register_buffer" in again.stdout and "code:" not in again.stdout
    asked = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--check", "2", "--hint"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert "code: self.register_buffer('mean'" in asked.stdout
    assert (tmp_path / "data" / "workspace" / "02_parameters_and_buffers" / "exercise.py").exists()
    listed = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--list"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert "exercise passed" in listed.stdout.splitlines()[2]
    bad = subprocess.run([sys.executable, "-m", "minimod", "lessons", "--check", "99"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and bad.stderr.startswith("minimod: error: no lesson '99'")
    assert "Traceback" not in bad.stderr


# Plausible wrong answers, each written into the reference solution: the check that fails must say
# what is wrong in the student's terms, not only that a number differs.
WRONG_ANSWERS = [
    pytest.param(1, [("nn.Parameter(mm.ones(num_features))", "mm.ones(num_features)"),
                     ("nn.Parameter(mm.zeros(num_features))", "mm.zeros(num_features)")],
                 "Scale registers", "plain tensor", id="1-plain-tensor", marks=pytest.mark.lesson1),
    pytest.param(1, [("class Scale(", "class Scaler(")], "Scale registers", "has no 'Scale'",
                 id="1-renamed-class", marks=pytest.mark.lesson1),
    pytest.param(2, [('self.register_buffer("mean", mm.zeros(num_features))',
                      "self.mean = mm.zeros(num_features)")],
                 "RunningMean has the buffers", "self.mean is a plain attribute", id="2-plain-attribute",
                 marks=pytest.mark.lesson2),
    pytest.param(2, [(', persistent=False', '')], "only mean is in the state dict", "['mean', 'calls']",
                 id="2-persistent-calls", marks=pytest.mark.lesson2),
    pytest.param(3, [('name.rsplit(".", 1)[-1] == "bias"', '"bias" in name')], "bias_names",
                 "'bias_layer.weight' is a weight", id="3-substring-bias", marks=pytest.mark.lesson3),
    pytest.param(4, [("""    for _, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, child_name, make_activation())
                replaced += 1""", """    for name, module in list(model.named_modules()):
        if isinstance(module, nn.ReLU):
            setattr(model, name, make_activation())
            replaced += 1""")],
                 "swap_activations", "does not reach inside", id="4-dotted-setattr",
                 marks=pytest.mark.lesson4),
    pytest.param(5, [("""        for name, module in model.named_modules():
            module.training = flags[name]""", """        model.train()""")],
                 "restores every module's mode", "after evaluate the modes are", id="5-train-after-eval",
                 marks=pytest.mark.lesson5),
    pytest.param(6, [("    optimizer.load_state_dict(checkpoint[\"optimizer\"])\n", "")],
                 "restore the model and the optimizer", "optimizer state has 0 entries", id="6-no-optimizer",
                 marks=pytest.mark.lesson6),
    pytest.param(5, [("super().train(mode)", "pass")], "NormEvalNet.train", "call super().train(mode)",
                 id="5-no-super-train", marks=pytest.mark.lesson5),
    pytest.param(6, [("key[len(prefix):] if key.startswith(prefix) else key", "key.lstrip(prefix)")],
                 "strip_prefix", "str.lstrip removes characters", id="6-lstrip", marks=pytest.mark.lesson6),
    pytest.param(9, [("model.get_submodule(path).requires_grad_(False)", "model.get_submodule(path).eval()")],
                 "freeze", "eval() changes how Dropout and BatchNorm behave", id="9-eval-is-not-freezing",
                 marks=pytest.mark.lesson9),
    pytest.param(7, [(", name=name", "")], "lists (name, shape)", "expected [('0', (5, 3))",
                 id="7-late-binding", marks=pytest.mark.lesson7),
    pytest.param(7, [("lambda module, args, output: output.clamp(low, high)",
                      "lambda module, args, output: (output.clamp(low, high),)")],
                 "clamp_output", "the layer returns a tuple", id="7-forward-hook-returns-a-tuple",
                 marks=pytest.mark.lesson7),
    pytest.param(7, [("shapes[name] = tuple(grad_output[0].shape)\n",
                      "shapes[name] = tuple(grad_output[0].shape)\n                return grad_output\n")],
                 "grad_output_shapes", "a backward hook returned a value", id="7-backward-hook-returns",
                 marks=pytest.mark.lesson7),
    pytest.param(8, [("parameter.sub_(lr * parameter.grad)", "parameter = parameter - lr * parameter.grad")],
                 "sgd_step", "only gives the name p a new tensor", id="8-rebinding",
                 marks=pytest.mark.lesson8),
    pytest.param(9, [("@mm.no_grad()\n", "")], "init_weights", "in-place operation", id="9-no-grad-missing",
                 marks=pytest.mark.lesson9),
]


@pytest.mark.parametrize(("number", "edits", "title", "says"), WRONG_ANSWERS)
def test_common_wrong_answers_fail_with_a_clear_message(tmp_path, number, edits, title, says):
    lesson = find_lesson(number)
    source = lesson.solution_path.read_text()
    for old, new in edits:
        assert old in source, f"the reference solution no longer contains {old!r}"
        source = source.replace(old, new)
    result = run_checks(number, lesson.check_path, _student(tmp_path, source))
    assert not result.passed
    failed = [outcome for outcome in result.outcomes if not outcome.passed]
    matching = [outcome for outcome in failed if title in outcome.title]
    assert matching, f"no failing check titled {title!r}: {[outcome.title for outcome in failed]}"
    assert says in matching[0].message, matching[0].message
    assert matching[0].hint and matching[0].tip


NEW_LESSON_WRONG_ANSWERS = [
    pytest.param(10, [("""    for home in ("_parameters", "_buffers", "_modules"):
        if name in getattr(module, home):
            return home
    return "__dict__" if name in module.__dict__ else None""",
                       """    return "__dict__" if hasattr(module, name) else None""")],
                 "home_of", "hasattr() and getattr() find parameters through __getattr__", id="10-hasattr",
                 marks=pytest.mark.lesson10),
    pytest.param(10, [("for module in model.modules())", "for module in [model])")],
                 "hook_count", "count every module", id="10-root-only", marks=pytest.mark.lesson10),
    pytest.param(10, [("""            if prefix + old in state_dict:
                state_dict[prefix + new] = state_dict.pop(prefix + old)""",
                       """            if old in state_dict:
                state_dict[new] = state_dict.pop(old)""")],
                 "inside a container", "rename prefix + 'w', not 'w'", id="10-no-prefix",
                 marks=pytest.mark.lesson10),
    pytest.param(11, [('[*(f"@{module}" for module in modules), own]',
                       '[f"@{part}" for part in [*modules, own]]')],
                 "nnabla_names", "the parameter's own name (the last part) gets no @", id="11-at-on-own-name",
                 marks=pytest.mark.lesson11),
    pytest.param(11, [('part.removeprefix("@") for part in name.split("/")', 'name.lstrip("@").split("/")')],
                 "torch_name", "take the @ off every part", id="11-lstrip", marks=pytest.mark.lesson11),
    pytest.param(11, [("for key, value in parameters.items()))",
                       "for key, value in parameters.items()), strict=False)")],
                 "load_nnabla", "load with strict=True", id="11-not-strict", marks=pytest.mark.lesson11),
    pytest.param(12, [("return model.to(dtype), x.to(dtype)", "x.to(dtype)\n    return model.to(dtype), x")],
                 "to_dtype", "x.to(dtype) returns a new tensor", id="12-tensor-to-dropped",
                 marks=pytest.mark.lesson12),
    pytest.param(12, [("model.state_dict(keep_vars=True).values()", "model.parameters()")],
                 "memory_bytes", "buffers take memory too", id="12-parameters-only",
                 marks=pytest.mark.lesson12),
    pytest.param(12, [("""    first = next(model.parameters(), None)
    return mm.device("cpu") if first is None else first.device""",
                       """    return next(model.parameters()).device""")],
                 "device_of", "not raise StopIteration", id="12-no-default", marks=pytest.mark.lesson12),
    pytest.param(13, [(CHECKPOINT, "{k: v.clone() for k, v in model.state_dict().items()}")],
                 "safe_checkpoint copies a minimod", "numpy arrays, which have .copy(), not .clone()",
                 id="13-clone", marks=pytest.mark.lesson13),
    pytest.param(13, [(CHECKPOINT, "{k: v.copy() for k, v in model.state_dict().items()}")],
                 "keeps its values while a PyTorch model trains", "tensors, which have .clone(), not .copy()",
                 id="13-copy", marks=IN_TORCH_13),
    pytest.param(13, [(CHECKPOINT, "model.state_dict()")], "while a PyTorch model trains",
                 "values share memory with the parameters", id="13-state-dict", marks=IN_TORCH_13),
    pytest.param(13, [(CHECKPOINT, "dict(model.state_dict())")], "while a PyTorch model trains",
                 "dict(...) copies only the dictionary", id="13-dict", marks=IN_TORCH_13),
    pytest.param(13, [(CHECKPOINT, "model.state_dict(keep_vars=True)")], "safe_checkpoint copies a minimod",
                 "the parameters themselves", id="13-keep-vars", marks=pytest.mark.lesson13),
    pytest.param(13, [(CHECKPOINT, "{k: np.asarray(v).copy() for k, v in model.state_dict().items()}"),
                      ("import copy\n", "import copy\n\nimport numpy as np\n")],
                 "keeps its values while a PyTorch model trains", "PyTorch loads tensors only",
                 id="13-numpy-values", marks=IN_TORCH_13),
    pytest.param(13, [("        model.load_state_dict(backup)\n", "")], "when a PyTorch load fails",
                 "PyTorch had copied the keys that matched", id="13-no-restore", marks=IN_TORCH_13),
    pytest.param(13, [("backup = safe_checkpoint(model)", "backup = model.state_dict()")],
                 "when a PyTorch load fails", "a backup taken with model.state_dict() follows the model",
                 id="13-aliasing-backup", marks=IN_TORCH_13),
    pytest.param(13, [("        raise\n", "")], "safe_load loads, or raises", "raise the RuntimeError again",
                 id="13-error-swallowed", marks=pytest.mark.lesson13),
    pytest.param(13, [("tensor.detach().numpy()", "tensor.numpy()")], "to_numpy works on a PyTorch parameter",
                 "detach() it first", id="13-numpy-without-detach", marks=IN_TORCH_13),
]


@pytest.mark.parametrize(("number", "edits", "title", "says"), NEW_LESSON_WRONG_ANSWERS)
def test_new_lessons_name_the_mistake(tmp_path, number, edits, title, says):
    test_common_wrong_answers_fail_with_a_clear_message(tmp_path, number, edits, title, says)


# Right answers written differently from the reference solution: the checks must pass them too.
OTHER_RIGHT_ANSWERS = [
    pytest.param(1, [("return sum(p.numel() for p in model.parameters())",
                      "total = 0\n    for parameter in model.parameters():\n"
                      "        total += parameter.numel()\n    return total")], id="1-loop",
                 marks=pytest.mark.lesson1),
    pytest.param(2, [("return [name for name, _ in module.named_parameters()], "
                      "[name for name, _ in module.named_buffers()]",
                      "return list(dict(module.named_parameters())), list(dict(module.named_buffers()))")],
                 id="2-dict-keys", marks=pytest.mark.lesson2),
    pytest.param(4, [("""    replaced = 0
    for _, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, child_name, make_activation())
                replaced += 1
    return replaced""", """    replaced = 0
    for child_name, child in list(model.named_children()):
        if isinstance(child, nn.ReLU):
            setattr(model, child_name, make_activation())
            replaced += 1
        else:
            replaced += swap_activations(child, make_activation)
    return replaced""")], id="4-recursive", marks=pytest.mark.lesson4),
    pytest.param(5, [("return {name: module.training for name, module in model.named_modules()}",
                      "return dict((name, bool(module.training))\n"
                      "                for name, module in model.named_modules())")],
                 id="5-dict-of-pairs", marks=pytest.mark.lesson5),
    pytest.param(8, [("    optimizer.zero_grad()\n", "    model.zero_grad()\n")], id="8-model-zero-grad",
                 marks=pytest.mark.lesson8),
    pytest.param(9, [("""    for path in prefixes:
        model.get_submodule(path).requires_grad_(False)""",
                      """    for name, parameter in model.named_parameters():
        if any(name.startswith(path + ".") for path in prefixes):
            parameter.requires_grad_(False)""")], id="9-by-name", marks=pytest.mark.lesson9),
    pytest.param(3, [("return [name for name, module in model.named_modules() "
                      "if not list(module.children())]",
                      "leaves = []\n    for name, module in model.named_modules():\n"
                      "        if next(module.children(), None) is None:\n            leaves.append(name)\n"
                      "    return leaves")], id="3-loop", marks=pytest.mark.lesson3),
    pytest.param(6, [("return OrderedDict((prefix + key, value) for key, value in state_dict.items())",
                      "result = OrderedDict()\n    for key in state_dict:\n"
                      "        result[f'{prefix}{key}'] = state_dict[key]\n    return result")],
                 id="6-loop", marks=pytest.mark.lesson6),
    pytest.param(7, [("return module.register_forward_hook("
                      "lambda module, args, output: output.clamp(low, high))",
                      "def clamp(module, args, output):\n        return output.clamp(min=low, max=high)\n\n"
                      "    handle = module.register_forward_hook(clamp)\n    return handle")],
                 id="7-named-hook", marks=pytest.mark.lesson7),
    pytest.param(10, [("""    for home in ("_parameters", "_buffers", "_modules"):
        if name in getattr(module, home):
            return home
    return "__dict__" if name in module.__dict__ else None""",
                       """    homes = {"_parameters": module._parameters, "_buffers": module._buffers,
             "_modules": module._modules, "__dict__": vars(module)}
    return next((home for home, names in homes.items() if name in names), None)""")],
                 id="10-dict-of-homes", marks=pytest.mark.lesson10),
    pytest.param(11, [('return ".".join(part.removeprefix("@") for part in name.split("/"))',
                       'return name.replace("@", "").replace("/", ".")')], id="11-replace",
                 marks=pytest.mark.lesson11),
    pytest.param(12, [("return sum(t.numel() * t.element_size() "
                       "for t in model.state_dict(keep_vars=True).values())",
                       "total = 0\n    for name, tensor in model.state_dict(keep_vars=True).items():\n"
                       "        total += tensor.numpy().nbytes\n    return total")],
                 id="12-nbytes", marks=pytest.mark.lesson12),
    pytest.param(13, [(CHECKPOINT, "{k: copy.deepcopy(v) for k, v in model.state_dict().items()}")],
                 id="13-deepcopy-each-value", marks=pytest.mark.lesson13),
    pytest.param(13, [("""    backup = safe_checkpoint(model)
    try:
        return model.load_state_dict(state_dict)
    except RuntimeError:
        model.load_state_dict(backup)
        raise""", """    trial = copy.deepcopy(model)
    trial.load_state_dict(state_dict)  # a failed load raises here, and only the copy is half loaded
    return model.load_state_dict(state_dict)""")],
                 id="13-load-into-a-copy-first", marks=pytest.mark.lesson13),
    pytest.param(13, [("return tensor.detach().numpy()", "return np.asarray(tensor.detach().cpu())"),
                      ("import copy\n", "import copy\n\nimport numpy as np\n")],
                 id="13-np-asarray", marks=pytest.mark.lesson13),
]


@pytest.mark.parametrize(("number", "edits"), OTHER_RIGHT_ANSWERS)
def test_right_answers_written_differently_pass(tmp_path, number, edits):
    lesson = find_lesson(number)
    source = lesson.solution_path.read_text()
    for old, new in edits:
        assert old in source, f"the reference solution no longer contains {old!r}"
        source = source.replace(old, new)
    if "import minimod as mm" not in source:
        source = "import minimod as mm\n" + source
    result = run_checks(number, lesson.check_path, _student(tmp_path, source))
    assert result.passed, result.format("code")
