"""Lesson 6 checks: add_prefix/strip_prefix, load_matching, and a model + optimizer checkpoint round trip."""

import os
import tempfile

import numpy as np

import minimod as mm
from lessons.checker import check
from lessons.step_models import BaseNet, NestedNet
from minimod import optim


@check("add_prefix renames every key and keeps the order",
       tip="Build a new ordered dict whose keys are the prefix followed by each old key.",
       hint="return OrderedDict((prefix + key, value) for key, value in state_dict.items())")
def adding(student):
    base = BaseNet()
    renamed = student.add_prefix(base.state_dict(), "base_net.")
    assert list(renamed.keys()) == ["base_net.linear.weight", "base_net.linear.bias"], \
        f"keys: {list(renamed)}"
    net = NestedNet()
    result = net.load_state_dict(renamed, strict=False)
    assert list(result.missing_keys) == ["linear.weight", "linear.bias"], \
        f"missing keys: {result.missing_keys}"
    np.testing.assert_array_equal(net.base_net.linear.weight.numpy(), base.linear.weight.numpy())


@check("strip_prefix removes the prefix where present",
       tip="Test each key for the prefix and cut exactly that many characters off the front.",
       hint="key[len(prefix):] if key.startswith(prefix) else key")
def stripping(student):
    state = {"module.a.weight": np.ones(2), "module.a.bias": np.zeros(2), "other": np.ones(1)}
    got = list(student.strip_prefix(state, "module.").keys())
    assert got == ["a.weight", "a.bias", "other"], \
        f"strip_prefix(..., 'module.') gave keys {got}, expected ['a.weight', 'a.bias', 'other']" + \
        (" (str.lstrip removes characters, not a prefix: use key[len(prefix):])" if "ther" in got else "")
    net = NestedNet()
    stripped = student.strip_prefix(net.state_dict(), "base_net.linear.")
    got = list(stripped.keys())
    assert got == ["weight", "bias", "linear.weight", "linear.bias"], \
        f"strip_prefix(NestedNet, 'base_net.linear.') = {got}"
    np.testing.assert_array_equal(stripped["weight"], net.base_net.linear.weight.numpy(),
                                  err_msg="the values must stay with their (renamed) keys")


@check("load_matching loads what fits and reports what it skipped",
       tip="Compare each key and shape with the model's own state dict; load only the matching entries, "
       "non-strictly.",
       hint="a key is usable if it is in model.state_dict() and the shapes are equal; "
       "load those with strict=False and return the other keys.")
def matching(student):
    source = NestedNet()
    target = NestedNet()
    state = dict(source.state_dict())
    state["linear.weight"] = np.zeros((5, 3), dtype=np.float32)  # a different head
    state["head.bias"] = np.zeros(2, dtype=np.float32)
    old_head = target.linear.weight.numpy().copy()
    skipped = list(student.load_matching(target, state))
    assert skipped == ["linear.weight", "head.bias"], (
        f"load_matching skipped {skipped}, expected ['linear.weight', 'head.bias'] (linear.weight has "
        f"another shape in the model, head.bias is not in the model)")
    np.testing.assert_array_equal(target.base_net.linear.weight.numpy(),
                                  source.base_net.linear.weight.numpy(),
                                  err_msg="base_net.linear.weight should have been loaded")
    np.testing.assert_array_equal(target.linear.bias.numpy(), source.linear.bias.numpy(),
                                  err_msg="linear.bias matches in name and shape, so it should be loaded")
    np.testing.assert_array_equal(target.linear.weight.numpy(), old_head,
                                  err_msg="linear.weight has the wrong shape and must be left alone")


@check("save_checkpoint and load_checkpoint restore the model and the optimizer",
       tip="Save one dict holding both state dicts, and load each one back into its own object.",
       hint="mm.save({'model': model.state_dict(), 'optimizer': optimizer.state_dict()}, path); "
       "then mm.load(path) and load_state_dict on each.")
def round_trip(student):
    mm.manual_seed(0)
    model = NestedNet()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        optimizer.zero_grad()
        model(mm.randn(3, 4)).sum().backward()
        optimizer.step()
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checkpoint.npz")
        student.save_checkpoint(path, model, optimizer)
        assert os.path.exists(path), f"save_checkpoint wrote nothing at {path}"
        fresh = NestedNet()
        fresh_optimizer = optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
        student.load_checkpoint(path, fresh, fresh_optimizer)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key], value, err_msg=f"model key {key} not restored")
    saved = optimizer.state_dict()["state"]
    restored = fresh_optimizer.state_dict()["state"]
    assert len(restored) == len(saved), f"optimizer state has {len(restored)} entries, expected {len(saved)}"
    for index, entry in saved.items():
        np.testing.assert_allclose(np.asarray(restored[index]["momentum_buffer"]),
                                   np.asarray(entry["momentum_buffer"]),
                                   err_msg="the optimizer's momentum buffers were not restored")
