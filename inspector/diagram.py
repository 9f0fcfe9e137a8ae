"""render(model, view=...) -> Diagram: DOT text, SVG/PNG through the dot program, and atomic saving."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from minimod.errors import UserError

__all__ = [
    "Diagram", "DotFailedError", "ForwardFailedError", "render", "run_dot", "check_output_path", "parse_fit",
    "VIEWS", "RANKDIRS", "FORMATS", "PAGES",
]

VIEWS = ("tree", "flow", "autograd")
RANKDIRS = ("TB", "LR", "BT", "RL")
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}
MODES = ("train", "eval")

# page sizes in points (portrait), for --fit; "-landscape" turns one
PAGES = {"a4": (595.0, 842.0), "a3": (842.0, 1191.0), "letter": (612.0, 792.0), "legal": (612.0, 1008.0)}
PAGE_MARGIN = 36.0  # half an inch on every side
PAGE_DPI = 150  # a page-fitted PNG's resolution

PNG_SCALE = 1.5  # a PNG's pixels per SVG pixel, unless fitted
PNG_MAX_SIDE = 32767  # cairo's largest image
PNG_MAX_PIXELS = 120_000_000  # about 480 MB of memory while drawing
PNG_MIN_SCALE = 0.5  # below this, 10 pt text is under 7 pixels high: unreadable
LARGE = 4000.0  # a diagram wider or taller than this many points gets a hint to shrink it

# the SVG names DejaVu Sans (the metrics dot sized the boxes with); these fallbacks are as wide or narrower
_SVG_FONT = 'font-family="DejaVu Sans"'
_SVG_FONT_STACK = 'font-family="DejaVu Sans,Verdana,Arial,Helvetica,sans-serif"'
_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"')
_TITLED = re.compile(rb'<title>[^<]*</title>(\n<g id="a_[^"]*"><a xlink:title="([^"]*)">)')


class DotFailedError(UserError):
    """The dot program exited with an error (its first message line is included)."""


class ForwardFailedError(UserError):
    """The model's forward raised while the flow or autograd view traced it (the cause is chained)."""


def run_dot(dot_text: str, output_format: str = "svg", options: tuple[str, ...] = ()) -> bytes:
    """The one place that runs the dot program: DOT text on stdin -> SVG (or PNG) bytes."""
    from inspector.dot import find_dot

    program = find_dot()
    try:
        completed = subprocess.run(
            [program, f"-T{output_format}", *options], input=dot_text.encode("utf-8"), capture_output=True,
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
        # the hover text of a box or an arrow: dot titles each with its id (n12), and puts its tooltip (a
        # module's path and repr) on a link inside; the title is what every viewer shows
        data = _TITLED.sub(rb"<title>\2</title>\1", data)
    return data


# --- size ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A size to fit a diagram to: a width in pixels, or a page (width, height in points)."""

    pixels: int | None = None
    page: tuple[float, float] | None = None
    name: str = ""


def parse_fit(text: str | int | Fit | None) -> Fit | None:
    """`1200` (pixels wide), `a4`, `letter-landscape`, ... -> Fit; a UserError names the forms."""
    if text is None or isinstance(text, Fit):
        return text
    value = str(text).strip().lower()
    if value.isdigit() and int(value) > 0:
        return Fit(pixels=int(value), name=f"{int(value)} pixels wide")
    name, _, turn = value.partition("-")
    if name in PAGES and turn in ("", "portrait", "landscape"):
        width, height = PAGES[name]
        return Fit(page=(height, width) if turn == "landscape" else (width, height), name=value)
    pages = ", ".join(PAGES)
    raise UserError(f"cannot fit to {text!r}: give a width in pixels (e.g. 1200) or a page ({pages}, "
                    f"or one of them with -landscape)")


def svg_size(svg: str) -> tuple[float, float]:
    """(width, height) of an SVG that dot wrote, in points."""
    match = _SVG_SIZE.search(svg)
    return (float(match.group(1)), float(match.group(2))) if match else (0.0, 0.0)


def _fitted_svg(svg: str, fit: Fit) -> str:
    """The same drawing at another size: the width and height change, the viewBox stays (vector scaling)."""
    width, height = svg_size(svg)
    if not width or not height:
        return svg
    if fit.pixels is not None:
        size = f'<svg width="{fit.pixels}px" height="{fit.pixels * height / width:.0f}px"'
    else:
        page_width, page_height = fit.page
        scale = min((page_width - 2 * PAGE_MARGIN) / width, (page_height - 2 * PAGE_MARGIN) / height)
        size = f'<svg width="{width * scale:.2f}pt" height="{height * scale:.2f}pt"'
    return _SVG_SIZE.sub(size, svg, count=1)


def _png_scale(width: float, height: float, fit: Fit | None) -> float:
    """Pixels per point of the PNG: 1.5 CSS pixels per point by default, or what `fit` asks."""
    if fit is None:
        return PNG_SCALE * 4 / 3
    if fit.pixels is not None:
        return fit.pixels / width
    page_width, page_height = fit.page
    points = min((page_width - 2 * PAGE_MARGIN) / width, (page_height - 2 * PAGE_MARGIN) / height)
    return points * PAGE_DPI / 72


@dataclass
class Diagram:
    """A rendered diagram: `.dot` holds the DOT text; `.svg()` lays it out (once) with dot; `.png()` draws it.

    In a notebook, a Diagram shows itself (`_repr_svg_`, `_repr_png_`, `_repr_mimebundle_`).
    `shrink_options` name the options that would make a very large diagram smaller (`shrink_hint()`)."""

    dot: str
    view: str
    title: str
    shrink_options: tuple[str, ...] = ()
    _svg: str | None = field(default=None, repr=False)

    def svg(self, fit: str | int | Fit | None = None) -> str:
        """The standalone SVG document (deterministic: the same model gives the same bytes), at its own
        size or fitted (`fit`: a width in pixels such as 1200, or a page: a4, letter, a3-landscape...)."""
        if self._svg is None:
            self._svg = run_dot(self.dot, "svg").decode("utf-8")
        fitted = parse_fit(fit)
        return self._svg if fitted is None else _fitted_svg(self._svg, fitted)

    def size(self) -> tuple[float, float]:
        """(width, height) in points, as laid out."""
        return svg_size(self.svg())

    def shrink_hint(self) -> str | None:
        """For a diagram over LARGE points wide or tall, one line naming what makes it smaller; else None."""
        width, height = self.size()
        if max(width, height) <= LARGE:
            return None
        options = ", ".join(self.shrink_options + ("--fit a4 (scales it to a page)",))
        return f"the diagram is {width:,.0f} x {height:,.0f} pt; to make it smaller: {options}"

    def png(self, fit: str | int | Fit | None = None) -> bytes:
        """PNG bytes: the SVG drawn by cairosvg when it is installed (it honours the SVG's fonts), else dot's
        own PNG output; 1.5 pixels per SVG pixel, or fitted as svg() is (a page at 150 dpi). A diagram too
        large for one readable PNG is a UserError saying what to do."""
        fitted = parse_fit(fit)
        width, height = self.size()
        scale = _png_scale(width, height, fitted)
        largest = min(PNG_MAX_SIDE / max(width, height), (PNG_MAX_PIXELS / (width * height)) ** 0.5)
        if scale > largest:
            if fitted is not None or largest < PNG_MIN_SCALE * 4 / 3:
                options = ", ".join(self.shrink_options + ("or --fit with a smaller width",))
                raise UserError(
                    f"the diagram is {width:,.0f} x {height:,.0f} pt, too large for one PNG its text "
                    f"could be read in (at most {PNG_MAX_SIDE:,} pixels a side); save it as .svg (any "
                    f"size), or shrink it: {options}"
                )
            scale = largest
        pixels = (round(width * scale), round(height * scale))
        if min(pixels) < 1:  # a thin diagram fitted very small: cairo cannot draw a 0-pixel side
            size = fitted.name if fitted else "its own size"
            raise UserError(
                f"the diagram is {width:,.0f} x {height:,.0f} pt: fitted to {size} it would be {pixels[0]} x "
                f"{pixels[1]} pixels; give --fit a larger width, or save it as .svg"
            )
        try:
            import cairosvg
        except ImportError:
            return run_dot(self.dot, "png", (f"-Gdpi={72 * scale:.2f}",))
        try:
            return cairosvg.svg2png(bytestring=self.svg().encode("utf-8"), output_width=pixels[0],
                                    output_height=pixels[1])
        except Exception as error:  # cairo's own refusal (a size, memory): one line, not its traceback
            from inspector.targets import one_line

            raise UserError(
                f"drawing the {width:,.0f} x {height:,.0f} pt diagram as a {pixels[0]:,} x {pixels[1]:,} "
                f"pixel PNG failed ({one_line(error)}); save it as .svg (any size), or shrink it with --fit "
                "1200"
            ) from error

    def _repr_svg_(self) -> str:  # Jupyter shows the diagram inline
        return self.svg()

    def _repr_png_(self) -> bytes:  # front ends that show no SVG (and GitHub's notebook viewer)
        return self.png()

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, str]:
        """The diagram as SVG and as PNG (base64, as notebook formats store it), and its title as text;
        `include` and `exclude` pick among the MIME types."""
        makers = {
            "image/svg+xml": self.svg,
            "image/png": lambda: base64.b64encode(self.png()).decode("ascii"),
            "text/plain": lambda: f"<Diagram: {self.title}>",
        }
        wanted = [kind for kind in makers if (include is None or kind in include)
                  and (exclude is None or kind not in exclude)]
        return {kind: makers[kind]() for kind in wanted}

    def save(self, path: str | os.PathLike[str], fit: str | int | Fit | None = None) -> Path:
        """Write to `path`, the format chosen by its extension (.svg, .png or .dot), fitted as svg() is.

        The file appears whole or not at all (written beside it, then renamed). Returns the path.
        """
        target, output_format = check_output_path(path)
        if output_format == "dot":
            data = self.dot.encode("utf-8")
        elif output_format == "svg":
            data = self.svg(fit).encode("utf-8")
        else:
            data = self.png(fit)
        _atomic_write(target, data)
        return target


def check_output_path(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """(path, format) for a diagram file; a UserError for a missing or unknown extension, a missing
    directory or a directory given as the file. The format follows the extension."""
    target = Path(path)
    suffix = target.suffix.lower()
    if target.is_dir():
        raise UserError(f"cannot write {target}: it is a directory; give a file name such as model.svg")
    if not suffix:
        raise UserError(f"cannot write {target}: no extension to choose the format by; name it "
                        f"{target.name}.svg, {target.name}.png or {target.name}.dot")
    if suffix not in FORMATS:
        raise UserError(f"cannot write {target}: unknown diagram format '{suffix}'; use .svg, .png or .dot")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UserError(f"cannot write {target}: the directory {directory} does not exist; create it first")
    if not os.access(directory, os.W_OK):
        raise UserError(f"cannot write {target}: the directory {directory} is not writable; choose another")
    return target, FORMATS[suffix]


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


def _shrink_options(infos, view: str, depth: int | None, fold: bool) -> tuple[str, ...]:
    """The options that would draw this model smaller, most effective first."""
    options = []
    if not fold:
        options.append("drop --no-fold (identical blocks drawn once)")
    deepest = max((info.depth for info in infos.values() if info.children), default=0)
    shown = deepest if depth is None else min(depth, deepest)
    if shown > 0:
        options.append(f"--depth {shown - 1}")
    kinds: dict[str, int] = {}
    for path, info in infos.items():
        if path and info.children:
            kinds[info.kind] = kinds.get(info.kind, 0) + 1
    if kinds:
        options.append(f"--collapse {max(kinds, key=kinds.get)}")
    if view == "autograd":
        options.append("--view flow (one node per module call)")
    return tuple(options)


def render(
    model,
    *,
    view: str = "tree",
    example_input: object | None = None,
    traced: object | None = None,
    depth: int | None = None,
    fold: bool = True,
    rankdir: str = "TB",
    mode: str | None = None,
    collapse: str | Iterable[str] | None = None,
    expand: str | Iterable[str] | None = None,
    saved_tensors: bool = False,
    accumulate_grad: bool = False,
    diff: object | None = None,
) -> Diagram:
    """Draw `model`: view "tree" (module hierarchy, parameters and buffers), "flow" (one traced forward:
    module calls, functional ops, tensor shapes) or "autograd" (the grad_fn graph of the output, framed
    by the module call that made each node).

    flow and autograd run the model on `example_input` (a Tensor or a tuple of forward arguments);
    the model's buffers, grads and train/eval flags are left as they were; `traced`, a trace_forward of the
    model already made (the command line checks the input with that run), is drawn without running the
    model again. `depth` collapses modules
    deeper than it into one node; `collapse` and `expand` (a class name or a dotted path, a glob such as
    `layer*.0`, or a list of them) collapse or open modules whatever `depth` says; `fold` draws
    consecutive identical siblings once, the first open in a "× N" frame; `mode` ("train"/"eval") is
    applied before tracing and shown in the title (None: the model's own mode). The autograd view's
    `saved_tensors` writes the shapes each node saved for backward on it and `accumulate_grad` draws
    torch's AccumulateGrad nodes (torchviz's extras). `diff` (tree view) colours each tensor by a
    comparison with a checkpoint (.npz path), another model, a TARGET string or a state dict.
    """
    from inspector import graph, graph_autograd, graph_diff, graph_trace, graph_tree, render_dot, trace
    from inspector.graph_folding import patterns

    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"unknown rankdir {rankdir!r}: choose one of {', '.join(RANKDIRS)}")
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose 'train' or 'eval'")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be a non-negative int or None, got {depth!r}")
    if diff is not None and view != "tree":
        raise UserError(f"the diff picture is a tree view; drop the {view} view to compare")
    if view == "tree" and (saved_tensors or accumulate_grad):
        raise UserError("saved tensors and AccumulateGrad nodes are parts of the autograd view; "
                        "add --view autograd")
    options = {"depth": depth, "fold": fold, "rankdir": rankdir, "collapse": patterns(collapse),
               "expand": patterns(expand)}
    comparison = None
    if diff is not None:
        state, name = graph_diff.load_comparison(diff)
        comparison = graph_diff.compare_states(model, state, name)
    with _mode(model, mode):
        shown_mode = "train" if model.training else "eval"
        if view == "tree":
            result = graph_tree.tree_graph(model, mode=shown_mode, diff=comparison, **options)
        else:
            if traced is None and example_input is None:
                raise UserError(
                    f"the {view} view runs the model, so it needs an example input: pass example_input= "
                    f"(or --input-shape on the command line)"
                )
            if traced is None:
                try:
                    traced = trace.trace_forward(model, example_input, record_ops=True, stats=True)
                except Exception as error:  # the model's own error: one line here, the traceback chained
                    from inspector.targets import describe_input, one_line

                    raise ForwardFailedError(
                        f"running {type(model).__name__} on input {describe_input(example_input)} for the "
                        f"{view} view failed: {one_line(error)}; fix the model's forward, or the example "
                        f"input"
                    ) from error
            if view == "flow":
                result = graph_trace.flow_graph(model, traced, mode=shown_mode, **options)
            else:
                result = graph_autograd.autograd_graph(model, traced, mode=shown_mode,
                                                       saved_tensors=saved_tensors,
                                                       accumulate_grad=accumulate_grad, **options)
    infos = graph.describe_modules(model)
    return Diagram(render_dot.to_dot(result), view, result.title[0],
                   _shrink_options(infos, view, depth, fold))
