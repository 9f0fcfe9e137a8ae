"""Run the benchmarks: `python -m benchmarks [--repeats N] [--quick]`; prints a table of medians.

Every case is timed for minimod, a hand-written numpy reference and (when installed) torch on CPU
with 2 threads. Repeats are interleaved (case by case, library by library, round after round) so a
busy machine slows every column alike; each cell is the median over the rounds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import models
from . import numpy_reference as reference

ROOT = Path(__file__).resolve().parent.parent

# (label, minimod/torch builder, numpy builder, calls per sample, unit divisor: "per call" or per op)
CASES = [
    ("MLP train step (784-256-128-10, batch 64)", models.make_mlp_step, reference.make_mlp_step, 5, 1),
    ("ConvNet train step (batch 32, 1x28x28)", models.make_convnet_step, reference.make_convnet_step, 2, 1),
    ("small ResNet train step (16x3x32x32, BN)", models.make_resnet_step, reference.make_resnet_step, 1, 1),
    ("per-op overhead, a = a*w + b on (4,) [us/op]", models.make_op_overhead, reference.make_op_overhead, 5,
     2 * models.OPS_PER_CALL),
    ("ConvNet forward, no hooks", models.make_forward_plain, reference.make_forward_plain, 5, 1),
    ("ConvNet forward, pre+forward hook on every module", models.make_forward_hooked,
     reference.make_forward_hooked, 5, 1),
]


def _libraries():
    import minimod

    libraries = {"minimod": minimod}
    try:
        import torch

        torch.set_num_threads(2)
        libraries["torch"] = torch
    except ImportError:
        pass
    return libraries


def _sample(step, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        step()
    return (time.perf_counter() - start) / calls


def _fresh_process(code: str) -> float:
    """Wall time of a new interpreter that imports the library, builds the ConvNet and trains one step."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
    return time.perf_counter() - start


def run(repeats: int, quick: bool, stat=statistics.median) -> list[tuple[str, dict[str, float], str]]:
    libraries = _libraries()
    rows = []
    steps = {}
    for label, make, make_reference, _calls, _divisor in CASES:
        steps[label] = {name: make(lib) for name, lib in libraries.items()}
        steps[label]["numpy"] = make_reference()
        for step in steps[label].values():  # warm up: numba compiles, caches fill
            step()
            step()
    samples = {label: {name: [] for name in steps[label]} for label in steps}
    for _ in range(repeats):
        for label, _make, _ref, calls, _divisor in CASES:
            for name, step in steps[label].items():
                samples[label][name].append(_sample(step, 1 if quick else calls))
    for label, _make, _ref, _calls, divisor in CASES:
        unit = "us" if divisor > 1 else "ms"
        scale = 1e6 / divisor if divisor > 1 else 1e3
        rows.append((label, {n: stat(s) * scale for n, s in samples[label].items()}, unit))
    fresh = {"minimod": models.FRESH_PROCESS_CODE.format(lib="minimod"),
             "numpy": reference.FRESH_PROCESS_CODE}
    if "torch" in libraries:
        torch_code = models.FRESH_PROCESS_CODE.format(lib="torch")
        fresh["torch"] = "import torch\ntorch.set_num_threads(2)" + torch_code
    times = {name: [] for name in fresh}
    for _ in range(max(2, repeats // 3)):
        for name, code in fresh.items():
            times[name].append(_fresh_process(code))
    rows.append(("fresh process: import + build ConvNet + 1 step", {n: stat(t) * 1e3
                                                                     for n, t in times.items()}, "ms"))
    return rows


def _load() -> str:
    try:
        return ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    """numpy's BLAS, its threads, and the OPENBLAS_* settings that change its speed."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        text = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # numpy's config layout is not an API; the benchmark must still run
        text = "unknown BLAS"
    try:
        from threadpoolctl import threadpool_info

        threads = [pool["num_threads"] for pool in threadpool_info() if pool.get("user_api") == "blas"]
        if threads:
            text += f", {max(threads)} threads"
    except ImportError:
        pass
    settings = [f"{name}={os.environ[name]}" for name in sorted(os.environ) if name.startswith("OPENBLAS_")]
    return f"{text}; {', '.join(settings) if settings else 'no OPENBLAS_* set'}"


def _machine() -> list[str]:
    """The lines that say where the figures came from: CPU, cores, versions, BLAS, thread counts."""
    import minimod
    from minimod import kernels

    jit = "on" if kernels.jit_enabled() else "off"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    lines = [
        f"machine: {_cpu_model()}, {os.cpu_count()} CPUs ({usable} usable), {platform.platform()}",
        f"versions: Python {platform.python_version()}, numpy {np.__version__}, "
        f"minimod {minimod.__version__} (numba kernels {jit})",
        f"BLAS: {_blas()}",
    ]
    threads = []
    try:
        import numba

        threads.append(f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)")
    except ImportError:
        threads.append("numba not installed")
    try:
        import torch

        threads.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        threads.append("torch not installed")
    lines.append("threads: " + ", ".join(threads))
    return lines


def format_table(rows) -> str:
    columns = ["minimod", "numpy", "torch"]
    header = f"{'case':<52} {'unit':>4} " + " ".join(f"{c:>9}" for c in columns)
    header += f" {'mm/numpy':>9} {'mm/torch':>9}"
    lines = [header, "-" * len(header)]
    for label, values, unit in rows:
        cells = " ".join(f"{values[c]:>9.2f}" if c in values else f"{'-':>9}" for c in columns)
        ratios = []
        for other in ("numpy", "torch"):
            ratios.append(f"{values['minimod'] / values[other]:>8.2f}x" if other in values else f"{'-':>9}")
        lines.append(f"{label:<52} {unit:>4} {cells} {' '.join(ratios)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds per case (default 7)")
    parser.add_argument("--quick", action="store_true", help="one call per sample (a smoke run)")
    parser.add_argument("--stat", choices=["median", "min"], default="median",
                        help="how to summarise the rounds (min is steadier on a busy machine)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    rows = run(args.repeats, args.quick, statistics.median if args.stat == "median" else min)
    print(format_table(rows))
    print(f"{args.stat} of {args.repeats} interleaved rounds; load average {_load()}")
    print("\n".join(_machine()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
