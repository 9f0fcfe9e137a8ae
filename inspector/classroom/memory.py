"""How much memory one session uses: its app process and the processes it started (an exercise check).

PSS (proportional set size, Linux's /proc/PID/smaps_rollup) counts a page shared by N processes as 1/N
in each, so the figures of all sessions add up to what the class really takes: numpy's and numba's
libraries, loaded by every session, are not counted thirty times. Where smaps_rollup is missing, RSS.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def _kilobytes(path: Path, field: str) -> int | None:
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in (PROC / str(pid) / "task").iterdir():
            children += [int(child) for child in (task / "children").read_text(encoding="ascii").split()]
    except (OSError, ValueError):
        pass
    return children


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting += _children(current)
    return found


def session_memory_mb(pid: int) -> float | None:
    """PSS (else RSS) of `pid` and its descendants, in MB; None where /proc cannot tell (not Linux)."""
    total = 0
    measured = False
    for member in process_tree(pid):
        kilobytes = _kilobytes(PROC / str(member) / "smaps_rollup", "Pss")
        if kilobytes is None:
            kilobytes = _kilobytes(PROC / str(member) / "status", "VmRSS")
        if kilobytes is not None:
            total += kilobytes
            measured = True
    return total / 1024 if measured else None
