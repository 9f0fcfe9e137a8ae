"""mm.save / mm.load: round trips (hypothesis), exact paths, no pickle, atomic writes, clear errors."""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings

import minimod as mm
from minimod import optim
from minimod.errors import UserError
from minimod.serialization import MANIFEST, SerializationError
from tests.strategies import saveable_values


def assert_same(loaded, original, where="obj"):
    """Equal values, equal types (dict vs OrderedDict, list vs tuple), key order and dtypes."""
    if isinstance(original, mm.Tensor):
        assert isinstance(loaded, mm.Tensor), where
        assert loaded.requires_grad == original.requires_grad, where
        assert_same(loaded.numpy(), original.numpy(), where)
    elif isinstance(original, np.ndarray):
        assert isinstance(loaded, np.ndarray), where
        assert loaded.dtype == original.dtype and loaded.shape == original.shape, where
        np.testing.assert_array_equal(loaded, original, err_msg=where)
    elif isinstance(original, np.generic):
        assert type(loaded) is type(original), where
        assert loaded == original or (loaded != loaded and original != original), where
    elif isinstance(original, dict):
        assert type(loaded) is type(original), where
        assert list(loaded) == list(original), where
        for key in original:
            assert_same(loaded[key], original[key], f"{where}[{key!r}]")
    elif isinstance(original, (list, tuple)):
        assert type(loaded) is type(original) and len(loaded) == len(original), where
        for i, (a, b) in enumerate(zip(loaded, original)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(original, float) and math.isnan(original):
        assert isinstance(loaded, float) and math.isnan(loaded), where
    else:
        assert type(loaded) is type(original) and loaded == original, where


@settings(max_examples=40)
@given(value=saveable_values())
def test_round_trip_any_saveable_value(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("rt") / "checkpoint.npz"
    mm.save(value, path)
    assert_same(mm.load(path), value)


def _model_state():
    state = OrderedDict()
    for name, shape in [("net.0.weight", (3, 4)), ("net.0.bias", (3,)), ("bn.num_batches_tracked", ())]:
        array = np.arange(int(np.prod(shape)), dtype=np.int64 if not shape else np.float32).reshape(shape)
        array.flags.writeable = False  # Module.state_dict's values are read-only snapshots
        state[name] = array
    return state


def _optimizer_state():
    params = [mm.ones(3, 4, requires_grad=True), mm.ones(3, requires_grad=True)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}], betas=(0.8, 0.9))
    for p in params:
        p.grad = mm.ones(*p.shape)
    opt.step()
    return opt.state_dict()


def test_model_and_optimizer_checkpoint_round_trip(tmp_path):
    checkpoint = {"model": _model_state(), "optimizer": _optimizer_state(), "epoch": 3, "best": 0.25,
                  "note": "after warm-up", "extra": None}
    path = tmp_path / "run.npz"
    mm.save(checkpoint, path)
    loaded = mm.load(path)
    assert_same(loaded, checkpoint)
    assert isinstance(loaded["model"], OrderedDict)
    assert list(loaded["optimizer"]["state"]) == [0, 1]  # int keys stay ints
    assert loaded["optimizer"]["param_groups"][1]["betas"] == (0.8, 0.9)  # tuples stay tuples
    assert loaded["model"]["net.0.weight"].flags.writeable  # load gives writable copies


def test_loaded_optimizer_state_restores_training(tmp_path):
    params = [mm.ones(2, requires_grad=True)]
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    params[0].grad = mm.ones(2)
    opt.step()
    mm.save(opt.state_dict(), tmp_path / "opt")
    fresh = optim.SGD([mm.ones(2, requires_grad=True)], lr=0.5, momentum=0.9)
    fresh.load_state_dict(mm.load(tmp_path / "opt"))
    assert fresh.param_groups[0]["lr"] == 0.1
    np.testing.assert_array_equal(fresh.state[fresh.param_groups[0]["params"][0]]["momentum_buffer"].numpy(),
                                  [1.0, 1.0])


def test_written_at_exactly_the_given_path(tmp_path):
    for name in ["weights", "weights.bin", "weights.npz"]:
        mm.save({"a": np.zeros(2)}, tmp_path / name)
        assert (tmp_path / name).is_file()
    assert sorted(os.listdir(tmp_path)) == ["weights", "weights.bin", "weights.npz"]  # no ".npz" added


def test_string_paths_and_file_objects(tmp_path):
    path = str(tmp_path / "s.npz")
    mm.save([1, 2.5], path)
    assert mm.load(path) == [1, 2.5]
    with open(tmp_path / "f.npz", "wb") as handle:
        mm.save({"x": mm.tensor([1.0])}, handle)
    with open(tmp_path / "f.npz", "rb") as handle:
        assert mm.load(handle)["x"].tolist() == [1.0]


def test_layout_is_a_plain_npz_with_a_json_manifest(tmp_path):
    mm.save(OrderedDict(w=np.ones(2, np.float32)), tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        manifest = json.loads(archive[MANIFEST].tobytes().decode())
        assert manifest["format"] == "minimod" and manifest["version"] == 2
        node = manifest["root"]["items"][0][1]
        assert archive[node["entry"]].dtype == np.float32
        # each array node records what its entry must hold, which load checks before reading it
        assert node["dtype"] == "<f4" and node["shape"] == [2]
        assert node["crc32"] == zipfile.ZipFile(tmp_path / "c.npz").getinfo(f"{node['entry']}.npy").CRC


@pytest.mark.parametrize("value", [
    {"a": object()},
    {"a": np.array([1, "x"], dtype=object)},
    {"a": {1, 2}},
    [lambda x: x],
    {object(): 1},
    {"a": np.zeros(2, dtype=[("x", "f4")])},
], ids=["object", "object-array", "set", "function", "object-key", "structured-array"])
def test_values_that_need_pickle_are_refused(tmp_path, value):
    path = tmp_path / "c.npz"
    mm.save({"old": 1}, path)
    with pytest.raises(SerializationError, match="cannot save obj"):
        mm.save(value, path)
    assert mm.load(path) == {"old": 1}  # the old file is untouched
    assert os.listdir(tmp_path) == ["c.npz"]


def test_crash_mid_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "c.npz"
    mm.save({"version": 1}, path)

    def crash(member, array, **options):
        member.write(b"\x93NUMPY half an array")
        raise KeyboardInterrupt  # e.g. the student presses Ctrl-C mid-save

    monkeypatch.setattr(np.lib.format, "write_array", crash)
    with pytest.raises(KeyboardInterrupt):
        mm.save({"version": 2}, path)
    monkeypatch.undo()
    assert mm.load(path) == {"version": 1}
    assert os.listdir(tmp_path) == ["c.npz"]  # no temporary file left behind


def _error(path):
    with pytest.raises(SerializationError) as info:
        mm.load(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert isinstance(info.value, UserError) and isinstance(info.value, ValueError)
    return message


def test_missing_file(tmp_path):
    assert "no such file" in _error(tmp_path / "nope.npz")


def test_directory(tmp_path):
    assert "directory" in _error(tmp_path)


def test_text_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("these are my notes, not weights\n")
    assert "not an .npz file" in _error(path)


def test_truncated_file(tmp_path):
    path = tmp_path / "c.npz"
    mm.save({"w": np.arange(1000.0)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt" in _error(path)


def test_foreign_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    assert "not written by mm.save" in _error(path)


def test_npy_file(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    assert "single .npy array" in _error(path)


def test_pickled_npz_is_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    manifest = json.dumps({"format": "minimod", "version": 1, "root": {"type": "array", "entry": "a0"}})
    evil = np.array([object()], dtype=object)
    np.savez(path, __minimod__=np.frombuffer(manifest.encode(), np.uint8), a0=evil)
    assert "pickled objects" in _error(path)


@pytest.mark.parametrize("manifest,expected", [
    (b"{not json", "not valid JSON"),
    (json.dumps({"format": "other", "root": None}).encode(), "not a minimod manifest"),
    (json.dumps({"format": "minimod", "version": 99, "root": {"type": "none"}}).encode(), "version 99"),
    (json.dumps({"format": "minimod", "version": 1, "root": {"type": "array", "entry": "a7"}}).encode(),
     "'a7' is missing"),
    (json.dumps({"format": "minimod", "version": 1, "root": {"type": "mystery"}}).encode(), "mystery"),
    (json.dumps({"format": "minimod", "version": 1, "root": {"items": []}}).encode(), "damaged"),
])
def test_damaged_manifest(tmp_path, manifest, expected):
    path = tmp_path / "c.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open(f"{MANIFEST}.npy", "w") as entry:
            np.lib.format.write_array(entry, np.frombuffer(manifest, np.uint8))
    assert expected in _error(path)


def test_save_into_missing_folder_names_it(tmp_path):
    with pytest.raises(SerializationError, match="does not exist"):
        mm.save({}, tmp_path / "no" / "such" / "c.npz")


def test_model_and_optimizer_resume_from_a_checkpoint(tmp_path):
    from minimod import nn

    def build():
        mm.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
        return model, optim.Adam(model.parameters(), lr=0.01)

    x, y = mm.randn(16, 4), mm.tensor(np.arange(16) % 2)

    def train(model, opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()

    model, opt = build()
    train(model, opt, 3)
    mm.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "ckpt")
    train(model, opt, 2)
    resumed, resumed_opt = build()
    checkpoint = mm.load(tmp_path / "ckpt")
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optimizer"])
    train(resumed, resumed_opt, 2)
    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_torch_checkpoint_is_named_as_such(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    message = _error(path)
    assert "torch.save" in message and "mm.save" in message


def test_zip_that_is_not_npz(tmp_path):
    path = tmp_path / "notes.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert "zip archive, not a file written by mm.save" in _error(path)


def test_any_file_name_as_torch_scripts_use(tmp_path):
    """model.pth, mnist_cnn.pt, x-file: mm.save writes its .npz format at exactly the name given."""
    net = mm.nn.Linear(2, 3)
    for name in ("model.pth", "mnist_cnn.pt", "x-file", "mlp.params"):
        mm.save(net.state_dict(), tmp_path / name)
        assert (tmp_path / name).is_file() and not (tmp_path / f"{name}.npz").exists()
        assert list(mm.load(tmp_path / name, weights_only=True)) == ["weight", "bias"]
    mm.save(mm.arange(4), tmp_path / "x-file")
    assert mm.load(tmp_path / "x-file").tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("make,variable", [
    (lambda: mm.nn.Sequential(mm.nn.Linear(2, 2)), "model"),
    (lambda: mm.optim.SGD(mm.nn.Linear(2, 2).parameters(), lr=0.1), "optimizer"),
])
def test_saving_a_module_or_optimizer_object_says_to_save_its_state_dict(tmp_path, make, variable):
    for obj, where in ((make(), "obj"), ({"model": make()}, "obj['model']")):
        with pytest.raises(SerializationError) as error:
            mm.save(obj, tmp_path / "model.pth")
        message = str(error.value)
        assert message.startswith(f"cannot save {where}: ") and "\n" not in message
        assert "pickle" in message and f"mm.save({variable}.state_dict(), path)" in message
    assert not (tmp_path / "model.pth").exists()
