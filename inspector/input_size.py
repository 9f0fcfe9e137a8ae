"""Whether a random example input of a given shape fits in this machine's memory, asked before making it.

`--input-shape 100000,100000,4` would otherwise reach numpy's allocator and end in a MemoryError
traceback (or, worse, in swapping); it is refused with its size and the memory there is.
"""

from __future__ import annotations

import os

# bytes per value while the input is made: a float64 standard-normal draw, then its float32 copy
BYTES_WHILE_MADE = 12
GIB = 1 << 30


def available_memory() -> int | None:
    """Bytes of memory free for a new allocation (Linux's MemAvailable, else free pages); None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def input_too_large(shape: tuple[int, ...], text: str, memory: int | None = None) -> str | None:
    """The one-line reason an input of `shape` cannot be made here, or None when it can.

    `text` is the shape as the user wrote it; `memory` (bytes) defaults to what is available now.
    """
    memory = available_memory() if memory is None else memory
    if memory is None:
        return None
    values = 1
    for size in shape:
        values *= size
    needed = values * BYTES_WHILE_MADE
    if needed <= memory:
        return None
    return (f"--input-shape {text} is an input of {values:,} values ({_size(values * 4)} as float32; making "
            f"it takes {_size(needed)}), more than the {_size(memory)} of memory free here; pass a smaller "
            "shape, e.g. 1,3,32,32")


def _size(nbytes: int) -> str:
    if nbytes >= 1 << 40:
        return f"{nbytes / (1 << 40):,.1f} TiB"
    if nbytes >= GIB:
        return f"{nbytes / GIB:,.1f} GiB"
    return f"{nbytes / (1 << 20):,.1f} MiB"
