"""Per-district counts for the usage tables, in one grouped SQL query.

One pass over ``project`` marks each project under supervision / construction on the day;
one grouped pass over ``project_record`` (dated up to the day) reduces each project's
records to a bit mask of the kinds it has (one bit per kind) and its number of supervision
records; the join is summed per district. No Python loop over projects or records: the
database does the counting, a few table scans at any size (tests/bench/reports_bench.py).

The mask is one aggregate instead of one per kind, which is what makes the grouped pass
cheap: PostgreSQL ORs the bits with ``bit_or``; SQLite, which has no ``bit_or``, sums the
distinct bits, which is the same number because every bit is a distinct power of two.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.orm import Session

from storage import Project, ProjectRecord, is_postgres
from workflows.reference.status import under_construction, under_supervision

from .tables import Metric

# One bit per kind counted as "the project has used it". Listed most frequent first: the
# database tries the WHEN branches in this order for every record.
FLAG_BITS = {Metric.DAILY_LOG: 1, Metric.SELF_INSPECTION: 2, Metric.ASSIGNED: 4, Metric.BRIEFED: 8,
             Metric.INITIALIZED: 16, Metric.ACCEPTANCE: 32}

Counts = dict[Metric, int]


def _flag(condition):  # type: ignore[no-untyped-def]
    return case((condition, 1), else_=0)


def district_counts(session: Session, as_of: date, districts: Sequence[str]) -> dict[str, Counts]:
    """Every metric for every district in ``districts`` on ``as_of`` (zeros where nothing counts)."""
    projects = select(
        Project.id,
        Project.district,
        _flag(under_supervision(as_of)).label("sup"),
        _flag(under_construction(as_of)).label("con"),
    ).where(Project.district.in_(list(districts))).subquery("p")
    bit = case({Metric.SUPERVISION_RECORDS.value: 0, **{m.value: b for m, b in FLAG_BITS.items()}},
               value=ProjectRecord.kind, else_=0)
    mask = func.bit_or(bit) if is_postgres(session) else func.sum(bit.distinct())
    records = select(
        ProjectRecord.project_id,
        mask.label("mask"),
        func.sum(cast(ProjectRecord.kind == Metric.SUPERVISION_RECORDS.value, Integer)).label("n_records"),
    ).where(ProjectRecord.occurred_on <= as_of).group_by(ProjectRecord.project_id).subquery("r")
    p, r = projects.c, records.c
    sup, con = p.sup == 1, p.con == 1
    columns = [
        func.sum(p.sup).label(Metric.SUPERVISED.value),
        func.sum(p.con).label(Metric.CONSTRUCTED.value),
        func.sum(case((sup, r.n_records), else_=0)).label(Metric.SUPERVISION_RECORDS.value),
    ]
    for metric, value in FLAG_BITS.items():
        # Initialization is counted among the projects under construction (its ratio's base).
        among = con if metric is Metric.INITIALIZED else sup
        columns.append(func.sum(_flag(and_(among, r.mask.op("&")(value) != 0))).label(metric.value))
    stmt = (select(p.district, *columns)
            .select_from(projects.outerjoin(records, r.project_id == p.id))
            .group_by(p.district))
    result: dict[str, Counts] = {name: dict.fromkeys(Metric, 0) for name in districts}
    for row in session.execute(stmt).mappings():
        result[row["district"]] = {metric: int(row[metric.value] or 0) for metric in Metric}
    return result
