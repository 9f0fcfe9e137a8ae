"""Run a kernel on the two halves of a batch at once: one half on a helper thread, one on the caller's.

Why: the fast convolution is numpy strided copies and BLAS products, and numpy releases the GIL in
both, so two threads can work at once. BLAS's own threads do not help much here: the products are
thin (16-32 columns) and OpenBLAS splits them badly, while the copies around them run on one core.
Splitting the batch instead gives each core a whole convolution of half the samples.

While the halves run, OpenBLAS is held to one thread (its setting is process-wide, so it is lowered
for the duration and put back after), otherwise each half's products would start two BLAS threads of
their own on a 2-core machine. Halves are used only when that setting can be changed (numpy's bundled
OpenBLAS, found with ctypes), the machine has two cores or more, and no other thread is splitting at
the same moment; otherwise the whole batch runs on the caller's thread, as before.

On Linux the two threads are also kept on different CPUs while the halves run: the caller stays on
its CPU (its affinity is put back after) and the helper runs anywhere else. Left to itself, the
scheduler woke the helper on the caller's CPU, where the two halves took turns, and the helper's
wake-up call pulled the caller over to the helper's CPU, so the next split collided again. This went
on for about three ResNet steps after every pause (a student reading the inspector, a benchmark's
gap): 16.5 ms a step instead of 12.8 ms, until the scheduler settled.

MINIMOD_NUM_THREADS=1 turns the helper thread off.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager

import numpy as np

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads")

_state = None  # (set_threads, get_threads, executor) once checked, or False when halves are not used
_cpus = None  # (current_cpu, usable cpus) where threads can be kept apart (Linux), else False
_kept_off = None  # the CPU the helper thread is kept off at the moment
_helper_id = None  # the helper thread's native id, once it has started
# one holder of the BLAS setting at a time (it is shared by the whole process); re-entrant, so a kernel
# holding it may call run()
_held = threading.RLock()


def _blas_thread_control():
    """(set, get) for the OpenBLAS that numpy uses, or None when it cannot be found."""
    folder = os.path.dirname(os.path.dirname(np.__file__))  # pip wheels bundle it beside numpy
    for path in glob.glob(os.path.join(folder, "numpy.libs", "*openblas*")) + glob.glob(
        os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*")
    ):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(library, name) for name in _SETTERS if hasattr(library, name)), None)
        getter = next((getattr(library, name) for name in _GETTERS if hasattr(library, name)), None)
        if setter is not None and getter is not None:
            setter.restype, getter.restype = None, ctypes.c_int
            return setter, getter
    return None


def _cpu_control():
    """(current_cpu, the process's usable CPUs) on Linux with two or more usable CPUs; None elsewhere."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        current_cpu = ctypes.CDLL(None).sched_getcpu
        cpus = frozenset(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return None
    current_cpu.restype, current_cpu.argtypes = ctypes.c_int, []
    return (current_cpu, cpus) if len(cpus) >= 2 else None


def _note_helper_id() -> None:
    global _helper_id
    _helper_id = threading.get_native_id()


def _keep_helper_off(cpu: int) -> None:
    """On the caller's thread, before it hands the helper work: let the helper run anywhere but on `cpu`
    (the caller's), so that it wakes up on another CPU."""
    global _kept_off
    if cpu != _kept_off and cpu >= 0 and _helper_id is not None:
        try:
            os.sched_setaffinity(_helper_id, _cpus[1] - {cpu})
        except OSError:  # the process's CPUs were changed under us: leave the helper where it is
            pass
        _kept_off = cpu


@contextmanager
def _apart():
    """Inside the block the calling thread stays on its current CPU and the helper is kept off it; the
    caller's affinity is put back after. Yields nothing; does nothing where this cannot be done."""
    if not _cpus:
        yield
        return
    cpu = _cpus[0]()
    try:
        mask = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {cpu})
    except OSError:
        yield
        return
    _keep_helper_off(cpu)
    try:
        yield
    finally:
        try:
            os.sched_setaffinity(0, mask)
        except OSError:  # the process's CPUs were changed meanwhile: every CPU it is allowed now
            os.sched_setaffinity(0, range(os.cpu_count() or 1))


def _setup():
    global _state
    if _state is None:
        control = None
        if (os.cpu_count() or 1) >= 2 and os.environ.get("MINIMOD_NUM_THREADS", "") != "1":
            control = _blas_thread_control()
        if control is None:
            _state = False
        else:
            executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="minimod-half", initializer=_note_helper_id
            )
            _state = (*control, executor)
            global _cpus
            _cpus = _cpu_control() or False
    return _state


def enabled() -> bool:
    """True when kernels split their batch in halves on two threads (see the module's docstring)."""
    return bool(_setup())


def parts(n: int, worth_it: bool) -> list[tuple[int, int]]:
    """The batch ranges [(start, stop), ...] a kernel runs on: two halves, or the whole batch.

    Forward and backward of one op call this with the same arguments, so they agree on the parts
    (a kernel may lay out what it saves for backward part by part)."""
    if n >= 2 and worth_it and _setup():
        return [(0, n // 2), (n // 2, n)]
    return [(0, n)]


@contextmanager
def one_blas_thread():
    """OpenBLAS held to one thread inside the block (put back after). Yields True when held; False, with
    nothing changed, when it cannot be: no control found, or another thread holds it at the moment.

    The fast convolution runs all its products this way, split or not: they are thin, OpenBLAS's second
    thread barely speeds them up on a quiet machine, and when the other core is busy each product waits
    for that thread (a ConvNet step took 4-7 ms instead of 2 ms while another process ran)."""
    if not _setup() or not _held.acquire(blocking=False):
        yield False
        return
    set_threads, get_threads, _ = _state
    threads = get_threads()
    set_threads(1)
    try:
        yield True
    finally:
        set_threads(threads)
        _held.release()


def run(work, ranges: list[tuple[int, int]]) -> list:
    """[work(start, stop) for each range], with OpenBLAS at one thread; with two ranges the first runs
    on the helper thread while the caller runs the second. Results in the order of ranges."""
    with one_blas_thread() as held:
        if len(ranges) == 1 or not held:  # one part, or no helper: the parts one by one
            return [work(*r) for r in ranges]
        with _apart():
            future = _state[2].submit(work, *ranges[0])
            try:
                rest = [work(*r) for r in ranges[1:]]
            except BaseException:
                wait([future])  # the helper's half must not outlive the BLAS setting, nor this call
                raise
            return [future.result(), *rest]
