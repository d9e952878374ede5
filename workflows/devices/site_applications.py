"""Declared smart-site applications (wage account, testing supervision, BIM…): declare, withdraw, list."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, Conflict, FieldErrors, NotFound
from storage import Project, SiteApplication

from .access import require_device_manager
from .star_rating import DECLARABLE


def declared(session: Session, project_id: int) -> list[SiteApplication]:
    return list(session.scalars(select(SiteApplication).where(SiteApplication.project_id == project_id)
                                .order_by(SiteApplication.id)))


def declare(session: Session, actor: Actor, project: Project, application: str, note: str | None,
            now: datetime) -> SiteApplication:
    """Declare ``application`` for the project from ``now`` (re-declaring a withdrawn one renews it).

    Raises:
        FieldErrors: an application shown by devices, or an unknown one.
        Forbidden: ``actor`` does not manage the project's smart site.
        Conflict: already declared.
    """
    if application not in DECLARABLE:
        raise FieldErrors({"application": [f"must be one of {', '.join(DECLARABLE)} (the others come from devices)"]})
    require_device_manager(session, actor, project)
    row = session.scalars(select(SiteApplication).where(SiteApplication.project_id == project.id,
                                                        SiteApplication.application == application)).first()
    if row is not None and row.withdrawn_at is None:
        raise Conflict(f"{application} is already declared for project {project.id}")
    if row is None:
        row = SiteApplication(project_id=project.id, application=application)
        session.add(row)
    row.declared_at, row.declared_by, row.note, row.withdrawn_at = now, actor.username, note, None
    session.flush()
    return row


def withdraw(session: Session, actor: Actor, project: Project, application: str, now: datetime) -> SiteApplication:
    """The project no longer has ``application`` from ``now`` on."""
    require_device_manager(session, actor, project)
    row = session.scalars(select(SiteApplication).where(SiteApplication.project_id == project.id,
                                                        SiteApplication.application == application,
                                                        SiteApplication.withdrawn_at.is_(None))).first()
    if row is None:
        raise NotFound(f"{application} is not declared for project {project.id}")
    row.withdrawn_at = now
    session.flush()
    return row
