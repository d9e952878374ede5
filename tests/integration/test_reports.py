"""The usage tables on a small, hand-computed city (both databases).

Guards against fitting seed 000's published table: different numbers, a district with
no project at all, records dated after the report date, projects whose supervision ended on
or before it, a project under construction but not under supervision, half-up rounding,
and events recorded by live cases beside imported ones.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import Project, record_project_event
from web.config import NINGBO_DISTRICTS
from workflows.reference.imports import run_import
from workflows.reports import build_report, render
from workflows.reports.formats import as_json

AS_OF = date(2024, 3, 31)
NOW = datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc)
HEADER = ("project_code,name,district,floor_area_m2,contract_value_cny,supervision_start,supervision_end,"
          "construction_start,construction_end")
PROJECTS = [
    # 海曙区
    "HS1,海曙一号,海曙区,,,2024-01-01,,2024-01-10,",
    "HS2,海曙二号(已结束),海曙区,,,2023-06-01,2024-03-31,2023-06-10,2024-03-31",
    "HS3,海曙三号(当天开始),海曙区,,,2024-03-31,,,",
    "HS4,海曙四号(未开始),海曙区,,,2024-04-01,,,",
    "HS5,海曙五号(仅在建),海曙区,,,,,2024-02-01,",
    # 江北区
    "JB1,江北一号,江北区,,,2023-01-01,2025-01-01,2023-02-01,",
    "JB2,江北二号,江北区,,,2023-05-05,,,",
    "JB3,江北三号(施工已结束),江北区,,,2023-07-07,,2023-08-01,2024-01-31",
    # 镇海区: 32 projects, all under supervision and construction
    *(f"ZH{i},镇海{i}号,镇海区,,,2024-01-01,,2024-01-15," for i in range(1, 33)),
    # 北仑区: 8 projects under supervision only
    *(f"BL{i},北仑{i}号,北仑区,,,2023-09-01,,," for i in range(1, 9)),
]
RECORDS = [
    "HS1,assignment,2024-01-02", "HS1,supervision_record,2024-02-01", "HS1,supervision_record,2024-02-01",
    "HS1,supervision_record,2024-03-31", "HS1,initialization,2024-01-20", "HS1,daily_log,2024-03-01",
    "HS1,self_inspection,2024-04-01",
    *(f"HS2,{k},2024-01-05" for k in ("assignment", "briefing", "supervision_record", "supervision_record",
                                      "initialization", "daily_log", "self_inspection", "acceptance")),
    "HS3,assignment,2024-03-31", "HS3,initialization,2024-03-31", "HS3,supervision_record,2024-04-02",
    "HS4,assignment,2024-03-30",
    "HS5,initialization,2024-02-02", "HS5,daily_log,2024-02-03",
    "JB1,assignment,2023-01-02", "JB1,supervision_record,2023-06-01", "JB1,acceptance,2024-03-01",
    "JB1,self_inspection,2024-03-05", "JB1,self_inspection,2024-03-05",
    "JB2,supervision_record,2023-06-02", "JB2,daily_log,2023-06-03",
    "JB3,initialization,2023-08-02", "JB3,briefing,2023-07-08",
    "ZH1,acceptance,2024-03-01", *(f"ZH{i},initialization,2024-01-16" for i in range(1, 5)),
    *(f"ZH{i},assignment,2024-01-02" for i in range(1, 32)), "ZH32,assignment,2024-04-01",
    "BL1,briefing,2023-09-05", "BL1,supervision_record,2023-10-01", "BL2,self_inspection,2024-01-01",
]
ZERO_1 = ["0", "0", "0", "0.00%", "0", "0.00%", "0", "0.00"]
ZERO_2 = ["0", "0", "0", "0.00%", "0", "0.00%", "0", "0.00%", "0", "0.00%"]
EXPECTED_SUPERVISION = {
    "海曙区": ["2", "2", "2", "100.00%", "1", "50.00%", "3", "1.50"],
    "江北区": ["3", "1", "1", "33.33%", "1", "33.33%", "2", "0.67"],
    "镇海区": ["32", "32", "31", "96.88%", "0", "0.00%", "0", "0.00"],
    "北仑区": ["8", "0", "0", "0.00%", "1", "12.50%", "1", "0.13"],
    "合计": ["45", "35", "34", "75.56%", "3", "6.67%", "6", "0.13"],
}
EXPECTED_PROJECT = {
    "海曙区": ["2", "2", "2", "100.00%", "1", "50.00%", "0", "0.00%", "0", "0.00%"],
    "江北区": ["3", "1", "0", "0.00%", "1", "33.33%", "1", "33.33%", "1", "33.33%"],
    "镇海区": ["32", "32", "4", "12.50%", "0", "0.00%", "0", "0.00%", "1", "3.13%"],
    "北仑区": ["8", "0", "0", "0.00%", "0", "0.00%", "1", "12.50%", "0", "0.00%"],
    "合计": ["45", "35", "6", "17.14%", "2", "4.44%", "2", "4.44%", "2", "4.44%"],
}


def expected(table: dict[str, list[str]], zero: list[str]) -> list[list[str]]:
    return [[name, *table.get(name, zero)] for name in [*NINGBO_DISTRICTS, "合计"]]


@pytest.fixture
def city(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as s:
        run_import(s, "projects", "\n".join([HEADER, *PROJECTS]).encode(), districts=NINGBO_DISTRICTS, now=NOW,
                   today=NOW.date())
        run_import(s, "records", "\n".join(["project_code,kind,date", *RECORDS]).encode(),
                   districts=NINGBO_DISTRICTS, now=NOW, today=NOW.date())
        # One briefing recorded by a live supervision case rather than imported.
        hs1 = s.scalars(select(Project.id).where(Project.code == "HS1")).one()
        record_project_event(s, hs1, "briefing", date(2024, 1, 15), now=NOW)
    return session_factory


def test_supervision_usage(city: sessionmaker[Session]) -> None:
    with city() as s:
        report = build_report(s, "supervision-usage", AS_OF, NINGBO_DISTRICTS)
    assert report.rows == expected(EXPECTED_SUPERVISION, ZERO_1)


def test_project_usage(city: sessionmaker[Session]) -> None:
    with city() as s:
        report = build_report(s, "project-usage", AS_OF, NINGBO_DISTRICTS)
    assert report.rows == expected(EXPECTED_PROJECT, ZERO_2)


def test_nothing_after_as_of_counts(city: sessionmaker[Session]) -> None:
    with city() as s:
        before = build_report(s, "supervision-usage", date(2023, 12, 31), NINGBO_DISTRICTS)
        later = build_report(s, "supervision-usage", date(2024, 4, 1), NINGBO_DISTRICTS)
    rows = {r[0]: r[1:] for r in before.rows}
    # On 2023-12-31 HS2 is supervised and building but its records (2024-01-05) are still to come;
    # 镇海 starts in 2024; 北仑's briefing and record are earlier.
    assert rows["海曙区"] == ["1", "1", "0", "0.00%", "0", "0.00%", "0", "0.00"]
    assert rows["镇海区"] == ZERO_1
    assert rows["北仑区"] == ["8", "0", "0", "0.00%", "1", "12.50%", "1", "0.13"]
    # A day later HS4 starts (its earlier assignment now counts) and ZH32 is assigned.
    later_rows = {r[0]: r[1:] for r in later.rows}
    assert later_rows["海曙区"][:4] == ["3", "2", "3", "100.00%"]
    assert later_rows["镇海区"][:4] == ["32", "32", "32", "100.00%"]


def test_districts_come_from_configuration(city: sessionmaker[Session]) -> None:
    with city() as s:
        report = build_report(s, "project-usage", AS_OF, ["北仑区", "海曙区"])
    assert [r[0] for r in report.rows] == ["北仑区", "海曙区", "合计"]
    assert report.rows[-1][:5] == ["合计", "10", "2", "2", "100.00%"]


def test_formats_carry_the_same_cells(city: sessionmaker[Session]) -> None:
    with city() as s:
        report = build_report(s, "supervision-usage", AS_OF, NINGBO_DISTRICTS)
    body = as_json(report)
    assert body["as_of"] == "2024-03-31" and body["columns"][0] == "区域"
    assert body["rows"][-1] == dict(zip(report.columns, ["合计", *EXPECTED_SUPERVISION["合计"]]))
    csv = render(report, "csv")
    assert csv.body.startswith(b"\xef\xbb\xbf") and csv.filename == "supervision-usage-2024-03-31.csv"
    lines = csv.body.decode("utf-8-sig").split("\r\n")
    assert lines[0] == ",".join(report.columns) and lines[-2] == "合计,45,35,34,75.56%,3,6.67%,6,0.13"
