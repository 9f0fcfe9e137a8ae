"""Find the files shipped in assets/: stylesheets and lesson media, installed or in a checkout."""

from pathlib import Path

from minimod.errors import UserError

_PACKAGE_DIR = Path(__file__).resolve().parent
# An installed wheel has inspector/assets; an editable install or a plain checkout has the
# repository's top-level assets/ beside the inspector package.
ASSET_ROOTS = (_PACKAGE_DIR / "assets", _PACKAGE_DIR.parent / "assets")


class MissingAssetError(UserError, FileNotFoundError):
    """A file that minimod ships is not where the installation should have put it."""


def asset_path(*parts: str) -> Path:
    """The path of assets/<parts...> (a file or a folder); with no parts, the assets folder itself."""
    for root in ASSET_ROOTS:
        path = root.joinpath(*parts)
        if root.is_dir() and path.exists():
            return path
    wanted = "/".join(parts) or "the assets folder"
    searched = " or ".join(str(root) for root in ASSET_ROOTS)
    raise MissingAssetError(
        f"cannot find asset {wanted} in {searched}; reinstall minimod (pip install -e . in a clone)"
    )
