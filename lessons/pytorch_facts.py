"""What PyTorch 2.13 does where minimod deliberately differs, run live in torch when it is installed.

A lesson's "In PyTorch" question is answered by `in_pytorch(name)`: each fact below is a few lines of
torch code whose result is the answer. Without torch the answer recorded from PyTorch 2.13 is used,
and the lesson says so; the tests run every fact in torch and compare it with the record.

A whole step may be written in torch (`Step(needs_torch=True)`, lesson 13): without torch the step
shows what it printed in PyTorch 2.13, recorded in its lesson folder's `recorded_in_pytorch.json`
with the values its questions ask about. `python -m lessons.pytorch_facts` records them again (torch
installed); the tests compare every recording with a live run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from lessons import torch_recordings
from lessons.torch_recordings import INSTALL, RECORDINGS, recordings  # noqa: F401 - re-exported

KEEP_BEST = {
    "state_dict": "best = model.state_dict()",
    "dict": "best = dict(model.state_dict())",
    "clone": "best = {k: v.clone() for k, v in model.state_dict().items()}",
}


def _which_copy_keeps_the_best(torch) -> str:
    """Take "the best weights" three ways, train on, and see which still holds the old values."""
    model = torch.nn.Linear(2, 2)
    kept = {label: eval(code.split(" = ", 1)[1], {"model": model}) for label, code in KEEP_BEST.items()}
    old = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)  # what an optimizer step does: change the parameter in place
    survivors = [KEEP_BEST[label] for label, best in kept.items() if torch.equal(best["weight"], old)]
    return " and ".join(survivors) or "none"


def _state_dict_follows_training(torch) -> bool:
    model = torch.nn.Linear(2, 2)
    best = model.state_dict()
    with torch.no_grad():
        model.bias.fill_(5.0)
    return bool((best["bias"] == 5.0).all())


def _failed_strict_load_copied_matching_keys(torch) -> bool:
    """A strict load that fails on an unexpected key: were the keys that did match copied already?"""
    source, target = torch.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    state = dict(source.state_dict())
    state["head.weight"] = torch.zeros(2, 3)
    with contextlib.suppress(RuntimeError):
        target.load_state_dict(state)
    return torch.equal(target.weight, source.weight)


def _type_converts_integer_buffers(torch) -> str:
    batch_norm = torch.nn.BatchNorm1d(3).type(torch.float64)
    return str(batch_norm.num_batches_tracked.dtype).removeprefix("torch.")


def _mixed_dtypes_in_linear(torch) -> str:
    """A float64 Linear fed a float32 input: does torch compute, and in which dtype?"""
    layer = torch.nn.Linear(2, 2).double()
    try:
        return str(layer(torch.ones(1, 2)).dtype).removeprefix("torch.")
    except RuntimeError as error:
        return f"RuntimeError: {error}"


def _load_of_a_pickled_model(torch) -> str:
    """torch.save(model, path), then torch.load(path) with its default arguments."""
    import os
    import pickle
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.pth")
        torch.save(torch.nn.Linear(2, 2), path)
        try:
            loaded = torch.load(path)
        except pickle.UnpicklingError:
            return "UnpicklingError: weights only load failed"
    return "the model comes back" if isinstance(loaded, torch.nn.Module) else "a state dict comes back"


FACTS: dict[str, Callable[[Any], Any]] = {
    "which_copy_keeps_the_best": _which_copy_keeps_the_best,
    "state_dict_follows_training": _state_dict_follows_training,
    "failed_strict_load_copied_matching_keys": _failed_strict_load_copied_matching_keys,
    "type_converts_integer_buffers": _type_converts_integer_buffers,
    "mixed_dtypes_in_linear": _mixed_dtypes_in_linear,
    "load_of_a_pickled_model": _load_of_a_pickled_model,
}

# What PyTorch 2.13.0 answered (tests/lessons/test_pytorch_facts.py keeps these honest).
RECORDED: dict[str, Any] = {
    "which_copy_keeps_the_best": KEEP_BEST["clone"],
    "state_dict_follows_training": True,
    "failed_strict_load_copied_matching_keys": True,
    "type_converts_integer_buffers": "float64",
    "mixed_dtypes_in_linear":
        "RuntimeError: mat1 and mat2 must have the same dtype, but got Float and Double",
    "load_of_a_pickled_model": "UnpicklingError: weights only load failed",
}


def in_pytorch(name: str) -> Any:
    """The answer PyTorch gives to fact `name`: run live when torch is installed, else the recorded one."""
    torch = torch_recordings.torch_or_none()
    return RECORDED[name] if torch is None else FACTS[name](torch)


def source_note() -> str:
    """One line for a step's output: where the PyTorch answers came from."""
    torch = torch_recordings.torch_or_none()
    if torch is None:
        return ("(torch is not installed here: these are PyTorch 2.13's answers, recorded; "
                'pip install -e ".[torch]" runs them live)')
    return f"(run just now in PyTorch {torch.__version__})"


# --- steps written in torch ---------------------------------------------------------------------


def answer_names(lesson: Any, index: int) -> list[str]:
    """The names that the questions of 0-based step `index` read from the lesson's namespace."""
    import ast
    import builtins

    names: list[str] = []
    for question in lesson.questions_for(index):
        for node in ast.walk(ast.parse(question.answer, mode="eval")):
            if isinstance(node, ast.Name) and not hasattr(builtins, node.id) and node.id not in names:
                names.append(node.id)
    return names


def record(lesson: Any) -> dict[str, Any]:
    """Run `lesson` in torch and keep, per step that needs torch (keyed by its number), what it printed
    and the values its questions read, with torch's version. A value must be plain data (JSON), so a
    step's questions read booleans, numbers and strings the step computed, never a tensor."""
    from lessons.course import StepRunner

    torch = torch_recordings.torch_or_none()
    if torch is None:
        raise RuntimeError(f"recording lesson {lesson.number} needs torch: {INSTALL}")
    runner = StepRunner(lesson)
    steps: dict[str, dict[str, Any]] = {}
    for index, step in enumerate(lesson.steps):
        if not step.needs_torch:
            continue
        result = runner.run(index)
        if result.error is not None:
            raise RuntimeError(f"lesson {lesson.number}, step {index + 1} failed in torch:\n{result.error}")
        values = {name: runner.namespace[name] for name in answer_names(lesson, index)}
        json.dumps(values)  # a TypeError here names a value that is not plain data
        steps[str(index + 1)] = {"output": result.output, "values": values}
    return {"torch": torch.__version__.split("+")[0], "steps": steps}


def main() -> int:
    """Record every lesson's torch steps again, into each lesson folder's recorded_in_pytorch.json."""
    from lessons.course import load_course

    for lesson in load_course():
        if any(step.needs_torch for step in lesson.steps):
            path = lesson.folder / RECORDINGS
            recorded = record(lesson)
            path.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"recorded {path} in PyTorch {recorded['torch']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
