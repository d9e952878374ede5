"""The ``records`` import: dated events of existing projects (assignments, briefings, logs …).

Each row is one event. Rows are identified by ``(project_code, kind, date, n)`` where ``n``
counts the identical rows before it in the same file, hashed into ``external_ref``: importing
the file again finds every event stored and adds nothing, while two identical rows (two
supervision records on one day) stay two events.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import insert, select

from storage import RECORD_KINDS, Project, ProjectRecord

from .cells import Layout, RowReader, chunks
from .plan import ImportContext, Plan
from .problems import ImportProblem
from .reading import Table

SOURCE = "import"
INSERT_BATCH = 5000
TABLE = "project_record"  # analyzed after a large import
LAYOUT = Layout(
    kind="records",
    required=("project_code", "kind", "date"),
    optional=(),
    meaning={
        "project_code": "code of a project already registered (import the projects first)",
        "kind": "one of " + ", ".join(RECORD_KINDS),
        "date": "the day the event happened, YYYY-MM-DD, not in the future",
    },
)


def external_ref(project_code: str, kind: str, day: date, occurrence: int) -> str:
    """The identity of an imported event (stable across imports of the same file)."""
    digest = hashlib.sha256(f"{project_code}\x1f{kind}\x1f{day.isoformat()}\x1f{occurrence}".encode()).hexdigest()
    return f"imp1:{digest}"


def plan(table: Table, ctx: ImportContext) -> Plan:
    result = Plan(rows=len(table.rows), problems=list(table.problems))
    result.problems += LAYOUT.header_problems(table)
    if any(p.line == table.header_line for p in result.problems):
        return result
    parsed: list[tuple[int, str, str, date]] = []
    for done, row in enumerate(table.rows, start=1):
        reader = RowReader(row, result.problems)
        code = reader.text("project_code", required=True)
        kind = reader.text("kind", required=True)
        day = reader.date("date", required=True)
        if kind and kind not in RECORD_KINDS:
            reader.problem("kind", f"unknown kind {kind!r}; kinds are {', '.join(RECORD_KINDS)}")
        if day and day > ctx.today:
            reader.problem("date", f"{day.isoformat()} is in the future")
        if not reader.bad:
            assert code and kind and day
            parsed.append((row.line, code, kind, day))
        ctx.tick("checking", done, len(table.rows))
    project_ids = _project_ids(ctx, sorted({code for _, code, _, _ in parsed}))
    for line, code, _, _ in parsed:
        if code not in project_ids:
            result.problems.append(ImportProblem(line, f"no project has the code {code!r} (import the projects first)",
                                                 "project_code"))
    if result.problems:
        return result
    seen: Counter[tuple[str, str, date]] = Counter()
    wanted: list[dict[str, Any]] = []
    for _, code, kind, day in parsed:
        occurrence = seen[(code, kind, day)]
        seen[(code, kind, day)] += 1
        wanted.append({"project_id": project_ids[code], "kind": kind, "occurred_on": day, "source": SOURCE,
                       "external_ref": external_ref(code, kind, day, occurrence), "created_at": ctx.now})
    stored = _stored_refs(ctx, [w["external_ref"] for w in wanted])
    new = [w for w in wanted if w["external_ref"] not in stored]
    result.created, result.unchanged = len(new), len(wanted) - len(new)

    def store() -> None:
        for start in range(0, len(new), INSERT_BATCH):
            batch = new[start:start + INSERT_BATCH]
            ctx.session.execute(insert(ProjectRecord), batch)
            ctx.tick("storing", start + len(batch), len(new))

    result.apply = store
    return result


def _project_ids(ctx: ImportContext, codes: list[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for part in chunks(codes):
        for code, project_id in ctx.session.execute(select(Project.code, Project.id).where(Project.code.in_(part))):
            ids[code] = project_id
    return ids


def _stored_refs(ctx: ImportContext, refs: list[str]) -> set[str]:
    stored: set[str] = set()
    for part in chunks(refs):
        stored.update(ctx.session.scalars(select(ProjectRecord.external_ref).where(
            ProjectRecord.source == SOURCE, ProjectRecord.external_ref.in_(part))))
    return stored
