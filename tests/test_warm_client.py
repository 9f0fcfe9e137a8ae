"""The background compile's client (minimod/kernels/warm.py) in the cases that once went wrong: a kernel
whose numba code depends on shapes, a backward whose forward the warm-up process never ran, a warm-up
process that died, forked children, a let-go process, unknown switch values. Each scenario runs in a
fresh process on an empty cache (tmp_path), where nothing is compiled yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

from minimod import kernels
from minimod.kernels import conv_blas, variants, warm

pytest.importorskip("numba")

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# reports what numba compiled in the process (a cache miss) rather than loaded from the cache
_MISSES = """
def compiled_here():
    from minimod.kernels import conv_direct, jit
    misses = {}
    for module in (jit, conv_direct):
        for name, function in vars(module).items():
            stats = getattr(function, "stats", None)
            count = sum(getattr(stats, "cache_misses", {}).values())
            if count:
                misses[module.__name__.rsplit(".", 1)[1] + "." + name] = count
    return misses


def poll(condition, timeout=60):
    import time
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
"""


def _run(tmp_path, script, extra=None, timeout=300):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba"), MINIMOD_JIT_COMPILE="background",
               PYTHONPATH=os.pathsep.join([_ROOT, *sys.path]), MINIMOD_WARM_DEBUG="1")
    for name in ("MINIMOD_DISABLE_JIT", "NUMBA_DISABLE_JIT"):
        env.pop(name, None)
    env.update(extra or {})
    code = _MISSES + textwrap.dedent(script)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=_ROOT,
                            timeout=timeout)
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert result.returncode == 0 and lines, result.stdout + result.stderr
    report = json.loads(lines[-1][7:])
    report["stderr"] = result.stderr
    return report


# --- one signature, two numba paths -------------------------------------------------------------------

_PATHS = """
import json
import numpy as np
from minimod import kernels
from minimod.kernels import warm
rng = np.random.default_rng(0)

def calls():
    # each pair: one signature (types, small integers), the first call's fast kernel running less numba
    # code than the second's: conv's BLAS path, then conv_direct's loops (16 channels)
    for c in (3, 16):
        x = rng.standard_normal((4, c, 16, 16)).astype(np.float32)
        w = rng.standard_normal((8, c, 3, 3)).astype(np.float32)
        kernels.conv2d_forward(x, w, None, 1, 1, 1, 1, 1, 1, 16, 16, 1)
    # max-pool: a window over the edge (ceil_mode), then every window inside (the 2x2 kernel)
    for side, out in ((5, 3), (4, 2)):
        kernels.max_pool2d_forward(rng.standard_normal((2, 3, side, side)), 2, 2, 2, 2, 0, 0, 1, 1, out, out)
    # softmax: numpy's on a large array, numba's loop on a small one
    for rows in (100, 4):
        kernels.softmax_forward(rng.standard_normal((rows, 100)).astype(np.float32))

calls()
waited = kernels.wait_for_compilation(240)
calls()  # numba's kernels, from the cache the warm-up process wrote
print("REPORT " + json.dumps({"waited": waited, "compiled_here": compiled_here(),
                              "failed": [key[0] for key in warm._client.failed]}))
"""


def test_a_kernel_whose_path_depends_on_shapes_never_compiles_in_the_caller(tmp_path):
    report = _run(tmp_path, _PATHS)
    assert report["waited"] and not report["failed"]
    assert report["compiled_here"] == {}


def test_the_variants_are_the_paths_the_fast_kernels_take(monkeypatch):
    from minimod.kernels import jit

    taken = []

    def spy(module, name):
        original = getattr(module, name)

        def recording(*args, **kwargs):
            taken.append(name)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, recording)

    for module, name in ((jit, "_max_pool2d_2x2"), (jit, "_softmax_rows"), (jit, "_softmax_backward_rows"),
                         (jit, "_relu_backward"), (jit, "col2im"), (conv_blas, "_direct_forward"),
                         (conv_blas, "_direct_backward")):
        spy(module, name)
    assert variants.SMALL_ROWS == jit._SMALL_ROWS
    rng = np.random.default_rng(0)
    for side in (4, 5, 6, 7):
        for kernel, stride, pad, dilation in ((2, 2, 0, 1), (2, 1, 0, 1), (3, 2, 1, 1), (2, 2, 0, 2)):
            for ceil in (False, True):
                extent = dilation * (kernel - 1) + 1
                span = side + 2 * pad - extent + (stride - 1 if ceil else 0)
                out = span // stride + 1
                if span < 0 or out < 1:
                    continue
                args = (rng.standard_normal((1, 2, side, side)), kernel, kernel, stride, stride, pad, pad,
                        dilation, dilation, out, out)
                taken.clear()
                jit.max_pool2d_forward(*args)
                assert (variants.max_pool2d_forward(*args) == "2x2") == ("_max_pool2d_2x2" in taken), args
    for size in (10, 4096, 4097, 20000):
        x = rng.standard_normal((1, size)).astype(np.float32)
        for forward, backward in ((jit.softmax_forward, jit.softmax_backward),
                                  (jit.log_softmax_forward, jit.log_softmax_backward)):
            taken.clear()
            y = forward(x)
            assert (variants.VARIANTS[forward.__name__](x) == "loop") == ("_softmax_rows" in taken)
            taken.clear()
            backward(x, y)
            loop = variants.VARIANTS[backward.__name__](x, y) == "loop"
            assert loop == ("_softmax_backward_rows" in taken)
    for shapes in (((3, 4), (3, 4)), ((3, 4), (4,))):
        g, y = rng.standard_normal(shapes[0]), rng.standard_normal(shapes[1])
        taken.clear()
        jit.relu_backward(g, y)
        assert (variants.relu_backward(g, y) == "loop") == ("_relu_backward" in taken)
    # convolution: the first layers (per-sample patches), the grid, the direct loops, strided patches,
    # groups, each backward with and without the input gradient
    geometries = [  # (n, c, o, side, kernel, stride, pad, dilation, groups)
        (2, 1, 4, 12, 5, 1, 0, 1, 1), (2, 3, 8, 16, 3, 1, 1, 1, 1), (2, 16, 8, 16, 3, 1, 1, 1, 1),
        (2, 10, 20, 12, 5, 1, 0, 1, 1), (2, 8, 8, 9, 3, 2, 1, 1, 1), (2, 16, 16, 8, 3, 1, 1, 2, 1),
        (2, 8, 8, 10, 3, 1, 1, 1, 2), (2, 4, 8, 10, 3, 2, 0, 1, 4), (2, 64, 8, 6, 3, 1, 1, 1, 1),
        (2, 8, 8, 32, 1, 1, 0, 1, 1),
    ]
    for n, c, o, side, k, s, p, d, groups in geometries:
        x = rng.standard_normal((n, c, side, side)).astype(np.float32)
        w = rng.standard_normal((o, c // groups, k, k)).astype(np.float32)
        oh = (side + 2 * p - d * (k - 1) - 1) // s + 1
        args = (x, w, None, s, s, p, p, d, d, oh, oh, groups)
        taken.clear()
        out, cols = conv_blas.conv2d_forward(*args)
        assert (conv_blas.forward_variant(*args) == "direct") == ("_direct_forward" in taken), args[3:]
        for need_input in (True, False):
            back = (np.ones_like(out), cols, w, x.shape, s, s, p, p, d, d, groups, need_input, True, True)
            taken.clear()
            conv_blas.conv2d_backward(*back)
            path = "direct" if "_direct_backward" in taken else "col2im" if "col2im" in taken else "blas"
            assert conv_blas.backward_variant(*back) == path, (args[3:], need_input)


def test_the_variants_load_no_numba(tmp_path):
    report = _run(tmp_path, """
        import json, sys
        import numpy as np
        from minimod.kernels import variants
        x = np.zeros((2, 16, 16, 16), np.float32)
        w = np.zeros((4, 16, 3, 3), np.float32)
        path = variants.VARIANTS["conv2d_forward"](x, w, None, 1, 1, 1, 1, 1, 1, 16, 16, 1)
        print("REPORT " + json.dumps({"path": path, "numba": "numba" in sys.modules}))
    """)
    assert report == {**report, "path": "direct", "numba": False}


# --- a backward's forward, in the warm-up process ----------------------------------------------------

_BACKWARD = """
import json
import numpy as np
from minimod import kernels
from minimod.kernels import warm
warm.IDLE_SECONDS = 0.2
rng = np.random.default_rng(0)
w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)

def forward(n):
    x = rng.standard_normal((n, 3, 12, 12)).astype(np.float32)
    return x, kernels.conv2d_forward(x, w, None, 1, 1, 0, 0, 1, 1, 10, 10, 1)

def backward(x, out, cols):
    grad = np.ones_like(out)
    return kernels.conv2d_backward(grad, cols, w, x.shape, 1, 1, 0, 0, 1, 1, 1, True, True, False)

report = {}
x, (out, cols) = forward(4)
if SCENARIO == "idle":  # the inspector: f, then b once the warm-up process was let go
    report["waited"] = kernels.wait_for_compilation(240)
    process = warm._client.process
    report["let_go"] = poll(lambda: warm._client.process is None)
    report["reaped"] = poll(lambda: process.returncode is not None, 30)  # (not polled here: not reaped by it)
else:  # a second forward of the same signature, not sent: its backward first
    x, (out, cols) = forward(2)
backward(x, out, cols)
report["waited_backward"] = kernels.wait_for_compilation(240)
report["failed"] = [key[0] for key in warm._client.failed]
report["known"] = sorted({key[0] for key in warm._client.known})
x, (out, cols) = forward(3)
backward(x, out, cols)  # numba's forward and backward, from the cache
report["compiled_here"] = compiled_here()
print("REPORT " + json.dumps(report))
"""


@pytest.fixture(scope="module")
def after_idle(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("idle"), "SCENARIO = 'idle'\n" + _BACKWARD)


def test_a_backward_after_the_warm_up_process_was_let_go_is_compiled(after_idle):
    assert after_idle["waited"] and after_idle["let_go"] and after_idle["waited_backward"]
    assert after_idle["failed"] == [] and "KeyError" not in after_idle["stderr"]
    assert after_idle["known"] == ["conv2d_backward", "conv2d_forward"]
    assert after_idle["compiled_here"] == {}


def test_a_warm_up_process_let_go_is_reaped(after_idle):
    assert after_idle["reaped"]


def test_a_backward_of_a_forward_not_sent_gets_the_fast_forwards_outputs(tmp_path):
    report = _run(tmp_path, "SCENARIO = 'unsent'\n" + _BACKWARD)
    assert report["waited_backward"] and report["failed"] == [], report["stderr"]
    assert report["known"] == ["conv2d_backward", "conv2d_forward"]
    assert report["compiled_here"] == {}


# --- a dead warm-up process ---------------------------------------------------------------------------


def test_a_warm_up_process_that_died_hands_compiling_to_this_process(tmp_path):
    report = _run(tmp_path, """
        import json, os, signal, warnings
        import numpy as np
        from minimod import kernels
        from minimod.kernels import warm
        small = np.linspace(-1, 1, 40).reshape(4, 10)
        kernels.softmax_forward(small.astype(np.float32))
        x = np.zeros((2, 16, 16, 16), np.float32)  # the direct convolution: seconds to compile
        kernels.conv2d_forward(x, np.zeros((8, 16, 3, 3), np.float32), None, 1, 1, 1, 1, 1, 1, 16, 16, 1)
        answered = poll(lambda: warm._client.answered, 240)  # softmax's, not adopted: conv's is not done
        kernels.softmax_forward(small.astype(np.float64))  # asked too; the warm-up process dies meanwhile
        process = warm._client.process
        os.kill(process.pid, signal.SIGKILL)
        died = poll(lambda: warm._client.dead)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = kernels.softmax_forward(small)  # compiled here, not the twin for good
            kernels.log_softmax_forward(small)
        from minimod.kernels import jit
        print("REPORT " + json.dumps({
            "answered": bool(answered), "died": died, "code": process.returncode,
            "numba_float64": any("float64" in str(types) for types in jit._softmax_rows.signatures),
            "right": bool(np.allclose(got, np.exp(small) / np.exp(small).sum(1, keepdims=True))),
            "warnings": [str(w.message) for w in caught],
            "float32_adopted": any(key[0] == "softmax_forward" for key in warm._client.known),
        }))
    """)
    assert report["answered"] and report["died"] and report["code"] == -9
    assert report["numba_float64"] and report["right"]
    assert len(report["warnings"]) == 1 and "MINIMOD_JIT_COMPILE=inline" in report["warnings"][0]
    assert "\n" not in report["warnings"][0] and "exited" in report["warnings"][0]
    assert report["float32_adopted"]


@pytest.fixture
def fresh_client(monkeypatch, tmp_path):
    """This process in the background mode, with a client of its own and an empty cache."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    monkeypatch.setenv("MINIMOD_JIT_COMPILE", "background")
    monkeypatch.delenv("MINIMOD_DISABLE_JIT", raising=False)
    monkeypatch.delenv("NUMBA_DISABLE_JIT", raising=False)
    monkeypatch.setattr(warm, "_warned", set())
    client = warm._Client()
    monkeypatch.setattr(warm, "_client", client)
    yield client
    client.close()
    process = client.process
    if process is not None:
        process.wait(60)


def test_a_warm_up_process_that_cannot_start_hands_compiling_to_this_process(fresh_client, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    call = fresh_client.request(("k",), "softmax_forward", (np.zeros((2, 3)),), lambda array: None)
    assert call.number is None and fresh_client.dead.startswith("could not start")
    with pytest.warns(RuntimeWarning, match="MINIMOD_JIT_COMPILE=inline"):
        assert fresh_client.ready(("other",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fresh_client.ready(("other",))  # once


# --- benchmarks/worker.py's warm-up ---------------------------------------------------------------------


def test_the_benchmark_worker_builds_until_no_step_asks_for_a_signature(fresh_client, monkeypatch):
    from benchmarks import worker

    calls = []

    def make(_lib):
        def step():  # from its third call on (after the first wait), a signature of its own
            calls.append(None)
            dtype = np.float32 if len(calls) < 3 else np.float64
            kernels.softmax_forward(np.ones((2, 3), dtype))

        return step

    monkeypatch.setattr(worker, "STEPS", [("step", make, None)])
    worker.build("minimod")
    assert fresh_client.outstanding == 0 and not fresh_client.answered
    assert {key[1][1] for key in fresh_client.known if key[0] == "softmax_forward"} >= {"<f4", "<f8"}
    assert len(calls) >= 4


# --- fork, unknown switch values ----------------------------------------------------------------------


def test_a_forked_child_lets_the_warm_up_process_end_and_asks_its_own(tmp_path):
    report = _run(tmp_path, """
        import json, os, time
        import numpy as np
        from minimod import kernels
        from minimod.kernels import warm
        rng = np.random.default_rng(0)
        w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
        x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
        out, cols = kernels.conv2d_forward(x, w, None, 1, 1, 0, 0, 1, 1, 10, 10, 1)  # the twin's: request 1
        waited = kernels.wait_for_compilation(240)
        warm.IDLE_SECONDS = 3600  # (this warm-up process ends when its input does, not when let go)
        process = warm._client.process
        done = os.path.join(os.environ["NUMBA_CACHE_DIR"], "child.json")
        release_read, release_write = os.pipe()
        child = os.fork()
        if child == 0:  # its backward, of the parent's twin forward: its own warm-up process's request 1
            grad = np.ones_like(out)
            kernels.conv2d_backward(grad, cols, w, x.shape, 1, 1, 0, 0, 1, 1, 1, True, True, False)
            ok = kernels.wait_for_compilation(240)
            with open(done + ".part", "w") as file:
                json.dump({"ok": ok, "failed": [key[0] for key in warm._client.failed]}, file)
            os.rename(done + ".part", done)
            os.read(release_read, 1)  # alive until the parent has seen its warm-up process end
            os._exit(0)
        child_report = json.load(open(done)) if poll(lambda: os.path.exists(done), 240) else None
        warm._client.outbox.put(None)  # the parent's end of the warm-up process's input
        try:
            ended = process.wait(20) == 0
        except Exception:
            ended = False
        os.write(release_write, b"x")
        os.waitpid(child, 0)
        print("REPORT " + json.dumps({"waited": waited, "ended": ended, "child": child_report}), flush=True)
        os._exit(0)  # (its reader thread sleeps out IDLE_SECONDS)
    """)
    assert report["waited"] and report["ended"]
    assert report["child"] == {"ok": True, "failed": []}, report["stderr"]


def test_an_unknown_compile_mode_warns_once(monkeypatch):
    monkeypatch.setattr(warm, "_warned", set())
    monkeypatch.delenv("NUMBA_DISABLE_JIT", raising=False)
    monkeypatch.setenv("MINIMOD_JIT_COMPILE", "inlined")
    with pytest.warns(RuntimeWarning, match="'background'.*'inline'") as caught:
        assert warm.mode() == "background"
    assert len(caught) == 1 and "\n" not in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert warm.mode() == "background"
        for value in (" Inline ", "BACKGROUND", ""):
            monkeypatch.setenv("MINIMOD_JIT_COMPILE", value)
            assert warm.mode() == ("inline" if "nline" in value else "background")
