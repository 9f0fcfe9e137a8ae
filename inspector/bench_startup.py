"""Time the inspector's first paint: `python -m inspector.bench_startup [TARGET] [--runs N]`.

Each run is a fresh Python process (imports included, as a user would start `minimod inspect`),
headless at 120x40; the time is from process start to Textual's Ready event (the first frame
drawn). Warm the numba cache first (any earlier run does) so compilation is not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

_CHILD = """
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


def time_once(target: str | None) -> float:
    """Seconds from interpreter start to first paint, in a fresh process."""
    begin = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _CHILD, target or ""], capture_output=True, text=True,
                            env=os.environ.copy(), timeout=120)
    total = time.perf_counter() - begin
    for line in result.stdout.splitlines():
        if line.startswith("FIRST_PAINT"):
            return float(line.split()[1])
    raise RuntimeError(f"the inspector did not report a first paint (exit {result.returncode}): "
                       f"{result.stderr.strip()[-500:]} (after {total:.1f} s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inspector.bench_startup", description=__doc__)
    parser.add_argument("target", nargs="?", default=None, help="TARGET to open (default: the zoo default)")
    parser.add_argument("--runs", type=int, default=5, help="number of fresh processes (default 5)")
    args = parser.parse_args(argv)
    time_once(args.target)  # warm the OS file cache and numba's cache
    times = [time_once(args.target) for _ in range(args.runs)]
    print(f"first paint of {args.target or 'the default model'} at 120x40 over {args.runs} runs: "
          f"median {statistics.median(times):.3f} s, best {min(times):.3f} s, worst {max(times):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
