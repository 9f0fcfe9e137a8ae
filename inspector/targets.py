"""TARGET resolution: a zoo name, `path/to/file.py:Name` or `package.module:Name` -> a model and its input."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.adapters import adapter_for, adapter_for_value, missing_library
from inspector.input_size import input_too_large
from minimod.errors import UserError

__all__ = [
    "LoadedTarget", "TargetError", "check_forward", "describe_input", "make_input", "one_line",
    "parse_input_shape", "parse_input_spec", "resolve", "suggest_input",
]

TARGET_FORMS = "a zoo name (see `minimod zoo`), path/to/file.py:Name or package.module:Name"


class TargetError(UserError):
    """A TARGET that cannot be loaded or run; the message is one line naming the problem and the fix."""


@dataclass
class LoadedTarget:
    """A model ready to inspect: its display name, the Module, and an example input (or None).

    `example_input` is a Tensor, or a tuple of forward arguments; None when the TARGET gives none and
    no --input-shape was passed (views that need a forward then ask for one).
    """

    name: str
    model: object
    example_input: object | None


def _a(noun: str) -> str:
    """`an int`, `a str`."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def parse_input_shape(text: str) -> tuple[int, ...]:
    """`"1,3,32,32"` -> (1, 3, 32, 32); anything else, or a shape whose input would not fit in memory, is a
    TargetError that shows the right form."""
    parts = [part.strip() for part in text.strip().strip("()[]").split(",")]
    if parts and parts[-1] == "":
        parts.pop()  # "8," is a one-dimensional shape, as in Python
    try:
        shape = tuple(int(part) for part in parts)
    except ValueError:
        shape = ()
    if not shape or any(size <= 0 for size in shape):
        raise TargetError(
            f"bad --input-shape {text!r}: expected positive integers separated by commas, e.g. 1,3,32,32"
        )
    too_large = input_too_large(shape, ",".join(map(str, shape)))
    if too_large is not None:  # refused before numpy is asked for the memory
        raise TargetError(too_large)
    return shape


INPUT_DTYPES = ("float32", "float64", "float16", "int64", "int32")


def parse_input_spec(text: str) -> tuple[tuple[int, ...], str]:
    """`"1,8 int64"` -> ((1, 8), "int64"): a shape, then optionally a dtype (float32 when left out)."""
    parts = text.split()
    dtype = "float32"
    if len(parts) > 1 and parts[-1] in INPUT_DTYPES:
        dtype = parts.pop()
    elif len(parts) > 1 and not parts[-1][:1].isdigit():
        raise TargetError(f"unknown dtype {parts[-1]!r} in {text!r}: choose one of {', '.join(INPUT_DTYPES)}")
    return parse_input_shape("".join(parts)), dtype


def suggest_input(model: object) -> tuple[tuple[int, ...], str] | None:
    """An input the model's first layer would take, read from its hyper-parameters (a batch of one):
    (1, in_features) for a Linear, (1, in_channels, 32, 32) for a Conv2d, token ids for an Embedding;
    None when the first layer with parameters says nothing about its input."""
    for _path, module in model.named_modules():
        kind = type(module).__name__
        if kind == "Linear":
            return (1, module.in_features), "float32"
        if kind in ("Conv1d", "Conv2d", "Conv3d"):
            spatial = {"Conv1d": 1, "Conv2d": 2, "Conv3d": 3}[kind]
            return (1, module.in_channels, *(32,) * spatial), "float32"
        if kind == "Embedding":
            return (1, 8), "int64"
        if kind == "BatchNorm1d":
            return (1, module.num_features), "float32"
        if kind == "BatchNorm2d":
            return (1, module.num_features, 32, 32), "float32"
        if kind == "LayerNorm":
            return (1, 8, *tuple(module.normalized_shape)), "float32"
        if any(True for _ in module.parameters(recurse=False)):
            return None
    return None


def make_input(model: object, shape: tuple[int, ...], dtype: str = "float32", seed: int = 0) -> object:
    """A random example input for `model` (a Tensor of its library): standard normal values, or for an
    integer dtype, ids below the first Embedding's size (or 10)."""
    import numpy as np

    generator = np.random.default_rng(seed)
    adapter = adapter_for(model)
    if dtype.startswith("int"):
        sizes = [module.num_embeddings for _path, module in model.named_modules()
                 if type(module).__name__ == "Embedding"]
        values = generator.integers(0, sizes[0] if sizes else 10, size=shape).astype(dtype)
    else:
        values = generator.standard_normal(shape).astype(dtype)
    return adapter.tensor_from(values)


def _zoo():
    import minimod.zoo as zoo

    return zoo


def _from_zoo(name: str) -> LoadedTarget:
    entry = _zoo().ZOO[name]
    try:
        model = entry.build()
        example = entry.example_input()
    except Exception as error:  # a zoo bug, but still reported as one line
        raise TargetError(f"building zoo model '{name}' failed: {one_line(error)}") from error
    return LoadedTarget(name, model, example)


def _import_failed(spec: str, what: str, error: BaseException) -> TargetError:
    missing = missing_library(error)
    if missing is not None:
        return TargetError(f"cannot load TARGET '{spec}': {what} imports {error.name}, but {missing}")
    return TargetError(f"cannot load TARGET '{spec}': importing {what} raised {one_line(error)}")


def _load_file(path_text: str, spec: str):
    path = Path(path_text).expanduser()
    if not path.is_file():
        where = "is a directory" if path.is_dir() else "does not exist"
        raise TargetError(f"cannot load TARGET '{spec}': the file {path_text} {where}; check the path")
    module_name = "_minimod_target_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    import_spec = importlib.util.spec_from_file_location(module_name, path)
    if import_spec is None or import_spec.loader is None:
        raise TargetError(f"cannot load TARGET '{spec}': {path_text} is not a Python file")
    module = importlib.util.module_from_spec(import_spec)
    # the file may import its neighbours, as it would when run as a script
    directory = str(path.resolve().parent)
    sys.path.insert(0, directory)
    sys.modules[module_name] = module
    try:
        import_spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(module_name, None)
        raise TargetError(
            f"cannot load TARGET '{spec}': syntax error in {path_text} line {error.lineno}: {error.msg}"
        ) from None
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise _import_failed(spec, path_text, error) from error
    finally:
        if directory in sys.path:
            sys.path.remove(directory)
    return module


def _load_module(module_name: str, spec: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and module_name.startswith(error.name) and missing_library(error) is None:
            raise TargetError(
                f"cannot load TARGET '{spec}': no Python module named '{error.name}'; "
                f"check the spelling, or give a file path (path/to/file.py:Name)"
            ) from None
        raise _import_failed(spec, module_name, error) from error
    except SyntaxError as error:
        raise TargetError(
            f"cannot load TARGET '{spec}': syntax error in {error.filename} line {error.lineno}: {error.msg}"
        ) from None
    except Exception as error:
        raise _import_failed(spec, module_name, error) from error


def _lookup(module, attribute: str, where: str, spec: str) -> object:
    value: object = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            names = sorted(n for n, v in vars(module).items() if not n.startswith("_") and _could_be_model(v))
            hint = f"; models found there: {', '.join(names)}" if names else ""
            raise TargetError(f"cannot load TARGET '{spec}': {where} has no name '{attribute}'{hint}")
        value = getattr(value, part)
    return value


def _is_module(value: object) -> bool:
    """A minimod or torch Module instance."""
    adapter = adapter_for_value(value)
    return adapter is not None and adapter.is_module(value)


def _could_be_model(value: object) -> bool:
    adapter = adapter_for_value(value)
    return adapter is not None and (adapter.is_module(value) or adapter.is_module_class(value))


def _build(value: object, name: str, spec: str):
    if _is_module(value):
        return value
    if isinstance(value, type) and not _could_be_model(value):
        raise TargetError(
            f"TARGET '{spec}': {name} is a class but not a Module subclass; name a subclass of "
            f"minimod.nn.Module or torch.nn.Module, or a function returning a model"
        )
    if not callable(value):
        raise TargetError(
            f"TARGET '{spec}': {name} is {_a(type(value).__name__)}, "
            f"not a Module subclass or a function returning one"
        )
    try:
        inspect.signature(value).bind()
    except TypeError:
        raise TargetError(
            f"TARGET '{spec}': {name}{inspect.signature(value)} needs arguments, but a TARGET is built with "
            f"none; give them defaults, or add a function that returns the built model and name that"
        ) from None
    except ValueError:
        pass  # no signature to inspect (a builtin); just call it
    try:
        model = value()
    except Exception as error:
        raise TargetError(f"TARGET '{spec}': {name}() raised {one_line(error)}") from error
    if not _is_module(model):
        raise TargetError(
            f"TARGET '{spec}': {name}() returned {_a(type(model).__name__)}, not a Module "
            f"(minimod.nn.Module or torch.nn.Module); return the model"
        )
    return model


def _example_from(module, spec: str, model: object) -> object | None:
    """`example_input` beside the model: a Tensor of the model's library (or a function returning one)."""
    adapter = adapter_for(model)
    if not hasattr(module, "example_input"):
        return None
    value = module.example_input
    if callable(value) and not adapter_for_value(value):
        try:
            value = value()
        except Exception as error:
            raise TargetError(f"TARGET '{spec}': example_input() raised {one_line(error)}") from error
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) and not adapter.is_tensor(value):
        other = adapter_for_value(value)
        kind = f"{other.library} {type(value).__name__}" if other is not None else _a(type(value).__name__)
        raise TargetError(
            f"TARGET '{spec}': example_input is {kind}, but the model is a {adapter.library} model; make it "
            f"a {adapter.library} Tensor, a tuple of forward arguments, or a function returning one"
        )
    return value


def resolve(spec: str | None, input_shape: str | None = None) -> LoadedTarget:
    """Load the model a TARGET names, with its example input.

    `spec` None is the zoo's default model. The example input is random of `input_shape` when given
    (e.g. "1,3,32,32"), else the zoo entry's, else an `example_input` beside Name (a Tensor or a
    function returning one), else None. Every mistake raises TargetError with one line.
    """
    shape = parse_input_shape(input_shape) if input_shape is not None else None
    zoo = _zoo()
    if spec is None:
        spec = zoo.DEFAULT
    spec = spec.strip()
    if spec in zoo.ZOO:
        target = _from_zoo(spec)
    elif ":" in spec and not (len(spec) == 2 and spec[1] == ":"):
        location, _, attribute = spec.rpartition(":")
        if not location or not attribute:
            raise TargetError(f"bad TARGET '{spec}': expected {TARGET_FORMS}")
        is_file = location.endswith(".py") or "/" in location or os.sep in location
        module = _load_file(location, spec) if is_file else _load_module(location, spec)
        value = _lookup(module, attribute, location, spec)
        model = _build(value, attribute, spec)
        target = LoadedTarget(spec, model, _example_from(module, spec, model))
    elif spec.endswith(".py"):
        raise TargetError(f"TARGET '{spec}' names a file but not the model in it: write {spec}:Name")
    else:
        known = ", ".join(zoo.ZOO)
        raise TargetError(f"unknown TARGET '{spec}': not a zoo model ({known}); or use path/to/file.py:Name")
    if shape is not None:
        target.example_input = adapter_for(target.model).random_input(shape)
    return target


def check_forward(target: LoadedTarget, run: Callable[[Any, object], object] | None = None) -> object:
    """Run one forward on the example input (state put back afterwards) and return its output, or what
    `run(model, example_input)` returns when given (trace_forward: the trace a diagram is drawn from).

    A missing example input, or a forward that raises (say, on a wrong input shape), is a TargetError
    carrying the model's own message on one line.
    """
    from inspector.trace import call_model, preserved_state

    if target.example_input is None:
        raise TargetError(
            f"TARGET '{target.name}' has no example input: pass --input-shape (e.g. 1,3,32,32) "
            f"or define example_input beside the model"
        )
    try:
        with preserved_state(target.model):
            return (run or call_model)(target.model, target.example_input)
    except Exception as error:
        raise TargetError(
            f"running {target.name} on input {describe_input(target.example_input)} failed: "
            f"{one_line(error)}; fix the model's forward, or pass a matching --input-shape"
        ) from error


def describe_input(example: object) -> str:
    """`of shape (1, 3, 32, 32)`, or `of shapes (1, 4), (1, 2)` for several arguments."""
    from inspector.events import format_shape

    items = example if isinstance(example, tuple) else (example,)
    shapes = [
        format_shape(tuple(item.shape)) if hasattr(item, "shape") else type(item).__name__ for item in items
    ]
    return ("of shape " if len(shapes) == 1 else "of shapes ") + ", ".join(shapes)
