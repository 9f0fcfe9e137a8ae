"""One library's side of the timed cases: `python -m benchmarks.worker minimod|torch|numpy`.

The parent (benchmarks/__main__.py) starts one worker per library, so no library shares a process
with another: a numpy BLAS call leaves OpenBLAS's worker thread spinning on a core for ~0.1 s, and
torch's OpenMP threads spin too, so in one process each library slowed the next one timed (torch ran
its ResNet step up to 2x slower right after minimod's). Each worker builds every case once, then
answers requests on stdin, one per line:

    build             -> "ok"                   (every case built and warmed up)
    run INDEX CALLS   -> seconds per call        (one untimed call of case INDEX, then CALLS timed)

The untimed call matters: after a pause of 50 ms or more, torch's next MLP step took 12 ms instead of
0.6 ms (its threads and memory go cold), minimod's 1.3 ms instead of 0.6 ms.
"""

from __future__ import annotations

import sys
import time

from . import models
from . import numpy_reference as reference

# (name, minimod/torch builder, numpy builder); the parent's CASES table refers to these by index
STEPS = [
    ("mlp", models.make_mlp_step, reference.make_mlp_step),
    ("convnet", models.make_convnet_step, reference.make_convnet_step),
    ("resnet", models.make_resnet_step, reference.make_resnet_step),
    ("op", models.make_op_overhead, reference.make_op_overhead),
    ("tiny", models.make_tiny_mlp_step, reference.make_tiny_mlp_step),
    ("forward", models.make_forward_plain, reference.make_forward_plain),
    ("hooked", models.make_forward_hooked, reference.make_forward_hooked),
]


def build(library: str) -> list:
    if library == "numpy":
        steps = [make_reference() for _name, _make, make_reference in STEPS]
    else:
        if library == "torch":
            import torch as lib

            lib.set_num_threads(2)
        else:
            import minimod as lib
        steps = [make(lib) for _name, make, _reference in STEPS]
    for step in steps:  # warm up: numba compiles (or loads its cache), pools and caches fill
        step()
        step()
    if library == "minimod":
        from minimod import kernels

        # with an empty cache the kernels compile in the background (minimod/kernels/warm.py): time
        # numba's kernels, not their numpy twins. Steps on numba's kernels may ask for signatures of
        # their own (a backward given numba's forward outputs), so until a round asks for none
        while True:
            kernels.wait_for_compilation()
            asked = kernels.warm.requests_sent()
            for step in steps:
                step()
            if kernels.warm.requests_sent() == asked:
                break
    return steps


def main(argv: list[str]) -> int:
    library = argv[0]
    steps = None
    for line in sys.stdin:
        command = line.split()
        if not command:
            continue
        if command[0] == "build":
            steps = build(library)
            print("ok", flush=True)
        elif command[0] == "run":
            step, calls = steps[int(command[1])], int(command[2])
            step()  # untimed: after the parent's quiet gap, the first call wakes threads and caches
            start = time.perf_counter()
            for _ in range(calls):
                step()
            print(repr((time.perf_counter() - start) / calls), flush=True)
        else:
            print(f"error: unknown request {line.strip()!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
