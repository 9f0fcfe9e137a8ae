"""RemovableHandle (what every register_*_hook returns) and op observers (a hook on every op)."""

from __future__ import annotations

import itertools
import threading
from contextlib import contextmanager


class RemovableHandle:
    """Removes one hook from the dict(s) it was put in; also a context manager."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict = hooks_dict
        self.extra_dict = extra_dict  # e.g. the "always call" flags of a forward hook
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        for hooks in (self.hooks_dict, self.extra_dict):
            if hooks is not None:
                hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"


# --- op observers ----------------------------------------------------------------------------

_op_observers: dict = {}


def register_op_observer(observer, *, with_kwargs: bool = False) -> RemovableHandle:
    """Call ``observer(function_class, inputs, outputs)`` after every op (the inspector's flow view).

    ``inputs`` are the op's positional arguments (Tensors or plain values), ``outputs`` a Tensor or a
    tuple of Tensors. With ``with_kwargs=True`` the observer is called with a fourth argument, the op's
    keyword arguments (a dict: ``dim`` of a softmax, ``dims`` of a transpose). An op made of ops is
    reported once: ``a @ b`` as ``MatMul``, not as the mm, bmm and view nodes it records. Returns a
    handle whose ``remove()`` (or ``with``) detaches the observer.
    """
    handle = RemovableHandle(_op_observers)
    _op_observers[handle.id] = (observer, with_kwargs)
    return handle


_quiet = threading.local()  # .depth > 0: inside an op made of ops (matmul), which reports itself once


@contextmanager
def one_op():
    """Inside the block, ops are not reported to observers: the composite op running them (matmul)
    reports itself once, after, so the flow view draws what the student wrote."""
    _quiet.depth = getattr(_quiet, "depth", 0) + 1
    try:
        yield
    finally:
        _quiet.depth -= 1


def _notify(cls, args, outputs, kwargs=None):
    if getattr(_quiet, "depth", 0):
        return outputs
    for observer, with_kwargs in list(_op_observers.values()):
        if with_kwargs:
            observer(cls, args, outputs, kwargs or {})
        else:
            observer(cls, args, outputs)
    return outputs


_untracked_ops: dict[str, type] = {}


def report_untracked(name: str, args: tuple, output):
    """Tell op observers about an op outside autograd (a comparison, argmax): it has no Function, so a
    class of that name stands for one. Returns `output`."""
    if not _op_observers:
        return output
    stand_in = _untracked_ops.get(name)
    if stand_in is None:
        stand_in = _untracked_ops[name] = type(name, (), {"__doc__": f"{name}: an op outside autograd"})
    return _notify(stand_in, args, output)
