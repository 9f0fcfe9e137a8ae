"""pytorch/examples' MNIST script (mnist/main.py), run unchanged on minimod with its own arguments.

MNIST is a synthetic stand-in (standins/), small, so two short epochs suffice; the script's argparse,
Adadelta, StepLR, Conv2d, dropout, max_pool2d and nll_loss all run as written.
"""

from __future__ import annotations

import math

import pytest

import minimod as mm
from tests.tutorials.runner import SCRIPTS, falling, numbers_after, run_tutorial

MAIN = SCRIPTS / "pytorch_examples_mnist" / "main.py"
ARGS = ("--epochs", "2", "--batch-size", "32", "--test-batch-size", "128", "--log-interval", "2",
        "--save-model")


def _check(out: str) -> tuple[list[float], list[float]]:
    train, test = numbers_after("Loss: ", out), numbers_after("Average loss: ", out)
    assert len(train) == 8 and len(test) == 2
    assert abs(train[0] - math.log(10)) < 0.15  # a 10-class guess at first
    assert train[-1] < train[0] / 2 and falling(test)
    correct = int(out.rsplit("Accuracy: ", 1)[1].split("/")[0])
    assert correct >= 0.9 * 128
    return train, test


@pytest.mark.slow
def test_mnist_example(tmp_path, capsys):
    out = run_tutorial("minimod", MAIN, *ARGS, workdir=tmp_path, capsys=capsys)
    assert out.startswith("Train Epoch: 1 [0/256 (0%)]\tLoss: ")
    _check(out)
    # --save-model wrote the state dict, and it loads into the script's Net
    state = mm.load(tmp_path / "mnist_cnn.pt", weights_only=True)
    assert {key: value.shape for key, value in state.items()} == {
        "conv1.weight": (32, 1, 3, 3), "conv1.bias": (32,), "conv2.weight": (64, 32, 3, 3),
        "conv2.bias": (64,), "fc1.weight": (128, 9216), "fc1.bias": (128,), "fc2.weight": (10, 128),
        "fc2.bias": (10,)}

    theirs = run_tutorial("torch", MAIN, *ARGS, workdir=tmp_path, capsys=capsys)
    _check(theirs)
    def progress(text):  # "Train Epoch: 1 [64/256 (25%)]": the same batches, in the same order
        return [line.split("\tLoss")[0] for line in text.splitlines() if line.startswith("Train Epoch")]

    assert progress(theirs) == progress(out)


def test_mnist_example_help_is_its_own(tmp_path, capsys):
    """sys.argv is the script's: --help prints the script's usage and exits 0, as with python."""
    out = run_tutorial("minimod", MAIN, "--help", workdir=tmp_path, capsys=capsys)
    assert out.startswith("usage: ") and "PyTorch MNIST Example" in out and "--save-model" in out
