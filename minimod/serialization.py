"""mm.save / mm.load: nested state dicts to and from an .npz file, without pickle, atomically.

Layout inside the .npz (a zip of .npy files):

- ``__minimod__``: a uint8 array holding UTF-8 JSON, the manifest
  ``{"format": "minimod", "version": 1, "root": NODE}``;
- ``a0``, ``a1``, ...: one .npy entry per array or tensor in the saved object.

A NODE describes one value: ``{"type": "dict", "ordered": bool, "items": [[KEY, NODE], ...]}``
(keys are NODEs too, so int keys and key order survive), ``{"type": "list" | "tuple", "items": [...]}``,
``{"type": "array", "entry": "a3"}`` (an ndarray), ``{"type": "tensor", "entry": ..., "requires_grad":
bool, "parameter": bool}``, ``{"type": "scalar", "entry": ...}`` (a numpy scalar such as np.float32(1)),
and plain values ``{"type": "int" | "float" | "bool" | "str" | "none", "value": ...}`` (floats as
``repr`` text, so nan and inf survive). Nothing else can be saved: no value ever needs pickle.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import OrderedDict

import numpy as np

from .atomic_file import atomic_write
from .device import check_device, device
from .errors import UserError
from .tensor import Tensor

FORMAT = "minimod"
VERSION = 1
MANIFEST = "__minimod__"
# array dtypes numpy stores without pickle: bool, ints, floats, complex, fixed-width strings
_PLAIN_KINDS = set("biufcUS")


class SerializationError(UserError, ValueError):
    """A value that cannot be saved without pickle, or a file that is not a readable minimod save."""


# --- save -------------------------------------------------------------------------------------


def save(obj, f=None, *, path=None) -> None:
    """Write obj (state dicts, or dicts/lists of them) to the .npz file at exactly path f.

    The file is written to a temporary file beside f, flushed to disk and then renamed over f, so
    a crash mid-save leaves the old file (or no file), never half a file. f may also be a binary
    file object, which is written directly. ``path=`` is accepted for f (torch calls it f).
    """
    f = _path_argument("save", f, path)
    arrays: dict[str, np.ndarray] = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    arrays[MANIFEST] = np.frombuffer(json.dumps(manifest).encode("utf-8"), dtype=np.uint8)
    if hasattr(f, "write"):
        np.savez(f, **arrays)
        return
    path = os.fspath(f)
    if os.path.isdir(path):
        raise SerializationError(f"cannot save to '{path}': it is a directory; give a file path")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise SerializationError(f"cannot save to '{path}': the folder '{directory}' does not exist")
    try:
        # a file object: numpy adds no ".npz" to the name
        atomic_write(path, lambda stream: np.savez(stream, **arrays))
    except OSError as error:
        raise SerializationError(f"cannot save to '{path}': {error.strerror or error}") from None


def _path_argument(function: str, f, path):
    if (f is None) == (path is None):
        raise TypeError(f"{function}() takes the file as f (or path=), exactly once")
    return f if path is None else path


def _encode(value, arrays: dict, where: str) -> dict:
    """The manifest NODE for value; arrays are added to ``arrays`` under fresh entry names."""
    if value is None:
        return {"type": "none"}
    if isinstance(value, np.generic):  # before int/float: np.float64 is a float subclass
        return {"type": "scalar", "entry": _add_array(np.asarray(value), arrays, where)}
    if isinstance(value, bool):
        return {"type": "bool", "value": value}
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, Tensor):
        node = {"type": "tensor", "entry": _add_array(value.numpy(), arrays, where),
                "requires_grad": bool(value.requires_grad)}
        node["parameter"] = type(value).__name__ == "Parameter"
        return node
    if isinstance(value, np.ndarray):
        return {"type": "array", "entry": _add_array(value, arrays, where)}
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise SerializationError(
                    f"cannot save {where}: key {key!r} is a {type(key).__name__}; keys must be str, int, "
                    "float, bool, None or tuples of them"
                )
            key_node = _encode(key, arrays, f"{where} key {key!r}")
            items.append([key_node, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"type": "dict", "ordered": isinstance(value, OrderedDict), "items": items}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"type": kind, "items": [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]}
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


def _add_array(array: np.ndarray, arrays: dict, where: str) -> str:
    if array.dtype.kind not in _PLAIN_KINDS:
        raise SerializationError(
            f"cannot save {where}: an array of dtype {array.dtype} would need pickle; convert it to a "
            "numeric array first"
        )
    entry = f"a{len(arrays)}"
    arrays[entry] = array
    return entry


# --- load -------------------------------------------------------------------------------------


def load(f=None, map_location=None, *, weights_only=None, path=None):
    """Read what save() wrote. Raises SerializationError naming the file if it is missing,
    truncated, or not a minimod save. Arrays come back as writable ndarrays, tensors as Tensors.

    weights_only is torch's switch to refuse pickled code; a minimod file holds none, so every load is
    a weights-only load and any value is accepted. map_location: everything loads onto the CPU; "cpu"
    (or a device, a dict mapping devices to "cpu", a function) is accepted, a GPU raises as on a
    CPU-only torch.
    """
    f = _path_argument("load", f, path)
    _check_map_location(map_location)
    name = f"'{os.fspath(f)}'" if not hasattr(f, "read") else "the file object"
    if not hasattr(f, "read"):
        if not os.path.exists(f):
            raise SerializationError(f"cannot load {name}: no such file")
        if os.path.isdir(f):
            raise SerializationError(f"cannot load {name}: it is a directory, not a file written by mm.save")
    try:
        archive = np.load(f, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise SerializationError(
                f"cannot load {name}: it is a single .npy array, not a file written by mm.save"
            )
        with archive:
            if MANIFEST not in archive.files:
                raise SerializationError(f"cannot load {name}: {_foreign_zip(archive)}")
            manifest = _read_manifest(archive[MANIFEST], name)
            entries = {key: archive[key] for key in archive.files if key != MANIFEST}
    except SerializationError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, UnicodeDecodeError) as error:
        if not _looks_like_zip(f):
            problem = "it is not an .npz file (mm.save writes a zip of .npy arrays)"
        elif "pickle" in str(error):
            problem = "it holds pickled objects, which mm.load never reads"
        else:
            problem = f"it is truncated or corrupt ({type(error).__name__}: {error})"
        raise SerializationError(f"cannot load {name}: {problem}") from error
    return _decode(manifest["root"], entries, name)


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


def _foreign_zip(archive) -> str:
    """What a zip without our manifest is, as far as its entry names tell."""
    names = archive.zip.namelist()
    if any(n.endswith("data.pkl") for n in names):
        return ("it was written by torch.save (a pickle inside a zip), not mm.save; load it with torch "
                "and save model.state_dict() values with mm.save")
    if names and all(n.endswith(".npy") for n in names):
        return f"it is an .npz file but was not written by mm.save (no '{MANIFEST}' entry)"
    return "it is a zip archive, not a file written by mm.save"


def _looks_like_zip(f) -> bool:
    try:
        if hasattr(f, "read"):
            f.seek(0)
            return f.read(4) == b"PK\x03\x04"
        with open(f, "rb") as handle:
            return handle.read(4) == b"PK\x03\x04"
    except (OSError, io.UnsupportedOperation):
        return False


def _read_manifest(raw: np.ndarray, name: str) -> dict:
    try:
        manifest = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SerializationError(f"cannot load {name}: its '{MANIFEST}' entry is not valid JSON") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or "root" not in manifest:
        raise SerializationError(f"cannot load {name}: its '{MANIFEST}' entry is not a minimod manifest")
    if manifest.get("version") != VERSION:
        raise SerializationError(
            f"cannot load {name}: it was written in format version {manifest.get('version')}, this minimod "
            f"reads version {VERSION}; upgrade minimod"
        )
    return manifest


def _decode(node, entries: dict, name: str):
    try:
        kind = node["type"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "str"):
            return {"bool": bool, "int": int, "str": str}[kind](node["value"])
        if kind == "float":
            return float(node["value"])
        if kind == "dict":
            pairs = [(_decode(k, entries, name), _decode(v, entries, name)) for k, v in node["items"]]
            return OrderedDict(pairs) if node["ordered"] else dict(pairs)
        if kind == "list":
            return [_decode(v, entries, name) for v in node["items"]]
        if kind == "tuple":
            return tuple(_decode(v, entries, name) for v in node["items"])
        if kind in ("array", "tensor", "scalar"):
            entry = node["entry"]
            if entry not in entries:
                raise SerializationError(f"cannot load {name}: the array entry '{entry}' is missing")
            array = np.array(entries[entry], copy=True)
            if kind == "array":
                return array
            if kind == "scalar":
                return array[()]
            return _make_tensor(array, node)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, SerializationError):
            raise
        raise SerializationError(f"cannot load {name}: its manifest is damaged ({error!r})") from error
    raise SerializationError(f"cannot load {name}: unknown value type {kind!r} in the manifest")


def _make_tensor(array: np.ndarray, node: dict) -> Tensor:
    if node.get("parameter"):
        from .nn.parameter import Parameter

        return Parameter(Tensor._wrap(array), requires_grad=bool(node.get("requires_grad", True)))
    tensor = Tensor._wrap(array)
    return tensor.requires_grad_(True) if node.get("requires_grad") else tensor


__all__ = ["save", "load", "SerializationError"]
