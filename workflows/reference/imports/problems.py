"""What an import reports: one problem per bad cell or line, and the refusal that lists them all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import FieldErrors


@dataclass(frozen=True, order=True)
class ImportProblem:
    """One thing wrong with an import file: the line (1 = header), the column if any, why."""

    line: int
    message: str
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line}
        if self.column is not None:
            out["column"] = self.column
        out["message"] = self.message
        return out


class ImportInvalid(FieldErrors):
    """The file was refused as a whole; ``details`` lists every problem found, by line.

    A ``FieldErrors`` (400) whose details are a list of ``{line, column?, message}``.
    """

    code = "invalid_import"

    def __init__(self, problems: list[ImportProblem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.line, p.column or "", p.message))
        super().__init__({}, f"the file was not imported: {len(ordered)} problem(s); nothing was stored")
        self.problems = ordered
        self.details = [p.as_dict() for p in ordered]
