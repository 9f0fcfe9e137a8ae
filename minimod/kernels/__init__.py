"""The one place that chooses between the fast kernels (fast.py) and their numpy twins (reference.py).

``from minimod import kernels; kernels.im2col(...)`` resolves the name at call time:
MINIMOD_DISABLE_JIT=1 in the environment selects reference.py, otherwise fast.py (imported, and
numba with it, on the first kernel call, so ``import minimod`` never loads numba). Without numba
installed the reference kernels are used.

The fast backend (fast.py) is jit.py's numba kernels and conv_blas.py's convolution (numpy and BLAS).
scratch.py holds the pool of large arrays that the fast kernels recycle between training steps (a fresh
large array costs a page fault per 4 KiB page), and halves.py runs a kernel on the two halves of a batch
on two threads. recycling.py's kernels (add, accumulate, adopt_grad) only choose where an array's memory
comes from; they need no numba and change no value, so they are handed out whatever the backend. relu's
kernels are chosen by their array as well (below).
"""

from __future__ import annotations

import importlib
import os

import numpy as np

from . import reference, scratch
from .recycling import accumulate, add, adopt_grad  # noqa: F401 - kernels whatever the backend (see above)

_MODULES = ("jit", "fast", "scratch", "conv_blas", "halves", "recycling")  # modules besides reference
_jit_module = None
_jit_missing = False


def jit_enabled() -> bool:
    """True when kernel calls go to the numba twins (numba importable, MINIMOD_DISABLE_JIT unset)."""
    return os.environ.get("MINIMOD_DISABLE_JIT", "") in ("", "0") and _load_jit() is not None


def jit_loaded() -> bool:
    """True once the numba kernels are loaded (callers that can do without them ask before loading)."""
    return loaded_jit() is not None


def loaded_jit():
    """The fast backend's module (fast.py) once loaded (and not disabled), else None: for callers that
    use numba only when something else has paid for loading it."""
    return _jit_module if _jit_module is not None and jit_enabled() else None


def _load_jit():
    global _jit_module, _jit_missing
    if _jit_module is None and not _jit_missing:
        try:
            fast = importlib.import_module(".fast", __name__)
        except ImportError:  # numba not installed: the numpy kernels still work
            _jit_missing = True
        else:
            _jit_module = fast
    return _jit_module


def backend():
    """The module whose kernels run now: minimod.kernels.fast or minimod.kernels.reference."""
    return _jit_module if jit_enabled() else reference


# relu is the one kernel chosen by its array too: numba's one pass saves microseconds on a small array,
# and loading numba for it costs a second (a micrograd-sized script would wait for nothing). So a small
# array takes the twin until something else (a convolution, a loss) has loaded numba; a large float32/64
# array pays for loading it.
_NUMBA_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def relu_forward(x):
    """reference.relu_forward's contract, from the backend that pays for x (see above)."""
    return _backend_paying_for(x).relu_forward(x)


def relu_backward(grad_output, y):
    """reference.relu_backward's contract, from the backend that pays for y (see above)."""
    return _backend_paying_for(y).relu_backward(grad_output, y)


def _backend_paying_for(array):
    if _jit_module is None and not (array.nbytes >= scratch.MIN_BYTES and array.dtype in _NUMBA_FLOATS):
        return reference
    return backend()


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _MODULES:  # `from minimod.kernels import jit` names the module, and so does `from . import
        # halves` inside conv_blas: looking for a kernel there would import jit halfway through its import
        return importlib.import_module(f".{name}", __name__)  # (scratch, halves: numpy only, no numba)
    try:
        return getattr(backend(), name)
    except AttributeError:
        raise AttributeError(f"minimod.kernels has no kernel {name!r}") from None
