"""Checks shared by the ``project.*`` operations: whose project, which party, which documents.

Everything is tied to the step's case (``ctx.case``), never to ids found in task data alone:
task data can be chosen by whoever starts a case, the case's project cannot.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, Conflict, FieldErrors, Forbidden, ServiceContext
from storage import Document, Project, ProjectParty

# Roles that may file on behalf of an enterprise (data entry by the bureau's administrators).
ON_BEHALF_ROLES = ("admin",)


class Problems:
    """Field errors collected so that one answer lists every problem of a submission."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)


def case_project(ctx: ServiceContext) -> Project:
    """The project of the step's case.

    Raises:
        Conflict: the case was started without a project.
    """
    project = ctx.session.get(Project, ctx.case.project_id) if ctx.case.project_id is not None else None
    if project is None:
        raise Conflict("project duties are filed on a project: start the case with a project_id")
    return project


def enterprise_codes(actor: Actor) -> frozenset[str]:
    return frozenset(s.enterprise_code for s in actor.scopes if s.role == "enterprise" and s.enterprise_code)


def parties_of(session: Session, project_id: int) -> dict[str, list[str]]:
    """Party role → enterprise codes named on the project."""
    result: dict[str, list[str]] = {}
    rows = session.execute(select(ProjectParty.party_role, ProjectParty.enterprise_code)
                           .where(ProjectParty.project_id == project_id).order_by(ProjectParty.id))
    for role, code in rows:
        result.setdefault(role, []).append(code)
    return result


def require_party(session: Session, actor: Actor, project: Project, party: str) -> str | None:
    """The enterprise filing as ``party`` of ``project``: one of the actor's, or (admins) the project's.

    Raises:
        Forbidden: the actor's enterprise is not that party of the project.
    """
    named = parties_of(session, project.id).get(party, [])
    mine = sorted(enterprise_codes(actor).intersection(named))
    if mine:
        return mine[0]
    if actor.has_role(*ON_BEHALF_ROLES):
        return named[0] if named else None
    raise Forbidden(f"only the project's {party} may file this for project {project.code}")


def require_any_party(session: Session, actor: Actor, project: Project) -> str | None:
    """The actor's enterprise if it is any party of ``project`` (admins: None).

    Raises:
        Forbidden: the actor is neither a party of the project nor an administrator.
    """
    named = {code for codes in parties_of(session, project.id).values() for code in codes}
    mine = sorted(enterprise_codes(actor).intersection(named))
    if mine:
        return mine[0]
    if actor.has_role(*ON_BEHALF_ROLES):
        return None
    raise Forbidden(f"only the parties of project {project.code} may file this")


def check_not_future(problems: Problems, field: str, day: date | None, today: date) -> None:
    if day is not None and day > today:
        problems.add(field, f"{day.isoformat()} is in the future (today is {today.isoformat()}).")


def check_not_past(problems: Problems, field: str, day: date | None, today: date) -> None:
    if day is not None and day < today:
        problems.add(field, f"The deadline {day.isoformat()} has already passed (today is {today.isoformat()}).")


def check_documents(session: Session, problems: Problems, field: str, case_id: int, ids: Iterable[int]) -> list[int]:
    """The ids, checked to be documents uploaded to this case (duplicates dropped, order kept)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    found = set(session.scalars(select(Document.id).where(Document.id.in_(wanted), Document.case_id == case_id)))
    missing = [i for i in wanted if i not in found]
    if missing:
        problems.add(field, f"Documents {', '.join(map(str, missing))} were not uploaded to case {case_id}: "
                            "upload the files to this case first.")
    return wanted
