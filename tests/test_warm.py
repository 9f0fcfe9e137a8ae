"""The background compile (minimod/kernels/warm.py): numpy twins until the warm-up process has compiled a
signature, numba's kernels from then on, the same values either way (within rounding)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from minimod.kernels import warm

pytest.importorskip("numba")

# A ConvNet step in a fresh process: the forward before the kernels are compiled, the backward after
# (conv's backward must then take the twin, which made what the forward saved), then steps on numba's.
_STEPS = """
import json, sys
import numpy as np
import minimod as mm
from minimod import kernels
from benchmarks.models import convnet, _data

mm.manual_seed(0)
model = convnet(mm)
x, y = _data(mm, (8, 1, 28, 28), 10)
optimizer = mm.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
report = {"numba_at_first_call": None, "losses": [], "grads": None}
loss = mm.nn.functional.cross_entropy(model(x), y)
report["numba_at_first_call"] = "numba" in sys.modules
if sys.argv[1] == "wait":
    report["waited"] = kernels.wait_for_compilation(120)
loss.backward()
report["grads"] = [float(np.abs(p.grad.numpy()).sum()) for p in model.parameters()]
optimizer.step()
report["losses"].append(float(loss.item()))
for _ in range(2):
    optimizer.zero_grad()
    loss = mm.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    report["losses"].append(float(loss.item()))
report["numba_at_end"] = "numba" in sys.modules
if sys.argv[1] == "wait":  # an idle warm-up process is let go (none stays beside an inspector session)
    import time
    from minimod.kernels import warm
    process = warm._client.process
    # (the steps after the switch may have asked for signatures of their own: those compile first, and
    # the process is let go IDLE_SECONDS after the last answer, so poll rather than sleep a fixed time)
    deadline = time.monotonic() + 60
    while warm._client.process is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    report["let_go"] = warm._client.process is None and (process is None or process.wait(30) == 0)
print("REPORT " + json.dumps(report))
"""


def _run(cache, mode, *, wait="wait", extra=None):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), MINIMOD_JIT_COMPILE=mode,
               PYTHONPATH=os.pathsep.join([root, *sys.path]))
    env.pop("MINIMOD_DISABLE_JIT", None)
    env.pop("NUMBA_DISABLE_JIT", None)
    env.update(extra or {})
    result = subprocess.run([sys.executable, "-c", _STEPS, wait], capture_output=True, text=True, env=env,
                            cwd=root, check=True, timeout=300)
    line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))
    return json.loads(line[7:])


def _wait_for_warmup(cache):
    from benchmarks.first_forward import wait_for_warmup

    wait_for_warmup(cache)


def test_background_compile_runs_twins_first_then_numba_with_the_same_values(tmp_path):
    cache = tmp_path / "numba"
    inline = _run(tmp_path / "inline", "inline")
    background = _run(cache, "background")
    _wait_for_warmup(cache)
    assert inline["numba_at_first_call"] and not background["numba_at_first_call"]
    assert background["waited"] and background["numba_at_end"]  # numba's kernels after the wait
    assert background["let_go"]
    np.testing.assert_allclose(background["grads"], inline["grads"], rtol=1e-5)
    np.testing.assert_allclose(background["losses"], inline["losses"], rtol=1e-5)
    assert list(cache.glob("minimod-kernels-*.signatures"))
    # a later process with the same cache: the signatures are on file, numba's kernels from the first call
    again = _run(cache, "background", wait="no")
    assert again["numba_at_first_call"]
    np.testing.assert_allclose(again["losses"], inline["losses"], rtol=1e-5)


def test_without_the_jit_no_warm_up_process_starts(tmp_path, monkeypatch):
    cache = tmp_path / "numba"
    report = _run(cache, "background", wait="no", extra={"MINIMOD_DISABLE_JIT": "1"})
    assert report["losses"] and not report["numba_at_end"]
    assert not (cache / "minimod-warm.alive").exists()
    monkeypatch.setenv("MINIMOD_JIT_COMPILE", "background")
    assert warm.mode() == "background"
    monkeypatch.setenv("NUMBA_DISABLE_JIT", "1")  # numba's kernels as Python: nothing to compile
    assert warm.mode() == "inline"


def _array_variants() -> dict:
    a = np.zeros((3, 4), np.float32)
    readonly = a.copy()
    readonly.flags.writeable = False
    unaligned = np.frombuffer(np.zeros(49, np.uint8).data, np.float32, 12, offset=1).reshape(3, 4)
    return {
        "C": a, "F": a.T, "A": a[:, ::2], "readonly": readonly, "unaligned": unaligned,
        "float64": a.astype(np.float64), "1-D": a[0], "1-D strided": a[0, ::2],
        "both orders": a[:1], "3-D": a.reshape(1, 3, 4), "0-D": a[0, 0, ...], "int64": a.astype(np.int64),
    }


def test_signature_is_what_numba_dispatches_on():
    a = np.zeros((3, 4), np.float32)
    scalars = (2, 7, 1.5, True, None, (3, 9))
    assert warm.signature("k", scalars) == ("k", 2, "int", "float", ("bool", True), None, (3, "int"))
    # a bool and the int of its value are two signatures (True == 1, and hashes alike: as set members too)
    for flag, number in ((True, 1), (False, 0)):
        assert warm.signature("k", (flag,)) != warm.signature("k", (number,))
        assert len({warm.signature("k", (flag,)), warm.signature("k", (number,))}) == 2
    assert warm.signature("k", (a,)) == warm.signature("k", (np.ones((5, 6), np.float32),))  # not the shape
    # two arrays that numba types alike may differ in signature (a 1-D array is C and F contiguous), but
    # never the other way round: one signature, one compiled kernel
    import numba

    variants = _array_variants()
    for name, array in variants.items():
        for other_name, other in variants.items():
            if warm._describe(array) == warm._describe(other):
                assert numba.typeof(array) == numba.typeof(other), (name, other_name)
    assert len({warm._describe(array) for array in variants.values()}) == len(variants)


@pytest.mark.parametrize("view", ["C", "F", "A", "readonly"])
def test_arguments_travel_with_their_layout(view):
    import pickle

    import numba

    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    array = {"C": base, "F": np.asfortranarray(base), "A": base[:, ::2], "readonly": base.copy()}[view]
    if view == "readonly":
        array.flags.writeable = False
    packed = pickle.loads(pickle.dumps(warm._pack((array, 3), lambda _array: None)))
    rebuilt, three = warm._unpack(packed, {})
    assert three == 3 and numba.typeof(rebuilt) == numba.typeof(array)
    np.testing.assert_array_equal(rebuilt, array)


def test_a_backward_argument_made_by_a_forward_travels_as_that_output():
    made = np.ones(3)
    packed = warm._pack((made, np.zeros(2)), lambda array: (5, 1) if array is made else None)
    assert isinstance(packed[0], warm._Output)
    results = {5: ("out", "the warm-up process's own patches")}
    assert warm._unpack(packed, results)[0] == "the warm-up process's own patches"


def test_env_reads_what_os_environ_holds_as_it_changes(monkeypatch):
    """warm.env reads the environment's raw table on POSIX: it follows every change os.environ makes."""
    name = "MINIMOD_TEST_ENV_SWITCH"
    monkeypatch.delenv(name, raising=False)
    assert warm.env(name) == "" and warm.env(name, "background") == "background"
    for value in ("1", "inline", "été"):
        monkeypatch.setenv(name, value)
        assert warm.env(name) == os.environ.get(name) == value
    monkeypatch.delenv(name)
    assert warm.env(name, "x") == "x"


# The inspector's user presses f a few times (forwards with grad on), they switch to numba's kernels, then
# b: that first backward must not compile in this process (it took 2.5 s on ResNet-18).
_FORWARDS_THEN_BACKWARD = """
import json
import minimod as mm
from minimod import kernels
from benchmarks.models import convnet, _data

mm.manual_seed(0)
model = convnet(mm)
x, y = _data(mm, (8, 1, 28, 28), 10)
for _ in range(2):
    model(x)
report = {"waited": kernels.wait_for_compilation(180)}
out = model(x)
report["numba_forward"] = kernels.jit_loaded()


def compiled_here():
    return sum(sum(value.stats.cache_misses.values()) for module in (kernels.jit, kernels.conv_direct)
               for value in vars(module).values() if hasattr(getattr(value, "stats", None), "cache_misses"))


before = compiled_here()
mm.nn.functional.cross_entropy(out, y).backward()
report["compiled_by_backward"] = compiled_here() - before
report["grad"] = float(abs(model.conv1.weight.grad.numpy()).sum())
print("REPORT " + json.dumps(report))
"""


def test_a_first_backward_after_forwards_on_numba_compiles_nothing_here(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), MINIMOD_JIT_COMPILE="background",
               PYTHONPATH=os.pathsep.join([root, *sys.path]))
    env.pop("MINIMOD_DISABLE_JIT", None)
    env.pop("NUMBA_DISABLE_JIT", None)
    result = subprocess.run([sys.executable, "-c", _FORWARDS_THEN_BACKWARD], capture_output=True, text=True,
                            env=env, cwd=root, check=True, timeout=300)
    _wait_for_warmup(tmp_path / "numba")
    line = next(line for line in result.stdout.splitlines() if line.startswith("REPORT "))
    report = json.loads(line[7:])
    assert report["waited"] and report["numba_forward"]
    assert report["compiled_by_backward"] == 0  # conv's backward was compiled with its forward, the rest
    assert report["grad"] > 0  # take the twins while theirs compile
