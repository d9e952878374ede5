"""Building a usage table as text cells, exactly as the bureau prints them.

Ratios are rounded half up (四舍五入) to two decimals — the published figures fit both
half-up and half-even, and half-up is the rule Chinese statistics use. A ratio or average
over an empty base (a district with no project under supervision) prints as 0.00.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.orm import Session

from .counts import Counts, district_counts
from .tables import DISTRICT_HEADER, TABLES, TOTAL_LABEL, Column, Kind, Metric, TableSpec

HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Report:
    """A finished table: its headers, and one row of text cells per district plus the total."""

    spec: TableSpec
    as_of: date
    columns: list[str]
    rows: list[list[str]]

    @property
    def kinds(self) -> list[Kind | None]:
        """Per column: None for the district name, then each column's kind."""
        return [None, *(c.kind for c in self.spec.columns)]

    def as_dicts(self) -> list[dict[str, str]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


def percent(count: int, base: int) -> str:
    """``count / base`` as a percentage with two decimals: ``98.61%``."""
    if base == 0:
        return "0.00%"
    return f"{(Decimal(count) * 100 / Decimal(base)).quantize(HUNDREDTH, ROUND_HALF_UP)}%"


def average(total: int, base: int) -> str:
    """``total / base`` with two decimals: ``1.47``."""
    if base == 0:
        return "0.00"
    return str((Decimal(total) / Decimal(base)).quantize(HUNDREDTH, ROUND_HALF_UP))


def cell(column: Column, counts: Counts) -> str:
    value = counts[column.metric]
    if column.kind is Kind.COUNT:
        return str(value)
    assert column.base is not None
    if column.kind is Kind.PERCENT:
        return percent(value, counts[column.base])
    return average(value, counts[column.base])


def table_rows(spec: TableSpec, counts: dict[str, Counts], districts: Sequence[str]) -> list[list[str]]:
    """The district rows in configured order, then 合计 (its ratios computed on the summed counts)."""
    total: Counts = {metric: sum(counts[d][metric] for d in districts) for metric in Metric}
    rows = [[name, *(cell(c, counts[name]) for c in spec.columns)] for name in districts]
    rows.append([TOTAL_LABEL, *(cell(c, total) for c in spec.columns)])
    return rows


def build_report(session: Session, name: str, as_of: date, districts: Sequence[str]) -> Report:
    """The usage table ``name`` (``supervision-usage`` or ``project-usage``) on ``as_of``.

    Raises:
        KeyError: an unknown report name.
    """
    spec = TABLES[name]
    counts = district_counts(session, as_of, districts)
    return Report(spec, as_of, [DISTRICT_HEADER, *(c.header for c in spec.columns)],
                  table_rows(spec, counts, districts))
