"""Find the Graphviz `dot` program: $MINIMOD_DOT, else graphviz-pure beside the interpreter, else `dot`."""

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from minimod.errors import UserError

ENV_VAR = "MINIMOD_DOT"
BUNDLED_NAME = "graphviz-pure"  # installed by the graphviz-pure wheel, a dependency of minimod
INSTALL_HINT = (
    f"cannot find the Graphviz dot program: install it with `pip install graphviz-pure` "
    f"(or your system's graphviz package), or set {ENV_VAR} to its path"
)


class DotNotFoundError(UserError):
    """Neither the bundled graphviz-pure nor a system `dot` could be found."""


def _executable_name(name: str) -> str:
    return f"{name}.exe" if sys.platform == "win32" else name


def _interpreter_script_dirs() -> list[Path]:
    """Where pip puts console programs for the running interpreter: its scheme, then the user scheme."""
    candidates = [
        sysconfig.get_path("scripts"),
        sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")),
        str(Path(sys.executable).parent),
    ]
    dirs: list[Path] = []
    for candidate in candidates:
        if candidate and Path(candidate) not in dirs:
            dirs.append(Path(candidate))
    return dirs


def find_dot() -> str:
    """The path of a `dot` program, called like dot: `[path, "-Tsvg"]` with the DOT text on stdin.

    Order: the program named by $MINIMOD_DOT (a path or a name on PATH); graphviz-pure installed
    beside the running interpreter (its default layout engine is dot, and its flags are dot's);
    `dot` on PATH; graphviz-pure on PATH. Raises DotNotFoundError with a one-line install hint.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        found = shutil.which(override)
        if found is None:
            raise DotNotFoundError(
                f"{ENV_VAR}={override!r} is not an executable program; "
                f"point it at graphviz-pure or dot, or unset it to use the bundled one"
            )
        return found
    bundled = _executable_name(BUNDLED_NAME)
    for directory in _interpreter_script_dirs():
        found = shutil.which(bundled, path=str(directory))
        if found is not None:
            return found
    for name in ("dot", BUNDLED_NAME):
        found = shutil.which(name)
        if found is not None:
            return found
    raise DotNotFoundError(INSTALL_HINT)
