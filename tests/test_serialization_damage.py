"""mm.load on damaged and crafted files: the exact saved data, or one SerializationError naming the file.

Every damaged file is made here from a real mm.save output (nothing is stored): bit flips, truncations,
overwritten bytes, swapped entries, crafted .npy headers (huge shapes, other dtypes, pickles), crafted
manifests (wrong records, deep nesting, raw pickles), zip compression methods and versions Python
cannot read, named pipes. The fuzz test asserts the one property that matters: never another
exception, never silently different data, never code run.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import threading
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minimod as mm
from minimod.serialization import MANIFEST, SerializationError
from tests.test_serialization import assert_same

MARKER = "minimod-fuzz-code-ran"


class _RunsCode:
    """A pickle that, if anything ever unpickled it, would create the MARKER file."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def original_value():
    """A checkpoint like a training script's: same-shaped weights (so swaps keep dtype and shape),
    a Parameter, a Fortran-ordered array, strings, bools, a numpy scalar, plain values."""
    rng = np.random.default_rng(0)
    model = OrderedDict()
    model["fc1.weight"] = rng.standard_normal((4, 3)).astype(np.float32)
    model["fc2.weight"] = rng.standard_normal((4, 3)).astype(np.float32)
    model["fc1.bias"] = rng.standard_normal(4).astype(np.float32)
    model["bn.num_batches_tracked"] = np.int64(7)
    model["mask"] = np.array([True, False, True])
    model["fortran"] = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    return {
        "model": model,
        "param": mm.nn.Parameter(mm.tensor([1.5, -2.0, 0.25])),
        "names": np.array(["relu", "tanh"]),
        "optimizer": {"lr": 0.1, "betas": (0.9, 0.999), "step": 3, "nan": float("nan"), "name": "adam"},
    }


ORIGINAL = original_value()


def saved_bytes() -> bytes:
    stream = io.BytesIO()
    mm.save(ORIGINAL, stream)
    return stream.getvalue()


GOOD = saved_bytes()


# --- making damaged files ------------------------------------------------------------------------


def entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rebuilt(items: list[tuple[str, bytes]], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A valid zip (right CRCs and sizes) of items: a crafted file, not a damaged one."""
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w", compression=compression) as archive:
        for name, body in items:
            archive.writestr(name, body)
    return stream.getvalue()


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    stream = io.BytesIO()
    np.lib.format.write_array(stream, array, allow_pickle=allow_pickle)
    return stream.getvalue()


def npy_header(descr: str, shape, fortran_order: bool = False) -> bytes:
    """A .npy header (format 1.0) declaring any descr and shape, padded as numpy pads it."""
    text = repr({"descr": descr, "fortran_order": fortran_order, "shape": tuple(shape)}).encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def manifest_of(data: bytes) -> dict:
    body = dict(entries(data))[f"{MANIFEST}.npy"]
    return json.loads(np.lib.format.read_array(io.BytesIO(body)).tobytes())


def with_manifest(data: bytes, manifest: dict | bytes) -> bytes:
    """data with its manifest replaced (JSON, or raw bytes as the manifest entry's whole body)."""
    if isinstance(manifest, dict):
        manifest = npy_bytes(np.frombuffer(json.dumps(manifest).encode(), np.uint8))
    return rebuilt([(name, manifest if name == f"{MANIFEST}.npy" else body) for name, body in entries(data)])


def array_nodes(node, found=None) -> list[dict]:
    found = [] if found is None else found
    if isinstance(node, dict):
        if "entry" in node:
            found.append(node)
        for value in node.values():
            array_nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            array_nodes(value, found)
    return found


def swapped(data: bytes, i: int, j: int) -> bytes:
    """Two array entries' contents swapped, each under the other's name (a valid zip)."""
    items = entries(data)
    arrays = [k for k, (name, _) in enumerate(items) if name != f"{MANIFEST}.npy"]
    a, b = arrays[i % len(arrays)], arrays[j % len(arrays)]
    items[a], items[b] = (items[a][0], items[b][1]), (items[b][0], items[a][1])
    return rebuilt(items)


def crafted_header(data: bytes, which: int, descr: str, shape, payload: bytes,
                   update_manifest: bool) -> bytes:
    """One entry's .npy replaced by a header declaring descr and shape over payload; with
    update_manifest, the manifest records that dtype, shape and the new CRC, so that only the size
    check stands between the file and an allocation of the declared size."""
    items = entries(data)
    names = [name for name, _ in items if name != f"{MANIFEST}.npy"]
    target = names[which % len(names)]
    body = npy_header(descr, shape) + payload
    items = [(name, body if name == target else old) for name, old in items]
    crafted = rebuilt(items)
    if not update_manifest:
        return crafted
    manifest = manifest_of(data)
    for node in array_nodes(manifest["root"]):
        if f"{node['entry']}.npy" == target:
            crc = zipfile.ZipFile(io.BytesIO(crafted)).getinfo(target).CRC
            node.update(dtype=descr, shape=list(shape), crc32=crc)
    return with_manifest(crafted, manifest)


def patched_zip_field(data: bytes, field: str, value: int) -> bytes:
    """Every local and central header's compression method (or the central 'version needed') set."""
    patched = bytearray(data)
    places = {"method": [(b"PK\x03\x04", 8), (b"PK\x01\x02", 10)], "version": [(b"PK\x01\x02", 6)]}[field]
    for signature, offset in places:
        start = 0
        while (start := patched.find(signature, start)) >= 0:
            patched[start + offset:start + offset + 2] = struct.pack("<H", value)
            start += 4
    return bytes(patched)


def deep_manifest(depth: int, json_only: bool) -> bytes:
    """A manifest entry nesting depth lists (our nodes, or bare JSON brackets), written as text: the
    json module could not even write 5,000 levels."""
    if json_only:
        root = "[" * depth + "]" * depth
    else:
        root = '{"type": "list", "items": [' * depth + '{"type": "none"}' + "]}" * depth
    text = '{"format": "minimod", "version": 2, "root": ' + root + "}"
    return npy_bytes(np.frombuffer(text.encode(), np.uint8))


# --- what every load must do ----------------------------------------------------------------------


def check_outcome(path, marker) -> str:
    """Load path: 'same' for the exact original data, 'refused' for a one-line SerializationError
    naming the file; anything else fails the test."""
    try:
        loaded = mm.load(path)
    except SerializationError as error:
        message = str(error)
        assert str(path) in message and "\n" not in message, message
        outcome = "refused"
    else:
        assert_same(loaded, ORIGINAL)
        outcome = "same"
    assert not os.path.exists(marker), "code in the file ran"
    return outcome


# --- the fuzz test ----------------------------------------------------------------------------------

_positions = st.integers(0, len(GOOD) - 1)
_damage = st.one_of(
    st.lists(st.tuples(_positions, st.integers(0, 7)), min_size=1, max_size=3).map(lambda f: ("flip", f)),
    _positions.map(lambda n: ("truncate", n)),
    st.tuples(_positions, st.binary(min_size=1, max_size=16)).map(lambda t: ("overwrite", t)),
    st.tuples(st.integers(0, 20), st.integers(0, 20)).map(lambda t: ("swap", t)),
    st.tuples(
        st.integers(0, 20),
        st.sampled_from(["<f4", "<f8", "|b1", "<i8", "<U3", "|O", "<c16", "|V4", ">f4"]),
        st.lists(st.integers(0, 1 << 20), max_size=4) | st.just([1 << 40]) | st.just([1 << 62, 16]),
        st.binary(max_size=64),
        st.booleans(),
    ).map(lambda t: ("header", t)),
    st.tuples(
        st.integers(0, 20),
        st.sampled_from(["dtype", "shape", "entry", "crc32"]),
        st.one_of(st.integers(-5, 1 << 40), st.text(max_size=6), st.lists(st.integers(-1, 5), max_size=3),
                  st.none(), st.sampled_from(["<f8", "a1", "a0", "a9", "__minimod__"])),
    ).map(lambda t: ("record", t)),
    # a node's type changed to one that is not an array's (array <-> tensor <-> scalar would be a
    # consistent forgery: no file format without signatures can tell; see the README)
    st.tuples(st.integers(0, 20), st.just("type"),
              st.sampled_from(["dict", "list", "tuple", "none", "int", "str", "mystery", None, 3])
              ).map(lambda t: ("record", t)),
    st.sampled_from([
        ("manifest", "pickle"), ("manifest", "object-npy"), ("manifest", "garbage"), ("manifest", "version"),
        ("manifest", "deep-nodes"), ("manifest", "deep-json"),
        ("manifest", "nodes-past-the-limit"), ("entry", "pickle"), ("entry", "object-npy"),
        ("method", 12), ("method", 14), ("method", 99), ("version", 255), ("deflated", None),
        ("extra-entry", None), ("missing-entry", None),
    ]),
)


def damaged(kind: str, detail, marker: str) -> bytes:
    """GOOD damaged in the way (kind, detail) says."""
    if kind == "flip":
        data = bytearray(GOOD)
        for position, bit in detail:
            data[position] ^= 1 << bit
        return bytes(data)
    if kind == "truncate":
        return GOOD[:detail]
    if kind == "overwrite":
        position, junk = detail
        return GOOD[:position] + junk + GOOD[position + len(junk):]
    if kind == "swap":
        return swapped(GOOD, *detail)
    if kind == "header":
        which, descr, shape, payload, update_manifest = detail
        if update_manifest:  # header, record and CRC agree: then the payload must lie about the size
            declared = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
            payload = payload[:declared - 1] if declared else payload + b"\0"
        return crafted_header(GOOD, which, descr, shape, payload, update_manifest)
    if kind == "record":
        which, field, value = detail
        manifest = manifest_of(GOOD)
        nodes = array_nodes(manifest["root"])
        nodes[which % len(nodes)][field] = value
        return with_manifest(GOOD, manifest)
    if kind == "manifest":
        evil = pickle.dumps(_RunsCode(marker))
        bodies = {
            "pickle": evil,
            "object-npy": npy_bytes(np.array([_RunsCode(marker)], dtype=object), allow_pickle=True),
            "garbage": npy_bytes(np.frombuffer(b"\xff\xfe{[", np.uint8)),
        }
        if detail in bodies:
            return with_manifest(GOOD, bodies[detail])
        if detail == "version":
            return with_manifest(GOOD, {**manifest_of(GOOD), "version": 3})
        depth = {"deep-json": 100_000, "deep-nodes": 5_000, "nodes-past-the-limit": 101}[detail]
        return with_manifest(GOOD, deep_manifest(depth, detail == "deep-json"))
    if kind == "entry":
        items = entries(GOOD)
        body = (pickle.dumps(_RunsCode(marker)) if detail == "pickle"
                else npy_bytes(np.array([_RunsCode(marker)], dtype=object), allow_pickle=True))
        items[0] = (items[0][0], body)
        return rebuilt(items)
    if kind in ("method", "version"):
        return patched_zip_field(GOOD, kind, detail)
    if kind == "deflated":  # a valid file, recompressed (a zip tool may do that): must load exactly
        return rebuilt(entries(GOOD), zipfile.ZIP_DEFLATED)
    if kind == "extra-entry":
        return rebuilt([*entries(GOOD), ("a99.npy", npy_bytes(np.zeros(2)))])
    if kind == "missing-entry":
        return rebuilt(entries(GOOD)[1:])
    raise AssertionError(kind)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=_damage)
def test_a_damaged_file_loads_exactly_or_is_refused_naming_it(tmp_path, damage):
    marker = str(tmp_path / MARKER)
    path = tmp_path / "checkpoint.pth"
    path.write_bytes(damaged(*damage, marker))
    check_outcome(path, marker)


# --- each case the issue names, once, with its message -------------------------------------------------


def refusal(tmp_path, data: bytes) -> str:
    path = tmp_path / "c.npz"
    path.write_bytes(data)
    marker = str(tmp_path / MARKER)
    assert check_outcome(path, marker) == "refused"
    with pytest.raises(SerializationError) as info:
        mm.load(path)
    return str(info.value)


def test_the_undamaged_file_loads_exactly(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(GOOD)
    assert check_outcome(path, str(tmp_path / MARKER)) == "same"


def test_a_recompressed_file_still_loads(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(rebuilt(entries(GOOD), zipfile.ZIP_DEFLATED))
    assert check_outcome(path, str(tmp_path / MARKER)) == "same"


def test_entries_swapped_with_the_same_dtype_and_shape_are_caught(tmp_path):
    names = [name for name, _ in entries(GOOD)]
    assert names[:2] == ["a0.npy", "a1.npy"]  # fc1.weight and fc2.weight: both float32 (4, 3)
    assert "CRC-32 differs" in refusal(tmp_path, swapped(GOOD, 0, 1))


def test_an_entry_of_another_dtype_than_recorded_is_refused(tmp_path):
    message = refusal(tmp_path, crafted_header(GOOD, 0, "<i4", (4, 3), b"\0" * 48, update_manifest=False))
    assert "entry 'a0'" in message
    manifest = manifest_of(GOOD)
    manifest["root"]["items"][0][1]["items"][0][1]["dtype"] = "<f8"  # the record, not the entry, changed
    message = refusal(tmp_path, with_manifest(GOOD, manifest))
    assert "holds dtype <f4, but the manifest recorded '<f8'" in message


@pytest.mark.parametrize("shape", [(1 << 40,), (1 << 20, 1 << 20, 7), (3, 1 << 61)])
def test_a_huge_declared_shape_is_refused_before_allocating(tmp_path, shape):
    """Header and manifest agree on the huge shape (CRC too): only the bytes present can tell."""
    message = refusal(tmp_path, crafted_header(GOOD, 0, "<f8", shape, b"\0" * 48, update_manifest=True))
    assert "declares" in message and "bytes of data" in message and "truncated or corrupt" in message


def test_a_zip_entry_claiming_more_bytes_than_the_file_holds_is_refused(tmp_path):
    data = bytearray(GOOD)
    central = data.find(b"PK\x01\x02")  # a0's entry in the central directory, which zipfile believes
    data[central + 20:central + 28] = struct.pack("<II", 0x7FFF_FFFF, 0x7FFF_FFFF)  # 2 GiB, both sizes
    message = refusal(tmp_path, bytes(data))
    assert "entry 'a0' declares 2,147,483,647 bytes but the file holds at most" in message


@pytest.mark.parametrize("method", [12, 14, 99])
def test_an_unsupported_compression_method_is_named(tmp_path, method):
    message = refusal(tmp_path, patched_zip_field(GOOD, "method", method))
    assert f"compression method {method}" in message


def test_a_zip_version_python_cannot_read_is_named(tmp_path):
    assert "zip feature mm.load does not read (zip file version" in refusal(
        tmp_path, patched_zip_field(GOOD, "version", 255))


def test_a_raw_pickle_manifest_is_refused_and_never_run(tmp_path):
    marker = tmp_path / MARKER
    message = refusal(tmp_path, with_manifest(GOOD, pickle.dumps(_RunsCode(str(marker)))))
    assert f"entry '{MANIFEST}' is not a .npy array" in message and not marker.exists()


def version_1(data: bytes) -> bytes:
    """data as minimod wrote it before entries had records: format version 1, no dtype, shape, crc32."""
    manifest = manifest_of(data)
    manifest["version"] = 1
    for node in array_nodes(manifest["root"]):
        for field in ("dtype", "shape", "crc32"):
            del node[field]
    return with_manifest(data, manifest)


@pytest.mark.parametrize("version", [2, 1])
def test_pickled_entries_are_refused_and_never_run(tmp_path, version):
    """In a version 2 file the CRC-32 record catches the replaced entry first; without records (version
    1), the .npy header's object dtype is refused before a byte of the pickle is read."""
    marker = str(tmp_path / MARKER)
    items = entries(GOOD if version == 2 else version_1(GOOD))
    expected = {2: "CRC-32 differs", 1: "pickled objects"}[version]
    items[0] = (items[0][0], npy_bytes(np.array([_RunsCode(marker)], dtype=object), allow_pickle=True))
    assert expected in refusal(tmp_path, rebuilt(items))
    items[0] = (items[0][0], pickle.dumps(np.ones((4, 3), np.float32)))  # raw pickle bytes
    expected = {2: "CRC-32 differs", 1: "not a .npy array"}[version]
    assert expected in refusal(tmp_path, rebuilt(items))


@pytest.mark.parametrize("depth,json_only,expected", [
    (101, False, "nested more than 100 deep"),
    (5_000, False, "nested too deeply"),  # json itself gives up (RecursionError)
    (100_000, True, "nested too deeply"),
], ids=["nodes-past-the-limit", "nodes", "brackets"])
def test_a_deeply_nested_manifest_is_refused(tmp_path, depth, json_only, expected):
    assert expected in refusal(tmp_path, with_manifest(GOOD, deep_manifest(depth, json_only)))


def test_what_save_can_nest_load_can_read_and_deeper_is_refused_on_save(tmp_path):
    value: list = []
    for _ in range(mm.serialization.MAX_DEPTH):
        value = [value]
    mm.save(value, tmp_path / "deep.npz")
    assert mm.load(tmp_path / "deep.npz") == value
    with pytest.raises(SerializationError, match="nested more than 100 deep"):
        mm.save([value], tmp_path / "deeper.npz")


def test_entries_the_manifest_does_not_name_or_misses_are_refused(tmp_path):
    extra = rebuilt([*entries(GOOD), ("a99.npy", npy_bytes(np.zeros(2)))])
    assert "entry 'a99.npy', which its manifest does not name" in refusal(tmp_path, extra)
    assert "the array entry 'a0' is missing" in refusal(tmp_path, rebuilt(entries(GOOD)[1:]))


def test_a_manifest_naming_one_entry_twice_is_refused(tmp_path):
    manifest = manifest_of(GOOD)
    nodes = array_nodes(manifest["root"])
    nodes[1].update(entry=nodes[0]["entry"])
    assert "names entry 'a0' twice" in refusal(tmp_path, with_manifest(GOOD, manifest))


def test_plain_values_of_the_wrong_type_are_refused(tmp_path):
    manifest = manifest_of(GOOD)
    optimizer = manifest["root"]["items"][3][1]
    optimizer["items"][2][1] = {"type": "int", "value": "3"}
    assert "damaged (a int holding '3')" in refusal(tmp_path, with_manifest(GOOD, manifest))


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04", GOOD[:200], GOOD[:-1]],
                         ids=["empty", "magic", "head", "tail"])
def test_truncations_are_refused(tmp_path, data):
    refusal(tmp_path, data)


def test_a_named_pipe_is_refused_at_once(tmp_path):
    """Opening a FIFO for reading waits for a writer forever; load must not even try."""
    fifo = tmp_path / "checkpoint.npz"
    os.mkfifo(fifo)
    result: list = []
    reader = threading.Thread(target=lambda: result.append(_error_text(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the stuck reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("mm.load blocked on a named pipe")
    assert result == [f"cannot load '{fifo}': it is a named pipe (FIFO), not a regular file; mm.load reads "
                      "only files written by mm.save"]


def _error_text(path) -> str:
    try:
        mm.load(path)
    except SerializationError as error:
        return str(error)
    return "loaded"


def test_a_device_is_refused():
    assert "character device, not a regular file" in _error_text("/dev/null")


def test_an_unseekable_file_object_is_refused():
    class Pipe(io.RawIOBase):
        def readable(self):
            return True

    with pytest.raises(SerializationError, match="cannot seek"):
        mm.load(Pipe())


def test_an_open_file_is_named_by_its_path(tmp_path):
    path = tmp_path / "c.npz"
    path.write_bytes(GOOD[:100])
    with open(path, "rb") as handle, pytest.raises(SerializationError) as info:
        mm.load(handle)
    assert str(path) in str(info.value)


def test_a_version_1_file_still_loads(tmp_path):
    """Files written before entries had records (format version 1) load, their headers still checked."""
    path = tmp_path / "old.npz"
    path.write_bytes(version_1(GOOD))
    assert_same(mm.load(path), ORIGINAL)


def test_a_deflated_entry_that_inflates_to_less_than_it_declares_is_refused(tmp_path):
    """Header, record and zip directory all claim 128 KiB; the deflated data inflates to 66 KiB. The
    buffer grows with the data that really inflates, and the entry is refused as truncated."""
    payload = bytes(64 << 10) + np.random.default_rng(0).bytes(2 << 10)
    body = npy_header("<f8", (16 << 10,)) + payload
    items = [(name, body if name == "a0.npy" else old) for name, old in entries(GOOD)]
    crc = zipfile.ZipFile(io.BytesIO(rebuilt(items))).getinfo("a0.npy").CRC
    manifest = manifest_of(GOOD)
    array_nodes(manifest["root"])[0].update(dtype="<f8", shape=[16 << 10], crc32=crc)
    manifest_body = npy_bytes(np.frombuffer(json.dumps(manifest).encode(), np.uint8))
    items = [(name, manifest_body if name == f"{MANIFEST}.npy" else old) for name, old in items]
    data = bytearray(rebuilt(items, zipfile.ZIP_DEFLATED))
    central = data.find(b"PK\x01\x02")  # a0's entry: its uncompressed size now claims the full 128 KiB
    data[central + 24:central + 28] = struct.pack("<I", len(body) - len(payload) + (128 << 10))
    message = refusal(tmp_path, bytes(data))
    assert "entry 'a0' is truncated (67,584 of 131,072 bytes)" in message
