"""The ``projects`` import: one row per project, identified by ``project_code``.

A new code creates the project, an identical row changes nothing, a changed row updates
the columns the file has. The optional party columns (``builder_code`` …) name registered
enterprises by credit code and replace that role's party on the project.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select

from storage import Enterprise, Project, ProjectParty

from ..districts import sync_districts
from ..validation import credit_code_problem, project_problems
from .cells import Layout, RowReader, chunks
from .plan import ImportContext, Plan
from .reading import Table

DATE_COLUMNS = ("supervision_start", "supervision_end", "construction_start", "construction_end")
DECIMAL_COLUMNS = ("floor_area_m2", "contract_value_cny")
PARTY_COLUMNS = {"builder_code": "builder", "contractor_code": "contractor", "supervisor_code": "supervisor"}
TABLE = "project"  # analyzed after a large import
LAYOUT = Layout(
    kind="projects",
    required=("project_code", "name", "district", *DECIMAL_COLUMNS, *DATE_COLUMNS),
    optional=("address", *PARTY_COLUMNS),
    meaning={
        "project_code": "the project's unique code (at most 64 characters, no spaces)",
        "name": "project name",
        "district": "one of the configured districts (DISTRICTS), e.g. 海曙区",
        "floor_area_m2": "floor area in m², ≥ 0, at most two decimals (may be empty)",
        "contract_value_cny": "contract value in yuan, ≥ 0, at most two decimals (may be empty)",
        "supervision_start": "first day under supervision (在监), YYYY-MM-DD (may be empty)",
        "supervision_end": "day supervision ended, empty while it goes on; not before supervision_start",
        "construction_start": "first day under construction (在建), YYYY-MM-DD (may be empty)",
        "construction_end": "day construction ended, empty while it goes on; not before construction_start",
        "address": "site address",
        "builder_code": "credit code of the builder (建设单位), a registered enterprise",
        "contractor_code": "credit code of the contractor (施工单位), a registered enterprise",
        "supervisor_code": "credit code of the supervising engineer (监理单位), a registered enterprise",
    },
)
# Project attribute → import column (the others have the same name).
ATTRIBUTE_COLUMN = {"code": "project_code"}


def plan(table: Table, ctx: ImportContext) -> Plan:
    result = Plan(rows=len(table.rows), problems=list(table.problems))
    result.problems += LAYOUT.header_problems(table)
    if any(p.line == table.header_line for p in result.problems):
        return result
    readers: list[tuple[RowReader, dict[str, Any], dict[str, str | None]]] = []
    first_line: dict[str, int] = {}
    for done, row in enumerate(table.rows, start=1):
        reader = RowReader(row, result.problems)
        values = _values(reader, ctx.districts)
        parties = _parties(reader)
        code = values.get("code")
        if code and code in first_line:
            reader.problem("project_code", f"duplicate project_code {code!r} (first on line {first_line[code]})")
        elif code:
            first_line[code] = row.line
        readers.append((reader, values, parties))
        ctx.tick("checking", done, len(table.rows))
    known = _known_enterprises(ctx, {c for _, _, p in readers for c in p.values() if c})
    for reader, _values_, parties in readers:
        for column, code in parties.items():
            if code and code not in known and column not in reader.bad_columns:
                reader.problem(column, f"no registered enterprise has the code {code} (import the enterprises first)")
    if result.problems:
        return result
    parsed = [(reader.row.line, values, parties) for reader, values, parties in readers]
    existing = _existing(ctx, [values["code"] for _, values, _ in parsed])
    creates, updates = [], []
    for _line, values, parties in parsed:
        project = existing.get(values["code"])
        if project is None:
            creates.append((values, parties))
        elif _differs(project, values, parties):
            updates.append((project, values, parties))
    result.created, result.updated = len(creates), len(updates)
    result.unchanged = len(parsed) - len(creates) - len(updates)
    result.apply = lambda: _store(ctx, creates, updates)
    return result


def _values(reader: RowReader, districts: Collection[str]) -> dict[str, Any]:
    values: dict[str, Any] = {"code": reader.text("project_code", required=True),
                              "name": reader.text("name", required=True),
                              "district": reader.text("district", required=True)}
    if reader.has("address"):
        values["address"] = reader.text("address")
    for column in DECIMAL_COLUMNS:
        values[column] = reader.decimal(column)
    for column in DATE_COLUMNS:
        values[column] = reader.date(column)
    reader.rule_problems(project_problems(values, districts), ATTRIBUTE_COLUMN)
    return values


def _parties(reader: RowReader) -> dict[str, str | None]:
    parties: dict[str, str | None] = {}
    for column in PARTY_COLUMNS:
        if reader.has(column):
            code = reader.text(column)
            if code:
                problem = credit_code_problem(code)
                if problem:
                    reader.problem(column, problem)
            parties[column] = code
    return parties


def _known_enterprises(ctx: ImportContext, codes: set[str]) -> set[str]:
    known: set[str] = set()
    for part in chunks(sorted(codes)):
        known.update(ctx.session.scalars(select(Enterprise.code).where(Enterprise.code.in_(part))))
    return known


def _existing(ctx: ImportContext, codes: list[str]) -> dict[str, Project]:
    found: dict[str, Project] = {}
    for part in chunks(codes):
        for project in ctx.session.scalars(select(Project).where(Project.code.in_(part))):
            found[project.code] = project
    return found


def _party_codes(project: Project, role: str) -> set[str]:
    return {p.enterprise_code for p in project.parties if p.party_role == role}


def _differs(project: Project, values: dict[str, Any], parties: dict[str, str | None]) -> bool:
    if any(getattr(project, key) != value for key, value in values.items()):
        return True
    return any(_party_codes(project, PARTY_COLUMNS[column]) != ({code} if code else set())
               for column, code in parties.items())


def _store(ctx: ImportContext, creates: list[tuple[dict[str, Any], dict[str, str | None]]],
           updates: list[tuple[Project, dict[str, Any], dict[str, str | None]]]) -> None:
    sync_districts(ctx.session, list(ctx.districts))
    total = len(creates) + len(updates)
    done = 0
    for values, parties in creates:
        project = Project(**values, created_at=ctx.now,
                          parties=[ProjectParty(enterprise_code=code, party_role=PARTY_COLUMNS[column])
                                   for column, code in parties.items() if code])
        ctx.session.add(project)
        done += 1
        if done % 1000 == 0:
            ctx.session.flush()
        ctx.tick("storing", done, total)
    for project, values, parties in updates:
        for key, value in values.items():
            setattr(project, key, value)
        for column, code in parties.items():
            role = PARTY_COLUMNS[column]
            project.parties = [p for p in project.parties if p.party_role != role or p.enterprise_code == code]
            if code and code not in _party_codes(project, role):
                project.parties.append(ProjectParty(enterprise_code=code, party_role=role))
        project.updated_at = ctx.now
        done += 1
        ctx.tick("storing", done, total)
    ctx.session.flush()
