"""People: the bureau's inspectors and the enterprises' key personnel on projects.

Service functions take the caller's session and never commit (STYLE 5).
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, FieldErrors
from storage.people import PERSON_KINDS, PROJECT_POSITIONS, Person, ProjectPerson

from .validation import credit_code_problem, text_problem


def register_person(session: Session, *, kind: str, identifier: str, name: str, now: datetime,
                    districts: Collection[str], district: str | None = None,
                    enterprise_code: str | None = None, phone: str | None = None,
                    user_id: int | None = None) -> Person:
    """Register an inspector (with a district) or a key person (with an enterprise).

    Raises:
        FieldErrors: an invalid or missing field.
        Conflict: a person of this kind with this identifier exists.
    """
    errors: dict[str, list[str]] = {}
    if kind not in PERSON_KINDS:
        errors["kind"] = [f"unknown kind {kind!r}; kinds are {', '.join(PERSON_KINDS)}"]
    for key, value, limit in (("identifier", identifier, 64), ("name", name, 100)):
        problem = text_problem(value, limit, required=True)
        if problem:
            errors[key] = [problem]
    if kind == "inspector" and district not in districts:
        errors["district"] = ["an inspector belongs to one of the configured districts"]
    if kind == "key_personnel":
        problem = credit_code_problem(enterprise_code or "")
        if problem:
            errors["enterprise_code"] = [problem]
    if errors:
        raise FieldErrors(errors)
    exists = session.scalar(select(Person.id).where(Person.kind == kind, Person.identifier == identifier))
    if exists is not None:
        raise Conflict(f"a {kind} with identifier {identifier} already exists", {"identifier": ["already registered"]})
    person = Person(kind=kind, identifier=identifier, name=name, district=district,
                    enterprise_code=enterprise_code, phone=phone, user_id=user_id, created_at=now)
    session.add(person)
    session.flush()
    return person


def assign_position(session: Session, project_id: int, person_id: int, position: str) -> ProjectPerson:
    """Name ``person_id`` on ``project_id`` in ``position`` (idempotent).

    Raises:
        FieldErrors: an unknown position.
    """
    if position not in PROJECT_POSITIONS:
        raise FieldErrors({"position": [f"unknown position {position!r}; positions are {', '.join(PROJECT_POSITIONS)}"]})
    existing = session.scalars(select(ProjectPerson).where(
        ProjectPerson.project_id == project_id, ProjectPerson.person_id == person_id,
        ProjectPerson.position == position)).first()
    if existing is not None:
        return existing
    link = ProjectPerson(project_id=project_id, person_id=person_id, position=position)
    session.add(link)
    session.flush()
    return link
