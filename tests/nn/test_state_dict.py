"""state_dict and load_state_dict: torch's keys and messages, read-only snapshots, all-or-nothing loading."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import minimod as mm
from minimod import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, x):
        return self.bn(self.fc(x))


class Block(nn.Module):
    """Parameters, a persistent and a non-persistent buffer, and a child: torch's key order."""

    def __init__(self):
        super().__init__()
        self.child = nn.Linear(2, 2)
        self.register_buffer("steps", mm.zeros(1))
        self.scale = nn.Parameter(mm.ones(2))
        self.register_buffer("cache", mm.zeros(2), persistent=False)


def _torch_net(torch):
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)
            self.bn = torch.nn.BatchNorm1d(2)

    TorchNet.__name__ = "Net"
    return TorchNet()


def _values(module):
    return {name: np.array(value) for name, value in module.state_dict().items()}


# --- state_dict --------------------------------------------------------------------------------


def test_keys_follow_torchs_order():
    assert list(Net().state_dict()) == [
        "fc.weight", "fc.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked",
    ]
    # each module: its parameters, then its persistent buffers, then its children
    assert list(Block().state_dict()) == ["scale", "steps", "child.weight", "child.bias"]
    assert list(nn.BatchNorm2d(10).state_dict().keys()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked",
    ]
    assert [n for n, _ in nn.BatchNorm2d(10).named_buffers()] == [
        "running_mean", "running_var", "num_batches_tracked",
    ]


def test_keys_match_torch():
    torch = pytest.importorskip("torch")
    assert list(Net().state_dict()) == list(_torch_net(torch).state_dict())


def test_nested_keys_and_prefix():
    class BaseNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(4, 3)

    class NestedNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.base_net = BaseNet()
            self.relu = nn.ReLU()
            self.linear = nn.Linear(3, 2)

    state = NestedNet().state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["base_net.linear.weight", "base_net.linear.bias", "linear.weight", "linear.bias"]
    assert state["base_net.linear.weight"].shape == (3, 4)
    assert list(NestedNet().state_dict(prefix="model.")) == ["model." + k for k in state]
    assert state._metadata[""] == {"version": 1}


def test_values_are_read_only_snapshots():
    bn = nn.BatchNorm2d(10)
    state = bn.state_dict()
    assert all(type(v) is np.ndarray for v in state.values())
    assert state["bias"].dtype == np.float32 and state["bias"].tolist() == [0.0] * 10
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        state["bias"][0] = 1
    layer = nn.Linear(2, 2)
    snapshot = layer.state_dict()["weight"]
    before = snapshot.copy()
    with mm.no_grad():
        layer.weight.add_(1.0)
    np.testing.assert_array_equal(snapshot, before)  # training later does not reach the snapshot
    assert not np.shares_memory(snapshot, layer.weight.numpy())


def test_keep_vars_returns_the_objects():
    layer = nn.BatchNorm1d(3)
    state = layer.state_dict(keep_vars=True)
    assert state["weight"] is layer.weight and state["running_mean"] is layer.running_mean


def test_state_dict_hooks():
    layer = nn.Linear(2, 2)
    calls = []
    layer.register_state_dict_pre_hook(lambda m, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))

    def post(module, state, prefix, local_metadata):
        calls.append(("post", list(state)))
        state[prefix + "note"] = np.zeros(1)

    handle = layer.register_state_dict_post_hook(post)
    seq = nn.Sequential(layer)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "0.note"]
    assert calls == [("pre", "0.", False), ("post", ["0.weight", "0.bias"])]
    handle.remove()
    layer.register_state_dict_post_hook(lambda *args: {})
    with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
        layer.state_dict()
    other = nn.Linear(2, 2)
    other._register_state_dict_hook(lambda m, state, prefix, meta: OrderedDict(only=np.ones(1)))
    assert list(other.state_dict()) == ["only"]  # the old private hook may replace the dict


# --- load_state_dict ---------------------------------------------------------------------------


def test_round_trip_keeps_parameter_objects_and_bumps_versions():
    source, target = Net(), Net()
    with mm.no_grad():
        source.bn.running_mean.fill_(0.25)
    params = list(target.parameters())
    version = target.fc.weight._version.value
    result = target.load_state_dict(source.state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(a is b for a, b in zip(target.parameters(), params))
    assert target.fc.weight._version.value > version
    for key, value in _values(source).items():
        np.testing.assert_array_equal(_values(target)[key], value)
    assert target.bn.running_mean.tolist() == [0.25, 0.25]


def test_values_may_be_tensors_or_arrays_and_are_cast():
    layer = nn.Linear(2, 2)
    layer.load_state_dict({"weight": mm.ones(2, 2, dtype=mm.float64), "bias": np.arange(2)})
    assert layer.weight.dtype == np.float32 and layer.weight.tolist() == [[1, 1], [1, 1]]
    assert layer.bias.dtype == np.float32 and layer.bias.tolist() == [0, 1]
    bn = nn.BatchNorm1d(2)
    bn.load_state_dict({**bn.state_dict(), "num_batches_tracked": np.array([7.0])})  # (1,) into a scalar
    assert bn.num_batches_tracked.dtype == np.int64 and bn.num_batches_tracked.item() == 7
    # the loaded parameter owns its values: changing the source afterwards changes nothing
    source = np.ones((2, 2), dtype=np.float32)
    layer.load_state_dict({"weight": source, "bias": np.zeros(2)})
    source[...] = 5
    assert layer.weight.tolist() == [[1, 1], [1, 1]]


def test_strict_error_lists_every_problem_in_torchs_format():
    net = Net()
    state = dict(net.state_dict())
    del state["fc.bias"]
    del state["bn.running_var"]
    state["extra"] = np.zeros(1)
    state["fc.weight"] = np.zeros((4, 3), dtype=np.float32)
    state["bn.foo.bar"] = np.zeros(1)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(state)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "fc.bias", "bn.running_var". \n'
        '\tUnexpected key(s) in state_dict: "extra", "bn.foo.bar". \n'
        "\tsize mismatch for fc.weight: copying a param with shape minimod.Size([4, 3]) from checkpoint, "
        "the shape in current model is minimod.Size([2, 3])."
    )


def test_strict_error_matches_torch_exactly():
    torch = pytest.importorskip("torch")
    ours, theirs = Net(), _torch_net(torch)
    state_ours = dict(ours.state_dict())
    state_theirs = dict(theirs.state_dict())
    for state, make in ((state_ours, np.zeros), (state_theirs, torch.zeros)):
        del state["fc.bias"]
        state["fc.weight"] = make((5, 3))
        state["bn.weight"] = make((3,))
        state["unused"] = make((1,))
    messages = []
    for module, state in ((ours, state_ours), (theirs, state_theirs)):
        with pytest.raises(RuntimeError) as info:
            module.load_state_dict(state)
        messages.append(str(info.value))
    # torch's message word for word, with minimod's name for the shape type (minimod.Size)
    assert messages[0] == messages[1].replace("torch.Size(", "minimod.Size(")


def test_any_error_leaves_the_module_unchanged():
    net = Net()
    before = _values(net)
    objects = list(net.parameters()) + list(net.buffers())
    versions = [t._version.value for t in objects]
    good = {k: np.full(v.shape, 3, v.dtype) for k, v in before.items()}
    for bad in (
        {**good, "fc.weight": np.zeros((4, 3))},  # a shape mismatch
        {k: v for k, v in good.items() if k != "bn.bias"},  # a missing key
        {**good, "surprise": np.zeros(1)},  # an unexpected key
        {**good, "bn.weight": [1.0, 2.0]},  # not an array
    ):
        with pytest.raises(RuntimeError):
            net.load_state_dict(bad)
        for key, value in _values(net).items():
            np.testing.assert_array_equal(value, before[key])
        assert [t._version.value for t in objects] == versions
    assert all(a is b for a, b in zip(list(net.parameters()) + list(net.buffers()), objects))


def test_shape_mismatch_raises_even_when_not_strict():
    net = Net()
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict({"fc.weight": np.zeros((5, 3))}, strict=False)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for fc.weight: copying a param with shape "
        "minimod.Size([5, 3]) from checkpoint, the shape in current model is minimod.Size([2, 3])."
    )


def test_not_strict_reports_keys_and_loads_the_rest():
    net = Net()
    state = {k: v for k, v in net.state_dict().items() if k != "fc.bias"}
    state["fc.weight"] = np.ones((2, 3))
    state["zzz"] = np.zeros(1)
    result = net.load_state_dict(state, strict=False)
    assert result == (["fc.bias"], ["zzz"])
    assert repr(result) == "_IncompatibleKeys(missing_keys=['fc.bias'], unexpected_keys=['zzz'])"
    assert net.fc.weight.tolist() == [[1, 1, 1], [1, 1, 1]]


def test_bad_arguments():
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got <class 'int'>."):
        nn.Linear(2, 2).load_state_dict(5)
    with pytest.raises(RuntimeError, match='While copying the parameter named "weight", expected '
                                           "minimod.Tensor or numpy.ndarray from checkpoint but received "
                                           "<class 'list'>"):
        nn.Linear(2, 2).load_state_dict({"weight": [[1, 2], [3, 4]], "bias": np.zeros(2)})


def test_a_value_that_cannot_be_cast_is_reported_and_nothing_changes():
    layer = nn.Linear(2, 2)
    before = _values(layer)
    with pytest.raises(RuntimeError) as info:
        layer.load_state_dict({"weight": np.array([["a", "b"], ["c", "d"]]), "bias": np.ones(2)})
    assert str(info.value).startswith(
        'Error(s) in loading state_dict for Linear:\n\tWhile copying the parameter named "weight", whose '
        "dimensions in the model are minimod.Size([2, 2]) and whose dimensions in the checkpoint are "
        "minimod.Size([2, 2]), an exception occurred : "
    )
    np.testing.assert_array_equal(_values(layer)["bias"], before["bias"])


def test_assign_replaces_the_objects_with_the_checkpoints_values():
    layer = nn.Linear(2, 2)
    old = layer.weight
    layer.load_state_dict({"weight": np.ones((2, 2), dtype=np.float64), "bias": np.zeros(2)}, assign=True)
    assert layer.weight is not old and isinstance(layer.weight, nn.Parameter)
    assert layer.weight.dtype == np.float64 and layer.weight.requires_grad
    layer.weight.numpy()[0, 0] = 5  # writable, even though the source may be a read-only snapshot


def test_load_hooks_run_and_post_hooks_may_clear_keys():
    net = Net()
    calls = []
    def pre(module, state, prefix, *rest):
        calls.append(("pre", type(module).__name__, prefix, sorted(state)))

    net.fc.register_load_state_dict_pre_hook(pre)

    def forgive(module, incompatible_keys):
        calls.append(("post", list(incompatible_keys.missing_keys)))
        incompatible_keys.missing_keys.clear()

    net.register_load_state_dict_post_hook(forgive)
    net.bn.register_load_state_dict_post_hook(lambda m, keys: calls.append(("post bn",)))
    state = {k: np.full(v.shape, 2, v.dtype) for k, v in net.state_dict().items() if k != "bn.bias"}
    assert repr(net.load_state_dict(state)) == "<All keys matched successfully>"
    assert calls == [
        ("pre", "Linear", "fc.", ["fc.bias", "fc.weight"]),
        ("post bn",),  # children's post hooks run before their parent's, as in torch
        ("post", ["bn.bias"]),
    ]
    assert net.fc.bias.tolist() == [2, 2]


def test_a_failing_post_hook_undoes_the_load():
    layer = nn.Linear(2, 2)
    before = _values(layer)
    seen = []

    def check(module, keys):
        seen.append(module.weight.tolist())  # the new values are in place when post hooks run
        raise ValueError("refused")

    layer.register_load_state_dict_post_hook(check)
    version = layer.weight._version.value
    with pytest.raises(ValueError, match="refused"):
        layer.load_state_dict({"weight": np.ones((2, 2)), "bias": np.ones(2)})
    assert seen == [[[1, 1], [1, 1]]]
    assert layer.weight._version.value == version
    for key, value in _values(layer).items():
        np.testing.assert_array_equal(value, before[key])


def test_keys_left_missing_by_post_hooks_undo_the_load():
    layer = nn.Linear(2, 2)
    before = _values(layer)
    layer.register_load_state_dict_post_hook(lambda module, keys: None)
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"'):
        layer.load_state_dict({"weight": np.ones((2, 2))})
    np.testing.assert_array_equal(_values(layer)["weight"], before["weight"])


def test_extra_state_round_trip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.count = 0

        def get_extra_state(self):
            return np.array(self.count)

        def set_extra_state(self, state):
            self.count = int(state)

    source, target = Counter(), Counter()
    source.count = 4
    state = source.state_dict()
    assert list(state) == ["_extra_state"]
    target.load_state_dict(state)
    assert target.count == 4
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        Counter().load_state_dict({})


def test_save_and_load_through_files(tmp_path):
    serialization = pytest.importorskip("minimod.serialization")
    net = Net()
    net(mm.randn(4, 3))  # move the running statistics
    path = tmp_path / "net.npz"
    serialization.save(net.state_dict(), path)
    fresh = Net()
    assert repr(fresh.load_state_dict(serialization.load(path))) == "<All keys matched successfully>"
    for key, value in _values(net).items():
        np.testing.assert_array_equal(_values(fresh)[key], value)


# --- BatchNorm's num_batches_tracked (state dict version 2) ------------------------------------


def _trained_net() -> Net:
    net = Net()
    for _ in range(3):
        net(mm.randn(4, 3))
    return net


def test_batchnorm_fills_in_num_batches_tracked_missing_from_an_old_or_plain_state_dict():
    # a plain dict (a file, or hand-made) has no version metadata: the count is kept, not reported missing
    net = _trained_net()
    plain = {k: v for k, v in net.state_dict().items() if k != "bn.num_batches_tracked"}
    assert net.load_state_dict(plain) == ([], [])
    assert net.bn.num_batches_tracked.item() == 3
    assert "bn.num_batches_tracked" not in plain  # the caller's dict is not changed
    old = net.state_dict()
    del old["bn.num_batches_tracked"]
    old._metadata["bn"]["version"] = 1
    assert net.load_state_dict(old) == ([], [])
    assert net.bn.num_batches_tracked.item() == 3


def test_batchnorm_state_dict_of_version_2_must_have_num_batches_tracked():
    net = _trained_net()
    state = net.state_dict()
    assert state._metadata["bn"] == {"version": 2} and state._metadata["fc"] == {"version": 1}
    del state["bn.num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bn.num_batches_tracked"'):
        net.load_state_dict(state)


def test_batchnorm_num_batches_tracked_fill_in_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for bn in (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3)):
        state = bn.state_dict()
        del state["num_batches_tracked"]
        with pytest.raises(RuntimeError) as info:
            bn.load_state_dict(state)
        state._metadata[""]["version"] = 1
        loaded = (tuple(bn.load_state_dict(state)), tuple(bn.load_state_dict(dict(state))))
        results.append((str(info.value), loaded))
    assert results[0] == results[1]
