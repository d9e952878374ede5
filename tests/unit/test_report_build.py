"""Usage-table cells: the published bases, half-up rounding, empty bases, the 合计 row."""
from __future__ import annotations

from datetime import date

import pytest

from tests.data import seed000_tables as seed
from tests.data.usage_files import published_counts
from workflows.reports import PROJECT_USAGE, SUPERVISION_USAGE, Metric, average, percent
from workflows.reports.build import table_rows

DISTRICTS = [row[0] for row in seed.SUPERVISION_USAGE[:-1]]


def metric_counts() -> dict[str, dict[Metric, int]]:
    out = {}
    for name, c in published_counts().items():
        out[name] = {Metric.SUPERVISED: c.supervised, Metric.CONSTRUCTED: c.constructed, Metric.ASSIGNED: c.assigned,
                     Metric.BRIEFED: c.briefed, Metric.SUPERVISION_RECORDS: c.supervision_records,
                     Metric.INITIALIZED: c.initialized, Metric.DAILY_LOG: c.daily_log,
                     Metric.SELF_INSPECTION: c.self_inspection, Metric.ACCEPTANCE: c.acceptance}
    return out


def test_the_headers_are_the_published_ones() -> None:
    assert ["区域", *(c.header for c in SUPERVISION_USAGE.columns)] == seed.SUPERVISION_USAGE_HEADER
    assert ["区域", *(c.header for c in PROJECT_USAGE.columns)] == seed.PROJECT_USAGE_HEADER


@pytest.mark.parametrize(("spec", "published"), [(SUPERVISION_USAGE, seed.SUPERVISION_USAGE),
                                                 (PROJECT_USAGE, seed.PROJECT_USAGE)])
def test_the_published_integers_give_every_published_cell(spec, published) -> None:  # type: ignore[no-untyped-def]
    assert table_rows(spec, metric_counts(), DISTRICTS) == published


def test_the_initialized_ratio_is_on_the_projects_under_construction() -> None:
    # 市本级: 127 initialized, 144 under supervision, 136 under construction.
    assert percent(127, 136) == "93.38%" != percent(127, 144)
    (column,) = [c for c in PROJECT_USAGE.columns if c.header == "已初始化项目占比"]
    assert column.base is Metric.CONSTRUCTED
    assert all(c.base in (None, Metric.SUPERVISED) for c in [*SUPERVISION_USAGE.columns, *PROJECT_USAGE.columns]
               if c is not column)


@pytest.mark.parametrize(("count", "base", "text"), [
    (1, 32, "3.13%"),     # 3.125: half up, not half even (3.12%)
    (1, 8, "12.50%"),
    (2, 3, "66.67%"),
    (1, 3, "33.33%"),
    (412, 412, "100.00%"),
    (0, 215, "0.00%"),
    (5, 0, "0.00%"),      # no project to divide by
    (3, 2, "150.00%"),
])
def test_percent(count: int, base: int, text: str) -> None:
    assert percent(count, base) == text


@pytest.mark.parametrize(("total", "base", "text"), [
    (1, 8, "0.13"),        # 0.125 half up
    (3, 8, "0.38"),        # 0.375 half up
    (212, 144, "1.47"),
    (0, 215, "0.00"),
    (7, 0, "0.00"),
    (2735, 2907, "0.94"),
])
def test_average(total: int, base: int, text: str) -> None:
    assert average(total, base) == text


def test_the_total_row_divides_the_sums_not_the_ratios() -> None:
    counts = {"甲": dict.fromkeys(Metric, 0), "乙": dict.fromkeys(Metric, 0)}
    counts["甲"].update({Metric.SUPERVISED: 1, Metric.ASSIGNED: 1})
    counts["乙"].update({Metric.SUPERVISED: 3, Metric.ASSIGNED: 0})
    rows = table_rows(SUPERVISION_USAGE, counts, ["甲", "乙"])
    assert rows[0][4] == "100.00%" and rows[1][4] == "0.00%"
    assert rows[2][:5] == ["合计", "4", "0", "1", "25.00%"]  # not the mean of 100% and 0%


def test_rows_follow_the_configured_order() -> None:
    counts = {name: dict.fromkeys(Metric, 0) for name in ("b", "a", "c")}
    assert [r[0] for r in table_rows(PROJECT_USAGE, counts, ["c", "a", "b"])] == ["c", "a", "b", "合计"]
    assert seed.AS_OF == date(2022, 10, 16)
