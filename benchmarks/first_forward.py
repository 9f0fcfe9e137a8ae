"""The inspector's first forward in a fresh install: `python -m benchmarks.first_forward [--runs N]`.

A fresh interpreter with an empty NUMBA_CACHE_DIR (a new temporary directory per run, as on a student's
first day) opens the inspector headless at 120x40 on the default model, waits for the first paint, then
presses f; the figure is the time from the key reaching the app until the forward has run (in the
inspector's worker thread), its result has been handled and the screen repainted. Key presses are timed
as benchmarks/inspector.py times them (its _handled); what differs is the empty cache and the wait for
the run.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .inspector import ROOT, SIZE, _child_env, _handled

_CODE = (
    "import asyncio; from benchmarks.first_forward import _first_forward; "
    "print(f'FIRST_FORWARD {asyncio.run(_first_forward()):.4f}', flush=True)"
)


async def _first_forward() -> float:
    from textual import events as textual_events

    from inspector.app import InspectorApp

    app = InspectorApp(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        loop = asyncio.get_running_loop()
        painted = loop.create_future()
        event = textual_events.Key("f", "f")
        event.set_sender(app)
        start = time.perf_counter()
        app.post_message(event)
        await _handled(app)
        while app.main_screen.busy is not None:  # the forward runs in the inspector's worker thread
            await asyncio.sleep(0.002)
        await _handled(app)  # the RunFinished message and what it queued
        app.call_after_refresh(lambda: painted.done() or painted.set_result(time.perf_counter()))
        end = await asyncio.wait_for(painted, 60)
        if not app.main_screen.session.events:
            raise RuntimeError("the forward recorded no events")
    return end - start


def wait_for_warmup(cache: str | Path) -> float | None:
    """Wait until no warm-up process (minimod/kernels/warm.py) works in the numba cache `cache`: each
    holds a shared lock on a file there while it runs. Seconds waited; None if none ever started."""
    start = time.perf_counter()
    path = Path(cache) / "minimod-warm.alive"
    if not path.exists():
        return None
    with open(path, "a+b") as alive:
        fcntl.flock(alive, fcntl.LOCK_EX)
    return time.perf_counter() - start


def first_forward() -> float:
    """Seconds for the first f in a fresh process whose numba cache is empty (see the module doc)."""
    with tempfile.TemporaryDirectory(prefix="minimod-numba-") as cache:
        result = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, cwd=ROOT,
                                env=_child_env({"NUMBA_CACHE_DIR": cache}), timeout=120)
        wait_for_warmup(cache)  # (so the background compile slows no later figure)
    for line in result.stdout.splitlines():
        if line.startswith("FIRST_FORWARD "):
            return float(line.split()[1])
    raise RuntimeError(
        f"the first-forward run failed (exit {result.returncode}): {result.stderr.strip()[-800:]}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.first_forward", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh processes, each with an empty cache (3)")
    args = parser.parse_args(argv)
    times = [first_forward() for _ in range(max(1, args.runs))]
    print(f"inspector first forward, empty numba cache, {len(times)} runs: median "
          f"{statistics.median(times) * 1e3:.0f} ms, best {min(times) * 1e3:.0f} ms, "
          f"worst {max(times) * 1e3:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
