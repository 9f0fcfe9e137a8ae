"""The inspector's timings: first paint, key presses over a 100k-event trace, diagram rendering.

`python -m benchmarks.inspector first-paint|keys|render [options]` runs one of them alone; the
benchmark table (`python -m benchmarks`) runs all three, each in a fresh process so no other library
(torch) is loaded next to the inspector. Warm the numba cache first (any earlier run does).

- first paint: from interpreter start to Textual's Ready event plus one refresh (the first frame
  drawn), headless at 120x40, on the default model, as `minimod inspect` opens it;
- keys: the app with 100,000 trace events (as tests/inspector's 100k-event test feeds them), then a
  sequence of key presses, each timed from the key reaching the app until every widget has handled
  what it queued and the screen has been repainted. A key that starts a model run (f, b, o) answers
  once the run has started and the screen is repainted, while the model runs in its worker thread and
  its trace batches keep coming: those (and the run's end) are the run's, timed on their own as "f run"
  etc., from the key until the run's last message is handled and painted (the next key waits for it);
- render: each view of a zoo model (ResNet-18 by default): graph + DOT + Graphviz's dot to SVG.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from inspector.diagram import VIEWS  # the renderer's module: no Textual, no graphviz

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
TRACE_EVENTS = 100_000
# the key presses timed over the 100k-event trace: tabs, cursor moves in the 2,000-row table, the tree
# hidden and shown (a relayout), step-through in and out (each scans the 100k events), back to tensors
KEYS = [
    "2",
    "down",
    "down",
    "pagedown",
    "end",
    "home",
    "up",
    "w",
    "w",
    "n",
    "n",
    "p",
    "escape",
    "1",
    "2",
    "3",
    "2",
]

_FIRST_PAINT = """
import time
start = time.perf_counter()
import sys
from inspector.app import InspectorApp

class TimedApp(InspectorApp):
    def on_ready(self) -> None:
        self.call_after_refresh(self._report)

    def _report(self) -> None:
        print(f"FIRST_PAINT {time.perf_counter() - start:.4f}", flush=True)
        self.exit()

TimedApp(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None).run(headless=True, size=(120, 40))
"""


def _child_env(extra: dict | None = None) -> dict:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, **(extra or {}))


def _child_report(code: str, args: list[str], marker: str, timeout: float, what: str) -> str:
    """Run code in a fresh interpreter and return the rest of the line it prints after marker."""
    begin = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=_child_env(),
        cwd=ROOT,
        timeout=timeout,
    )
    for line in result.stdout.splitlines():
        if line.startswith(marker):
            return line[len(marker):].strip()
    raise RuntimeError(
        f"{what} failed (exit {result.returncode}, after {time.perf_counter() - begin:.1f} s): "
        f"{result.stderr.strip()[-800:]}"
    )


def first_paint(target: str | None = None) -> float:
    """Seconds from interpreter start to the first frame, in a fresh process."""
    return float(_child_report(_FIRST_PAINT, [target or ""], "FIRST_PAINT", 120, "the first-paint run"))


def _trace_event(index: int):
    from inspector.events import TensorStats, TraceEvent

    stats = TensorStats((1, 4), "float32", 0.5, 0.1, 0.0, 1.0, 0, 0)
    return TraceEvent(
        index,
        ("forward_pre", "forward", "backward")[index % 3],
        f"layer{index % 7}",
        "Linear",
        (stats,),
        (stats,),
        0.01,
        True,
    )


# On ResNet-18 with the 100k events: the same keys, then the theme twice (every widget restyled)
RESNET_KEYS = [*KEYS, "D", "D"]

# The keys timed on a 2,000-layer model: onto the root and the ModuleList (each shows its whole
# subtree's tensors), into a layer and back, a forward (2,000 calls traced), the theme, the filter.
WIDE_KEYS = ["down", "down", "up", "up", "f", "down", "down", "up", "D", "D", "slash", "l", "escape"]
RUN_KEYS = ("f", "b", "o")  # keys that start a model run in the worker thread
RUN_SUFFIX = " run"  # the timing of the run a key started: "f run"
WIDE_LAYERS = 2000


def wide_model(layers: int = WIDE_LAYERS):
    """`layers` Linear(4, 4) in a ModuleList, run one after the other: a wide, flat model."""
    from minimod import nn

    class Wide(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(layers)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    return Wide()


async def _time_keys(keys: list[str], events: int, target: str | None = None) -> list[tuple[str, float]]:
    from textual import events as textual_events

    import minimod as mm
    from inspector.app import InspectorApp
    from inspector.messages import TraceBatch
    from inspector.targets import LoadedTarget

    mm.manual_seed(0)
    if target == "wide":
        app = InspectorApp(LoadedTarget("wide", wide_model(), mm.randn(2, 4)))
    else:
        app = InspectorApp(target)
    timings = []
    async with app.run_test(size=SIZE) as pilot:
        while app.main_screen.busy is not None:  # the default model's first run
            await asyncio.sleep(0.02)
        screen = pilot.app.screen
        trace = [_trace_event(index) for index in range(events)]
        pilot.app.session.events.extend(trace)
        for begin in range(0, events, 5000):  # as the model worker posts them: batches
            screen.post_message(TraceBatch(trace[begin : begin + 5000]))
        await pilot.pause()
        for key in keys:
            # Pilot.press would add its idle detection (sleeps of 20 ms until the CPU is quiet) to every
            # figure; instead the key is posted to the app as the driver would, and the clock stops once
            # every widget has handled what the key queued (see _handled) and the screen has been
            # repainted
            event = textual_events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            start = time.perf_counter()
            app.post_message(event)
            if key in RUN_KEYS:
                await _run_started(app)
            else:
                await _handled(app)
            timings.append((key, await _repainted(app, 30) - start))
            if key in RUN_KEYS:
                while app.main_screen.busy is not None:  # the run goes on in the worker thread
                    await asyncio.sleep(0.002)
                await _handled(app)  # its last messages (RunFinished: the views refreshed)
                timings.append((key + RUN_SUFFIX, await _repainted(app, 60) - start))
            await pilot.pause()  # let timers and animations settle before the next key
    return timings


async def _repainted(app, timeout: float) -> float:
    """The clock once the screen has been repainted after everything queued so far."""
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(time.perf_counter()))
    return await asyncio.wait_for(done, timeout)


async def _run_started(app) -> None:
    """Until the key's action has started the run (the screen is busy with it), for a run key. Not
    _handled's rounds over every node: with the model's thread holding the GIL between its hooks, each
    of those ~80 callbacks waited for it (a round took ~300 ms on the 2,000-layer model), while the
    screen's own paint of the answer needs a few."""
    screen = app.main_screen
    deadline = time.perf_counter() + 30
    while screen.busy is None and time.perf_counter() < deadline:
        await asyncio.sleep(0)


async def _round(nodes: list) -> None:
    """Wait until each of `nodes` has handled everything queued to it so far (and finished the message
    it was handling): a callback queued behind it runs only then."""
    left = 0
    done = asyncio.Event()

    def arrived() -> None:
        nonlocal left
        left -= 1
        if not left:
            done.set()

    for node in nodes:
        if node.call_later(arrived):
            left += 1
    if left:
        await asyncio.wait_for(done.wait(), 30)


async def _handled(app) -> None:
    """Until every node of the app's screen has handled what a key set off: a key travels app ->
    focused widget -> bindings -> the messages its handlers post, so a round over every node ends only
    when one leaves every queue empty. In between, rounds over just the nodes with queued messages
    follow the chain (a round over all ~80 nodes costs ~3 ms of the figure, and its callbacks delay the
    screen's own refresh)."""
    while True:
        nodes = [app, *app.screen.walk_children(with_self=True)]
        await _round(nodes)
        if all(node._message_queue.empty() for node in nodes):
            return
        while busy := [node for node in nodes if not node._message_queue.empty()]:
            await _round(busy)


def key_latency(events: int = TRACE_EVENTS, keys: list[str] | None = None,
                target: str | None = None) -> list[tuple[str, float]]:
    """(key, seconds until handled and repainted) for each press, measured in a fresh process, on
    `target` (a zoo name; "wide" for the 2,000-layer model; None: the default) with `events` trace
    events fed in first."""
    code = (
        "import json, sys; from benchmarks.inspector import _keys_main; "
        "print('KEYS ' + json.dumps(_keys_main(int(sys.argv[1]), sys.argv[2], sys.argv[3:])))"
    )
    arguments = [str(events), target or "", *(keys or KEYS)]
    report = _child_report(code, arguments, "KEYS ", 300, "the key-latency run")
    return [tuple(pair) for pair in json.loads(report)]


def _keys_main(events: int, target: str, keys: list[str]) -> list[tuple[str, float]]:
    return asyncio.run(_time_keys(keys, events, target or None))


def render(name: str = "resnet18", view: str = "tree", repeats: int = 3) -> tuple[float, float, int]:
    """(median seconds for render + svg, of which dot's share, SVG bytes) for zoo model `name`."""
    from inspector.diagram import render as render_diagram
    from inspector.diagram import run_dot
    from inspector.targets import resolve

    target = resolve(name)
    totals, dot_times, size = [], [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        diagram = render_diagram(target.model, view=view, example_input=target.example_input)
        middle = time.perf_counter()
        svg = run_dot(diagram.dot, "svg")
        end = time.perf_counter()
        totals.append(end - start)
        dot_times.append(end - middle)
        size = len(svg)
    return statistics.median(totals), statistics.median(dot_times), size


def render_views(name: str = "resnet18", repeats: int = 3) -> dict[str, tuple[float, float, int]]:
    """render() for each view, in a fresh process (so the figures do not depend on what ran before)."""
    code = (
        "import json, sys; from benchmarks.inspector import render, VIEWS; "
        "print('RENDER ' + json.dumps({v: render(sys.argv[1], v, int(sys.argv[2])) for v in VIEWS}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, name, str(repeats)],
        capture_output=True,
        text=True,
        env=_child_env(),
        cwd=ROOT,
        timeout=300,
    )
    for line in result.stdout.splitlines():
        if line.startswith("RENDER "):
            return {view: tuple(value) for view, value in json.loads(line[7:]).items()}
    raise RuntimeError(f"rendering {name} failed (exit {result.returncode}): {result.stderr.strip()[-800:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.inspector", description=__doc__.splitlines()[0]
    )
    sub = parser.add_subparsers(dest="what", required=True)
    paint = sub.add_parser("first-paint", help="first paint in fresh processes")
    paint.add_argument("target", nargs="?", default=None, help="TARGET to open (default: the zoo default)")
    paint.add_argument("--runs", type=int, default=5, help="number of fresh processes (default 5)")
    keys = sub.add_parser("keys", help="key-press latency over a large trace")
    keys.add_argument(
        "--events", type=int, default=TRACE_EVENTS, help=f"trace events (default {TRACE_EVENTS:,})"
    )
    keys.add_argument("--runs", type=int, default=1,
                      help="fresh processes, each pressing every key; per key: median and slowest")
    keys.add_argument("--model", default=None,
                      help="a zoo name, or 'wide' for the 2,000-layer model (default: the default model)")
    keys.add_argument("keys", nargs="*", help=f"keys to press (default: {' '.join(KEYS)})")
    draw = sub.add_parser("render", help="render each view of zoo models")
    draw.add_argument("models", nargs="*", default=["resnet18", "convnet", "transformer_block"])
    draw.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.what == "first-paint":
        first_paint(args.target)  # warm the OS file cache and numba's cache
        times = [first_paint(args.target) for _ in range(args.runs)]
        print(
            f"first paint of {args.target or 'the default model'} at {SIZE[0]}x{SIZE[1]}, {args.runs} runs: "
            f"median {statistics.median(times):.3f} s, best {min(times):.3f} s, worst {max(times):.3f} s"
        )
    elif args.what == "keys":
        default_keys = {"wide": WIDE_KEYS, "resnet18": RESNET_KEYS}.get(args.model or "", KEYS)
        runs = [key_latency(args.events, args.keys or default_keys, args.model)
                for _ in range(max(1, args.runs))]
        if len(runs) == 1:
            for key, seconds in runs[0]:
                print(f"{key:<10} {seconds * 1e3:8.1f} ms")
        else:
            print(f"{'key':<10} {'median ms':>9} {'max ms':>8}   ({len(runs)} runs)")
            for number, (key, _seconds) in enumerate(runs[0]):
                values = [run[number][1] * 1e3 for run in runs]
                print(f"{key:<10} {statistics.median(values):9.1f} {max(values):8.1f}")
        values = [seconds for run in runs for key, seconds in run if not key.endswith(RUN_SUFFIX)]
        print(
            f"{len(values)} presses over {args.events:,} events (runs apart): "
            f"median {statistics.median(values) * 1e3:.1f} ms, max {max(values) * 1e3:.1f} ms "
            f"(load average {os.getloadavg()[0]:.2f})"
        )
    else:
        print(f"{'model':<20} {'view':<9} {'total s':>8} {'dot s':>7} {'svg KiB':>8}")
        for name in args.models:
            for view in VIEWS:
                total, dot_time, size = render(name, view, args.repeats)
                print(f"{name:<20} {view:<9} {total:>8.3f} {dot_time:>7.3f} {size / 1024:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
