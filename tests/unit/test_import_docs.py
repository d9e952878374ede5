"""The README documents every column of every import kind."""
from __future__ import annotations

from pathlib import Path

from storage import RECORD_KINDS
from workflows.reference.imports import LAYOUTS

DOC = Path(__file__).resolve().parents[2] / "README.md"


def test_every_kind_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, layout in LAYOUTS.items():
        section = text.split(f"### `{kind}`", 1)[1].split("###", 1)[0]
        for column in (*layout.required, *layout.optional):
            assert f"| `{column}` |" in section, (kind, column)
    for kind in RECORD_KINDS:
        assert f"`{kind}`" in text
