"""Read side of the enterprise portal: an enterprise's projects and its submissions.

An enterprise user's scope is its enterprise code (``Scope.enterprise_code``); what it sees
follows ``engine.access``: its own cases and the cases of the projects it is a party to.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Case, Enterprise, Membership, Project, ProjectParty, Task, User

from .actor import Actor
from .status import TaskState

DEFAULT_HISTORY = 50


def enterprise_codes(actor: Actor) -> list[str]:
    """The enterprises the actor acts for, in the order of its memberships."""
    codes: list[str] = []
    for scope in actor.scopes:
        if scope.role == "enterprise" and scope.enterprise_code and scope.enterprise_code not in codes:
            codes.append(scope.enterprise_code)
    return codes


def enterprises(session: Session, codes: list[str]) -> list[Enterprise]:
    found = {e.code: e for e in session.scalars(select(Enterprise).where(Enterprise.code.in_(codes)))}
    return [found[c] for c in codes if c in found]


@dataclass(frozen=True)
class EnterpriseProject:
    project: Project
    party_roles: list[str]  # builder / contractor / supervisor…


def enterprise_projects(session: Session, codes: list[str]) -> list[EnterpriseProject]:
    """The projects the enterprises are parties to, newest first."""
    if not codes:
        return []
    rows = session.execute(
        select(Project, ProjectParty.party_role).join(ProjectParty, ProjectParty.project_id == Project.id)
        .where(ProjectParty.enterprise_code.in_(codes)).order_by(Project.id.desc(), ProjectParty.party_role)
    ).all()
    grouped: dict[int, EnterpriseProject] = {}
    for project, role in rows:
        entry = grouped.setdefault(project.id, EnterpriseProject(project, []))
        if role not in entry.party_roles:
            entry.party_roles.append(role)
    return list(grouped.values())


@dataclass(frozen=True)
class Submission:
    """Something the enterprise filed: a completed task or a case it started."""

    at: datetime
    kind: str  # "task" or "case"
    title: str | None
    case_id: int
    case_title: str | None
    project_name: str | None
    by: str | None


def _usernames(codes: list[str]):  # type: ignore[no-untyped-def]
    return select(User.username).join(Membership, Membership.user_id == User.id).where(
        Membership.role == "enterprise", Membership.enterprise_code.in_(codes))


def submissions(session: Session, codes: list[str], limit: int = DEFAULT_HISTORY) -> list[Submission]:
    """The latest forms filed by the enterprises' users (tasks completed, cases started)."""
    if not codes:
        return []
    users = _usernames(codes)
    tasks = session.execute(
        select(Task, Case.title, Project.name).join(Case, Case.id == Task.case_id)
        .outerjoin(Project, Project.id == Task.project_id)
        .where(Task.state == TaskState.COMPLETED, Task.completed_by.in_(users))
        .order_by(Task.completed_at.desc(), Task.id.desc()).limit(limit)
    ).all()
    cases = session.execute(
        select(Case, Project.name).outerjoin(Project, Project.id == Case.project_id)
        .where(Case.created_by.in_(users)).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
    ).all()
    found = [Submission(t.completed_at or t.created_at, "task", t.name or t.bpmn_id, t.case_id, title, project,
                        t.completed_by) for t, title, project in tasks]
    found += [Submission(c.created_at, "case", c.title, c.id, c.title, project, c.created_by) for c, project in cases]
    found.sort(key=lambda s: s.at, reverse=True)
    return found[:limit]


def project_choices(session: Session, codes: list[str]) -> list[Project]:
    """Projects an enterprise may file for (those it is a party to)."""
    return [p.project for p in enterprise_projects(session, codes)]
