"""Audit events for web actions (login, logout, tokens, uploads), with who, when and from where."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy.orm import Session

from storage import User
from storage.audit import append_audit
from storage.records import AuditEvent

from .services import current_services

_ACTOR_MAX = 120


def record(
    session: Session,
    action: str,
    *,
    actor: str | None,
    role: str | None = None,
    case_id: int | None = None,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event in the caller's transaction, timed by the services' clock.

    ``actor`` is truncated to the column width: a failed login records whatever name was
    typed, which may be anything.
    """
    return append_audit(
        session,
        action=action,
        at=current_services().clock.now(),
        actor=actor[:_ACTOR_MAX] if actor is not None else None,
        role=role,
        client_addr=request.remote_addr if has_request_context() else None,
        case_id=case_id,
        task_id=task_id,
        data=data,
    )


def role_of(user: User) -> str | None:
    """The role recorded for a user's own account actions: its first role."""
    memberships = sorted(user.memberships, key=lambda m: m.id or 0)
    return memberships[0].role if memberships else None
