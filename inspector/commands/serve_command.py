"""`minimod serve`: the lessons (or the inspector on a model) in students' browsers, one app per tab."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from minimod.errors import UserError

DEFAULT_PORT = 8000


def _whole_number(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
        return value

    return parse


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected minutes, 0 or more (0: never), got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve command's options."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 serves every network this machine is on)")
    parser.add_argument("--port", type=_whole_number(1, 65535), default=DEFAULT_PORT,
                        help=f"the port to listen on (default {DEFAULT_PORT})")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--lessons", action="store_true", help="serve the guided lessons (the default)")
    what.add_argument("--inspect", metavar="TARGET", default=None,
                      help="serve the inspector on a model: a zoo name, path/to/file.py:Name or "
                      "package.module:Name")
    parser.add_argument("--input-shape", metavar="SHAPE", default=None,
                        help="with --inspect: shape of a random example input, e.g. 1,3,32,32")
    parser.add_argument("--data-dir", metavar="DIR", type=Path, default=None,
                        help="where each student's progress and files are kept, one folder each "
                        "(default: the minimod data folder's classroom/, e.g. "
                        "~/.local/share/minimod/classroom)")
    parser.add_argument("--max-sessions", type=_whole_number(1), default=30, metavar="N",
                        help="at most N sessions (browser tabs) at once; the next one is told the class is "
                        "full (default 30)")
    parser.add_argument("--idle-timeout", type=_minutes, default=30.0, metavar="MINUTES",
                        help="close a session nobody has typed in for this long (default 30; 0: never)")


def _inspect_arguments(target: str, input_shape: str | None) -> tuple[list[str], str]:
    """The session's `minimod inspect` arguments, with a file TARGET made absolute (a session runs in
    the student's folder), after loading the target once here, so a typo fails now, in one line."""
    from inspector.targets import resolve

    resolved = resolve(target, input_shape)
    location, colon, attribute = target.rpartition(":")
    if colon and (location.endswith(".py") or "/" in location or os.sep in location):
        target = f"{Path(location).expanduser().resolve()}:{attribute}"
    shape = ["--input-shape", input_shape] if input_shape is not None else []
    return ["inspect", target, *shape], f"the inspector on {resolved.name}"


def classroom_from(args: argparse.Namespace):
    """The Classroom that the options describe (its mistakes raised as UserError)."""
    from inspector.classroom.server import Classroom
    from lessons.progress import data_dir

    if args.input_shape is not None and args.inspect is None:
        raise UserError("--input-shape only goes with --inspect TARGET, e.g. minimod serve --inspect "
                        "mlp --input-shape 4,784")
    if args.inspect is not None:
        app_arguments, what = _inspect_arguments(args.inspect, args.input_shape)
    else:
        app_arguments, what = ["lessons"], "the lessons"
    folder = (args.data_dir or data_dir() / "classroom").expanduser().resolve()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the data folder {folder}: {error.strerror}; "
                        "choose another with --data-dir") from None
    shared_cache = os.environ.get("NUMBA_CACHE_DIR")
    return Classroom(
        app_arguments=app_arguments, what=what, data_dir=folder, host=args.host, port=args.port,
        max_sessions=args.max_sessions, idle_timeout=args.idle_timeout * 60,
        numba_cache_dir=Path(shared_cache).resolve() if shared_cache else None,
        # a package.module:Name target imports in a session as it did here
        python_path=[str(Path.cwd())] if args.inspect is not None else [],
    )


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C; a port already in use (or not allowed) is a one-line error."""
    classroom = classroom_from(args)
    from inspector.classroom.server import ClassroomServer

    try:
        ClassroomServer(classroom).serve()
    except OSError as error:
        raise UserError(f"cannot listen on {classroom.host} port {classroom.port}: "
                        f"{error.strerror or error}; choose another with --port (or --host)") from None
    return 0
