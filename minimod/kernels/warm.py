"""Compiling the numba kernels in a second process, while this one runs their numpy twins.

Why: numba compiles a kernel on its first call, for the types of that call (~0.2 s each); a ConvNet's
first train step in a fresh install spent 2 s compiling, and the inspector's first forward 1.5 s. So by
default (MINIMOD_JIT_COMPILE unset or "background") the first call of a kernel with a new *signature*
(its name and the types of its arguments: dtype, dimensions, layout and writability of each array, the
type of each scalar, the value of small integers and bools, which pick a kernel's special cases such as
MaxPool2d(2), and, where the arguments' shapes choose the fast kernel's numba code, which code it runs:
see variants.py) runs the kernel's numpy twin from reference.py, and sends a copy of its arguments to a
warm-up process (a second Python, started on the first such call, at nice 10). That process calls the
numba kernel with them, which compiles exactly what the call needs into numba's disk cache
(NUMBA_CACHE_DIR; cache=True), notes the signature in a small file beside the cache, and answers. Every
later call of an answered signature, here or in any later process using the same cache, runs the numba
kernel. Nothing is compiled that no call asked for (save the backward that a convolution's forward
will be followed by: companions.py), and nothing compiles in this process (unless the
warm-up process died, see below): once all is answered, a thread here imports numba and loads the
compiled kernels from the cache (calling each with the arguments it kept), then the switch happens; the
warm-up process exits when idle for IDLE_SECONDS (and the next new signature starts another).

A backward's arguments include what its forward returned, which differs in kind between the twin and
numba's kernel (conv's patches): the warm-up process gives the backward its own call's output of that
forward. So the router keeps each twin forward's call (its arguments too) while its outputs live, and
when the warm-up process running now never had that forward (its signature was asked before, or of a
warm-up process let go since), it is asked for the forward again first. If the warm-up process cannot
start or dies, this process compiles from then on, as MINIMOD_JIT_COMPILE=inline does (with a warning).

When the switch happens: all at once, at the first kernel call after everything asked so far has been
compiled and loaded (never during a call; a step's forward and backward kernels, asked in the same
step, switch together). The twin and the numba kernel agree within rounding (they may sum in another
order), so a run's values can change in the last bits from that call on. From the second run on (the
signatures on file) every call is numba's from the start. For bit-for-bit repeatable runs in a fresh
install: MINIMOD_JIT_COMPILE=inline (compile in this process on the first call, as numba does by
itself), or kernels.wait_for_compilation() before the run.

Several processes sharing one cache (a class on one server, pytest-xdist workers) each start a warm-up
process; these take turns (a file lock around each compilation), so a signature compiles once and the
others load it. A child forked without exec asks a warm-up process of its own. MINIMOD_DISABLE_JIT=1
(the twins, always) and NUMBA_DISABLE_JIT=1 (numba's kernels as plain Python, compiled by nobody) start
no warm-up process; MINIMOD_JIT_COMPILE set to anything but "background" or "inline" warns, and means
"background". This module imports only the standard library; numba is imported by the warm-up process,
and here only once a signature is ready.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import pickle
import sys
import threading
import time
import warnings
from pathlib import Path

_HERE = Path(__file__).resolve().parent
IDLE_SECONDS = 2.0  # an idle warm-up process is let go after this long (see _Client._let_go)
KEEP_BYTES = 64 * 1024 * 1024  # requests kept to load their kernels before the switch (see _preload)
_LOCK_NAME = "minimod-warm.lock"  # held (exclusively) around each compilation, by every warm-up process
_ALIVE_NAME = "minimod-warm.alive"  # held (shared) by each warm-up process for its whole life


# The switches below are read at every kernel call (a test or a notebook may change them mid-run), and
# os.environ.get costs ~0.7 us (it encodes the name and decodes the value): three reads were a third of a
# small kernel's dispatch. On POSIX, CPython's os.environ keeps its raw table of bytes in _data (updated by
# every os.environ[...] = ..., putenv included), which env() reads directly (~0.1 us); elsewhere it asks
# os.environ.
_RAW_ENVIRON = getattr(os.environ, "_data", None) if os.name == "posix" else None
_RAW_KEYS: dict = {}


def env(name: str, default: str = "") -> str:
    """os.environ.get(name, default), read the fast way where it can be (see above)."""
    if type(_RAW_ENVIRON) is not dict:
        return os.environ.get(name, default)
    key = _RAW_KEYS.get(name)
    if key is None:
        key = _RAW_KEYS[name] = os.fsencode(name)
    value = _RAW_ENVIRON.get(key)
    return default if value is None else os.fsdecode(value)


_SWITCHES = tuple(os.fsencode(name) for name in ("MINIMOD_DISABLE_JIT", "NUMBA_DISABLE_JIT",
                                                  "MINIMOD_JIT_COMPILE"))


def switches() -> tuple:
    """The raw values of the environment variables that choose the kernels (MINIMOD_DISABLE_JIT,
    NUMBA_DISABLE_JIT, MINIMOD_JIT_COMPILE): kernels.__getattr__ keeps what it found while they stay."""
    if type(_RAW_ENVIRON) is not dict:
        return tuple(os.environ.get(os.fsdecode(name)) for name in _SWITCHES)
    get = _RAW_ENVIRON.get
    return get(_SWITCHES[0]), get(_SWITCHES[1]), get(_SWITCHES[2])


def mode() -> str:
    """"background" (the default: twins until the warm-up process has compiled) or "inline"."""
    if env("NUMBA_DISABLE_JIT") not in ("", "0"):
        return "inline"  # nothing to compile: the numba kernels run as Python
    value = env("MINIMOD_JIT_COMPILE", "background")
    if value == "background" or value == "inline":
        return value
    chosen = value.strip().lower()
    if chosen not in ("background", "inline", ""):  # a typo ("inlined") would silently mean background
        _warn_once(f"MINIMOD_JIT_COMPILE={value!r} is neither 'background' nor 'inline': compiling in the "
                   "background")
        return "background"
    return chosen or "background"


_warned: set = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


_numba_spec: list = []


def numba_installed() -> bool:
    if not _numba_spec:
        _numba_spec.append(importlib.util.find_spec("numba"))
    return _numba_spec[0] is not None


# --- where the cache is, and which kernels it holds -----------------------------------------------


def cache_dir() -> Path:
    """The directory numba caches minimod's kernels in (or under): NUMBA_CACHE_DIR; else, as numba's
    own locators, the kernels' __pycache__ when writable, else the user's cache folder."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return Path(configured)
    in_tree = _HERE / "__pycache__"
    if os.access(in_tree if in_tree.exists() else _HERE, os.W_OK):
        return in_tree
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "numba"


def _stamp() -> str:
    """Changes whenever a kernel source, numba or Python changes (each invalidates numba's cache)."""
    import hashlib

    parts = [sys.version, str(importlib.util.find_spec("numba").origin)]
    for path in sorted(_HERE.glob("*.py")):
        stat = path.stat()
        parts.append(f"{path.name}:{stat.st_mtime_ns}:{stat.st_size}")
    numba_init = Path(parts[1])
    if numba_init.exists():
        parts.append(str(numba_init.stat().st_mtime_ns))
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def record_path() -> Path:
    """The file of signatures compiled into the cache (one repr per line), for these sources."""
    return cache_dir() / f"minimod-kernels-{_stamp()}.signatures"


def read_record() -> set:
    import ast

    try:
        text = record_path().read_text(encoding="utf-8")
    except OSError:
        return set()
    known = set()
    for line in text.splitlines():
        try:
            known.add(ast.literal_eval(line))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue  # a line cut short by a crash: that signature compiles again
    return known


# --- signatures -------------------------------------------------------------------------------------


def _array_layout(array) -> str:
    flags = array.flags
    return "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"


# numpy's flag bits that numba's array type depends on: C- and F-contiguous (its layout), aligned and
# writeable. One read of flags.num gives all four (0.08 us; the four flags one by one cost ~0.4 us).
_TYPE_FLAGS = 0x1 | 0x2 | 0x100 | 0x400
_dtype_names: dict = {}  # dtype -> dtype.str, which numpy builds anew at each read (0.26 us)
_ndarray = None  # numpy's ndarray class, once _describe has met one (this module does not import numpy)


def _describe(value):
    """What numba's dispatch sees of one argument (plus small integers' values, see the module doc).
    Every kernel call of the background mode works this out (an optimizer step's has ten arguments), so
    the common kinds come first and an array's flags are read at once."""
    kind = type(value)
    if kind is float:
        return "float"
    if kind is int:
        return value if -1 <= value <= 4 else "int"
    if kind is bool:  # (not the value alone: True == 1 and hash(True) == hash(1), so (k, True) == (k, 1))
        return ("bool", value)
    if value is None:
        return None
    if kind is tuple:
        return tuple([_describe(item) for item in value])
    flags = getattr(value, "flags", None)
    if flags is not None and hasattr(value, "shape"):
        if kind.__name__ == "ndarray" and kind.__module__ == "numpy":
            global _ndarray
            _ndarray = kind  # signature() describes the next ones itself
        dtype = value.dtype
        name = _dtype_names.get(dtype)
        if name is None:
            name = _dtype_names[dtype] = dtype.str
        ndim = value.ndim
        return ("array", name, ndim, flags.num & _TYPE_FLAGS) if ndim else ("array0", name)
    return kind.__name__


def signature(name: str, args: tuple, variant=None) -> tuple:
    """The call's signature; variant: which numba code the fast kernel runs for it, where its arguments'
    shapes choose (see variants.py), a literal."""
    key = [name]
    for value in args:  # arrays and floats described here, as _describe does, without a call each (0.8
        kind = type(value)  # us of an optimizer step's 2.2)
        if kind is float:
            key.append("float")
        elif kind is _ndarray and value.ndim:
            dtype = value.dtype
            dtype_name = _dtype_names.get(dtype)
            if dtype_name is None:
                dtype_name = _dtype_names[dtype] = dtype.str
            key.append(("array", dtype_name, value.ndim, value.flags.num & _TYPE_FLAGS))
        else:
            key.append(_describe(value))
    if variant is not None:
        key.append(variant)
    return tuple(key)


# The arguments travel as plain data: each array as (layout, writable, C-ordered copy), rebuilt with the
# same layout on the other side, so numba compiles the variant this process's call will use.


class _Array:
    __slots__ = ("layout", "writeable", "data")

    def __init__(self, array):
        import numpy as np

        self.layout, self.writeable = _array_layout(array), array.flags.writeable
        self.data = np.ascontiguousarray(array).copy()

    def rebuild(self):
        import numpy as np

        data = self.data
        if self.layout == "F":
            data = np.asfortranarray(data)
        elif self.layout == "A":
            axis = max(range(data.ndim), key=lambda index: data.shape[index])  # an axis longer than 1
            wide = list(data.shape)
            wide[axis] *= 2
            spread = np.empty(wide, data.dtype)
            view = spread[tuple(slice(None, None, 2) if i == axis else slice(None) for i in range(data.ndim))]
            view[...] = data
            data = view
        if not self.writeable:
            data.flags.writeable = False
        return data


class _Output:
    """An argument that is an output of an earlier request's call (a forward's, for its backward): the
    warm-up process passes what its own call of that kernel returned, as the asking process's backward
    gets what its forward returned (the twin's and numba's may differ in kind: conv's patches)."""

    __slots__ = ("request", "index")

    def __init__(self, request: int, index: int):
        self.request, self.index = request, index


class _Call:
    """A kernel call the twin ran, as request() saw it. The router keeps a forward's while its outputs
    live (they hold its arguments): a backward given one of those outputs refers the warm-up process to
    its own call of that forward, asking for it again first when that process never had it (see
    _Client._output). number: the request's, to `process` (None: not sent)."""

    __slots__ = ("key", "name", "args", "process", "number")

    def __init__(self, key, name: str, args: tuple):
        self.key, self.name, self.args = key, name, args
        self.process = self.number = None


class _Unavailable(Exception):
    """An argument of a request the warm-up process could not be given (see _Client._output)."""


def _pack(value, outputs):
    if type(value) is tuple:
        return tuple(_pack(item, outputs) for item in value)
    if getattr(value, "shape", None) is not None and hasattr(value, "flags"):
        made = outputs(value)
        if made is not None:
            return _Output(*made)
        if value.shape:
            return _Array(value)
    return value


def _unpack(value, results):
    if type(value) is tuple:
        return tuple(_unpack(item, results) for item in value)
    if isinstance(value, _Output):
        result = results[value.request]
        return result[value.index] if type(result) is tuple else result
    return value.rebuild() if isinstance(value, _Array) else value


def _made_by_nobody(_array):
    return None


# --- this process's side ---------------------------------------------------------------------------


class _Client:
    """The warm-up process as this process sees it, and which signatures are ready."""

    def __init__(self):
        self.lock = threading.Lock()
        self.known: set | None = None  # ready signatures (None: the record not read yet)
        self.answered: list = []  # compiled by the warm-up process, not adopted yet
        self.outstanding = 0  # asked and not answered yet
        self.sent: set = set()
        self.failed: set = set()  # the warm-up process could not run these: the twin, for good
        self.count = 0  # requests sent, to every warm-up process so far (they are numbered by it)
        self.process = None
        self.pipes: list = []  # the pipes to and from warm-up processes (see _reset_after_fork)
        self.outbox = None  # a queue.Queue of requests for the writing thread
        self.kept: dict = {}  # request number -> its message, to load the kernel here once compiled
        self.kept_bytes = 0
        self.dead = ""  # why the warm-up process could not start, or died: then all compiles here

    def ready(self, key) -> bool:
        if self.known is None:
            self.known = read_record()
        if self.answered and (not self.outstanding or self.dead):
            self.adopt()
        if self.dead:  # as MINIMOD_JIT_COMPILE=inline: compiled here, not the twins for good
            _warn_once(f"minimod: the kernels' warm-up process {self.dead}; compiling them in this process "
                       "from now on, as MINIMOD_JIT_COMPILE=inline does")
            return True
        return key in self.known

    def adopt(self) -> None:
        """Take every compiled signature at once, and only when nothing asked is still compiling: a
        forward and its backward (asked in the same step) switch together."""
        with self.lock:
            if not self.outstanding or self.dead:
                self.known.update(self.answered)
                self.answered.clear()

    def request(self, key, name: str, args: tuple, outputs) -> _Call:
        """Ask the warm-up process to compile `key` (once), with a copy of this call's arguments; returns
        the call (its number None when not sent). outputs(array): (call, index) when the array is output
        `index` of an earlier call the twin ran, else None."""
        call = _Call(key, name, args)
        with self.lock:
            if key in self.sent or key in self.failed or self.dead:
                return call
            self.sent.add(key)
        if not self._send(call, outputs):
            with self.lock:
                self.sent.discard(key)
                self.failed.add(key)  # (or dead: then it compiles here anyway)
        return call

    def _send(self, call: _Call, outputs) -> bool:
        """Number the call, copy its arguments into a message and queue it for the warm-up process
        (starting one if none runs). False when it cannot go: an argument pickle cannot carry, a forward's
        output the warm-up process cannot be given, or no warm-up process."""
        with self.lock:
            if self.dead or (self.process is None and not self._start()):
                return False
            self.count += 1
            call.process, call.number = self.process, self.count
            self.outstanding += 1  # (from here on this process is not let go: see _let_go)
            outbox = self.outbox
        backward = call.name.endswith("_backward")
        try:
            packed = _pack(call.args, lambda array: self._output(array, outputs, backward))
            message = pickle.dumps((call.number, call.key, call.name, packed), pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - this signature stays with the twin
            with self.lock:
                self.outstanding -= 1
                call.process = call.number = None
            return False
        with self.lock:
            if self.kept_bytes + len(message) <= KEEP_BYTES:
                self.kept[call.number] = message
                self.kept_bytes += len(message)
        outbox.put(message)
        return True

    def _output(self, array, outputs, backward: bool):
        """(request, index) in the running warm-up process for an array a twin's call made, else None
        (it travels as a copy). A backward must get its forward's output from the fast kernel (never the
        twin's by-products: conv's patches), so when this warm-up process was not sent that forward (its
        signature was asked before, or of an earlier warm-up process, let go since) it is sent it now."""
        made = outputs(array)
        if made is None:
            return None
        call, index = made
        if call.process is not self.process or call.number is None:
            if not backward:
                return None  # a forward's input: the twin's array serves as well
            if call.key in self.failed or not self._send(call, _made_by_nobody):
                raise _Unavailable(call.name)
        return call.number, index

    def _start(self) -> bool:
        import queue
        import subprocess

        alive = None
        try:
            cache_dir().mkdir(parents=True, exist_ok=True)
            # a shared lock the warm-up process holds for its whole life (it inherits this descriptor),
            # taken before it starts: whoever takes it exclusively waits for every warm-up process
            alive = os.open(cache_dir() / _ALIVE_NAME, os.O_RDWR | os.O_CREAT, 0o666)
            _flock(alive, exclusive=False)
            env = dict(os.environ, MINIMOD_JIT_COMPILE="inline")
            paths = [str(_HERE.parent.parent), env.get("PYTHONPATH")]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
            quiet = not os.environ.get("MINIMOD_WARM_DEBUG")
            process = subprocess.Popen(
                [sys.executable, "-c", _BOOT],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None,
                env=env, start_new_session=True,  # Ctrl-C here does not stop a compilation half-written
                pass_fds=(alive,) if os.name == "posix" else (),
            )
        except (OSError, ValueError) as error:
            self.dead = f"could not start ({error!r})"
            return False
        finally:
            if alive is not None:
                os.close(alive)
        self.process = process
        self.pipes = [pipe for pipe in self.pipes if not pipe.closed] + [process.stdin, process.stdout]
        self.outbox = queue.Queue()
        threading.Thread(target=self._write, args=(process, self.outbox), daemon=True,
                         name="minimod-warm-writer").start()
        threading.Thread(target=self._read, args=(process,), daemon=True,
                         name="minimod-warm-reader").start()
        return True

    def _write(self, process, outbox) -> None:
        import struct

        while True:
            message = outbox.get()
            try:
                if message is None:
                    process.stdin.close()
                    return
                process.stdin.write(struct.pack("<Q", len(message)) + message)
                process.stdin.flush()
            except (OSError, ValueError):
                with self.lock:
                    if self.process is process:
                        self.dead = self.dead or "stopped reading its requests"
                return
            finally:
                outbox.task_done()

    def _read(self, process) -> None:
        import ast

        for line in process.stdout:
            try:
                verdict, text = line.decode().rstrip("\n").split(" ", 1)
                key = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                continue
            if self.outstanding == 1 and verdict == "done":
                self._preload()  # here, before the switch, not in the kernel calls that adopt them
            with self.lock:
                self.outstanding -= 1
                if verdict == "done":
                    self.answered.append(key)
                else:
                    self.failed.add(key)
            if not self.outstanding:
                self._let_go(process)
        process.stdout.close()
        code = process.wait()  # (reaped: a warm-up process let go leaves no zombie)
        with self.lock:
            if self.process is process:  # it died: what is still outstanding compiles here (see ready)
                self.dead = f"exited (code {code})"

    def _let_go(self, process) -> None:
        """Once nothing has been asked for IDLE_SECONDS, close the warm-up process's input: it exits (a
        session of the inspector keeps no idle process), and the next new signature starts another."""
        time.sleep(IDLE_SECONDS)
        with self.lock:
            if not self.outstanding and self.process is process:
                self.outbox.put(None)
                self.process = self.outbox = None

    def _preload(self) -> None:
        """Import numba, and load what the warm-up process compiled from the cache by calling each
        kernel again with the arguments kept (up to KEEP_BYTES): in this thread, while the caller's
        thread runs the twins, so the switch costs that thread nothing. (Arguments not kept load on
        their first call after the switch, ~10 ms each.)"""
        with self.lock:
            kept, self.kept, self.kept_bytes = self.kept, {}, 0
        try:
            fast = importlib.import_module("minimod.kernels.fast")  # and numba: ~0.2 s
        except ImportError:
            return
        results: dict = {}
        for number, message in kept.items():  # in the order sent (a forward asked again comes first)
            try:
                _number, _key, name, packed = pickle.loads(message)
                result = getattr(fast, name)(*_unpack(packed, results))
            except Exception:  # noqa: BLE001 - e.g. an output of a call not kept: it loads when called
                continue
            if not name.endswith("_backward"):
                results[number] = result

    def wait(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.outstanding and not self.dead:
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        if self.known is None:
            self.known = read_record()
        self.adopt()
        return True

    def close(self) -> None:
        """At exit: hand over what is queued and let the warm-up process finish on its own."""
        outbox = self.outbox
        if outbox is not None:
            outbox.put(None)
            deadline = time.monotonic() + 10
            while outbox.unfinished_tasks and time.monotonic() < deadline and not self.dead:
                time.sleep(0.005)


_client = _Client()
_inherited: list = []  # a forked child's copies of its parent's clients (see _reset_after_fork)


def _reset_after_fork() -> None:
    """In a child forked without exec: close its copies of the parent's pipes (its copy of the warm-up
    process's input kept that process from ever seeing the end of it), and start afresh: the child's
    requests go to a warm-up process of its own, numbered by it. Each pipe's descriptor is closed by its
    raw file, not its buffered one, whose lock a thread of the parent (not in the child) may have held
    at the fork; closed so, the buffered file neither flushes nor locks when collected. The parent's
    client is kept, never used."""
    global _client
    parent = _client
    _inherited.append(parent)
    for pipe in parent.pipes:
        try:
            pipe.raw.close()
        except (OSError, ValueError, AttributeError):
            pass
    _client = _Client()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
atexit.register(lambda: _client.close())


def ready(key) -> bool:
    known = _client.known  # (every call after the switch: the quick way first, before the client's checks)
    return (known is not None and key in known) or _client.ready(key)


def request(key, name: str, args: tuple, outputs=lambda array: None) -> _Call:
    return _client.request(key, name, args, outputs)


def requests_sent() -> int:
    """How many requests this process has sent to warm-up processes: unchanged over a stretch of kernel
    calls when every signature they used was asked before (benchmarks/worker.py waits for that)."""
    return _client.count


def wait_for_compilation(timeout: float | None = None) -> bool:
    """Block until the warm-up process has compiled every signature asked so far (True), or timeout
    seconds have passed (False); from the next kernel call those run numba's kernels."""
    return _client.wait(timeout)


# --- the warm-up process ----------------------------------------------------------------------------


def _flock(descriptor: int, exclusive: bool) -> None:
    try:
        import fcntl
    except ImportError:  # (Windows: no turns taken; numba's cache files are still written atomically)
        return
    fcntl.flock(descriptor, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)



# The warm-up process starts reading its requests before it imports anything (numpy, minimod, numba:
# ~0.5 s), so the asking process never waits on a full pipe, nor at its exit for the last requests to go.
_BOOT = """
import os, queue, struct, sys, threading
if hasattr(os, "nice") and os.environ.get("MINIMOD_WARM_NICE") != "0":
    os.nice(10)  # the asking process (running the twins meanwhile) comes first on a busy machine
def receive(stream, inbox):
    while True:
        header = stream.read(8)
        body = stream.read(struct.unpack("<Q", header)[0]) if len(header) == 8 else b""
        if not body:
            inbox.put(None)
            return
        inbox.put(body)
inbox = queue.Queue()
threading.Thread(target=receive, args=(sys.stdin.buffer, inbox), daemon=True).start()
from minimod.kernels.warm import main
sys.exit(main(inbox))
"""


def main(inbox) -> int:
    """The warm-up process (started as _BOOT): compile what is asked, in order, until the asking process
    has exited and everything it asked is done. It holds the lock on minimod-warm.alive its parent took
    for it."""
    from minimod.kernels import fast

    folder = cache_dir()
    record = record_path()
    answers = sys.stdout
    results = {}  # request number -> what the call returned (for a later backward's arguments)
    noted = set()  # (a forward asked again for its backward is noted once)
    while (body := inbox.get()) is not None:
        number, key, name, packed = pickle.loads(body)
        verdict = "done"
        with open(folder / _LOCK_NAME, "a+b") as lock:
            _flock(lock.fileno(), exclusive=True)  # warm-up processes of other processes take turns
            try:
                result = getattr(fast, name)(*_unpack(packed, results))
                if not name.endswith("_backward"):
                    results[number] = result
            except Exception as error:  # noqa: BLE001 - the asking process keeps the twin for this one
                verdict = "failed"
                print(f"minimod warm-up: {name}: {error!r}", file=sys.stderr)
            else:
                if key not in noted:
                    noted.add(key)
                    with open(record, "a", encoding="utf-8") as notes:
                        notes.write(repr(key) + "\n")
        try:
            answers.write(f"{verdict} {key!r}\n")
            answers.flush()
        except (OSError, ValueError):  # the asking process has exited: keep compiling what it asked
            answers = open(os.devnull, "w")  # noqa: SIM115
    return 0


