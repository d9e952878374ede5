"""Enterprises (企业), identified by their unified social credit code.

Service functions take the caller's session and never commit (STYLE 5).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.actor import Actor
from engine.errors import Conflict, FieldErrors, Forbidden
from engine.queries import Page, paginate
from storage import Enterprise

from .access import is_registrar, visible_enterprises
from .validation import contains_pattern, enterprise_problems

ENTERPRISE_FIELDS = ("code", "name", "kind", "legal_representative", "address", "district")


def register_enterprise(session: Session, actor: Actor, values: Mapping[str, Any], *,
                        districts: Collection[str], now: datetime) -> Enterprise:
    """Register an enterprise.

    Raises:
        Forbidden: the actor is neither an admin nor a district admin.
        FieldErrors: a field is invalid (e.g. the credit code's check character).
        Conflict: an enterprise with this code exists.
    """
    if not is_registrar(actor):
        raise Forbidden("registering enterprises needs the admin or district_admin role")
    fields = {k: values.get(k) for k in ENTERPRISE_FIELDS}
    problems = enterprise_problems(fields, districts)
    if problems:
        raise FieldErrors({k: [v] for k, v in problems.items()})
    if session.scalar(select(Enterprise.id).where(Enterprise.code == fields["code"])) is not None:
        raise Conflict(f"an enterprise with code {fields['code']} already exists", {"code": ["already registered"]})
    enterprise = Enterprise(**fields, created_at=now)
    session.add(enterprise)
    session.flush()
    return enterprise


def list_enterprises(session: Session, actor: Actor, *, q: str | None = None, kind: str | None = None,
                     page: int = 1, per_page: int = 50) -> Page[Enterprise]:
    """One page of the enterprises ``actor`` may read, by code, with the total count."""
    stmt = select(Enterprise).where(visible_enterprises(actor))
    if q:
        pattern = contains_pattern(q)
        stmt = stmt.where(or_(Enterprise.name.ilike(pattern, escape="\\"), Enterprise.code.ilike(pattern, escape="\\")))
    if kind:
        stmt = stmt.where(Enterprise.kind == kind)
    return paginate(session, stmt.order_by(Enterprise.code), page, per_page)
