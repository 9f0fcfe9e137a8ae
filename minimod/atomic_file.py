"""Write a file all at once: a crash mid-write leaves the old file (or no file), never half a file.

Used by mm.save, the diagram renderer and the lessons' progress: the bytes go to a temporary
file beside the target, reach the disk, and are renamed over the target in one step.

The temporary is named ``.NAME.minimod-tmp-PID-XXXXXXXX`` (hidden, and recognisably ours). A process
killed mid-write (SIGKILL, power loss) cannot remove its own; the next write of the same target removes
every such temporary whose process has gone, so they never pile up beside the user's files.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from typing import BinaryIO

TEMPORARY_MARK = ".minimod-tmp-"
_LONGEST_NAME_PART = 200  # file names stop at 255 bytes; the mark, pid and random part need the rest


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], None]) -> None:
    """Call write(stream) on a temporary file beside path, then rename it over path.

    The new file gets the mode an ordinary open() would give it (0o666 less the umask), or the
    mode of the file it replaces: a temporary file is private (0o600), the saved file should not be.
    OSError from the file system propagates; the temporary file never stays behind, and stale ones
    of the same target (left by a killed process) are removed first.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(path)
    prefix = f"{temporary_prefix(path)}{os.getpid()}-"
    handle, temporary = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def temporary_prefix(path: str | os.PathLike) -> str:
    """The start of the names of path's temporaries: ``.NAME.minimod-tmp-``."""
    return f".{os.path.basename(os.fspath(path))[:_LONGEST_NAME_PART]}{TEMPORARY_MARK}"


def remove_stale_temporaries(path: str | os.PathLike) -> list[str]:
    """Remove the temporaries of path whose writing process no longer runs; returns their names.

    A temporary of a live process (another save of the same file, right now) is left alone.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    prefix = temporary_prefix(path)
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not name.startswith(prefix):
            continue
        pid_text = name[len(prefix):].partition("-")[0]
        if not pid_text.isdigit() or _process_runs(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, name))
            removed.append(name)
    return removed


def _process_runs(pid: int) -> bool:
    if pid == os.getpid():
        return True  # our own: another thread may be writing it
    try:
        os.kill(pid, 0)  # signal 0 delivers nothing: it only asks whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # it exists (another user's), or the number is no pid: leave the file alone
    return True


def _mode_for(path: str) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)  # reading the umask means setting it; put it straight back
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
