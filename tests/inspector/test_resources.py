"""asset_path: files under assets/, found in a checkout (installed wheels are covered by test_packaging)."""

from pathlib import Path

import pytest

from inspector import resources
from minimod.errors import UserError

REPO = Path(__file__).resolve().parents[2]


def test_checkout_finds_the_top_level_assets_folder() -> None:
    assert resources.asset_path() == REPO / "assets"
    assert resources.asset_path("inspector.tcss") == REPO / "assets" / "inspector.tcss"


def test_installed_layout_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed, checkout = tmp_path / "site" / "inspector" / "assets", tmp_path / "assets"
    for root in (installed, checkout):
        (root / "lessons").mkdir(parents=True)
        (root / "lessons" / "figure.svg").write_text("<svg/>")
    monkeypatch.setattr(resources, "ASSET_ROOTS", (installed, checkout))
    assert resources.asset_path("lessons", "figure.svg") == installed / "lessons" / "figure.svg"


def test_missing_asset_is_a_one_line_user_error() -> None:
    with pytest.raises(resources.MissingAssetError) as error:
        resources.asset_path("no-such-stylesheet.tcss")
    assert isinstance(error.value, UserError) and isinstance(error.value, FileNotFoundError)
    message = str(error.value)
    assert "no-such-stylesheet.tcss" in message and "reinstall" in message and "\n" not in message
