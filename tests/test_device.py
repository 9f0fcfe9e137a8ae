"""Devices, answered as a CPU-only PyTorch 2.13 answers: the CPU works, a GPU raises torch's own error."""

from __future__ import annotations

import numpy as np
import pytest

import minimod as mm
from minimod import nn

# (what a script does, the same thing in torch): each asks for a GPU
ASKING_FOR_CUDA = [
    ("tensor.to('cuda')", lambda lib: lib.zeros(2).to("cuda")),
    ("tensor.to('cuda:1')", lambda lib: lib.zeros(2).to("cuda:1")),
    ("tensor.to(device=device('cuda'))", lambda lib: lib.zeros(2).to(device=lib.device("cuda"))),
    ("tensor.cuda()", lambda lib: lib.zeros(2).cuda()),
    ("zeros(device='cuda')", lambda lib: lib.zeros(2, device="cuda")),
    ("Module.to('cuda')", lambda lib: lib.nn.Linear(2, 2).to("cuda")),
    ("Module.cuda()", lambda lib: lib.nn.Linear(2, 2).cuda()),
    ("Linear(device='cuda')", lambda lib: lib.nn.Linear(2, 2, device="cuda")),
    ("cuda.current_device()", lambda lib: lib.cuda.current_device()),
]


@pytest.mark.parametrize("what,ask", ASKING_FOR_CUDA, ids=[what for what, _ in ASKING_FOR_CUDA])
def test_asking_for_cuda_raises_torchs_assertion(what, ask):
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        ask(mm)


@pytest.mark.parametrize("what,ask", ASKING_FOR_CUDA, ids=[what for what, _ in ASKING_FOR_CUDA])
def test_torch_raises_the_same_on_this_cpu_build(what, ask):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this torch has CUDA")
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        ask(torch)


@pytest.mark.parametrize("name,error", [
    ("mps", RuntimeError), ("xpu", AssertionError), ("gpu", RuntimeError)])
def test_other_devices_raise_what_torch_raises(name, error):
    with pytest.raises(error) as ours:
        mm.ones(1).to(name)
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as theirs:
        torch.ones(1).to(name)
    assert str(ours.value) == str(theirs.value)


def test_the_cpu_is_the_device():
    x = mm.ones(2, device="cpu")
    assert x.to("cpu") is x and x.cpu() is x and x.to(mm.device("cpu")) is x and x.device == "cpu"
    assert x.to("cpu", mm.float64).dtype == mm.float64 and x.to("cpu", copy=True) is not x
    net = nn.Linear(2, 2)
    assert net.to("cpu") is net and net.to(device=mm.device("cpu")) is net and net.cpu() is net


def test_device_objects_read_like_torchs():
    torch = pytest.importorskip("torch")
    for text in ("cpu", "cuda", "cuda:1", "mps", "cpu:0"):
        ours, theirs = mm.device(text), torch.device(text)
        assert (repr(ours), str(ours), ours.type, ours.index) == (repr(theirs), str(theirs), theirs.type,
                                                                 theirs.index)
    assert repr(mm.device("cuda", 2)) == repr(torch.device("cuda", 2))


QUERIES = [
    ("cuda.is_available", lambda lib: lib.cuda.is_available()),
    ("cuda.device_count", lambda lib: lib.cuda.device_count()),
    ("cuda.is_bf16_supported", lambda lib: lib.cuda.is_bf16_supported()),
    ("cuda.manual_seed", lambda lib: lib.cuda.manual_seed(0)),
    ("cuda.manual_seed_all", lambda lib: lib.cuda.manual_seed_all(0)),
    ("cuda.empty_cache", lambda lib: lib.cuda.empty_cache()),
    ("backends.mps.is_available", lambda lib: lib.backends.mps.is_available()),
    ("backends.mps.is_built", lambda lib: lib.backends.mps.is_built()),
    ("backends.cudnn.is_available", lambda lib: lib.backends.cudnn.is_available()),
    ("backends.cudnn flags", lambda lib: (lib.backends.cudnn.enabled, lib.backends.cudnn.benchmark,
                                          lib.backends.cudnn.deterministic, lib.backends.cudnn.allow_tf32)),
    ("accelerator.is_available", lambda lib: lib.accelerator.is_available()),
    ("accelerator.current_accelerator", lambda lib: lib.accelerator.current_accelerator()),
    ("accelerator.device_count", lambda lib: lib.accelerator.device_count()),
]


@pytest.mark.parametrize("what,query", QUERIES, ids=[what for what, _ in QUERIES])
def test_queries_answer_no_gpu(what, query):
    ours = query(mm)
    assert ours in (False, 0, None, (True, False, False, True))
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this torch has a GPU")
    assert ours == query(torch)


def test_the_tutorials_device_choice_picks_the_cpu():
    device = mm.accelerator.current_accelerator().type if mm.accelerator.is_available() else "cpu"
    assert device == "cpu"
    device = "cuda" if mm.cuda.is_available() else "mps" if mm.backends.mps.is_available() else "cpu"
    model = nn.Linear(3, 1).to(device)
    assert model(mm.ones(2, 3).to(device)).shape == (2, 1)


def test_load_takes_map_location_and_weights_only(tmp_path):
    path = tmp_path / "model.pth"
    mm.save(nn.Linear(2, 3).state_dict(), path)
    for map_location in (None, "cpu", mm.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage):
        for weights_only in (None, True, False):
            loaded = mm.load(path, map_location=map_location, weights_only=weights_only)
            assert list(loaded) == ["weight", "bias"] and isinstance(loaded["weight"], np.ndarray)
    with pytest.raises(RuntimeError, match="^Attempting to deserialize object on a CUDA device but "
                                           r"torch.cuda.is_available\(\) is False"):
        mm.load(path, map_location="cuda")
