"""The ``enterprises`` import: one row per enterprise, identified by its credit code.

A new code creates the enterprise, an identical row changes nothing, a changed row updates
the columns the file has.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from storage import Enterprise

from ..validation import enterprise_problems
from .cells import Layout, RowReader, chunks
from .plan import ImportContext, Plan
from .reading import Table

TABLE = "enterprise"  # analyzed after a large import
LAYOUT = Layout(
    kind="enterprises",
    required=("credit_code", "name"),
    optional=("kind", "legal_representative", "address", "district"),
    meaning={
        "credit_code": "unified social credit code (统一社会信用代码): 18 characters, upper case, valid check character",
        "name": "registered name",
        "kind": "e.g. builder, contractor, supervisor, design, survey (free text, at most 40 characters)",
        "legal_representative": "法定代表人",
        "address": "registered address",
        "district": "one of the configured districts, if the enterprise is local",
    },
)
OPTIONAL_TEXT = ("kind", "legal_representative", "address", "district")


def plan(table: Table, ctx: ImportContext) -> Plan:
    result = Plan(rows=len(table.rows), problems=list(table.problems))
    result.problems += LAYOUT.header_problems(table)
    if any(p.line == table.header_line for p in result.problems):
        return result
    parsed: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    for done, row in enumerate(table.rows, start=1):
        reader = RowReader(row, result.problems)
        values = _values(reader, ctx.districts)
        code = values.get("code")
        if code and code in first_line:
            reader.problem("credit_code", f"duplicate credit_code {code} (first on line {first_line[code]})")
        elif code:
            first_line[code] = row.line
        if not reader.bad:
            parsed.append(values)
        ctx.tick("checking", done, len(table.rows))
    if result.problems:
        return result
    existing: dict[str, Enterprise] = {}
    for part in chunks([v["code"] for v in parsed]):
        existing.update((e.code, e) for e in ctx.session.scalars(select(Enterprise).where(Enterprise.code.in_(part))))
    creates, updates = [], []
    for values in parsed:
        enterprise = existing.get(values["code"])
        if enterprise is None:
            creates.append(values)
        elif any(getattr(enterprise, k) != v for k, v in values.items()):
            updates.append((enterprise, values))
    result.created, result.updated = len(creates), len(updates)
    result.unchanged = len(parsed) - len(creates) - len(updates)

    def store() -> None:
        total = len(creates) + len(updates)
        for done, values in enumerate(creates, start=1):
            ctx.session.add(Enterprise(**values, created_at=ctx.now))
            ctx.tick("storing", done, total)
        for done, (enterprise, values) in enumerate(updates, start=len(creates) + 1):
            for key, value in values.items():
                setattr(enterprise, key, value)
            enterprise.updated_at = ctx.now
            ctx.tick("storing", done, total)
        ctx.session.flush()

    result.apply = store
    return result


def _values(reader: RowReader, districts: Collection[str]) -> dict[str, Any]:
    values: dict[str, Any] = {"code": reader.text("credit_code", required=True),
                              "name": reader.text("name", required=True)}
    for column in OPTIONAL_TEXT:
        if reader.has(column):
            values[column] = reader.text(column)
    reader.rule_problems(enterprise_problems(values, districts), {"code": "credit_code"})
    return values
