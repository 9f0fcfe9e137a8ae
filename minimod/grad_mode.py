"""Grad mode (no_grad, enable_grad, set_grad_enabled) and the in-place version counter."""

from __future__ import annotations

import functools
import threading

# --- grad mode -------------------------------------------------------------------------------


class _GradState(threading.local):
    """Per-thread grad mode; the class attribute is every new thread's default."""

    enabled = True


_grad_mode = _GradState()



def is_grad_enabled() -> bool:
    """True when ops record a graph for backward (the default)."""
    return _grad_mode.enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager that is also a decorator."""

    enabled = True

    def __enter__(self):
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = self.enabled
        return self

    def __exit__(self, *exc_info):
        _grad_mode.enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):  # noqa: N801 - torch's name
    """Inside this block ops build no graph: results have requires_grad=False."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - torch's name
    """Turn graph recording back on inside a no_grad block."""

    enabled = True


class set_grad_enabled(_GradMode):  # noqa: N801 - torch's name
    """Set grad mode now (a plain call), or for a ``with`` block / a decorated function."""

    def __init__(self, mode: bool):
        self._previous = _grad_mode.enabled
        self.enabled = bool(mode)
        _grad_mode.enabled = self.enabled

    def __enter__(self):
        return self

    def __call__(self, function):
        _grad_mode.enabled = self._previous  # as a decorator it must not change the mode now
        mode = self.enabled

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return wrapper


# --- version counter -------------------------------------------------------------------------


class _Version:
    """How many in-place changes a storage has seen; shared by tensors that share storage."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0
