"""Projects: register, list and read them, within the caller's scope.

Service functions take the caller's session and never commit (STYLE 5).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.actor import Actor
from engine.errors import Conflict, FieldErrors, Forbidden, NotFound
from engine.queries import Page, paginate
from storage import Enterprise, Project, ProjectParty

from .access import may_register, visible_projects
from .status import ProjectStatus, status_clause
from .validation import contains_pattern, party_problems, project_problems

PROJECT_FIELDS = (
    "code", "name", "district", "address", "floor_area_m2", "contract_value_cny",
    "supervision_start", "supervision_end", "construction_start", "construction_end",
)


@dataclass(frozen=True)
class ProjectFilter:
    """List filters; ``status`` is evaluated on ``as_of``."""

    district: str | None = None
    status: ProjectStatus | None = None
    as_of: date | None = None
    q: str | None = None
    enterprise_code: str | None = None


def register_project(session: Session, actor: Actor, values: Mapping[str, Any],
                     parties: Sequence[tuple[str, str]] = (), *, districts: Collection[str],
                     now: datetime) -> Project:
    """Register a project with its parties ``(role, enterprise_code)``.

    Raises:
        Forbidden: the actor is not an admin, or a district admin of another district.
        FieldErrors: a field is invalid, or a party names an unregistered enterprise.
        Conflict: a project with this code exists.
    """
    if not may_register(actor, values.get("district")):
        raise Forbidden("registering projects needs the admin role, or district_admin of the project's district")
    errors: dict[str, Any] = {k: [v] for k, v in project_problems(
        {k: values.get(k) for k in PROJECT_FIELDS}, districts).items()}
    party_errors = _party_errors(session, parties)
    if party_errors:
        errors["parties"] = party_errors
    if errors:
        raise FieldErrors(errors)
    if session.scalar(select(Project.id).where(Project.code == values["code"])) is not None:
        raise Conflict(f"a project with code {values['code']!r} already exists", {"code": ["already registered"]})
    project = Project(**{k: values.get(k) for k in PROJECT_FIELDS}, created_at=now,
                      parties=[ProjectParty(party_role=role, enterprise_code=code)
                               for role, code in dict.fromkeys(parties)])
    session.add(project)
    session.flush()
    return project


def _party_errors(session: Session, parties: Sequence[tuple[str, str]]) -> dict[int, dict[str, list[str]]]:
    errors: dict[int, dict[str, list[str]]] = {}
    codes = {code for _, code in parties}
    known = set(session.scalars(select(Enterprise.code).where(Enterprise.code.in_(codes)))) if codes else set()
    for index, (role, code) in enumerate(parties):
        problem = party_problems(role, code)
        if problem:
            field = "role" if problem.startswith("unknown party role") else "enterprise_code"
            errors[index] = {field: [problem]}
        elif code not in known:
            errors[index] = {"enterprise_code": [f"no registered enterprise has the code {code}"]}
    return errors


def project_query(actor: Actor, flt: ProjectFilter, today: date):  # type: ignore[no-untyped-def]
    """The statement listing the projects ``actor`` may read that match ``flt``."""
    stmt = select(Project).where(visible_projects(actor))
    if flt.district:
        stmt = stmt.where(Project.district == flt.district)
    if flt.status is not None:
        stmt = stmt.where(status_clause(flt.status, flt.as_of or today))
    if flt.q:
        pattern = contains_pattern(flt.q)
        stmt = stmt.where(or_(Project.name.ilike(pattern, escape="\\"), Project.code.ilike(pattern, escape="\\")))
    if flt.enterprise_code:
        stmt = stmt.where(Project.id.in_(
            select(ProjectParty.project_id).where(ProjectParty.enterprise_code == flt.enterprise_code)))
    return stmt.order_by(Project.code)


def list_projects(session: Session, actor: Actor, flt: ProjectFilter, *, today: date,
                  page: int = 1, per_page: int = 50) -> Page[Project]:
    """One page of the projects ``actor`` may read, by code, with the total count."""
    return paginate(session, project_query(actor, flt, today), page, per_page)


def get_project(session: Session, actor: Actor, project_id: int) -> Project:
    """The project if ``actor`` may read it.

    Raises:
        NotFound: no such project, or one the actor may not read (its existence is not revealed).
    """
    project = session.scalars(select(Project).where(Project.id == project_id, visible_projects(actor))).first()
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project
