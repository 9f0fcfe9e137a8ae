"""The one place that chooses between the fast kernels (fast.py) and their numpy twins (reference.py).

``from minimod import kernels; kernels.im2col(...)`` resolves the name at call time:
MINIMOD_DISABLE_JIT=1 in the environment selects reference.py, otherwise fast.py (imported, and
numba with it, only once a kernel is compiled, so ``import minimod`` never loads numba). Without numba
installed the reference kernels are used.

Compiling: by default a kernel call whose signature (name and argument types) numba has not compiled
yet runs the numpy twin, while warm.py's warm-up process compiles it into numba's disk cache; later
calls of that signature run numba's kernel (warm.py says why and when the switch happens).
MINIMOD_JIT_COMPILE=inline compiles in this process on the first call instead, as numba does alone.

The fast backend (fast.py) is jit.py's numba kernels and conv_blas.py's convolution (numpy and BLAS).
scratch.py holds the pool of large arrays that the fast kernels recycle between training steps (a fresh
large array costs a page fault per 4 KiB page), and halves.py runs a kernel on the two halves of a batch
on two threads. recycling.py's kernels (add, accumulate, adopt_grad) only choose where an array's memory
comes from; they need no numba and change no value, so they are handed out whatever the backend. relu's
kernels are chosen by their array as well (below).
"""

from __future__ import annotations

import importlib
import weakref

import numpy as np

from . import reference, scratch, warm
from .companions import COMPANIONS
from .recycling import accumulate, add, adopt_grad  # noqa: F401 - kernels whatever the backend (see above)

# modules besides reference
_MODULES = ("jit", "fast", "scratch", "conv_blas", "conv_direct", "halves", "recycling", "variants", "warm",
            "companions")
_jit_module = None
_jit_missing = False
_routers: dict = {}


def _disabled() -> bool:
    return warm.env("MINIMOD_DISABLE_JIT") not in ("", "0")


def jit_enabled() -> bool:
    """True when kernel calls go to the numba twins (numba importable, MINIMOD_DISABLE_JIT unset); in
    the background mode, once each is compiled (this does not load numba then)."""
    if _disabled():
        return False
    if warm.mode() == "background":
        return _jit_module is not None or (not _jit_missing and warm.numba_installed())
    return _load_jit() is not None


def wait_for_compilation(timeout: float | None = None) -> bool:
    """Block until every kernel signature called so far is compiled (True; False after timeout
    seconds): from the next call on they run numba's kernels. Nothing to wait for in the inline mode."""
    return warm.wait_for_compilation(timeout)


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
    """The module whose kernels run now: minimod.kernels.fast or minimod.kernels.reference (in the
    background mode, fast once numba is loaded: a signature not compiled yet still takes the twin)."""
    return _jit_module if jit_enabled() and _jit_module is not None else reference


def _router(name: str):
    """The kernel `name` in the background mode: numba's if its signature is compiled, else the twin
    (and a request to compile it). warm.py's module doc tells the story."""
    from .variants import VARIANTS

    twin = getattr(reference, name)
    backward = name.endswith("_backward")
    variant = VARIANTS.get(name)  # the fast kernel's numba code, where shapes choose it

    fast_kernel = None  # numba's kernel, once loaded

    def kernel(*args):
        nonlocal fast_kernel
        key = _signature(name, args, variant)
        ready = warm.ready(key)
        if backward and _twin_outputs and _from_twin(args):
            pass  # what a twin's forward left for its backward is the twin's (conv's patches, say)
        elif ready:
            if fast_kernel is None:
                fast = _load_jit()
                fast_kernel = None if fast is None else getattr(fast, name)
            if fast_kernel is not None:
                return fast_kernel(*args)
        elif name in _BOUND_TO_FORWARD and _jit_module is not None:
            return getattr(_jit_module, name)(*args)  # maybe from numba's forward: compiles here
        call = None if ready else warm.request(key, name, args, _twin_output)  # copies args: some
        result = twin(*args)  # kernels write into them
        if not backward and call is not None:
            _note_twin_outputs(result, call)
            if name in COMPANIONS:
                _ask_for_companion(*COMPANIONS[name](args, result))
        return result

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = twin.__doc__
    return kernel


# Backward kernels given a forward output that only the backend which made it can read: conv2d_forward's
# second output is im2col's patches from the twin, the padded input or per-sample patches from numba's. So
# such a backward runs numba's kernel once numba's forward may have made its arguments (compiling here,
# if its signature is new: the first backward after a forward switched to numba). Every other backward
# reads the same arrays from either forward, and takes the twin while its signature compiles, as a
# forward does (ResNet-18's first backward after its forwards switched took 2.45 s compiling here).
_BOUND_TO_FORWARD = frozenset({"conv2d_backward"})


def _signature(name: str, args: tuple, variant) -> tuple:
    """warm.signature of a call, with the numba code the fast kernel runs for it where the shapes choose
    it (variant: the kernel's function in variants.VARIANTS, or None)."""
    return warm.signature(name, args, None if variant is None else variant(*args))


def _ask_for_companion(name: str, args: tuple) -> None:
    """Ask for the backward a training step will call after a forward whose signature is new (see
    companions.py), unless it is ready."""
    from .variants import VARIANTS

    key = _signature(name, args, VARIANTS.get(name))
    if not warm.ready(key):
        warm.request(key, name, args, _twin_output)


# relu is the one kernel chosen by its array too: numba's one pass saves microseconds on a small array,
# and loading numba for it costs a second (a micrograd-sized script would wait for nothing). So a small
# array takes the twin until something else (a convolution, a loss) has loaded numba; a large float32/64
# array pays for loading it.
_NUMBA_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def relu_forward(x):
    """reference.relu_forward's contract, from the backend that pays for x (see above)."""
    return _kernel_paying_for(x, "relu_forward")(x)


def relu_backward(grad_output, y):
    """reference.relu_backward's contract, from the backend that pays for y (see above)."""
    return _kernel_paying_for(y, "relu_backward")(grad_output, y)


# A forward kernel's outputs may be for its backward only (conv2d_forward's second output is im2col's
# patches from the twin, the padded input or per-sample patches from the fast backend), so a backward
# runs on the backend whose forward made its arguments: the twins' outputs are noted here (by id, while
# they live) until numba's kernels take over, each with the twin's call (warm._Call: its arguments are
# kept with it, so that the warm-up process can be asked for that forward again, see warm._Client._output).
_twin_outputs: dict = {}


def _note_twin_outputs(result, call) -> None:
    """Note the twin's output arrays, made by call (a warm._Call)."""
    many = type(result) is tuple
    for index, array in enumerate(result if many else (result,)):
        if isinstance(array, np.ndarray):
            key = id(array)

            def forget(ref, key=key):
                if _twin_outputs.get(key, (None,))[0] is ref:
                    del _twin_outputs[key]

            _twin_outputs[key] = (weakref.ref(array, forget), (call, index if many else 0))


def _twin_output(array):
    """(call, index) if array is output `index` of a twin's call (a warm._Call), else None."""
    entry = _twin_outputs.get(id(array))
    return entry[1] if entry is not None and entry[0]() is array else None


def _from_twin(args) -> bool:
    for arg in args:
        if isinstance(arg, np.ndarray):
            for array in (arg, arg.base):
                entry = _twin_outputs.get(id(array))
                if entry is not None and entry[0]() is array:
                    return True
    return False


def _kernel_paying_for(array, name: str):
    if _jit_module is None and not (array.nbytes >= scratch.MIN_BYTES and array.dtype in _NUMBA_FLOATS):
        return getattr(reference, name)
    return _RELU_CHOOSERS[name]  # (the backend the switches choose, as kernels.<name> finds it)


def _background() -> bool:
    return not _disabled() and warm.mode() == "background" and not _jit_missing and warm.numba_installed()


def _has_twin(name: str) -> bool:
    twin = getattr(reference, name, None)
    return not name.startswith("_") and getattr(twin, "__module__", None) == reference.__name__


def _routed(name: str):
    router = _routers.get(name)
    if router is None:
        router = _routers[name] = _router(name)
    return router


def __getattr__(name: str):
    """kernels.<name>: a kernel that calls what _find(name) chooses (kept in this module's namespace:
    a module's __getattr__ costs ~1.2 us a lookup, for the AttributeError raised before it is asked)."""
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _MODULES:  # `from minimod.kernels import jit` names the module, and so does `from . import
        # halves` inside conv_blas: looking for a kernel there would import jit halfway through its import
        return importlib.import_module(f".{name}", __name__)  # (scratch, halves: numpy only, no numba)
    _find(name)  # (an unknown name raises here)
    kernel = globals()[name] = _chooser(name)
    return kernel


def _find(name: str):
    """The kernel `name` as the switches choose it now (see the module doc)."""
    try:
        if _background():  # (a kernel without a twin, against the rule, compiles here as it used to)
            router = _routers.get(name)
            if router is not None:
                return router
            return _routed(name) if _has_twin(name) else getattr(_load_jit(), name)
        return getattr(backend(), name)
    except AttributeError:
        raise AttributeError(f"minimod.kernels has no kernel {name!r}") from None


def _chooser(name: str):
    """Calls _find(name)'s kernel, found again whenever the switches (warm.switches(): the environment
    variables that _disabled and warm.mode read) or the loaded backend change: a test or a notebook may
    set MINIMOD_DISABLE_JIT mid-run."""
    chosen = [None, None]  # [the switches and backend it was found with, the kernel]

    def kernel(*args):
        if chosen[0] != (warm.switches(), _jit_module):
            chosen[1] = _find(name)
            chosen[0] = (warm.switches(), _jit_module)  # (after: finding may load numba)
        return chosen[1](*args)

    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = getattr(getattr(reference, name, None), "__doc__", None)
    return kernel


# relu's kernels as the switches choose them, once its array pays for numba (see _kernel_paying_for);
# relu_forward and relu_backward are this module's own functions, so kernels.<name> would find those
_RELU_CHOOSERS = {name: _chooser(name) for name in ("relu_forward", "relu_backward")}
