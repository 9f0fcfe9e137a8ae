"""PyTorch's "Learn the Basics" tutorials, run unchanged on minimod (and on PyTorch, to compare).

The scripts are in scripts/learn_the_basics; FashionMNIST is a synthetic stand-in (standins/), the
same images for both runs. Weights start from different random numbers in the two libraries, so the
training runs are compared by what they show: the same printout, and losses that fall at a like pace.
"""

from __future__ import annotations

import math

import pytest

import minimod as mm
from tests.tutorials.runner import SCRIPTS, falling, normalized, numbers_after, run_tutorial

BASICS = SCRIPTS / "learn_the_basics"
MODEL_REPR = """NeuralNetwork(
  (flatten): Flatten(start_dim=1, end_dim=-1)
  (linear_relu_stack): Sequential(
    (0): Linear(in_features=784, out_features=512, bias=True)
    (1): ReLU()
    (2): Linear(in_features=512, out_features=512, bias=True)
    (3): ReLU()
    (4): Linear(in_features=512, out_features=10, bias=True)
  )
)"""


def _pace(losses: list[float]) -> float:
    """How much the loss fell per epoch, on average."""
    return (losses[0] - losses[-1]) / (len(losses) - 1)


def _check_training(out: str, epochs: int) -> tuple[list[float], list[float]]:
    """The training losses (one per epoch: printed at batch 0) and test losses both fall, from near
    ln(10), the loss of a 10-class guess."""
    train, test = numbers_after("\nloss: ", out), numbers_after("Avg loss: ", out)
    assert len(train) == len(test) == epochs
    assert falling(train) and falling(test), out
    assert abs(train[0] - math.log(10)) < 0.1
    return train, test


def test_quickstart(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "quickstart_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert "Shape of X [N, C, H, W]: (64, 1, 28, 28)\nShape of y: (64,) int64\nUsing cpu device\n" in out
    assert MODEL_REPR in out
    train, _ = _check_training(out, epochs=5)
    assert "Done!\nSaved PyTorch Model State to model.pth\n" in out
    assert list(mm.load(tmp_path / "model.pth", weights_only=True)) == [
        "linear_relu_stack.0.weight", "linear_relu_stack.0.bias", "linear_relu_stack.2.weight",
        "linear_relu_stack.2.bias", "linear_relu_stack.4.weight", "linear_relu_stack.4.bias"]
    assert out.rstrip().splitlines()[-1].startswith('Predicted: "')

    theirs = run_tutorial("torch", BASICS / "quickstart_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert normalized(theirs).splitlines()[:3] == out.splitlines()[:3]
    assert MODEL_REPR in theirs
    their_train, _ = _check_training(theirs, epochs=5)
    assert 0.5 < _pace(train) / _pace(their_train) < 2


@pytest.mark.slow
def test_optimization(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "optimization_tutorial.py", workdir=tmp_path, capsys=capsys)
    train, _ = _check_training(out, epochs=10)
    accuracies = numbers_after("Accuracy: ", out)
    assert accuracies[-1] > accuracies[0]
    assert out.rstrip().endswith("Done!")

    theirs = run_tutorial("torch", BASICS / "optimization_tutorial.py", workdir=tmp_path, capsys=capsys)
    their_train, _ = _check_training(theirs, epochs=10)
    assert 0.5 < _pace(train) / _pace(their_train) < 2


def test_tensors_print_what_pytorch_prints(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "tensorqs_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert "Shape of tensor: (3, 4)\nDatatype of tensor: float32\nDevice tensor is stored on: cpu\n" in out
    assert "12.0 <class 'float'>\n" in out
    assert "t: tensor([2., 2., 2., 2., 2.], dtype=minimod.float64)\nn: [2. 2. 2. 2. 2.]\n" in out

    theirs = run_tutorial("torch", BASICS / "tensorqs_tutorial.py", workdir=tmp_path, capsys=capsys)
    # everything from the indexing section on is free of random numbers: it must read the same
    start = out.index("First row:")
    assert out[start:] == normalized(theirs)[normalized(theirs).index("First row:"):]


def test_datasets_and_dataloaders(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "data_tutorial.py", workdir=tmp_path, capsys=capsys)
    lines = out.splitlines()
    assert lines[:2] == ["Feature batch shape: (64, 1, 28, 28)", "Labels batch shape: (64,)"]
    assert lines[2].startswith("Label: ") and 0 <= int(lines[2].removeprefix("Label: ")) <= 9

    theirs = run_tutorial("torch", BASICS / "data_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert normalized(theirs).splitlines()[:2] == lines[:2]


def test_datasets_tutorial_draws_its_grid_of_samples(tmp_path, capsys, monkeypatch):
    from tests.tutorials.runner import STANDINS

    monkeypatch.syspath_prepend(str(STANDINS))
    from matplotlib import pyplot  # the stand-in records the calls

    pyplot.calls.clear()
    run_tutorial("minimod", BASICS / "data_tutorial.py", workdir=tmp_path, capsys=capsys)
    images = [call for call in pyplot.calls if call[0] == "imshow"]
    # nine samples of the grid, then the first image of a batch: each a 28×28 picture made of a Tensor
    assert [shape for _, shape, _ in images] == [(28, 28)] * 10
    assert [call[0] for call in pyplot.calls].count("show") == 2


def test_build_the_neural_network(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "buildmodel_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert out.startswith("Using cpu device\n" + MODEL_REPR)
    assert "(3, 28, 28)\n(3, 784)\n(3, 20)\n" in out
    assert "Predicted class: tensor([" in out and "grad_fn=<ReluBackward0>" in out

    theirs = normalized(run_tutorial("torch", BASICS / "buildmodel_tutorial.py", workdir=tmp_path,
                                     capsys=capsys))

    def layer_lines(text):
        return [line.split(" | Values")[0] for line in text.splitlines() if line.startswith("Layer: ")]

    assert layer_lines(out) == layer_lines(theirs) == [
        f"Layer: linear_relu_stack.{name} | Size: {size}" for name, size in [
            ("0.weight", (512, 784)), ("0.bias", (512,)), ("2.weight", (512, 512)), ("2.bias", (512,)),
            ("4.weight", (10, 512)), ("4.bias", (10,))]]
    assert "(3, 28, 28)\n(3, 784)\n(3, 20)\n" in theirs


def test_autograd(tmp_path, capsys):
    out = run_tutorial("minimod", BASICS / "autogradqs_tutorial.py", workdir=tmp_path, capsys=capsys)
    assert "Gradient function for z = <AddBackward0 object at 0x" in out
    assert "Gradient function for loss = <BinaryCrossEntropyWithLogitsBackward0 object at 0x" in out
    assert "True\nFalse\nFalse\n" in out

    theirs = normalized(run_tutorial("torch", BASICS / "autogradqs_tutorial.py", workdir=tmp_path,
                                     capsys=capsys))
    # the node names, and the Jacobian-product part (made of torch.eye, no random numbers), read the same
    assert normalized(out).splitlines()[:2] == theirs.splitlines()[:2]
    assert out[out.index("First call"):] == theirs[theirs.index("First call"):]


@pytest.mark.parametrize("script", ["data_tutorial.py", "autogradqs_tutorial.py"])
def test_runs_through_the_command_line(script, tmp_path):
    """`minimod run` itself, in a fresh process, as a student would type it."""
    import os
    import subprocess
    import sys

    from tests.tutorials.runner import STANDINS

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(STANDINS), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "minimod", "run", str(BASICS / script)], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert ("Labels batch shape: (64,)" if script.startswith("data") else "Call after zeroing gradients") in \
        result.stdout
