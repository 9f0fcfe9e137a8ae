"""atomic_write: the whole file or the old one, with an ordinary file's permissions."""

import os
import stat

import pytest

import minimod as mm
from minimod.atomic_file import atomic_write
from minimod.serialization import SerializationError


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_the_umask_mode_not_the_temporary_files(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", lambda stream: stream.write(b"abc"))
        mm.save({"x": 1}, tmp_path / "m.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").read_bytes() == b"abc"
    assert _mode(tmp_path / "a.bin") == 0o644  # mkstemp alone would leave 0o600
    assert _mode(tmp_path / "m.npz") == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    atomic_write(path, lambda stream: stream.write(b"new"))
    assert path.read_bytes() == b"new" and _mode(path) == 0o640


def test_a_failing_writer_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.bin"
    path.write_bytes(b"old")

    def fail(stream):
        stream.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["a.bin"]


def test_save_where_no_file_can_be_made_is_one_clear_error(tmp_path, monkeypatch):
    def refuse(**kwargs):
        raise PermissionError(13, "Permission denied")  # a read-only folder (root ignores chmod)

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    with pytest.raises(SerializationError) as info:
        mm.save({"x": 1}, tmp_path / "m.npz")
    assert str(info.value) == f"cannot save to '{tmp_path / 'm.npz'}': Permission denied"
    assert os.listdir(tmp_path) == []
