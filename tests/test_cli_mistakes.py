"""Every user mistake on the real command line is one line, `minimod: error: ...`, and exit status 1:
argparse's own (unknown option, missing value, bad choice), an input shape too large for memory, a PNG
too large (or too small) to draw. Run through `python -m minimod` or `minimod.cli.main`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspector import input_size
from minimod import cli

REPO = Path(__file__).resolve().parents[1]
HUGE = "100000,100000,4"


def _one_line_error(err: str) -> str:
    assert err.startswith("minimod: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    return err[len("minimod: error: "):-1]


def _run(capsys, *arguments: str) -> str:
    """main(arguments): exit status 1, nothing on stdout, one line on stderr (returned without its prefix)."""
    assert cli.main(list(arguments)) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    return _one_line_error(captured.err)


# --- argparse's mistakes ------------------------------------------------------------------------------


@pytest.mark.parametrize("arguments,expected", [
    (["render", "mlp", "-o", "m.svg", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["summary", "mlp", "--bogus", "3"], "unrecognized arguments: --bogus 3"),
    (["inspect", "mlp", "--colour"], "unrecognized arguments: --colour"),
], ids=["render", "summary", "inspect"])
def test_an_unknown_option_is_one_line(capsys, arguments, expected):
    assert _run(capsys, *arguments) == f"{expected}; see 'minimod --help'"


@pytest.mark.parametrize("arguments,expected", [
    (["render", "mlp", "-o"], "argument -o/--output: expected one argument; see 'minimod render --help'"),
    (["summary", "mlp", "--depth"], "argument --depth: expected one argument; see 'minimod summary --help'"),
    (["inspect", "mlp", "--input-shape"],
     "argument --input-shape: expected one argument; see 'minimod inspect --help'"),
    (["render", "mlp"], "the following arguments are required: -o/--output; see 'minimod render --help'"),
], ids=["render", "summary", "inspect", "required"])
def test_a_missing_value_is_one_line(capsys, arguments, expected):
    assert _run(capsys, *arguments) == expected


@pytest.mark.parametrize("arguments,option,choices", [
    (["render", "mlp", "-o", "m.svg", "--view", "side"], "--view", "'tree', 'flow', 'autograd'"),
    (["summary", "mlp", "--mode", "testing"], "--mode", "'train', 'eval'"),
    (["render", "mlp", "-o", "m.svg", "--rankdir", "RL"], "--rankdir", "'TB', 'LR'"),
], ids=["view", "mode", "rankdir"])
def test_a_bad_choice_is_one_line_naming_the_choices(capsys, arguments, option, choices):
    message = _run(capsys, *arguments)
    assert message.startswith(f"argument {option}: invalid choice: ")
    assert f"(choose from {choices})" in message
    assert message.endswith(f"see 'minimod {arguments[0]} --help'")


def test_a_bad_number_is_one_line(capsys):
    message = _run(capsys, "summary", "mlp", "--depth", "two")
    assert message == ("argument --depth: expected a whole number 0 or more, got 'two'; "
                       "see 'minimod summary --help'")


def test_argparse_mistakes_through_the_real_entry_point():
    """The installed command's exit status and output, not just main's return value."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    mistakes = (["render", "--view", "side", "-o", "m.svg"], ["summary", "--depth"], ["inspect", "--x"])
    for arguments in mistakes:
        result = subprocess.run([sys.executable, "-m", "minimod", *arguments], capture_output=True, text=True,
                                cwd=REPO, env=env, timeout=120)
        assert result.returncode == 1 and result.stdout == "", result
        assert "usage:" not in result.stderr
        _one_line_error(result.stderr)


# --- an input too large for memory ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["render", "inspect", "summary"])
def test_a_huge_input_shape_is_refused_before_allocating(command):
    memory = input_size.available_memory()
    if memory is not None and memory > 40_000_000_000 * input_size.BYTES_WHILE_MADE:
        pytest.skip("this machine could make a 447 GiB input")
    arguments = [command, "mlp", "--input-shape", HUGE] + (["-o", "m.svg"] if command == "render" else [])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "minimod", *arguments], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=120)
    assert result.returncode == 1 and result.stdout == "", result
    message = _one_line_error(result.stderr)
    assert message.startswith(f"--input-shape {HUGE} is an input of 40,000,000,000 values (149.0 GiB as "
                              "float32; making it takes 447.0 GiB), more than the ")
    assert message.endswith("of memory free here; pass a smaller shape, e.g. 1,3,32,32")


def test_the_limit_is_the_memory_there_is(capsys, monkeypatch):
    monkeypatch.setattr(input_size, "available_memory", lambda: 64 << 20)
    message = _run(capsys, "summary", "mlp", "--input-shape", "1,64,1024,1024")
    assert message == ("--input-shape 1,64,1024,1024 is an input of 67,108,864 values (256.0 MiB as "
                       "float32; making it takes 768.0 MiB), more than the 64.0 MiB of memory free here; "
                       "pass a smaller shape, e.g. 1,3,32,32")
    assert input_size.input_too_large((1, 64, 1024, 1024), "", memory=1 << 30) is None


def test_the_inspectors_input_dialog_meets_the_same_check(monkeypatch):
    from inspector.targets import TargetError, parse_input_spec

    monkeypatch.setattr(input_size, "available_memory", lambda: 64 << 20)
    with pytest.raises(TargetError, match="more than the 64.0 MiB of memory free here"):
        parse_input_spec("1,64,1024,1024 int64")
    assert parse_input_spec("1,3,32,32") == ((1, 3, 32, 32), "float32")


# --- PNGs too large or too small ------------------------------------------------------------------------


@pytest.fixture
def chain(tmp_path) -> str:
    """A TARGET whose diagram is one tall column of 1,000 boxes (with --no-fold)."""
    (tmp_path / "chain.py").write_text(
        "from minimod import nn\n\n\n"
        "def Chain():\n    return nn.Sequential(*[nn.Tanh() for _ in range(1000)])\n"
    )
    return f"{tmp_path / 'chain.py'}:Chain"


def test_a_png_of_a_very_tall_diagram_is_one_line_naming_the_way_out(capsys, chain, tmp_path):
    output = tmp_path / "chain.png"
    message = _run(capsys, "render", chain, "--no-fold", "-o", str(output))
    assert message.startswith("the diagram is 289 x ") and "too large for one PNG" in message
    assert "save it as .svg (any size)" in message and "drop --no-fold" in message
    assert not output.exists()


def test_a_png_fitted_below_one_pixel_is_one_line(capsys, chain, tmp_path):
    pytest.importorskip("cairosvg")
    output = tmp_path / "chain.png"
    message = _run(capsys, "render", chain, "--no-fold", "--rankdir", "LR", "--fit", "2", "-o", str(output))
    assert message.endswith("fitted to 2 pixels wide it would be 2 x 0 pixels; give --fit a larger width, or "
                            "save it as .svg")
    assert not output.exists()


def test_cairos_own_failure_is_one_line(capsys, monkeypatch, tmp_path):
    cairosvg = pytest.importorskip("cairosvg")

    def refuse(**options):
        raise MemoryError("out of memory")  # what cairo raises when its surface cannot be allocated

    monkeypatch.setattr(cairosvg, "svg2png", refuse)
    output = tmp_path / "mlp.png"
    message = _run(capsys, "render", "mlp", "-o", str(output))
    assert "pixel PNG failed (MemoryError: out of memory); save it as .svg (any size)" in message
    assert not output.exists()
