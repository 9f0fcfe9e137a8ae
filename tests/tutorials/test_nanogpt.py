"""nanoGPT's model.py with a short training loop (scripts/nanogpt/train_short.py), run unchanged on minimod.

As nanoGPT's README has it: prepare the character-level data, train a baby GPT, sample from it. The
text is a synthetic stand-in written by prepare.py; the loop uses np.memmap batches, AdamW in two
parameter groups, a warmup-cosine learning rate, clip_grad_norm_, a checkpoint saved with torch.save
and loaded with torch.load, and model.generate (top-k and multinomial sampling).
"""

from __future__ import annotations

import math
import runpy
import shutil

import pytest

from tests.tutorials.runner import SCRIPTS, falling, numbers_after, run_tutorial


@pytest.fixture
def nanogpt(tmp_path):
    """A copy of the nanoGPT folder with its data prepared (prepare.py needs no torch)."""
    folder = tmp_path / "nanogpt"
    shutil.copytree(SCRIPTS / "nanogpt", folder)
    runpy.run_path(str(folder / "data" / "shakespeare_char" / "prepare.py"))
    return folder


def _check(out: str) -> tuple[list[float], list[float]]:
    train, val = numbers_after("train loss ", out), numbers_after("val loss ", out)
    assert len(train) == len(val) == 4
    assert abs(train[0] - math.log(30)) < 0.2  # 30 characters: a uniform guess at first
    assert falling(train) and train[-1] < 2.0 and val[-1] < 2.2
    assert "num decayed parameter tensors: 10, with 26,560 parameters\n" in out
    assert "num non-decayed parameter tensors: 5, with 160 parameters\nusing fused AdamW: False\n" in out
    sample = out.split("---------------")[0].splitlines()
    assert sample[-3].startswith("To be") or "To be" in "\n".join(sample[-4:])
    return train, val


def test_train_a_baby_gpt_and_sample(nanogpt, capsys):
    out = run_tutorial("minimod", nanogpt / "train_short.py", workdir=nanogpt, capsys=capsys)
    assert out.startswith("found vocab_size = 30 (inside data/shakespeare_char/meta.pkl)\n"
                          "Initializing a new model from scratch\nnumber of parameters: 0.03M\n")
    train, _ = _check(out)
    assert (nanogpt / "out-shakespeare-char" / "ckpt.pt").is_file()

    theirs = run_tutorial("torch", nanogpt / "train_short.py", workdir=nanogpt, capsys=capsys)
    their_train, _ = _check(theirs)
    assert abs(train[-1] - their_train[-1]) < 0.5


@pytest.mark.slow
def test_the_attention_without_flash_path_matches(nanogpt, capsys, monkeypatch):
    """model.py's other branch (a torch without scaled_dot_product_attention: the mask buffer and
    masked_fill) trains as well on minimod."""
    import minimod.nn.functional as F

    monkeypatch.delattr(F, "scaled_dot_product_attention")
    out = run_tutorial("minimod", nanogpt / "train_short.py", workdir=nanogpt, capsys=capsys)
    assert "WARNING: using slow attention." in out
    _check(out)
