"""render(model, view=...) -> Diagram: DOT text, SVG/PNG through the dot program, and atomic saving."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from minimod.errors import UserError

__all__ = [
    "Diagram", "DotFailedError", "ForwardFailedError", "render", "run_dot", "check_output_path", "VIEWS",
    "RANKDIRS", "FORMATS",
]

VIEWS = ("tree", "flow", "autograd")
RANKDIRS = ("TB", "LR", "BT", "RL")
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}
MODES = ("train", "eval")

# the SVG names DejaVu Sans (the metrics dot sized the boxes with); these fallbacks are as wide or narrower
_SVG_FONT = 'font-family="DejaVu Sans"'
_SVG_FONT_STACK = 'font-family="DejaVu Sans,Verdana,Arial,Helvetica,sans-serif"'


class DotFailedError(UserError):
    """The dot program exited with an error (its first message line is included)."""


class ForwardFailedError(UserError):
    """The model's forward raised while the flow or autograd view traced it (the cause is chained)."""


def run_dot(dot_text: str, output_format: str = "svg") -> bytes:
    """The one place that runs the dot program: DOT text on stdin -> SVG (or PNG) bytes."""
    from inspector.dot import find_dot

    program = find_dot()
    try:
        completed = subprocess.run(
            [program, f"-T{output_format}"], input=dot_text.encode("utf-8"), capture_output=True,
            timeout=120, check=False,
        )
    except subprocess.TimeoutExpired:
        raise DotFailedError(f"{program} took over 120 s to lay out the diagram; try --depth 2") from None
    except OSError as error:
        raise DotFailedError(
            f"cannot run {program}: {error.strerror}; set MINIMOD_DOT to a working dot program"
        ) from None
    if completed.returncode != 0:
        messages = [
            line for line in completed.stderr.decode("utf-8", "replace").splitlines()
            if line.strip() and "Warning" not in line
        ]
        first = messages[0].strip() if messages else f"exit status {completed.returncode}"
        raise DotFailedError(f"{program} failed to draw the diagram: {first}")
    data = completed.stdout
    if output_format == "svg":
        data = data.replace(_SVG_FONT.encode(), _SVG_FONT_STACK.encode())
    return data


@dataclass
class Diagram:
    """A rendered diagram: `.dot` holds the DOT text; `.svg()` lays it out (once) with dot."""

    dot: str
    view: str
    title: str
    _svg: str | None = field(default=None, repr=False)

    def svg(self) -> str:
        """The standalone SVG document (deterministic: the same model gives the same bytes)."""
        if self._svg is None:
            self._svg = run_dot(self.dot, "svg").decode("utf-8")
        return self._svg

    def png(self) -> bytes:
        """PNG bytes: the SVG drawn by cairosvg when it is installed (it honours the SVG's fonts),
        else dot's own PNG output."""
        try:
            import cairosvg
        except ImportError:
            return run_dot(self.dot, "png")
        return cairosvg.svg2png(bytestring=self.svg().encode("utf-8"), scale=1.5)

    def _repr_svg_(self) -> str:  # Jupyter shows the diagram inline
        return self.svg()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to `path`, the format chosen by its extension (.svg, the default; .png; .dot).

        The file appears whole or not at all (written beside it, then renamed). Returns the path.
        """
        target, output_format = check_output_path(path)
        if output_format == "dot":
            data = self.dot.encode("utf-8")
        elif output_format == "svg":
            data = self.svg().encode("utf-8")
        else:
            data = self.png()
        _atomic_write(target, data)
        return target


def check_output_path(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """(path, format) for a diagram file; a UserError for an unknown extension, a missing directory
    or a directory given as the file. The format follows the extension; none means SVG."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix and suffix not in FORMATS:
        raise UserError(f"cannot write {target}: unknown diagram format '{suffix}'; use .svg, .png or .dot")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"cannot write {target}: the directory {directory} does not exist; create it first")
    if target.is_dir():
        raise UserError(f"cannot write {target}: it is a directory; give a file name such as model.svg")
    if not os.access(directory, os.W_OK):
        raise UserError(f"cannot write {target}: the directory {directory} is not writable; choose another")
    return target, FORMATS.get(suffix, "svg")


def _atomic_write(target: Path, data: bytes) -> None:
    """minimod's atomic write (a temporary file beside target, renamed over it; the mode an ordinary
    open() gives), with a file-system failure as one line."""
    from minimod.atomic_file import atomic_write

    try:
        atomic_write(target, lambda stream: stream.write(data))
    except OSError as error:
        raise UserError(f"cannot write {target}: {error.strerror or error}; choose another -o path") from None


@contextmanager
def _mode(model, mode: str | None):
    """Apply train/eval for the trace, then put every module's own flag back."""
    if mode is None:
        yield
        return
    saved = [(module, module.training) for module in model.modules()]
    model.train(mode == "train")
    try:
        yield
    finally:
        for module, training in saved:
            module.training = training


def render(
    model,
    *,
    view: str = "tree",
    example_input: object | None = None,
    depth: int | None = None,
    fold: bool = True,
    rankdir: str = "TB",
    mode: str | None = None,
) -> Diagram:
    """Draw `model`: view "tree" (module hierarchy, parameters and buffers), "flow" (one traced forward:
    module calls, functional ops, tensor shapes) or "autograd" (the grad_fn graph of the output).

    flow and autograd run the model on `example_input` (a Tensor or a tuple of forward arguments);
    the model's buffers, grads and train/eval flags are left as they were. `depth` collapses modules
    deeper than it into one node; `fold` draws consecutive identical siblings once as "× N"; `mode`
    ("train"/"eval") is applied before tracing and shown in the title (None: the model's own mode).
    """
    from inspector import graph, graph_trace, render_dot, trace

    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"unknown rankdir {rankdir!r}: choose one of {', '.join(RANKDIRS)}")
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose 'train' or 'eval'")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be a non-negative int or None, got {depth!r}")
    with _mode(model, mode):
        shown_mode = "train" if model.training else "eval"
        if view == "tree":
            result = graph.tree_graph(model, depth=depth, fold=fold, rankdir=rankdir, mode=shown_mode)
        else:
            if example_input is None:
                raise UserError(
                    f"the {view} view runs the model, so it needs an example input: pass example_input= "
                    f"(or --input-shape on the command line)"
                )
            try:
                traced = trace.trace_forward(model, example_input, record_ops=view == "flow", stats=True)
            except Exception as error:  # the model's own error: one line here, the traceback chained
                from inspector.targets import describe_input, one_line

                raise ForwardFailedError(
                    f"running {type(model).__name__} on input {describe_input(example_input)} for the {view} "
                    f"view failed: {one_line(error)}; fix the model's forward, or the example input"
                ) from error
            if view == "flow":
                result = graph_trace.flow_graph(model, traced, depth=depth, fold=fold, rankdir=rankdir,
                                                mode=shown_mode)
            else:
                result = graph_trace.autograd_graph(model, traced.output, rankdir=rankdir, mode=shown_mode)
    return Diagram(render_dot.to_dot(result), view, result.title[0])
