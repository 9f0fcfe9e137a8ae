"""atomic_write: the whole file or the old one, with an ordinary file's permissions."""

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minimod as mm
from minimod.atomic_file import atomic_write
from minimod.serialization import SerializationError

REPO = Path(__file__).resolve().parents[1]


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


# --- temporaries: recognisable, and removed by the next write of the same target --------------------

CHILD_SAVES_FOREVER = """
import sys
import numpy as np
import minimod as mm
target = sys.argv[1]
print("ready", flush=True)
version = 0
while True:
    version += 1
    mm.save({"version": version, "w": np.full(2_000_000, version, np.float32)}, target)
"""

CHILD_STOPS_MID_WRITE = """
import sys, time
from minimod.atomic_file import atomic_write

def half(stream):
    stream.write(b"half of a file")
    stream.flush()
    print("writing", flush=True)
    time.sleep(60)

atomic_write(sys.argv[1], half)
"""


def _child(code: str, target, wait_for: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True,
                             env=env, cwd=REPO)
    assert child.stdout.readline().strip() == wait_for
    return child


def _temporaries(directory, target_name="ckpt.pth"):
    return sorted(name for name in os.listdir(directory) if name.startswith(f".{target_name}.minimod-tmp-"))


def test_a_temporary_is_named_after_its_target_and_process(tmp_path):
    target = tmp_path / "ckpt.pth"
    child = _child(CHILD_STOPS_MID_WRITE, target, "writing")
    try:
        names = _temporaries(tmp_path)
        assert len(names) == 1 and names[0].startswith(f".ckpt.pth.minimod-tmp-{child.pid}-")
    finally:
        child.kill()
        child.wait()


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "ckpt.pth"
    target.write_bytes(b"old")
    child = _child(CHILD_STOPS_MID_WRITE, target, "writing")
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert target.read_bytes() == b"old" and len(_temporaries(tmp_path)) == 1
    atomic_write(target, lambda stream: stream.write(b"new"))
    assert target.read_bytes() == b"new" and _temporaries(tmp_path) == []


def test_a_live_writers_temporary_and_other_targets_are_left_alone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    try:
        live = tmp_path / f".ckpt.pth.minimod-tmp-{sleeper.pid}-abcd1234"
        dead = tmp_path / f".ckpt.pth.minimod-tmp-{finished.pid}-abcd1234"
        other = tmp_path / f".other.pth.minimod-tmp-{finished.pid}-abcd1234"
        mine = tmp_path / ".ckpt.pth.tmp-not-ours"
        for path in (live, dead, other, mine):
            path.write_bytes(b"x")
        mm.save({"x": 1}, tmp_path / "ckpt.pth")
        assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.pth", live.name, other.name, mine.name])
    finally:
        sleeper.kill()
        sleeper.wait()


def test_saves_killed_at_random_moments_leave_a_whole_checkpoint_and_no_pile_of_temporaries(tmp_path):
    """SIGKILL a process that saves over and over, at random moments, five times; after each kill the
    checkpoint is whole (the data of one complete save), and at most the one temporary the killed save
    was writing is there: the next save removes it."""
    target = tmp_path / "ckpt.pth"
    mm.save({"version": 0, "w": np.full(2_000_000, 0, np.float32)}, target)
    rng = random.Random(23)
    left = []
    for _run in range(5):
        child = _child(CHILD_SAVES_FOREVER, target, "ready")
        time.sleep(rng.uniform(0.05, 0.6))
        child.send_signal(signal.SIGKILL)
        child.wait()
        checkpoint = mm.load(target)
        assert (checkpoint["w"] == checkpoint["version"]).all() and checkpoint["w"].shape == (2_000_000,)
        left.append(len(_temporaries(tmp_path)))
        assert left[-1] <= 1, left
    mm.save({"version": -1, "w": np.zeros(1, np.float32)}, target)
    assert _temporaries(tmp_path) == [] and os.listdir(tmp_path) == ["ckpt.pth"]
