"""Column layouts and cell parsing shared by the import kinds.

A :class:`RowReader` turns one row's text cells into typed values and collects a problem
for each bad cell, so a row reports all its mistakes at once. Values of columns the file
does not have are left out of the result: an absent optional column leaves stored data
alone, while an empty cell in a present column clears it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .problems import ImportProblem
from .reading import Row, Table

DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
# Thousands separators are common in spreadsheets ("1,234.50"); they are accepted.
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


@dataclass(frozen=True)
class Layout:
    """The columns of one import kind: required ones, known optional ones, and what each means."""

    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    meaning: dict[str, str] = field(default_factory=dict)

    def header_problems(self, table: Table) -> list[ImportProblem]:
        missing = [c for c in self.required if c not in table.columns]
        if not missing:
            return []
        return [ImportProblem(table.header_line,
                              f"missing required column(s): {', '.join(missing)}; a {self.kind} file needs "
                              f"{', '.join(self.required)}")]


class RowReader:
    """Typed access to one row's cells; bad cells are added to ``problems``."""

    def __init__(self, row: Row, problems: list[ImportProblem]) -> None:
        self.row = row
        self.problems = problems
        self.bad = False
        self.bad_columns: set[str | None] = set()

    def has(self, column: str) -> bool:
        return column in self.row.cells

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(ImportProblem(self.row.line, message, column))
        self.bad = True
        self.bad_columns.add(column)

    def rule_problems(self, problems: dict[str, str], columns: dict[str, str] | None = None) -> None:
        """Add the domain rules' ``field → message`` problems, but not for cells already reported.

        ``columns`` maps a rule's field name to the file's column name where they differ.
        """
        for key, message in problems.items():
            column = (columns or {}).get(key, key)
            if column not in self.bad_columns:
                self.problem(column, message)

    def text(self, column: str, *, required: bool = False) -> str | None:
        value = self.row.cells.get(column, "")
        if not value:
            if required:
                self.problem(column, f"{column} is required")
            return None
        return value

    def _typed(self, column: str, required: bool, parse: Callable[[str], Any], what: str) -> Any:
        value = self.text(column, required=required)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError:
            self.problem(column, f"{value!r} is not {what}")
            return None

    def date(self, column: str, *, required: bool = False) -> date | None:
        result: date | None = self._typed(column, required, parse_date, "a date written YYYY-MM-DD")
        return result

    def decimal(self, column: str, *, required: bool = False) -> Decimal | None:
        result: Decimal | None = self._typed(column, required, parse_decimal, "a number")
        return result


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` only (``date.fromisoformat`` alone also takes ``20221016`` and week dates)."""
    if not DATE_TEXT.match(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_decimal(text: str) -> Decimal:
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    if not DECIMAL_TEXT.match(text):
        raise ValueError(text)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid numbers
        raise ValueError(text) from exc


def chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    """``items`` in slices small enough for an ``IN (...)`` list on any backend."""
    return [items[i:i + size] for i in range(0, len(items), size)]
