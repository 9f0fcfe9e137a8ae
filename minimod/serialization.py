"""mm.save / mm.load: nested state dicts to and from an .npz file, without pickle, atomically.

Layout inside the .npz (a zip of .npy files, written uncompressed):

- ``a0.npy``, ``a1.npy``, ...: one entry per array or tensor in the saved object;
- ``__minimod__.npy`` (last): a uint8 array holding UTF-8 JSON, the manifest
  ``{"format": "minimod", "version": 2, "root": NODE}``.

A NODE describes one value: ``{"type": "dict", "ordered": bool, "items": [[KEY, NODE], ...]}``
(keys are NODEs too, so int keys and key order survive), ``{"type": "list" | "tuple", "items": [...]}``,
``{"type": "array", ENTRY}`` (an ndarray), ``{"type": "tensor", ENTRY, "requires_grad": bool,
"parameter": bool}``, ``{"type": "scalar", ENTRY}`` (a numpy scalar such as np.float32(1)), and plain
values ``{"type": "int" | "float" | "bool" | "str" | "none", "value": ...}`` (floats as ``repr`` text, so
nan and inf survive). ENTRY is ``"entry": "a3", "dtype": "<f4", "shape": [2, 3], "crc32": N``: the
entry's name, and what it must hold (its dtype, its shape, the zip's CRC-32 of it), which load checks
before it reads the entry's data (minimod/npz_entries.py). Version 1 files (no dtype, shape or crc32)
still load. Nothing else can be saved: no value ever needs pickle.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import OrderedDict

import numpy as np

from .atomic_file import atomic_write
from .device import check_device, device
from .errors import SerializationError
from .npz_entries import PLAIN_KINDS, Record, open_archive, open_regular_file, read_entry
from .tensor import Tensor

FORMAT = "minimod"
VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "__minimod__"
MAX_DEPTH = 100  # containers nested deeper than this are refused by save, and by load (a crafted file)


# --- save -------------------------------------------------------------------------------------


def save(obj, f=None, *, path=None) -> None:
    """Write obj (state dicts, or dicts/lists of them) to the .npz file at exactly path f.

    The file is written to a temporary file beside f (``.NAME.minimod-tmp-...``), flushed to disk and
    then renamed over f, so a crash mid-save leaves the old file (or no file), never half a file; the
    next save removes temporaries a killed save left. f may also be a binary file object, which is
    written directly. ``path=`` is accepted for f (torch calls it f).
    """
    f = _path_argument("save", f, path)
    arrays: dict[str, np.ndarray] = {}
    nodes: dict[str, dict] = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, nodes, "obj", 0)}
    if hasattr(f, "write"):
        _write_npz(f, arrays, nodes, manifest)
        return
    path = os.fspath(f)
    if os.path.isdir(path):
        raise SerializationError(f"cannot save to '{path}': it is a directory; give a file path")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise SerializationError(f"cannot save to '{path}': the folder '{directory}' does not exist")
    try:
        atomic_write(path, lambda stream: _write_npz(stream, arrays, nodes, manifest))
    except OSError as error:
        raise SerializationError(f"cannot save to '{path}': {error.strerror or error}") from None


def _write_npz(stream, arrays: dict, nodes: dict, manifest: dict) -> None:
    """What np.savez writes (a zip of .npy entries, the manifest last), with each entry's CRC-32
    recorded in its manifest node once the zip has computed it."""
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry, array in arrays.items():
            with archive.open(f"{entry}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
            nodes[entry]["crc32"] = archive.getinfo(f"{entry}.npy").CRC
        text = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
        with archive.open(f"{MANIFEST}.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array(member, text, allow_pickle=False)


def _path_argument(function: str, f, path):
    if (f is None) == (path is None):
        raise TypeError(f"{function}() takes the file as f (or path=), exactly once")
    return f if path is None else path


def _encode(value, arrays: dict, nodes: dict, where: str, depth: int) -> dict:
    """The manifest NODE for value; arrays are added to ``arrays`` (and their nodes to ``nodes``) under
    fresh entry names."""
    if depth > MAX_DEPTH:
        raise SerializationError(f"cannot save {where}: containers nested more than {MAX_DEPTH} deep")
    if value is None:
        return {"type": "none"}
    if isinstance(value, np.generic):  # before int/float: np.float64 is a float subclass
        return _add_array({"type": "scalar"}, np.asarray(value), arrays, nodes, where)
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, Tensor):
        node = {"type": "tensor", "requires_grad": bool(value.requires_grad),
                "parameter": type(value).__name__ == "Parameter"}
        return _add_array(node, value.numpy(), arrays, nodes, where)
    if isinstance(value, np.ndarray):
        return _add_array({"type": "array"}, value, arrays, nodes, where)
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise SerializationError(
                    f"cannot save {where}: key {key!r} is a {type(key).__name__}; keys must be str, int, "
                    "float, bool, None or tuples of them"
                )
            key_node = _encode(key, arrays, nodes, f"{where} key {key!r}", depth + 1)
            items.append([key_node, _encode(item, arrays, nodes, f"{where}[{key!r}]", depth + 1)])
        return {"type": "dict", "ordered": isinstance(value, OrderedDict), "items": items}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        items = [_encode(v, arrays, nodes, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
        return {"type": kind, "items": items}
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    if callable(getattr(value, "state_dict", None)):  # a Module, an Optimizer, a scheduler
        raise SerializationError(
            f"cannot save {where}: {article} {kind} object would need pickle, which mm.save never writes (a "
            f"pickle can run code when loaded); save its state_dict() instead: mm.save({_variable(value)}"
            ".state_dict(), path), then load it with .load_state_dict(mm.load(path))"
        )
    raise SerializationError(
        f"cannot save {where}: {article} {kind} would need pickle; mm.save writes only dicts, "
        "lists, tuples, numbers, strings, None, Tensors and numeric arrays"
    )


def _variable(value) -> str:
    """What a script usually calls such an object: model, optimizer or scheduler."""
    names = [cls.__name__ for cls in type(value).__mro__]
    if "Module" in names:
        return "model"
    return "optimizer" if "Optimizer" in names else "scheduler"


def _add_array(node: dict, array: np.ndarray, arrays: dict, nodes: dict, where: str) -> dict:
    """node, with the entry that will hold array and what the entry must hold (its CRC-32 comes later)."""
    if array.dtype.kind not in PLAIN_KINDS or array.dtype.names is not None:
        raise SerializationError(
            f"cannot save {where}: an array of dtype {array.dtype} would need pickle; convert it to a "
            "numeric array first"
        )
    entry = f"a{len(arrays)}"
    arrays[entry] = array
    node.update(entry=entry, dtype=array.dtype.str, shape=list(array.shape))
    nodes[entry] = node
    return node


# --- load -------------------------------------------------------------------------------------


def load(f=None, map_location=None, *, weights_only=None, path=None):
    """Read what save() wrote. Arrays come back as writable ndarrays, tensors as Tensors.

    Every entry is checked against the manifest (dtype, shape, CRC-32) and its size against the bytes
    present before anything is allocated or built; any failure (a missing, truncated, damaged or crafted
    file, a named pipe, a torch.save pickle) is one SerializationError naming the file and the problem.
    Nothing in the file is ever run: there is no pickle.

    weights_only is torch's switch to refuse pickled code; a minimod file holds none, so every load is
    a weights-only load and any value is accepted. map_location: everything loads onto the CPU; "cpu"
    (or a device, a dict mapping devices to "cpu", a function) is accepted, a GPU raises as on a
    CPU-only torch.
    """
    f = _path_argument("load", f, path)
    _check_map_location(map_location)
    name = _display_name(f)
    try:
        with open_regular_file(f, name) as stream:
            archive, size = open_archive(stream, name)
            with archive:
                return _read(archive, size, name)
    except SerializationError:
        raise
    except RecursionError as error:
        raise SerializationError(f"cannot load {name}: its manifest is nested too deeply") from error
    except MemoryError as error:
        raise SerializationError(f"cannot load {name}: there is not enough memory to load it") from error
    except Exception as error:  # whatever else a damaged file makes zipfile or numpy raise: one line
        problem = " ".join(f"{type(error).__name__}: {error}".split())
        raise SerializationError(f"cannot load {name}: it is truncated or corrupt ({problem})") from error


def _display_name(f) -> str:
    """How messages name the file: its path, quoted (an open file's too), else 'the file object'."""
    if not hasattr(f, "read"):
        return f"'{os.fspath(f)}'"
    named = getattr(f, "name", None)
    return f"'{named}'" if isinstance(named, str) else "the file object"


def _read(archive: zipfile.ZipFile, size: int, name: str):
    """The saved value: the manifest first, then every entry it names, checked, then the value built."""
    names = set(archive.namelist())
    if f"{MANIFEST}.npy" not in names:
        raise SerializationError(f"cannot load {name}: {_foreign_zip(archive.namelist())}")
    raw = read_entry(archive, size, MANIFEST, Record(dtype="|u1"), name)
    if raw.ndim != 1:
        raise SerializationError(f"cannot load {name}: its '{MANIFEST}' entry is not a minimod manifest")
    manifest = _read_manifest(raw, name)
    records: dict[str, Record] = {}
    _collect_entries(manifest["root"], records, manifest["version"], name, 0)
    unnamed = sorted(names - {f"{entry}.npy" for entry in records} - {f"{MANIFEST}.npy"})
    if unnamed:
        raise SerializationError(f"cannot load {name}: it holds entry {unnamed[0]!r}, which its manifest "
                                 "does not name: it is not as mm.save wrote it")
    for entry in records:  # every header against its record, before any entry's data is read
        if f"{entry}.npy" not in names:
            raise SerializationError(f"cannot load {name}: the array entry {entry!r} is missing")
    entries = {entry: read_entry(archive, size, entry, record, name) for entry, record in records.items()}
    return _decode(manifest["root"], entries, name)


def _collect_entries(node, records: dict, version: int, name: str, depth: int) -> None:
    """Check the manifest's shape (node types, fields, depth) and gather each entry's Record."""
    if depth > MAX_DEPTH:
        raise SerializationError(f"cannot load {name}: its manifest is nested more than {MAX_DEPTH} deep")
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise SerializationError(f"cannot load {name}: its manifest is damaged (a value without a type)")
    kind = node["type"]
    if kind in ("dict", "list", "tuple"):
        items = node.get("items")
        if not isinstance(items, list):
            raise SerializationError(f"cannot load {name}: its manifest is damaged (a {kind} without items)")
        for item in items:
            pairs = item if kind == "dict" else [item]
            if kind == "dict" and not (isinstance(item, list) and len(item) == 2):
                raise SerializationError(f"cannot load {name}: its manifest is damaged (a dict item is not "
                                         "a key and a value)")
            for child in pairs:
                _collect_entries(child, records, version, name, depth + 1)
    elif kind in ("array", "tensor", "scalar"):
        entry = node.get("entry")
        if not isinstance(entry, str) or not entry or entry == MANIFEST:
            raise SerializationError(
                f"cannot load {name}: its manifest is damaged (an array without its entry)")
        if entry in records:
            raise SerializationError(f"cannot load {name}: its manifest names entry {entry!r} twice")
        records[entry] = _record(node, version, name)


def _record(node: dict, version: int, name: str) -> Record:
    """What an array node says its entry holds; version 2 nodes must say it all."""
    if version == 1 and not {"dtype", "shape", "crc32"} & node.keys():
        return Record()
    dtype, shape, crc = node.get("dtype"), node.get("shape"), node.get("crc32")
    valid = (isinstance(dtype, str) and isinstance(shape, list)
             and all(type(size) is int and size >= 0 for size in shape)
             and type(crc) is int and 0 <= crc < 2**32)
    if not valid:
        raise SerializationError(f"cannot load {name}: its manifest is damaged (entry {node['entry']!r} has "
                                 "no valid dtype, shape and crc32)")
    return Record(dtype=dtype, shape=tuple(shape), crc32=crc)


def _check_map_location(map_location) -> None:
    targets = map_location.values() if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is None or callable(target) and not isinstance(target, str):
            continue  # a function maps storages; here every storage is on the CPU already
        if device(target).type == "cuda":
            raise RuntimeError(
                "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
                "If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU."
            )
        check_device(target)


def _foreign_zip(names: list[str]) -> str:
    """What a zip without our manifest is, as far as its entry names tell."""
    if any(n.endswith("data.pkl") for n in names):
        return ("it was written by torch.save (a pickle inside a zip), not mm.save; load it with torch "
                "and save model.state_dict() values with mm.save")
    if names and all(n.endswith(".npy") for n in names):
        return f"it is an .npz file but was not written by mm.save (no '{MANIFEST}' entry)"
    return "it is a zip archive, not a file written by mm.save"


def _read_manifest(raw: np.ndarray, name: str) -> dict:
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except RecursionError as error:
        raise SerializationError(f"cannot load {name}: its manifest is nested too deeply") from error
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError, and ints of over 4300 digits
        raise SerializationError(f"cannot load {name}: its '{MANIFEST}' entry is not valid JSON") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "root" not in manifest:
        raise SerializationError(f"cannot load {name}: its '{MANIFEST}' entry is not a minimod manifest")
    if manifest.get("version") not in READABLE_VERSIONS or type(manifest.get("version")) is not int:
        raise SerializationError(
            f"cannot load {name}: it was written in format version {manifest.get('version')!r}, this minimod "
            f"reads versions {READABLE_VERSIONS[0]} to {READABLE_VERSIONS[-1]}; upgrade minimod"
        )
    return manifest


_PLAIN_TYPES = {"bool": bool, "int": int, "str": str}


def _decode(node, entries: dict, name: str):
    """The value a manifest NODE describes (its structure checked by _collect_entries already)."""
    kind = node["type"]
    if kind == "none":
        return None
    if kind in _PLAIN_TYPES:
        value = node.get("value")
        if type(value) is not _PLAIN_TYPES[kind]:
            raise SerializationError(
                f"cannot load {name}: its manifest is damaged (a {kind} holding {value!r})")
        return value
    if kind == "float":
        try:
            return float(node["value"])
        except (KeyError, TypeError, ValueError):
            raise SerializationError(f"cannot load {name}: its manifest is damaged (a float holding "
                                     f"{node.get('value')!r})") from None
    if kind == "dict":
        ordered = node.get("ordered")
        if type(ordered) is not bool:
            raise SerializationError(
                f"cannot load {name}: its manifest is damaged (a dict without 'ordered')")
        pairs = [(_decode(k, entries, name), _decode(v, entries, name)) for k, v in node["items"]]
        try:
            return OrderedDict(pairs) if ordered else dict(pairs)
        except TypeError:  # a list or dict as a key
            raise SerializationError(
                f"cannot load {name}: its manifest is damaged (an unhashable key)") from None
    if kind == "list":
        return [_decode(v, entries, name) for v in node["items"]]
    if kind == "tuple":
        return tuple(_decode(v, entries, name) for v in node["items"])
    if kind in ("array", "tensor", "scalar"):
        array = entries[node["entry"]]  # read for this node alone: no copy needed
        if kind == "array":
            return array
        if kind == "scalar":
            if array.ndim != 0:
                raise SerializationError(f"cannot load {name}: its manifest is damaged (a scalar of shape "
                                         f"{array.shape})")
            return array[()]
        return _make_tensor(array, node)
    raise SerializationError(f"cannot load {name}: unknown value type {kind!r} in the manifest")


def _make_tensor(array: np.ndarray, node: dict) -> Tensor:
    if node.get("parameter"):
        from .nn.parameter import Parameter

        return Parameter(Tensor._wrap(array), requires_grad=bool(node.get("requires_grad", True)))
    tensor = Tensor._wrap(array)
    return tensor.requires_grad_(True) if node.get("requires_grad") else tensor


__all__ = ["save", "load", "SerializationError"]
