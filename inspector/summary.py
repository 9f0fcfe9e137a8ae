"""A model summary, as torchinfo prints one, and right where torchinfo is not: every module with its input
and output shapes (from one traced forward), its parameters (a tied one counted once, at its first name),
buffers, mult-adds and whether it trains, then totals and the memory of one training step.

Pure data and text: `summarize()` builds a `Summary`; `Summary.table()` is a rich Table for the command
line and the app's export; the app's Summary tab shows the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from inspector.adapters import adapter_for
from inspector.events import OpEvent, TraceEvent
from inspector.tensor_summary import human_count

__all__ = ["Summary", "SummaryRow", "summarize", "module_mult_adds", "op_mult_adds", "human_bytes"]

# Mult-adds (multiply-accumulate operations) of one call, by module type. Each formula counts one per
# weight (and bias) element per output position, as torchinfo does for Linear and Conv2d; where torchinfo
# goes wrong, this says what is right:
# - Linear on (N, L, in): every leading position of the output counts (torchinfo counts N only);
# - the norms: one multiply-add per output element (the affine scale and shift), where torchinfo counts
#   two per channel and sample.
_CONV = {"Conv1d", "Conv2d", "Conv3d"}
_NORMS = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm", "InstanceNorm1d",
          "InstanceNorm2d"}
# functional ops whose mult-adds are counted where they run in a module's own forward (attention's q @ k)
_PRODUCTS = {"matmul", "mm", "bmm", "addmm", "linear"}


def _numel(shape: tuple[int, ...]) -> int:
    return math.prod(shape)


def module_mult_adds(kind: str, module: Any, output_shape: tuple[int, ...] | None) -> int | None:
    """Mult-adds of one call of a module of type `kind` whose output has `output_shape`; None where no
    formula is defined (containers, activations, pooling: no multiply-adds worth counting)."""
    if output_shape is None:
        return None
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    weights = _numel(tuple(weight.shape)) if weight is not None else 0
    weights += _numel(tuple(bias.shape)) if bias is not None else 0
    if kind == "Linear":
        return weights * _numel(output_shape[:-1])
    if kind in _CONV:
        spatial = len(tuple(weight.shape)) - 2
        batch = output_shape[0] if len(output_shape) == spatial + 2 else 1  # an unbatched input has none
        return weights * batch * _numel(output_shape[-spatial:])
    if kind in _NORMS:
        return _numel(output_shape) if weights else 0
    return None


def op_mult_adds(op: OpEvent) -> int | None:
    """Mult-adds of a matrix product run as a functional op (a @ b, F.linear); None for other ops."""
    if op.name not in _PRODUCTS or len(op.input_shapes) < 2:
        return None
    shapes = [shape for shape in op.input_shapes if shape]
    if op.name == "linear":  # x (..., in), weight (out, in)
        return _numel(shapes[0][:-1]) * shapes[1][0] * shapes[1][1]
    if op.name == "addmm":  # bias, a (n, k), b (k, m)
        shapes = shapes[-2:]
    if len(shapes) < 2 or not op.output_shapes:
        return None
    inner = shapes[0][-1]
    return _numel(op.output_shapes[0]) * inner


def human_bytes(count: int) -> str:
    """1536 -> '1.5 KiB' (binary units, spelled out so that nobody reads them as element counts)."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@dataclass(frozen=True)
class SummaryRow:
    """One module. Counts are its own (its parameters and buffers, its forward's mult-adds) unless the
    row stands for a collapsed subtree (`collapsed`), when they are the subtree's."""

    path: str
    kind: str
    depth: int
    input_shapes: tuple[tuple[int, ...], ...] | None  # of the first call; None: never called
    output_shapes: tuple[tuple[int, ...], ...] | None
    calls: int
    parameters: int
    tied: tuple[str, ...]  # "weight = embed.weight": own parameters that another name holds first
    buffers: int
    non_persistent: int  # buffer elements left out of the state_dict
    mult_adds: int | None
    trainable: str  # "yes", "no" (frozen), "partly", or "" (no parameters)
    collapsed: bool = False
    is_container: bool = False  # never called by itself (a ModuleList), or only calls its children
    branch: str = ""  # the tree's lines before the name: "│ ├─"

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2] if self.path else "(root)"


@dataclass
class Summary:
    """Every module's row (in named_modules order) and the totals of the whole model."""

    model_name: str
    library: str
    mode: str
    input_shapes: tuple[tuple[int, ...], ...]
    rows: list[SummaryRow]
    parameters: int  # each Parameter once, however many names it has
    trainable: int
    buffers: int
    non_persistent: int
    mult_adds: int
    input_bytes: int
    parameter_bytes: int
    buffer_bytes: int
    gradient_bytes: int  # one .grad per trainable parameter
    activation_bytes: int  # every leaf module's output in one forward (what backward keeps)
    tied: list[tuple[str, str]] = field(default_factory=list)  # (alias, first name)
    depth: int | None = None

    @property
    def total_bytes(self) -> int:
        return self.input_bytes + self.parameter_bytes + self.buffer_bytes + self.gradient_bytes \
            + self.activation_bytes

    # --- text ---------------------------------------------------------------------------------------

    def table(self) -> Any:
        """The summary as a rich Table (rows, then totals in its caption)."""
        from rich import box
        from rich.table import Table

        table = Table(title=f"{self.model_name} ({self.library}, {self.mode} mode, input "
                      f"{', '.join(_shape(s) for s in self.input_shapes)})",
                      box=box.SIMPLE_HEAD, caption=self.footer(), caption_justify="left")
        for header, right in COLUMNS:
            table.add_column(header, justify="right" if right else "left", no_wrap=header != "Layer (type)")
        for row in self.rows:
            table.add_row(*row_cells(row))
        return table

    def footer(self) -> str:
        frozen = self.parameters - self.trainable
        lines = [
            f"Parameters: {self.parameters:,} ({self.trainable:,} trainable, {frozen:,} frozen)",
            f"Buffers: {self.buffers:,} values" + (f" ({self.non_persistent:,} not in the state_dict)"
                                                   if self.non_persistent else ""),
            f"Mult-adds of one forward: {self.mult_adds:,} ({human_count(self.mult_adds)})",
        ]
        for alias, first in self.tied:
            lines.append(f"Tied: {alias} is {first} (counted once)")
        lines += [
            f"Memory: input {human_bytes(self.input_bytes)}, parameters {human_bytes(self.parameter_bytes)}, "
            f"buffers {human_bytes(self.buffer_bytes)}, gradients {human_bytes(self.gradient_bytes)}, "
            f"activations of one forward {human_bytes(self.activation_bytes)}; "
            f"total {human_bytes(self.total_bytes)}",
        ]
        if self.depth is not None:
            lines.append(f"Modules deeper than {self.depth} are counted in their ancestor's row (+).")
        return "\n".join(lines)

    def text(self, width: int = 120) -> str:
        """The summary as plain text, `width` columns wide (for a file, a notebook or a report)."""
        from rich.console import Console

        console = Console(width=width, record=True, file=_Discard(), color_system=None)
        console.print(self.table())
        return console.export_text()


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


COLUMNS = (("Layer (type)", False), ("Input shape", False), ("Output shape", False), ("Params", True),
           ("Buffers", True), ("Mult-adds", True), ("Trainable", False))


def _shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def _shapes(shapes: tuple[tuple[int, ...], ...] | None, container: bool) -> str:
    if shapes is None:
        return "not called" if container else "--"
    return ", ".join(_shape(shape) for shape in shapes) or "--"


def row_cells(row: SummaryRow) -> tuple[str, ...]:
    """The cells of one row as text, in COLUMNS order."""
    label = f"{row.branch}{row.name}: {row.kind}" if row.path else row.kind
    if row.collapsed:
        label += " (+)"
    if row.calls > 1:
        label += f" x{row.calls} calls"
    params = f"{row.parameters:,}" if row.parameters else "--"
    if row.tied:
        params += " + tied"
    buffers = f"{row.buffers:,}" if row.buffers else "--"
    if row.non_persistent:
        buffers += "*"
    mult_adds = f"{row.mult_adds:,}" if row.mult_adds else "--"
    return (label, _shapes(row.input_shapes, row.is_container), _shapes(row.output_shapes, row.is_container),
            params, buffers, mult_adds, row.trainable or "--")


# --- building ---------------------------------------------------------------------------------------


@dataclass
class _Own:
    """A module's own counts (not its children's)."""

    parameters: int = 0
    trainable: int = 0
    buffers: int = 0
    non_persistent: int = 0
    aliases: list[str] = field(default_factory=list)  # "weight = embed.weight"


def _first_calls(events: list[TraceEvent]) -> dict[str, tuple[TraceEvent, int]]:
    """path -> (its first forward event, how many times it ran)."""
    calls: dict[str, tuple[TraceEvent, int]] = {}
    for event in events:
        if event.phase != "forward":
            continue
        first, count = calls.get(event.module, (event, 0))
        calls[event.module] = (first, count + 1)
    return calls


def summarize(model: Any, example_input: Any, *, name: str | None = None,
              depth: int | None = None) -> Summary:
    """Trace one forward of `model` on `example_input` (its state left as it was) and summarize it.

    `depth` keeps modules at most that deep as rows; a deeper module's parameters, buffers and mult-adds
    are added to its ancestor's row at the cut."""
    from inspector.trace import trace_forward

    adapter = adapter_for(model)
    trace = trace_forward(model, example_input, record_ops=True, stats=True)
    modules = dict(model.named_modules())
    calls = _first_calls(trace.events)
    mult_adds = _mult_adds(modules, calls, trace.ops)
    own, tied = _own_counts(model, modules)
    rows = _with_branches([_row(path, module, depth, modules, own, calls, mult_adds)
                           for path, module in modules.items()
                           if depth is None or path.count(".") + (1 if path else 0) <= depth])

    def nbytes(tensors: Any) -> int:
        return sum(adapter.array(tensor).nbytes for tensor in tensors)

    unique = list({id(parameter): parameter for parameter in model.parameters()}.values())
    leaves = {path for path, module in modules.items() if not any(True for _ in module.children())}
    activations = sum(stats.numel * _itemsize(stats.dtype) for event in trace.events
                      if event.phase == "forward" and event.module in leaves
                      for stats in event.outputs if stats is not None)
    root_pre, _ = trace.root_call()
    inputs = [stats for stats in root_pre.inputs if stats is not None] if root_pre is not None else []
    counts = own.values()
    return Summary(
        model_name=name or type(model).__name__, library=adapter.library,
        mode="train" if model.training else "eval", input_shapes=tuple(stats.shape for stats in inputs),
        rows=rows, parameters=sum(item.parameters for item in counts),
        trainable=sum(item.trainable for item in counts), buffers=sum(item.buffers for item in counts),
        non_persistent=sum(item.non_persistent for item in counts), mult_adds=sum(mult_adds.values()),
        input_bytes=sum(stats.numel * _itemsize(stats.dtype) for stats in inputs),
        parameter_bytes=nbytes(unique), buffer_bytes=nbytes(model.buffers()),
        gradient_bytes=nbytes(parameter for parameter in unique if parameter.requires_grad),
        activation_bytes=activations, tied=tied, depth=depth,
    )


def _mult_adds(modules: dict[str, Any], calls: dict[str, tuple[TraceEvent, int]],
               ops: list[OpEvent]) -> dict[str, int]:
    """path -> the mult-adds of that module's own work in one forward: its formula (Linear, Conv2d, the
    norms) times its calls, plus the matrix products its forward runs itself (attention's q @ k)."""
    result: dict[str, int] = {}
    for path, (event, count) in calls.items():
        module = modules.get(path)
        shapes = [stats.shape for stats in event.outputs if stats is not None]
        value = module_mult_adds(type(module).__name__, module, shapes[0] if shapes else None)
        if value:
            result[path] = value * count
    counted = set(result)
    for op in ops:
        if not op.stack or counted.intersection(op.stack):
            continue  # outside the model, or inside a module whose formula counts it already
        value = op_mult_adds(op)
        if value:
            result[op.module] = result.get(op.module, 0) + value
    return result


def _own_counts(model: Any, modules: dict[str, Any]) -> tuple[dict[str, _Own], list[tuple[str, str]]]:
    """Each module's own counts, a tied parameter counted where it was first named; and the ties."""
    first_name: dict[int, str] = {}
    for parameter_name, parameter in model.named_parameters(remove_duplicate=False):
        first_name.setdefault(id(parameter), parameter_name)
    own: dict[str, _Own] = {}
    tied: list[tuple[str, str]] = []
    for path, module in modules.items():
        prefix = f"{path}." if path else ""
        counts = own[path] = _Own()
        for local, parameter in module.named_parameters(recurse=False, remove_duplicate=False):
            first = first_name.get(id(parameter), prefix + local)
            if first != prefix + local:
                counts.aliases.append(f"{local} = {first}")
                tied.append((prefix + local, first))
                continue
            count = _numel(tuple(parameter.shape))
            counts.parameters += count
            counts.trainable += count if parameter.requires_grad else 0
        non_persistent = getattr(module, "_non_persistent_buffers_set", set())
        for local, buffer in module.named_buffers(recurse=False):
            count = _numel(tuple(buffer.shape))
            counts.buffers += count
            counts.non_persistent += count if local in non_persistent else 0
    return own, tied


def _row(path: str, module: Any, depth: int | None, modules: dict[str, Any], own: dict[str, _Own],
         calls: dict[str, tuple[TraceEvent, int]], mult_adds: dict[str, int]) -> SummaryRow:
    level = path.count(".") + 1 if path else 0
    has_children = any(True for _ in module.children())
    collapsed = depth is not None and level == depth and has_children
    prefix = f"{path}." if path else ""
    members = [other for other in modules if other == path or other.startswith(prefix)] if collapsed \
        else [path]
    parameters = sum(own[member].parameters for member in members)
    trainable = sum(own[member].trainable for member in members)
    event, count = calls.get(path, (None, 0))
    return SummaryRow(
        path=path, kind=type(module).__name__, depth=level,
        input_shapes=_event_shapes(event, "inputs"), output_shapes=_event_shapes(event, "outputs"),
        calls=count, parameters=parameters, tied=tuple(own[path].aliases),
        buffers=sum(own[member].buffers for member in members),
        non_persistent=sum(own[member].non_persistent for member in members),
        mult_adds=sum(mult_adds.get(member, 0) for member in members) or None,
        trainable="" if not parameters else "yes" if trainable == parameters else "no" if not trainable
        else "partly",
        collapsed=collapsed, is_container=has_children,
    )


def _with_branches(rows: list[SummaryRow]) -> list[SummaryRow]:
    """The rows with the tree's lines drawn before their names, as `tree` draws folders."""
    def parent(path: str) -> str:
        return path.rpartition(".")[0]

    last_child: dict[str, str] = {}  # parent -> its last child among the rows (rows are in tree order)
    for row in rows:
        if row.path:
            last_child[parent(row.path)] = row.path
    last = {path: True for path in last_child.values()}
    drawn = []
    for row in rows:
        if not row.path:
            drawn.append(row)
            continue
        parts = row.path.split(".")
        ancestors = [".".join(parts[:count]) for count in range(1, len(parts))]
        branch = "".join("  " if last.get(ancestor, False) else "│ " for ancestor in ancestors)
        drawn.append(replace(row, branch=branch + ("└─" if last.get(row.path, False) else "├─")))
    return drawn


def _event_shapes(event: TraceEvent | None, side: str) -> tuple[tuple[int, ...], ...] | None:
    if event is None:
        return None
    return tuple(stats.shape for stats in getattr(event, side) if stats is not None)


def _itemsize(dtype: str) -> int:
    import numpy as np

    return np.dtype(dtype).itemsize
