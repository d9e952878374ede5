"""Import files that encode given per-district usage counts (used with seed 000's tables).

:func:`usage_files` turns the integers of a usage table into a ``projects`` CSV and a
``records`` CSV which, imported, make the reports show exactly those integers on ``as_of`` —
plus noise that must not count: projects whose supervision ended on or before ``as_of`` or
starts after it (with records of every kind), records dated after ``as_of``, repeated
records of one project, and initialization records of projects not under construction.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

from tests.data import seed000_tables as seed

PROJECT_COLUMNS = ["project_code", "name", "district", "floor_area_m2", "contract_value_cny", "supervision_start",
                   "supervision_end", "construction_start", "construction_end"]
KINDS = ("assignment", "briefing", "supervision_record", "initialization", "daily_log", "self_inspection",
         "acceptance")


@dataclass(frozen=True)
class Counts:
    supervised: int
    constructed: int
    assigned: int
    briefed: int
    supervision_records: int
    initialized: int
    daily_log: int
    self_inspection: int
    acceptance: int


def published_counts() -> dict[str, Counts]:
    """Per district, the integers of seed 000's attachments 1 and 2 (the 合计 row left out)."""
    out = {}
    for sup_row, proj_row in zip(seed.SUPERVISION_USAGE[:-1], seed.PROJECT_USAGE[:-1]):
        assert sup_row[0] == proj_row[0] and sup_row[1:3] == proj_row[1:3]
        out[sup_row[0]] = Counts(int(sup_row[1]), int(sup_row[2]), int(sup_row[3]), int(sup_row[5]),
                                 int(sup_row[7]), int(proj_row[3]), int(proj_row[5]), int(proj_row[7]),
                                 int(proj_row[9]))
    return out


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def usage_files(counts: dict[str, Counts], as_of: date) -> tuple[bytes, bytes]:
    """``(projects_csv, records_csv)`` reproducing ``counts`` on ``as_of``."""
    projects: list[list[str]] = []
    records: list[list[str]] = []

    def rec(code: str, kind: str, when: date) -> None:
        records.append([code, kind, when.isoformat()])

    for d_index, (district, c) in enumerate(counts.items()):
        assert c.constructed <= c.supervised, "the builder puts every 在建 project among the 在监 ones"
        codes = []
        for i in range(c.supervised):
            code = f"D{d_index:02d}-{i:04d}"
            codes.append(code)
            start = as_of - timedelta(days=1 + i % 400) if i else as_of  # the first starts on as_of itself
            # Some periods end after as_of (still running on as_of), the last one the next day.
            sup_end = "" if i % 5 else (as_of + timedelta(days=1 + i % 30)).isoformat()
            con_start = con_end = ""
            if i < c.constructed:
                con_start = min(start + timedelta(days=3), as_of).isoformat()
                con_end = "" if i % 7 else (as_of + timedelta(days=1)).isoformat()
            projects.append([code, f"{district}测试项目{i}", district, f"{1000 + i}.50", f"{(1000 + i) * 3000}",
                             start.isoformat(), sup_end, con_start, con_end])
        # Flags: the first n supervised projects, walking from different ends so the sets differ.
        for kind, n, reverse in (("assignment", c.assigned, False), ("briefing", c.briefed, True),
                                 ("daily_log", c.daily_log, False), ("self_inspection", c.self_inspection, True),
                                 ("acceptance", c.acceptance, False)):
            chosen = codes[::-1][:n] if reverse else codes[:n]
            for j, code in enumerate(chosen):
                rec(code, kind, as_of - timedelta(days=j % 3))
                if j % 4 == 0:
                    rec(code, kind, as_of - timedelta(days=10))  # a second record of the same project
            for code in codes[::-1][:2] if not reverse else codes[:2]:
                if code not in chosen:
                    rec(code, kind, as_of + timedelta(days=1))  # after as_of: never counts
        for j, code in enumerate(codes[:c.initialized]):  # initialized: among the 在建 (the first ones)
            assert j < c.constructed
            rec(code, "initialization", as_of - timedelta(days=j % 5))
        for code in codes[c.constructed:c.constructed + 3]:
            rec(code, "initialization", as_of)  # 在监 but not 在建: not an initialized 在建 project
        for j in range(c.supervision_records):  # supervision records, round robin, some on one day
            rec(codes[j % len(codes)], "supervision_record", as_of - timedelta(days=(j // len(codes)) % 2))
        if codes:
            rec(codes[0], "supervision_record", as_of + timedelta(days=2))
        # Noise projects: supervision ended on as_of, ended before, or starting the day after.
        for k, (start, end) in enumerate(((as_of - timedelta(days=300), as_of),
                                          (as_of - timedelta(days=900), as_of - timedelta(days=100)),
                                          (as_of + timedelta(days=1), None))):
            code = f"D{d_index:02d}-X{k}"
            projects.append([code, f"{district}已结束项目{k}", district, "", "", start.isoformat(),
                             end.isoformat() if end else "", start.isoformat(), end.isoformat() if end else ""])
            for kind in KINDS:
                rec(code, kind, min(as_of, max(start, as_of - timedelta(days=200))))
    return _csv(PROJECT_COLUMNS, projects), _csv(["project_code", "kind", "date"], records)
