"""Time the renderer: `python -m inspector.bench_render [MODEL ...]`, each view, graph + DOT + dot -> SVG."""

from __future__ import annotations

import argparse
import statistics
import time


def bench(name: str, view: str, repeats: int) -> tuple[float, float, int]:
    """(median seconds for render + svg, of which dot's share, SVG bytes) for zoo model `name`."""
    from inspector.diagram import render, run_dot
    from inspector.targets import resolve

    target = resolve(name)
    totals, dot_times, size = [], [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        diagram = render(target.model, view=view, example_input=target.example_input)
        middle = time.perf_counter()
        svg = run_dot(diagram.dot, "svg")
        end = time.perf_counter()
        totals.append(end - start)
        dot_times.append(end - middle)
        size = len(svg)
    return statistics.median(totals), statistics.median(dot_times), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inspector.bench_render", description=__doc__)
    parser.add_argument("models", nargs="*", default=["resnet18", "convnet", "transformer_block"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'model':<20} {'view':<9} {'total s':>8} {'dot s':>7} {'svg KiB':>8}")
    for name in args.models:
        for view in ("tree", "flow", "autograd"):
            total, dot_time, size = bench(name, view, args.repeats)
            print(f"{name:<20} {view:<9} {total:>8.3f} {dot_time:>7.3f} {size / 1024:>8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
