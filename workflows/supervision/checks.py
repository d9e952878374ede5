"""Rules of the supervision forms that need the engine's clock or the database.

The service operation following a user task calls these before it changes anything; all
problems are collected and raised together as ``FieldErrors`` keyed by the form's field
names, so the caller gets 400 field by field and the step's transaction stores nothing.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import FieldErrors
from storage import Document, Membership, User


class Problems:
    """Field problems collected while checking one submission."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)


def as_date(value: Any) -> date | None:
    """A form date from task data (an ISO string once stored), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def after_today(problems: Problems, field: str, value: date | None, today: date) -> None:
    """A deadline or a planned date must lie in the future (the engine's today excluded)."""
    if value is not None and value <= today:
        problems.add(field, f"Must be after today ({today.isoformat()}).")


def from_today(problems: Problems, field: str, value: date | None, today: date) -> None:
    if value is not None and value < today:
        problems.add(field, f"Must not be before today ({today.isoformat()}).")


def not_future(problems: Problems, field: str, value: date | None, today: date) -> None:
    """Something that happened (an inspection, a meeting) cannot be dated after today."""
    if value is not None and value > today:
        problems.add(field, f"Must not be after today ({today.isoformat()}).")


def case_documents(session: Session, problems: Problems, field: str, ids: Iterable[Any], case_id: int) -> list[int]:
    """Ids of documents uploaded to case ``case_id``; others (unknown, another case's) are problems."""
    wanted = [int(i) for i in ids]
    if not wanted:
        return []
    found = dict(session.execute(select(Document.id, Document.case_id).where(Document.id.in_(wanted))).all())
    for doc_id in wanted:
        if doc_id not in found:
            problems.add(field, f"Document {doc_id} does not exist.")
        elif found[doc_id] != case_id:
            problems.add(field, f"Document {doc_id} was not uploaded to this case.")
    if len(set(wanted)) != len(wanted):
        problems.add(field, "A document is listed twice.")
    return wanted


def inspectors(session: Session, problems: Problems, field: str, names: Sequence[str],
               district: str | None) -> dict[str, str]:
    """Username → display name of active users holding the inspector role in ``district``."""
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(list(names))))}
    allowed = _inspector_users(session, [u.id for u in users.values()], district)
    result: dict[str, str] = {}
    for name in names:
        user = users.get(name)
        if user is None or not user.is_active:
            problems.add(field, f"{name} is not a user.")
        elif user.id not in allowed:
            problems.add(field, f"{name} is not an inspector of {district or 'this district'}.")
        else:
            result[name] = user.display_name or name
    return result


def _inspector_users(session: Session, user_ids: list[int], district: str | None) -> set[int]:
    rows = session.execute(
        select(Membership.user_id, Membership.district)
        .where(Membership.user_id.in_(user_ids), Membership.role == "inspector")
    ).all()
    return {user_id for user_id, scope in rows if scope is None or scope == district}


def display_names(session: Session, names: Iterable[str]) -> Mapping[str, str]:
    names = list(names)
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(names))).all()
    known = {u: d or u for u, d in rows}
    return {n: known.get(n, n) for n in names}
