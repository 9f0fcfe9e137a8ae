"""The one comparison engine (inspector/state_compare.py), its text, and `minimod diff` through main()."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

import minimod as mm
from inspector.state_compare import KINDS, compare_state_dicts, owning_module
from inspector.state_compare_text import comparison_renderable
from minimod.cli import main


def _state() -> dict[str, np.ndarray]:
    generator = np.random.default_rng(0)
    return {
        "conv.weight": generator.standard_normal((4, 1, 3, 3)).astype(np.float32),
        "conv.bias": generator.standard_normal(4).astype(np.float32),
        "fc.weight": generator.standard_normal((3, 4)).astype(np.float32),
        "fc.bias": generator.standard_normal(3).astype(np.float32),
        "bn.running_mean": np.zeros(4, np.float32),
        "bn.num_batches_tracked": np.array(0, np.int64),
        "head.0.weight": np.ones((2, 3), np.float32),
    }


def _every_kind(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """B of A: one key dropped, one added, one reshaped, one retyped, three changed by different amounts."""
    other = dict(state)
    del other["fc.bias"]  # missing
    other["extra.weight"] = np.zeros((2, 2), np.float32)  # unexpected
    other["fc.weight"] = np.zeros((4, 4), np.float32)  # shape
    other["bn.running_mean"] = state["bn.running_mean"].astype(np.float64)  # dtype (values equal)
    other["conv.weight"] = state["conv.weight"] + 1.0  # changed: the largest
    other["conv.bias"] = state["conv.bias"] + 0.01  # changed: small
    other["bn.num_batches_tracked"] = np.array(5, np.int64)  # changed: an int buffer, by 5
    return other


def test_the_comparison_names_every_kind_of_difference():
    state = _state()
    comparison = compare_state_dicts(state, _every_kind(state), left_name="a", right_name="b")
    kinds = {item.key: item.kind for item in comparison.keys}
    assert kinds == {"conv.weight": "changed", "conv.bias": "changed", "fc.weight": "shape",
                     "fc.bias": "missing", "bn.running_mean": "dtype", "bn.num_batches_tracked": "changed",
                     "head.0.weight": "same", "extra.weight": "unexpected"}
    assert list(kinds)[-1] == "extra.weight"  # A's order, then the keys only B has
    assert not comparison.equal
    assert comparison.summary() == ("1 missing, 1 unexpected, 1 shape mismatch, 1 dtype mismatch, 3 changed, "
                                    "1 unchanged")
    conv_weight = comparison.get("conv.weight")
    assert conv_weight.change == pytest.approx(np.sqrt(36.0))  # ‖B − A‖ of +1 on 36 values
    assert conv_weight.max_abs == pytest.approx(1.0)
    scale = np.linalg.norm(state["conv.weight"].astype(np.float64))
    assert conv_weight.relative == pytest.approx(6.0 / scale)
    shape = comparison.get("fc.weight")
    assert (shape.left_shape, shape.right_shape, shape.change) == ((3, 4), (4, 4), None)
    dtype = comparison.get("bn.running_mean")
    assert (dtype.left_dtype, dtype.right_dtype, dtype.change) == ("float32", "float64", 0.0)
    # changed tensors ordered by the norm of their change, largest first, over all modules
    # (‖+1 on 36 values‖ = 6 > the buffer's 0 -> 5 > 0.01 on 4 values)
    assert [item.key for item in comparison.of_kind("changed")] == ["conv.weight", "bn.num_batches_tracked",
                                                                    "conv.bias"]


def test_grouped_per_module_in_state_dict_order_changes_largest_first():
    state = _state()
    modules = {module.path: module for module in compare_state_dicts(state, _every_kind(state)).by_module()}
    assert list(modules) == ["conv", "fc", "bn", "head.0", "extra"]
    assert [item.key for item in modules["conv"].differences] == ["conv.weight", "conv.bias"]  # by norm
    # in a module: missing, unexpected, shape, dtype, then changed (KINDS' order)
    assert [item.kind for item in modules["fc"].differences] == ["missing", "shape"]
    assert [item.kind for item in modules["bn"].differences] == ["dtype", "changed"]
    assert (modules["head.0"].differences, modules["head.0"].same) == ((), 1)
    assert KINDS[-1] == "same"


def test_equal_states_and_nan_in_the_same_place_count_as_equal():
    state = _state()
    state["conv.bias"][1] = np.nan
    copy = {key: value.copy() for key, value in state.items()}
    comparison = compare_state_dicts(state, copy)
    assert comparison.equal and comparison.summary() == "7 unchanged"
    copy["conv.bias"][2] = np.nan  # NaN on one side only: changed, infinitely
    changed = compare_state_dicts(state, copy).get("conv.bias")
    assert changed.kind == "changed" and changed.change == np.inf and changed.max_abs == np.inf


def test_nearest_module_of_a_key_the_model_lacks():
    assert owning_module("layer1.0.conv.weight") == "layer1.0.conv"
    assert owning_module("layer1.0.extra.weight", {"", "layer1", "layer1.0"}) == "layer1.0"
    assert owning_module("weight", {""}) == ""


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, width=32), min_size=1, max_size=12), st.floats(-10, 10, width=32))
def test_the_change_is_the_norm_of_the_difference(values, shift):
    left = {"w": np.array(values, np.float32)}
    right = {"w": left["w"] + np.float32(shift)}
    item = compare_state_dicts(left, right).get("w")
    expected = np.sqrt(np.sum((right["w"].astype(np.float64) - left["w"].astype(np.float64)) ** 2))
    assert item.change == pytest.approx(expected)
    assert item.kind == ("same" if expected == 0 else "changed")


def _text(comparison) -> str:
    console = Console(width=120, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(comparison_renderable(comparison))
    return console.export_text()


def test_the_text_lists_each_module_and_each_difference_in_order():
    state = _state()
    text = _text(compare_state_dicts(state, _every_kind(state), left_name="a.npz", right_name="b.npz"))
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == "A a.npz   B b.npz"
    order = [next(number for number, line in enumerate(lines) if line.startswith(start))
             for start in ("conv", "weight", "bias", "fc", "bias", "weight", "bn", "running_mean",
                           "num_batches_tracked", "extra")]
    assert order[:3] == sorted(order[:3])
    assert "the same in every key: head.0" in text
    for word in ("missing", "unexpected", "shape", "dtype", "changed"):
        assert word in text


# --- the command line ---------------------------------------------------------------------------------


@pytest.fixture
def checkpoints(tmp_path: Path) -> tuple[Path, Path]:
    state = _state()
    first, second = tmp_path / "a.npz", tmp_path / "b.npz"
    mm.save(state, str(first))
    mm.save(_every_kind(state), str(second))
    return first, second


def test_cli_diff_prints_the_comparison_and_exits_1_when_different(checkpoints, capsys):
    first, second = checkpoints
    assert main(["diff", str(first), str(second)]) == 1
    out, error = capsys.readouterr()
    assert error == ""
    assert "1 missing, 1 unexpected, 1 shape mismatch, 1 dtype mismatch, 3 changed, 1 unchanged" in out
    assert out.index("conv") < out.index("fc") < out.index("bn") < out.index("extra")


def test_cli_diff_exits_0_when_equal(checkpoints, capsys):
    first, _ = checkpoints
    assert main(["diff", str(first), str(first)]) == 0
    assert "equal: 7 keys, the same shapes, dtypes and values" in capsys.readouterr().out


def test_cli_diff_a_target_means_one_state_dict(tmp_path, capsys):
    """A TARGET side is built from seed 0: the same TARGET twice is equal, and so is its saved state dict."""
    import minimod as mm
    from minimod.zoo import get

    assert main(["diff", "convnet", "convnet"]) == 0
    mm.manual_seed(0)
    saved = tmp_path / "start.npz"
    mm.save(get("convnet").build().state_dict(), saved)
    assert main(["diff", str(saved), "convnet"]) == 0
    assert "equal" in capsys.readouterr().out


@pytest.mark.parametrize("which, expected", [
    ("missing", "cannot compare with {path}: no such file"),
    ("garbage", "cannot load '{path}': it is not an .npz file"),
    ("tensor", "cannot compare with {path}: it holds a Tensor, not a state dict"),
])
def test_cli_diff_a_bad_file_is_one_line_naming_it_exit_2(checkpoints, tmp_path, capsys, which, expected):
    first, _ = checkpoints
    bad = tmp_path / "bad.npz"
    if which == "garbage":
        bad.write_bytes(b"not a zip")
    elif which == "tensor":
        mm.save(mm.ones(3), str(bad))
    assert main(["diff", str(first), str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("minimod: error: ") and expected.format(path=bad) in error, error
    assert error.count("\n") == 1


def test_cli_diff_accepts_a_target_and_a_missing_argument_is_exit_2(checkpoints, capsys):
    first, _ = checkpoints
    assert main(["diff", str(first), "mlp"]) == 1  # a zoo name: its fresh state dict
    out = capsys.readouterr().out
    assert "B mlp" in out and "7 missing, 6 unexpected" in out
    assert main(["diff", str(first)]) == 2
    assert "the following arguments are required: B" in capsys.readouterr().err
    assert main(["diff", str(first), "no_such_model"]) == 2
    assert "unknown TARGET 'no_such_model'" in capsys.readouterr().err


def test_cli_diff_through_the_installed_entry_point(checkpoints):
    first, second = checkpoints
    command = [sys.executable, "-m", "minimod", "diff"]
    different = subprocess.run([*command, str(first), str(second)], capture_output=True, text=True)
    assert different.returncode == 1 and "shape mismatch" in different.stdout
    assert subprocess.run([*command, str(first), str(first)], capture_output=True).returncode == 0
    broken = subprocess.run([*command, str(first), "nowhere.npz"], capture_output=True, text=True)
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "nowhere.npz" in broken.stderr
    usage = subprocess.run([*command, "--help"], capture_output=True, text=True)
    assert usage.returncode == 0 and "0 equal, 1 different, 2 error" in " ".join(usage.stdout.split())
