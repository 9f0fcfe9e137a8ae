"""Lesson 11 checks: nnabla_names, torch_name and load_nnabla on ResUnit and a small Sequential."""

import numpy as np

import minimod as mm
from lessons.checker import check
from minimod import nn
from minimod.zoo.nnabla import ResUnit


def _unit():
    mm.manual_seed(0)
    return ResUnit(8, 8)


@check("nnabla_names marks module names with @ and joins with /",
       tip="Every part of a dotted name but the last is a module's name: only those get the @ (step 2).",
       hint="*modules, own = name.split('.'); '/'.join([*('@' + m for m in modules), own])")
def naming(student):
    unit = _unit()
    names = student.nnabla_names(unit)
    got = list(names)
    if any(name.endswith(("/@weight", "/@bias")) for name in got):
        raise AssertionError(f"{got[0]}: the parameter's own name (the last part) gets no @")
    assert got[:2] == ["@conv1/@conv/weight", "@conv1/@bn/weight"], f"the first names are {got[:2]}"
    assert len(got) == len(list(unit.parameters())), "one name per parameter"
    assert names["@skip/@bn/bias"] is unit.skip.bn.bias, "the values must be the parameters themselves"
    root = nn.Linear(2, 2)
    assert list(student.nnabla_names(root)) == ["weight", "bias"], "a root parameter keeps its own name"


@check("torch_name turns an nnabla-style name back",
       tip="Split at '/', take the @ off each part, join with '.' (step 2).",
       hint="'.'.join(part.removeprefix('@') for part in name.split('/'))")
def back(student):
    cases = {"@conv1/@conv/weight": "conv1.conv.weight", "weight": "weight", "@0/@1/bias": "0.1.bias"}
    for nnabla, dotted in cases.items():
        got = student.torch_name(nnabla)
        if got.replace("@", "") == dotted and "@" in got:
            raise AssertionError(f"torch_name({nnabla!r}) = {got!r}: str.strip('@') or replace only some @s; "
                                 "take the @ off every part")
        assert got == dotted, f"torch_name({nnabla!r}) = {got!r}, expected {dotted!r}"


@check("load_nnabla loads an nnabla-named checkpoint strictly",
       tip="Convert every key with torch_name, then load_state_dict with its default strict=True (step 4).",
       hint="return model.load_state_dict({torch_name(k): v for k, v in parameters.items()})")
def loading(student):
    source = nn.Sequential(nn.Linear(3, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2)))
    target = nn.Sequential(nn.Linear(3, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 2)))
    checkpoint = {"@0/weight": source[0].weight.numpy(), "@0/bias": source[0].bias.numpy(),
                  "@1/@1/weight": source[1][1].weight.numpy(), "@1/@1/bias": source[1][1].bias.numpy()}
    result = student.load_nnabla(target, checkpoint)
    assert result is not None and not result.missing_keys, f"load_nnabla returned {result!r}"
    np.testing.assert_array_equal(target[1][1].weight.numpy(), source[1][1].weight.numpy())
    try:
        student.load_nnabla(target, {"@0/weight": source[0].weight.numpy()})
    except RuntimeError:
        pass
    else:
        raise AssertionError("a checkpoint missing keys must fail: load with strict=True (the default)")
