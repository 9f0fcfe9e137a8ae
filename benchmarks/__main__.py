"""Run the benchmarks of issue 23: `python -m benchmarks [--repeats N] [--quick] [--only GROUP ...]`.

One table, one run: each workload for PyTorch (CPU, 2 threads), a hand-written numpy reference and
minimod, with the ratios and the issue's target. Groups (--only): train (MLP, ConvNet, small ResNet
train steps), op (per-op overhead, and the MLP's step on a tiny model: the step's overhead alone),
hooks (forward with and without hooks, and the cost per hooked module), fresh (a new process:
import + ConvNet + one step, with a warm and with an empty numba cache; the inspector's first forward
with an empty cache), inspector (first paint, key
presses over a 100k-event trace, ResNet-18 rendered in each view), serve (`minimod serve` with 20
students at once over websockets, each pressing f and b: first paint, answers, memory per session).

How the in-process cases are timed: each library runs in its own worker process (benchmarks/worker.py),
so no library's idle threads spin next to another's. The parent interleaves them: round after round,
case by case, library by library, each sample preceded by a short quiet gap (--gap) that lets the
previous sample's BLAS/OpenMP threads go to sleep, then one untimed call that wakes this library's
own; a busy machine thus slows every column alike, and each cell is the median (or min, --stat) over
the rounds. The ratios of these cases are the median of the ratios within each round (paired), since
the samples of one round run within a second of each other while this host's speed drifts.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import first_forward as first_forward_bench
from . import inspector as inspector_bench
from . import models
from . import numpy_reference as reference
from . import serve as serve_bench
from .worker import STEPS

ROOT = Path(__file__).resolve().parent.parent
LIBRARIES = ("torch", "numpy", "minimod")
GROUPS = ("train", "op", "hooks", "fresh", "inspector", "serve")
STEP_INDEX = {name: index for index, (name, _make, _reference) in enumerate(STEPS)}

# (worker step, group, label, calls per sample, divisor for the unit, target on minimod / torch)
CASES = [
    ("mlp", "train", "MLP train step (784-256-128-10, batch 64)", 5, 1, 0.8),
    ("convnet", "train", "ConvNet train step (batch 32, 1x28x28)", 3, 1, 1.0),
    ("resnet", "train", "small ResNet train step (16x3x32x32, BN)", 2, 1, 1.3),
    ("op", "op", "per-op overhead, a = a*w + b on (4,) [per op]", 5, 2 * models.OPS_PER_CALL, 1.0),
    # the MLP's step with no arithmetic to speak of: the part of the MLP's figure that is overhead
    ("tiny", "op", "tiny MLP train step (4-4-4-3, batch 2): overhead", 20, 1, None),
    ("forward", "hooks", "ConvNet forward (no grad), no hooks", 5, 1, None),
    ("hooked", "hooks", "ConvNet forward, pre+forward hook on every module", 5, 1, None),
]


class Row:
    """One line of the table: a time (or ratio) per library, the ratios, and the target it is held to."""

    def __init__(self, label, values, unit="ms", target="", met=None, note="", ratios=None):
        self.label, self.values, self.unit = label, values, unit
        self.target, self.met, self.note = target, met, note
        self.ratios = ratios  # {other library: minimod's time / its time}, paired round by round; or None


# --- timed steps in worker processes --------------------------------------------------------------


class Worker:
    def __init__(self, library: str):
        self.library = library
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", library],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_child_env(),
            cwd=ROOT,
        )

    def ask(self, request: str) -> str:
        self.process.stdin.write(request + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline().strip()
        if not answer or answer.startswith("error"):
            raise RuntimeError(f"the {self.library} worker failed on {request!r}: {answer or 'it exited'}")
        return answer

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _available(library: str) -> bool:
    return library != "torch" or _importable("torch")


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def time_steps(cases, repeats: int, quick: bool, gap: float) -> dict[str, dict[str, list[float]]]:
    """{step name: {library: [seconds per call, one per round]}} over interleaved rounds, one worker per
    library."""
    workers = [Worker(library) for library in LIBRARIES if _available(library)]
    try:
        for worker in workers:
            worker.ask("build")
        samples = {case[0]: {worker.library: [] for worker in workers} for case in cases}
        for _ in range(repeats):
            for name, _group, _label, calls, _divisor, _target in cases:
                for worker in workers:
                    time.sleep(gap)
                    seconds = float(worker.ask(f"run {STEP_INDEX[name]} {1 if quick else calls}"))
                    samples[name][worker.library].append(seconds)
    finally:
        for worker in workers:
            worker.close()
    return samples


def _ratio(numerators: list[float], denominators: list[float], stat) -> float:
    """The ratio of two libraries' samples (or of two cases'). With the median, the median of the ratios
    round by round: two samples of one round ran within a second of each other, so the machine's slower
    and faster spells (this host's speed drifts by up to 2x over tens of seconds) cancel in each ratio,
    where a ratio of two medians can pair a fast spell with a slow one. With min (--stat), the ratio of
    each side's best."""
    if stat is statistics.median:
        return stat([a / b for a, b in zip(numerators, denominators)])
    return stat(numerators) / stat(denominators)


def step_rows(cases, samples, stat) -> list[Row]:
    rows = []
    for name, _group, label, _calls, divisor, target in cases:
        scale = 1e6 / divisor if divisor > 1 else 1e3
        by_library = samples[name]
        values = {library: stat(seconds) * scale for library, seconds in by_library.items()}
        unit = "us" if divisor > 1 else "ms"
        ratios = {
            other: _ratio(by_library["minimod"], by_library[other], stat)
            for other in ("torch", "numpy") if other in by_library and "minimod" in by_library
        }
        met = ratios["torch"] <= target if target and "torch" in ratios else None
        rows.append(Row(label, values, unit, f"<= {target:g}x torch" if target else "", met, ratios=ratios))
    if "forward" in samples and "hooked" in samples:
        rows += hook_rows(samples["forward"], samples["hooked"], stat)
    return rows


def _difference(larger: list[float], smaller: list[float], stat) -> float:
    """larger - smaller, paired round by round as _ratio pairs them (with min: each side's best)."""
    if stat is statistics.median:
        return stat([a - b for a, b in zip(larger, smaller)])
    return stat(larger) - stat(smaller)


def hook_rows(forward: dict, hooked: dict, stat) -> list[Row]:
    """The hooks' cost, each library against its own unhooked forward: the ratio hooked / unhooked, and
    the time the hooks add per hooked module (each module of the ConvNet carries a pre- and a forward
    hook). Both targets: minimod's figure no more than torch's, in the same run."""
    cost = {library: _ratio(hooked[library], plain, stat) for library, plain in forward.items()}
    per_module = {
        library: _difference(hooked[library], forward[library], stat) * 1e6 / models.HOOKED_MODULES
        for library in forward if library != "numpy"  # (numpy's reference has no modules)
    }

    def held(values):
        return values["minimod"] <= values["torch"] if "torch" in values and "minimod" in values else None

    return [
        Row("hook cost: hooked / unhooked forward", cost, "x", "<= torch's ratio", held(cost)),
        Row(f"per-module hook cost ({models.HOOKED_MODULES} modules, pre+forward hook)", per_module, "us",
            "<= torch's", held(per_module)),
    ]


# --- fresh processes -------------------------------------------------------------------------------


def _child_env(extra: dict | None = None) -> dict:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, **(extra or {}))


def _fresh_process(code: str, env: dict | None = None) -> float:
    """Wall time of a new interpreter that imports the library, builds the ConvNet and trains one step."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_child_env(env), cwd=ROOT)
    return time.perf_counter() - start


def fresh_rows(repeats: int, quick: bool, stat) -> list[Row]:
    """A new interpreter each: import + ConvNet + one train step, for each library with a warm cache;
    minimod's with an empty numba cache (a new directory each run, as in a fresh install), against
    torch's fresh process of the same run; the inspector's first forward with an empty cache."""
    codes = {
        "numpy": reference.FRESH_PROCESS_CODE,
        "minimod": models.FRESH_PROCESS_CODE.format(lib="minimod"),
    }
    if _available("torch"):
        codes["torch"] = "import torch\ntorch.set_num_threads(2)" + models.FRESH_PROCESS_CODE.format(
            lib="torch"
        )
    runs = 1 if quick else max(2, repeats // 3)
    _fresh_process(codes["minimod"])  # the warm row needs numba's cache filled
    times = {library: [] for library in codes}
    for _ in range(runs):
        for library, code in codes.items():
            times[library].append(_fresh_process(code))
    warm = {library: stat(values) * 1e3 for library, values in times.items()}
    met = warm["minimod"] / warm["torch"] <= 0.5 if "torch" in warm else None
    rows = [Row("fresh process: import + ConvNet + 1 step (warm cache)", warm, "ms", "<= 0.5x torch", met)]
    cold, compiled = [], []
    for _ in range(runs):  # an empty cache each time
        with tempfile.TemporaryDirectory(prefix="minimod-numba-") as cache:
            cold.append(_fresh_process(codes["minimod"], {"NUMBA_CACHE_DIR": cache}))
            # the kernels compile in a warm-up process that outlives the step: wait for it (so it slows
            # no later figure), and say how long it took
            waited = first_forward_bench.wait_for_warmup(cache)
            if waited is not None:
                compiled.append(waited)
    cold_ms = stat(cold) * 1e3
    values = {"minimod": cold_ms}
    if "torch" in warm:
        values["torch"] = warm["torch"]
    rows.append(
        Row(
            "fresh process, empty numba cache (vs torch's fresh one)",
            values,
            "ms",
            "<= torch's",
            cold_ms <= warm["torch"] if "torch" in warm else None,
            note=f"kernels compiled in the background until {max(compiled) * 1e3:.0f} ms after the step"
            if compiled else "kernels compiled in the process",
        )
    )
    forwards = [first_forward_bench.first_forward() for _ in range(runs)]
    first = stat(forwards) * 1e3
    rows.append(
        Row("inspector first forward (f), empty numba cache", {"minimod": first}, "ms", "<= 500 ms",
            first <= 500)
    )
    return rows


# --- the inspector ---------------------------------------------------------------------------------


def inspector_rows(repeats: int, quick: bool, stat) -> list[Row]:
    runs = 1 if quick else max(3, repeats // 2)
    inspector_bench.first_paint()  # warm the OS file cache (and numba's, if still empty)
    paint = stat([inspector_bench.first_paint() for _ in range(runs)]) * 1e3
    rows = [
        Row(
            "inspector first paint, default model, 120x40",
            {"minimod": paint},
            "ms",
            "<= 1500 ms",
            paint <= 1500,
        )
    ]
    cases = (
        ("100k-event trace", inspector_bench.TRACE_EVENTS, None, inspector_bench.KEYS),
        ("ResNet-18 + 100k events", inspector_bench.TRACE_EVENTS, "resnet18", inspector_bench.RESNET_KEYS),
        (f"{inspector_bench.WIDE_LAYERS:,}-layer model", 0, "wide", inspector_bench.WIDE_KEYS),
    )
    for label, events, target, keys in cases:
        timings = inspector_bench.key_latency(events, keys, target)
        presses = [(key, seconds) for key, seconds in timings if not key.endswith(inspector_bench.RUN_SUFFIX)]
        values = [seconds * 1e3 for _key, seconds in presses]
        worst_key, worst = max(presses, key=lambda pair: pair[1])
        rows.append(
            Row(
                f"key press, {label}: median of {len(values)}",
                {"minimod": statistics.median(values)},
                "ms",
                "<= 100 ms",
                statistics.median(values) <= 100,
            )
        )
        rows.append(
            Row(
                f"key press, {label}: slowest ({worst_key!r})",
                {"minimod": max(values)},
                "ms",
                "<= 100 ms",
                max(values) <= 100,
            )
        )
        for key, seconds in timings:  # what a run key set going, until its end is on screen: no target
            if key.endswith(inspector_bench.RUN_SUFFIX):
                run_key = key[: -len(inspector_bench.RUN_SUFFIX)]
                rows.append(Row(f"  {label}: the run {run_key!r} started, until shown",
                                {"minimod": seconds * 1e3}, "ms",
                                note="the model in its worker thread; keys answer meanwhile"))
    for view, (total, dot_time, size) in inspector_bench.render_views("resnet18", 1 if quick else 3).items():
        rows.append(
            Row(
                f"render ResNet-18, {view} view (graph+DOT+dot)",
                {"minimod": total * 1e3},
                "ms",
                note=f"dot {dot_time * 1e3:.0f} ms, SVG {size / 1024:.0f} KiB",
            )
        )
    return rows


# --- the classroom -------------------------------------------------------------------------------


def serve_rows(quick: bool) -> list[Row]:
    """`minimod serve` on localhost: one session with an empty numba cache, one with the cache it
    filled, then SESSIONS students at once (a smaller class with --quick); see benchmarks/serve.py."""
    sessions = 4 if quick else serve_bench.SESSIONS
    report = serve_bench.load_test(sessions)
    crowd = report.crowd
    memory = [figure.memory_mb for figure in crowd if figure.memory_mb is not None]

    def row(label, seconds, target="", met=None, note=""):
        return Row(label, {"minimod": seconds * 1e3}, "ms", target, met, note)

    paints = [figure.first_paint for figure in crowd]
    answers = [max(figure.forward, figure.backward) for figure in crowd]
    rows = [
        row("serve: 1st session, empty numba cache: first paint", report.cold.first_paint),
        row("serve: 1st session, empty numba cache: f answered", report.cold.forward,
            note="compiles minimod's kernels into the shared cache"),
        row("serve: 2nd session, shared cache warm: first paint", report.warm.first_paint),
        row("serve: 2nd session, shared cache warm: f answered", report.warm.forward),
        row(f"serve: {len(crowd)} sessions at once: first paint, median", statistics.median(paints)),
        row(f"serve: {len(crowd)} sessions at once: first paint, slowest", max(paints)),
        row(f"serve: {len(crowd)} sessions at once: f or b answered, slowest", max(answers),
            note=f"all {len(crowd)} answered f and b; server up afterwards: "
            f"{'yes' if report.server_answers else 'NO'}"),
    ]
    if memory:
        rows.append(Row(f"serve: memory per session (PSS), median of {len(memory)}",
                        {"minimod": statistics.median(memory)}, "MB",
                        note=f"largest {max(memory):.0f} MB, {sum(memory):.0f} MB for all"))
    return rows


# --- the table --------------------------------------------------------------------------------------


def format_table(rows: list[Row]) -> str:
    header = (
        f"{'workload':<56} {'unit':>4} {'PyTorch':>9} {'numpy':>9} {'minimod':>9} "
        f"{'mm/torch':>9} {'mm/numpy':>9}  {'target':<18} ok"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = " ".join(f"{row.values[c]:>9.2f}" if c in row.values else f"{'-':>9}" for c in LIBRARIES)
        ratios = []
        for other in ("torch", "numpy"):
            if row.ratios is not None and other in row.ratios:
                ratios.append(f"{row.ratios[other]:>8.2f}x")
                continue
            both = row.unit != "x" and other in row.values and "minimod" in row.values
            ratios.append(f"{row.values['minimod'] / row.values[other]:>8.2f}x" if both else f"{'-':>9}")
        ok = {True: "yes", False: "NO", None: ""}[row.met]
        line = f"{row.label:<56} {row.unit:>4} {cells} {' '.join(ratios)}  {row.target:<18} {ok}"
        lines.append(line + (f"  ({row.note})" if row.note else ""))
    return "\n".join(lines)


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

    jit = "off"
    if kernels.jit_enabled():
        jit = "on, compiled " + ("in the background" if kernels.warm.mode() == "background" else "inline")
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    lines = [
        f"machine: {_cpu_model()}, {os.cpu_count()} CPUs ({usable} usable), {platform.platform()}",
        f"versions: Python {platform.python_version()}, numpy {np.__version__}, "
        f"minimod {minimod.__version__} (numba kernels {jit}; cache {os.environ.get('NUMBA_CACHE_DIR')})",
        f"BLAS: {_blas()}",
    ]
    threads = []
    try:
        import numba

        threads.append(f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads)")
    except ImportError:
        threads.append("numba not installed")
    from minimod.kernels import halves

    threads.append(
        "minimod convolutions in batch halves on 2 threads, OpenBLAS at 1 (MINIMOD_NUM_THREADS=1: off)"
        if halves.enabled()
        else "minimod convolutions on 1 thread (no OpenBLAS thread control, 1 core or MINIMOD_NUM_THREADS=1)"
    )
    if _importable("torch"):
        version = subprocess.run(
            [sys.executable, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True
        ).stdout.strip()
        threads.append(f"torch {version} (set to 2 threads)")
    else:
        threads.append("torch not installed")
    lines.append("threads: " + ", ".join(threads))
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="interleaved rounds per case (default 15)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one call per sample, one run per fresh process (a smoke run, seconds)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=GROUPS,
        default=list(GROUPS),
        metavar="GROUP",
        help=f"run only these groups: {', '.join(GROUPS)} (default: all)",
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.15,
        help="seconds of quiet before each sample, so idle BLAS threads stop spinning (0.15)",
    )
    parser.add_argument(
        "--stat",
        choices=["median", "min"],
        default="median",
        help="how to summarise the rounds (min is steadier on a busy machine)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))
    stat = statistics.median if args.stat == "median" else min
    started = time.perf_counter()
    rows = []
    cases = [case for case in CASES if case[1] in args.only]
    if cases:
        rows += step_rows(cases, time_steps(cases, args.repeats, args.quick, args.gap), stat)
    if "fresh" in args.only:
        rows += fresh_rows(args.repeats, args.quick, stat)
    if "inspector" in args.only:
        rows += inspector_rows(args.repeats, args.quick, stat)
    if "serve" in args.only:
        rows += serve_rows(args.quick)
    print(format_table(rows))
    paired = "; ratios of in-process cases: the median of each round's ratio" if args.stat == "median" else ""
    print(
        f"{args.stat} of {args.repeats} interleaved rounds ({args.gap:g} s gap, one process per library"
        f"{paired}); load average {_load()}; {time.perf_counter() - started:.0f} s"
    )
    print("\n".join(_machine()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
