"""d2l.ai's "Builders' Guide" chapter (PyTorch edition), each section's cells run unchanged on minimod.

The scripts are in scripts/d2l_builders_guide (the value a notebook cell displays is printed). Where a
line's numbers come from no random draw (shapes, names, constant initialisations, saved and loaded
tensors), minimod's printout must equal PyTorch's; elsewhere its shape and kind must.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

from tests.tutorials.runner import SCRIPTS, normalized, run_tutorial

GUIDE = SCRIPTS / "d2l_builders_guide"


def _both(name: str, tmp_path, capsys) -> tuple[list[str], list[str] | None]:
    """minimod's lines, and PyTorch's lines normalized (None without torch)."""
    ours = run_tutorial("minimod", GUIDE / name, workdir=tmp_path, capsys=capsys).splitlines()
    try:
        theirs = normalized(run_tutorial("torch", GUIDE / name, workdir=tmp_path, capsys=capsys)).splitlines()
    except pytest.skip.Exception:
        theirs = None
    return ours, theirs


def test_layers_and_modules(tmp_path, capsys):
    ours, theirs = _both("model_construction.py", tmp_path, capsys)
    assert ours[:3] == ["(2, 10)"] * 3  # Sequential, MLP and MySequential, each of lazy layers
    for line in ours[3:5]:  # FixedHiddenMLP and the chimera: a scalar summed from a while loop
        assert line.startswith("tensor(") and line.endswith(", grad_fn=<SumBackward0>)")
        assert abs(float(line[len("tensor("):].split(",")[0])) <= 1
    if theirs is not None:
        assert theirs[:3] == ours[:3]
        assert all(line.endswith(", grad_fn=<SumBackward0>)") for line in theirs[3:5])


def test_parameter_management(tmp_path, capsys):
    ours, theirs = _both("parameters.py", tmp_path, capsys)
    # (a state_dict's values are read-only ndarrays in minimod, by its contract; torch's are tensors)
    state = "\n".join(ours[1:3])
    # how an OrderedDict prints depends on Python (3.12: OrderedDict({'weight': ...})): ask Python itself
    weight, bias = (repr(OrderedDict({key: None})).split("None")[0] for key in ("weight", "bias"))
    assert state.startswith(weight + "array([[")
    assert bias.removeprefix("OrderedDict(").lstrip("[({") + "array([" in state
    shown = [line for line in ours if not line.startswith(("OrderedDict", " "))]
    assert shown[0] == "(2, 1)"
    assert shown[1].startswith("<class 'minimod.nn.parameter.Parameter'> tensor([")
    assert shown[2] == "True"  # no gradient before backward
    assert shown[3] == "[('0.weight', (8, 4)), ('0.bias', (8,)), ('2.weight', (1, 8)), ('2.bias', (1,))]"
    # tied parameters: the shared layer is one object, so changing one changes the other
    assert shown[4:] == ["tensor([True, True, True, True, True, True, True, True])"] * 2
    if theirs is not None:
        their_shown = [line for line in theirs if not line.startswith(("OrderedDict", " "))]
        assert [line.split(" tensor")[0] for line in their_shown] == [
            line.split(" tensor")[0] for line in shown]


def test_parameter_initialization(tmp_path, capsys):
    ours, theirs = _both("init_param.py", tmp_path, capsys)
    assert ours[0] == "(2, 1)"
    assert ours[1].endswith(" tensor(0.)")  # normal_(std=0.01) weights, zero bias
    assert ours[2] == "tensor([1., 1., 1., 1.]) tensor(0.)"  # constant_(1)
    assert ours[4] == "tensor([[42., 42., 42., 42., 42., 42., 42., 42.]])"  # constant_(42) on net[2] only
    assert ours[5:7] == ["Init weight (8, 4)", "Init weight (1, 8)"]
    assert ours[-1].startswith("tensor([42.0000, ")  # weight.data[0, 0] = 42 after += 1
    if theirs is not None:
        for index in (0, 2, 4, 5, 6):
            assert theirs[index] == ours[index]


def test_lazy_initialization(tmp_path, capsys):
    ours, theirs = _both("lazy_init.py", tmp_path, capsys)
    assert ours == ["<UninitializedParameter>", "(256, 20)"]
    if theirs is not None:
        assert theirs == ours


def test_custom_layers(tmp_path, capsys):
    ours, theirs = _both("custom_layer.py", tmp_path, capsys)
    assert ours[0] == "tensor([-2., -1.,  0.,  1.,  2.])"
    mean = float(ours[1][len("tensor("):].split(",")[0])
    assert abs(mean) < 1e-6 and ours[1].endswith("grad_fn=<MeanBackward0>)")
    assert ours[2].startswith("Parameter containing:") and ours[7].endswith("requires_grad=True)")
    if theirs is not None:
        assert theirs[0] == ours[0] and theirs[2] == ours[2]


def test_file_io(tmp_path, capsys):
    ours, theirs = _both("read_write.py", tmp_path, capsys)
    assert ours[:3] == [
        "tensor([0, 1, 2, 3])",
        "(tensor([0, 1, 2, 3]), tensor([0., 0., 0., 0.]))",
        "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}",
    ]
    # the clone, still lazy, took the saved shapes when the parameters were loaded: Y_clone == Y
    assert ours[-2:] == ["tensor([[True, True, True, True, True, True, True, True, True, True],",
                         "        [True, True, True, True, True, True, True, True, True, True]])"]
    assert all((tmp_path / name).is_file() for name in ("x-file", "x-files", "mydict", "mlp.params"))
    if theirs is not None:
        assert theirs == ours


def test_gpus_without_a_gpu(tmp_path, capsys):
    ours, theirs = _both("use_gpu.py", tmp_path, capsys)
    assert ours == ["cpu cuda:0 cuda:1", "0", "cpu cpu []", "cpu", "tensor([[1., 1., 1.],",
                    "        [1., 1., 1.]])", "cpu"]
    if theirs is not None:
        assert theirs == ours
