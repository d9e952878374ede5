"""A project's status on a day, derived from its dates (never stored).

A project is under supervision (在监) on day D when ``supervision_start ≤ D`` and
``supervision_end`` is empty or later than D; under construction (在建) likewise with the
construction dates (issue 3, the ``projects`` import contract). Both may hold at once; the
single ``status`` shown in lists picks the most specific one:

- ``under_construction``: the works are going on (usually also under supervision);
- ``under_supervision``: registered for supervision, works not (or no longer) going on;
- ``completed``: neither, and a supervision or construction period has ended by D;
- ``registered``: neither yet (dates in the future or not given).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, func, not_, or_

from storage import Project


class ProjectStatus(StrEnum):
    REGISTERED = "registered"
    UNDER_SUPERVISION = "under_supervision"
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"


def _active(start: date | None, end: date | None, day: date) -> bool:
    return start is not None and start <= day and (end is None or end > day)


@dataclass(frozen=True)
class DatedStatus:
    """What a project is on one day."""

    under_supervision: bool
    under_construction: bool
    status: ProjectStatus


def status_on(project: Project, day: date) -> DatedStatus:
    supervised = _active(project.supervision_start, project.supervision_end, day)
    building = _active(project.construction_start, project.construction_end, day)
    if building:
        status = ProjectStatus.UNDER_CONSTRUCTION
    elif supervised:
        status = ProjectStatus.UNDER_SUPERVISION
    elif any(end is not None and end <= day for end in (project.supervision_end, project.construction_end)):
        status = ProjectStatus.COMPLETED
    else:
        status = ProjectStatus.REGISTERED
    return DatedStatus(supervised, building, status)


def under_supervision(day: date) -> ColumnElement[bool]:
    """SQL: the project is under supervision (在监) on ``day``."""
    return and_(Project.supervision_start <= day,
                or_(Project.supervision_end.is_(None), Project.supervision_end > day))


def under_construction(day: date) -> ColumnElement[bool]:
    """SQL: the project is under construction (在建) on ``day``."""
    return and_(Project.construction_start <= day,
                or_(Project.construction_end.is_(None), Project.construction_end > day))


def _ended(day: date) -> ColumnElement[bool]:
    return or_(Project.supervision_end <= day, Project.construction_end <= day)


def status_clause(status: ProjectStatus, day: date) -> ColumnElement[bool]:
    """SQL matching exactly the projects :func:`status_on` gives ``status`` on ``day``."""
    # A NULL date makes a comparison NULL, and NOT NULL is still NULL: coalesce to false.
    sup, con = _null_safe(under_supervision(day)), _null_safe(under_construction(day))
    ended = _null_safe(_ended(day))
    if status is ProjectStatus.UNDER_CONSTRUCTION:
        return con
    if status is ProjectStatus.UNDER_SUPERVISION:
        return and_(sup, not_(con))
    if status is ProjectStatus.COMPLETED:
        return and_(not_(sup), not_(con), ended)
    return and_(not_(sup), not_(con), not_(ended))


def _null_safe(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    return func.coalesce(clause, false())
