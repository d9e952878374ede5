"""The README lists every OVERSITE_* setting (issue 2: a table of every variable and default)."""
from __future__ import annotations

from pathlib import Path

from web.config import DEFAULTS

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    missing = [key for key in DEFAULTS if f"`OVERSITE_{key}`" not in text]
    assert missing == []
