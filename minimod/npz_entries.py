"""The entries of an .npz archive (a zip of .npy arrays), each checked before its data is read.

mm.load reads through here instead of np.load, so that a damaged or crafted file is refused with one
line before anything is allocated or built, as safetensors checks its header against its buffer:

- only regular files are opened (a named pipe would block the read forever);
- the zip's directory is checked first: no two entries of one name, only the two compression methods
  numpy writes (stored and deflated), nothing encrypted;
- each .npy header must declare a plain dtype (never pickled objects) and exactly the dtype and shape
  the manifest records for that entry; the bytes it declares must be the bytes the zip entry holds,
  and no more than the file can hold, before a buffer of that size exists;
- the data is then read in chunks and checked against the zip's CRC-32, which the manifest records too
  (so two entries swapped, or one replaced, are caught even when their dtypes and shapes agree).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .errors import SerializationError

# array dtypes numpy stores without pickle: bool, ints, floats, complex, fixed-width strings
PLAIN_KINDS = set("biufcUS")
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_DEFLATE_MOST = 1032  # deflate's largest ratio: no entry inflates to more than this many times its size
_LOCAL_HEADER = 30  # bytes of a zip local file header before its name
_CHUNK = 1 << 20
_NPY_MAGIC = b"\x93NUMPY"
_LONGEST_HEADER = 10_000  # numpy's own limit for a header it parses without being told to trust it
_FILE_KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
               (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device")]


@dataclass(frozen=True)
class Record:
    """What the manifest says an entry holds: dtype (as dtype.str, e.g. '<f4'), shape, and the zip's
    CRC-32 of the entry. None for a field the manifest does not record (files of format version 1)."""

    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    crc32: int | None = None


@contextlib.contextmanager
def open_regular_file(f, name: str) -> Iterator[io.BufferedIOBase]:
    """A binary stream on f (a path, or a seekable file object left open), refusing what is not a
    regular file before reading a byte of it."""
    if hasattr(f, "read"):
        if not (getattr(f, "seekable", lambda: False)()):
            raise SerializationError(f"cannot load {name}: the file object cannot seek; open the file itself")
        yield f
        return
    try:  # O_NONBLOCK: opening a named pipe must not wait for a writer
        fd = os.open(f, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SerializationError(f"cannot load {name}: no such file") from None
    except IsADirectoryError:
        raise SerializationError(
            f"cannot load {name}: it is a directory, not a file written by mm.save") from None
    except OSError as error:
        raise SerializationError(f"cannot load {name}: {error.strerror or error}") from None
    try:
        mode = os.fstat(fd).st_mode
        for is_kind, kind in _FILE_KINDS:
            if is_kind(mode):
                raise SerializationError(
                    f"cannot load {name}: it is {kind}, not a regular file; mm.load reads only files "
                    "written by mm.save"
                )
        stream = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with stream:
        yield stream


def open_archive(stream, name: str) -> tuple[zipfile.ZipFile, int]:
    """The zip archive in stream, its directory checked, and the stream's size in bytes."""
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    start = stream.read(len(_NPY_MAGIC))
    stream.seek(0)
    if start == _NPY_MAGIC:
        raise SerializationError(
            f"cannot load {name}: it is a single .npy array, not a file written by mm.save")
    if not start.startswith(b"PK\x03\x04"):
        raise SerializationError(
            f"cannot load {name}: it is not an .npz file (mm.save writes a zip of .npy arrays)")
    try:
        archive = zipfile.ZipFile(stream)
    except NotImplementedError as error:  # e.g. "zip file version 25.5": a newer zip than Python reads
        raise SerializationError(
            f"cannot load {name}: it uses a zip feature mm.load does not read ({error})") from error
    except Exception as error:  # BadZipFile, but struct and value errors too on a crafted directory
        raise SerializationError(
            f"cannot load {name}: it is truncated or corrupt ({_text(error)})") from error
    seen = set()
    for info in archive.infolist():
        if info.filename in seen:
            raise SerializationError(f"cannot load {name}: it holds two entries named {info.filename!r}")
        seen.add(info.filename)
        if info.compress_type not in _METHODS:
            raise SerializationError(
                f"cannot load {name}: entry {info.filename!r} uses zip compression method "
                f"{info.compress_type}, which mm.load does not read (only stored and deflated, as numpy "
                "writes)"
            )
        if info.flag_bits & 0x1:
            raise SerializationError(f"cannot load {name}: entry {info.filename!r} is encrypted")
    return archive, size


def read_entry(archive: zipfile.ZipFile, archive_size: int, entry: str, record: Record,
               name: str) -> np.ndarray:
    """The array in `entry.npy`, checked against record and against the bytes present; writable."""
    try:
        info = archive.getinfo(f"{entry}.npy")
    except KeyError:
        raise SerializationError(f"cannot load {name}: the array entry {entry!r} is missing") from None
    where = f"cannot load {name}: entry {entry!r}"  # repr: a crafted name may hold a newline
    if record.crc32 is not None and info.CRC != record.crc32:
        raise SerializationError(f"{where} is not the one its manifest recorded (its CRC-32 differs)")
    present = archive_size - info.header_offset - _LOCAL_HEADER - len(info.orig_filename.encode())
    if info.compress_size > present:
        raise SerializationError(
            f"{where} declares {info.compress_size:,} bytes but the file holds at most {max(present, 0):,}: "
            "it is truncated or corrupt"
        )
    stored = info.compress_type == zipfile.ZIP_STORED
    if info.file_size > (info.compress_size if stored else info.compress_size * _DEFLATE_MOST + 1024):
        raise SerializationError(
            f"{where} declares {info.file_size:,} bytes, more than its {info.compress_size:,} stored bytes "
            "can hold: it is corrupt"
        )
    try:
        member = archive.open(info)
    except NotImplementedError as error:  # compressed patched data, strong encryption
        raise SerializationError(f"{where} uses a zip feature mm.load does not read ({error})") from error
    with member:
        dtype, shape, fortran_order, header_size = _read_header(member, where, name)
        if record.dtype is not None and dtype.str != record.dtype:
            raise SerializationError(
                f"{where} holds dtype {dtype.str}, but the manifest recorded {record.dtype!r}")
        if record.shape is not None and shape != record.shape:
            raise SerializationError(
                f"{where} holds shape {shape}, but the manifest recorded {record.shape}"
            )
        count = 1
        for size in shape:
            count *= size
        nbytes = count * dtype.itemsize
        if header_size + nbytes != info.file_size:
            raise SerializationError(
                f"{where} declares {nbytes:,} bytes of data for shape {shape}, but holds "
                f"{max(info.file_size - header_size, 0):,}: it is truncated or corrupt"
            )
        buffer = _read_exactly(member, nbytes, stored, where)
        if member.read(1):  # also makes zipfile check the CRC-32 of the whole entry
            raise SerializationError(f"{where} holds more bytes than its header declares: it is corrupt")
    array = np.frombuffer(buffer, dtype=dtype)
    if fortran_order:
        return array.reshape(shape[::-1]).transpose()
    return array.reshape(shape)


def _read_exactly(member, nbytes: int, stored: bool, where: str) -> bytearray:
    """nbytes from member. A stored entry's bytes are in the file (checked before), so its buffer is
    made at once; a deflated one's buffer grows with the data that really inflates, so a header that
    lies about its size costs no more memory than the data there is."""
    buffer = bytearray(nbytes) if stored else bytearray()
    view = memoryview(buffer) if stored else None
    done = 0
    while done < nbytes:
        chunk = member.read(min(_CHUNK, nbytes - done))
        if not chunk:
            raise SerializationError(f"{where} is truncated ({done:,} of {nbytes:,} bytes)")
        if view is not None:
            view[done:done + len(chunk)] = chunk
        else:
            buffer += chunk
        done += len(chunk)
    if view is not None:
        view.release()  # a bytearray with a live view cannot be handed on to numpy as a writable buffer
    return buffer


def _read_header(member, where: str, name: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """dtype, shape, fortran_order and the header's length in bytes, of the .npy stream in member."""
    magic = member.read(len(_NPY_MAGIC) + 2)
    if len(magic) < 8 or magic[:6] != _NPY_MAGIC:
        raise SerializationError(f"{where} is not a .npy array (mm.save writes nothing else)")
    version = (magic[6], magic[7])
    readers = {(1, 0): (np.lib.format.read_array_header_1_0, 2),
               (2, 0): (np.lib.format.read_array_header_2_0, 4)}
    if version not in readers:
        raise SerializationError(f"{where} is a .npy array of format version {version[0]}.{version[1]}, "
                                 "which mm.save never writes")
    reader, length_size = readers[version]
    length_bytes = member.read(length_size)
    if len(length_bytes) < length_size:
        raise SerializationError(f"{where} is truncated in its .npy header")
    header_length = int.from_bytes(length_bytes, "little")
    if header_length > _LONGEST_HEADER:
        raise SerializationError(f"{where} declares a .npy header of {header_length:,} bytes: it is corrupt")
    rest = member.read(header_length)
    try:
        shape, fortran_order, dtype = reader(io.BytesIO(length_bytes + rest))
    except Exception as error:
        raise SerializationError(f"{where} has a damaged .npy header ({_text(error)})") from error
    if dtype.hasobject:
        raise SerializationError(f"cannot load {name}: it holds pickled objects, which mm.load never reads")
    if dtype.kind not in PLAIN_KINDS or dtype.names is not None or dtype.subdtype is not None:
        raise SerializationError(f"{where} holds dtype {dtype}, which mm.save never writes")
    if any(isinstance(size, bool) or size < 0 for size in shape):
        raise SerializationError(f"{where} declares an impossible shape {shape}")
    return dtype, tuple(shape), fortran_order, 8 + length_size + header_length


def _text(error: BaseException) -> str:
    """An exception as `Type: message` on one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
