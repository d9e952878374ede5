"""Read side of project duties for the districts: missing logs, inspection gaps, suggestions.

District staff (inspectors, district admins) see their districts; the roles that read
everything (admins, auditors, process owners) see all; enterprises see only their own
suggestions here (their missing logs show in their inbox, not in the district's list).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from engine import Actor, Forbidden
from engine.access import DISTRICT_ROLES, READ_ALL_ROLES
from engine.queries import MAX_PER_PAGE, Page, paginate
from storage import MissingDailyLog, Project, SelfInspectionGap, Suggestion

from .vocab import PARTY_LABELS


def visible_districts(actor: Actor) -> frozenset[str] | None:
    """The districts whose duty gaps ``actor`` may read; None means all of them.

    Raises:
        Forbidden: the actor holds no district role and no role that reads everything.
    """
    districts: set[str] = set()
    for scope in actor.scopes:
        if scope.role in READ_ALL_ROLES or (scope.role in DISTRICT_ROLES and scope.district is None):
            return None
        if scope.role in DISTRICT_ROLES and scope.district:
            districts.add(scope.district)
    if not districts:
        raise Forbidden("the districts' duty lists are for inspectors and district admins")
    return frozenset(districts)


def _district_clause(column: Any, actor: Actor, district: str | None) -> ColumnElement[bool]:
    allowed = visible_districts(actor)
    if district is not None:
        if allowed is not None and district not in allowed:
            raise Forbidden(f"you may not read the duty lists of {district}")
        return column == district  # type: ignore[no-any-return]
    return true() if allowed is None else column.in_(sorted(allowed))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class MissingLogRow:
    project_id: int
    project_code: str
    project_name: str
    district: str | None
    party: str
    party_label: str
    enterprise_code: str | None
    log_date: date
    detected_at: datetime
    resolved_at: datetime | None
    resolved_case_id: int | None


def missing_logs(session: Session, actor: Actor, *, district: str | None = None, day: date | None = None,
                 page: int = 1, per_page: int = 50) -> Page[MissingLogRow]:
    """Missing daily logs, newest day first: of ``day`` (late ones included) or all still outstanding.

    Raises:
        Forbidden: ``district`` is outside the actor's districts, or the actor has no district role.
    """
    stmt: Select[Any] = (select(MissingDailyLog, Project.code, Project.name)
                         .join(Project, Project.id == MissingDailyLog.project_id)
                         .where(_district_clause(MissingDailyLog.district, actor, district)))
    if day is not None:
        stmt = stmt.where(MissingDailyLog.log_date == day)
    else:
        stmt = stmt.where(MissingDailyLog.resolved_at.is_(None))
    stmt = stmt.order_by(MissingDailyLog.log_date.desc(), MissingDailyLog.district, Project.code,
                         MissingDailyLog.party)
    found = _paginate_rows(session, stmt, page, per_page)
    items = [MissingLogRow(m.project_id, code, name, m.district, m.party, PARTY_LABELS.get(m.party, m.party),
                           m.enterprise_code, m.log_date, m.detected_at, m.resolved_at, m.resolved_case_id)
             for m, code, name in found.items]
    return Page(items, found.total, found.page, found.per_page)


@dataclass(frozen=True)
class InspectionGapRow:
    project_id: int
    project_code: str
    project_name: str
    district: str | None
    week_start: date
    week_end: date
    inspections: int
    required: int
    last_inspected_on: date | None
    detected_at: datetime


def inspection_gaps(session: Session, actor: Actor, *, district: str | None = None, week: date | None = None,
                    page: int = 1, per_page: int = 50) -> Page[InspectionGapRow]:
    """Weeks in which projects were self-inspected too rarely, newest first (``week``: its Monday).

    Raises:
        Forbidden: as :func:`missing_logs`.
    """
    stmt: Select[Any] = (select(SelfInspectionGap, Project.code, Project.name)
                         .join(Project, Project.id == SelfInspectionGap.project_id)
                         .where(_district_clause(SelfInspectionGap.district, actor, district)))
    if week is not None:
        stmt = stmt.where(SelfInspectionGap.week_start == week)
    stmt = stmt.order_by(SelfInspectionGap.week_start.desc(), SelfInspectionGap.district, Project.code)
    found = _paginate_rows(session, stmt, page, per_page)
    items = [InspectionGapRow(g.project_id, code, name, g.district, g.week_start, g.week_end, g.inspections,
                              g.required, g.last_inspected_on, g.detected_at) for g, code, name in found.items]
    return Page(items, found.total, found.page, found.per_page)


def suggestions_for(session: Session, actor: Actor, *, status: str | None = None, page: int = 1,
                    per_page: int = 50) -> Page[Suggestion]:
    """The actor's own suggestions, plus those of its districts for district staff (all for read-all roles)."""
    try:
        allowed = visible_districts(actor)
        staff: ColumnElement[bool] = true() if allowed is None else Suggestion.district.in_(sorted(allowed))
    except Forbidden:
        staff = Suggestion.id.is_(None)  # matches nothing: not district staff
    stmt = select(Suggestion).where(or_(Suggestion.submitted_by == actor.username, staff))
    if status is not None:
        stmt = stmt.where(Suggestion.status == status)
    return paginate(session, stmt.order_by(Suggestion.submitted_at.desc(), Suggestion.id.desc()), page, per_page)


def _paginate_rows(session: Session, stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    """:func:`engine.queries.paginate` for multi-column rows (it returns scalars)."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(session.execute(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, total, page, per_page)
