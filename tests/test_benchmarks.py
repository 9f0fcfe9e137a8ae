"""Smoke tests of `python -m benchmarks`: it runs and reports each workload; no timing is asserted."""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import inspector as inspector_bench
from benchmarks.__main__ import Row, format_table, step_rows

ROOT = Path(__file__).resolve().parent.parent


def test_quick_run_reports_each_selected_workload_with_the_machine_line(tmp_path):
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(tmp_path))
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--repeats",
            "1",
            "--gap",
            "0",
            "--only",
            "op",
            "hooks",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["workload", "unit", "PyTorch", "numpy"]
    rows = ("per-op", "tiny MLP", "ConvNet forward", "hook cost")
    labels = [line for line in lines if line.startswith(rows)]
    assert len(labels) == 5, result.stdout
    (per_module,) = [line for line in lines if line.startswith("per-module hook cost")]
    # held to torch's own cost: without torch in this environment (CI's newest Python) there is nothing to
    # hold it to, and the ok column stays empty
    has_torch = importlib.util.find_spec("torch") is not None
    assert per_module.split()[-1] in (("yes", "NO") if has_torch else ("torch's",))
    assert not any(line.startswith(("MLP", "fresh", "inspector")) for line in lines)
    assert any(line.startswith("machine: ") for line in lines) and any(
        line.startswith("BLAS: ") for line in lines
    )


def test_table_shows_ratios_targets_and_dashes_for_missing_libraries():
    rows = [
        Row("step", {"torch": 2.0, "numpy": 4.0, "minimod": 3.0}, "ms", "<= 1.2x torch", False),
        Row("first paint", {"minimod": 400.0}, "ms", "<= 1500 ms", True, note="dot 3 ms"),
    ]
    step, paint = format_table(rows).splitlines()[2:]
    assert "1.50x" in step and "0.75x" in step and step.rstrip().endswith("NO")
    assert paint.count(" - ") >= 2 and "yes" in paint and paint.endswith("(dot 3 ms)")


def test_key_latency_times_every_key_on_a_large_trace():
    presses = inspector_bench.key_latency(events=3000, keys=["2", "down", "1"])
    assert [key for key, _seconds in presses] == ["2", "down", "1"]
    assert all(seconds > 0 for _key, seconds in presses)


def test_a_run_key_answers_before_its_run_ends_and_the_run_is_timed_apart(monkeypatch):
    """f's figure stops once the screen shows the run started; the run (a model whose forward takes
    0.6 s) is timed apart, as "f run", until its end is on screen."""
    import asyncio
    import time as clock

    from minimod import nn

    class Slow(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x):
            clock.sleep(0.6)
            return self.fc(x)

    monkeypatch.setattr(inspector_bench, "wide_model", Slow)
    timings = dict(asyncio.run(inspector_bench._time_keys(["f", "down"], 0, "wide")))
    assert list(timings) == ["f", "f run", "down"]
    assert timings["f"] < 0.6 <= timings["f run"]


def test_ratios_pair_the_samples_of_each_round():
    # round by round minimod/torch is 5.5, 0.5 and 0.9: their median 0.9 (the two medians' ratio, 4.5 / 4,
    # would pair minimod's middle round with torch's); the hook cost pairs each round's two forwards


    case = ("mlp", "train", "MLP", 5, 1, 1.0)
    samples = {"mlp": {"torch": [1.0, 4.0, 5.0], "minimod": [5.5, 2.0, 4.5]}}
    (row,) = step_rows([case], samples, statistics.median)
    assert row.ratios == {"torch": pytest.approx(0.9)} and row.met
    assert row.values == {"torch": 4000.0, "minimod": 4500.0}
    assert "0.90x" in format_table([row])
    (row,) = step_rows([case], samples, min)  # --stat min: the best of each, 2.0 / 1.0
    assert row.ratios == {"torch": pytest.approx(2.0)} and not row.met
    hooks = [("forward", "hooks", "fwd", 5, 1, None), ("hooked", "hooks", "hooked", 5, 1, None)]
    samples = {
        "forward": {"torch": [1.0, 1.0, 1.0], "minimod": [1.0, 2.0, 3.0]},
        "hooked": {"torch": [1.2, 1.3, 1.2], "minimod": [1.1, 2.4, 3.3]},
    }
    cost, per_module = step_rows(hooks, samples, statistics.median)[-2:]
    # each library's ratio against its own unhooked forward; the target is torch's ratio of the same run
    assert cost.values == {"torch": pytest.approx(1.2), "minimod": pytest.approx(1.1)} and cost.met
    assert cost.target == "<= torch's ratio"
    # what the hooks add, per hooked module, in microseconds: minimod's 0.3 s per 7 modules is more
    assert per_module.unit == "us" and per_module.target == "<= torch's" and not per_module.met
    assert per_module.values["minimod"] == pytest.approx(0.3e6 / 7)
    assert per_module.values["torch"] == pytest.approx(0.2e6 / 7)
