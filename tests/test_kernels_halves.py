"""kernels/halves.py: a batch's two halves on two threads, BLAS at one thread meanwhile, then put back."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from minimod.kernels import halves

needs_halves = pytest.mark.skipif(not halves._setup(), reason="no OpenBLAS thread control or one core")


def test_minimod_num_threads_1_turns_the_halves_off(monkeypatch):
    monkeypatch.setattr(halves, "_state", None)
    monkeypatch.setenv("MINIMOD_NUM_THREADS", "1")
    assert not halves.enabled() and halves.parts(64, True) == [(0, 64)]


def test_small_or_single_batches_are_not_split():
    assert halves.parts(1, True) == [(0, 1)]
    assert halves.parts(64, False) == [(0, 64)]


@needs_halves
def test_two_halves_run_on_two_threads_and_come_back_in_order():
    assert halves.parts(5, True) == [(0, 2), (2, 5)]
    seen = []

    def work(start, stop):
        seen.append(threading.current_thread().name)
        return np.arange(start, stop)

    first, second = halves.run(work, [(0, 2), (2, 5)])
    assert first.tolist() == [0, 1] and second.tolist() == [2, 3, 4]
    assert len(set(seen)) == 2 and threading.current_thread().name in seen


@needs_halves
def test_blas_is_held_to_one_thread_while_halves_run_and_put_back_after_an_error():
    set_threads, get_threads, _ = halves._state
    before = get_threads()
    during = []

    def work(start, stop):
        during.append(get_threads())
        if start > 0:
            raise ValueError("half failed")
        return start

    with pytest.raises(ValueError, match="half failed"):
        halves.run(work, [(0, 1), (1, 2)])
    assert during == [1, 1]
    assert get_threads() == before
    assert halves.run(lambda start, stop: stop, [(0, 1), (1, 2)]) == [1, 2]  # the lock was released


def test_while_another_thread_holds_blas_the_halves_run_in_turn():
    holding, done = threading.Event(), threading.Event()

    def holder():
        with halves.one_blas_thread():
            holding.set()
            done.wait(5)

    other = threading.Thread(target=holder)
    other.start()
    try:
        holding.wait(5)
        me = threading.current_thread().name
        assert halves.run(lambda start, stop: threading.current_thread().name, [(0, 1), (1, 2)]) == [me, me]
    finally:
        done.set()
        other.join()


@needs_halves
def test_a_kernel_holding_blas_can_still_split():
    set_threads, get_threads, _ = halves._state
    before = get_threads()
    with halves.one_blas_thread() as held:
        assert held and get_threads() == 1
        names = halves.run(lambda start, stop: threading.current_thread().name, [(0, 1), (1, 2)])
        assert len(set(names)) == 2 and get_threads() == 1
    assert get_threads() == before


needs_cpu_control = pytest.mark.skipif(
    not (halves._setup() and halves._cpus), reason="threads cannot be kept apart here"
)


@needs_cpu_control
def test_while_halves_run_the_caller_stays_on_its_cpu_and_the_helper_runs_elsewhere():
    before = os.sched_getaffinity(0)
    seen = {}

    def work(start, stop):
        seen[threading.current_thread().name] = os.sched_getaffinity(0)
        return start

    for _ in range(3):  # the helper's id is known from its first run on
        assert halves.run(work, [(0, 1), (1, 2)]) == [0, 1]
    caller = seen.pop(threading.current_thread().name)
    (helper,) = seen.values()
    assert len(caller) == 1 and helper and not caller & helper and helper <= before
    assert os.sched_getaffinity(0) == before  # put back after


@needs_cpu_control
def test_the_callers_cpus_are_put_back_after_a_half_fails():
    before = os.sched_getaffinity(0)

    def work(start, stop):
        raise ValueError("half failed")

    with pytest.raises(ValueError, match="half failed"):
        halves.run(work, [(0, 1), (1, 2)])
    assert os.sched_getaffinity(0) == before
