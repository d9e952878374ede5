"""Audit events queued during a transaction and chained just before it commits.

Appending to the chain takes a lock held until commit (``storage.audit``). A transaction that
appended early and then locked an instance row could deadlock with one doing the opposite, so
engine code queues its events here; they are written, in order, when the session commits —
always the last lock taken, held for the shortest time.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .audit import append_audit_events

_KEY = "oversite.pending_audit"


def queue_audit(session: Session, **fields: Any) -> None:
    """Record an audit event (same fields as :func:`storage.audit.append_audit`) at commit."""
    session.info.setdefault(_KEY, []).append(fields)


def pending_audit(session: Session) -> list[dict[str, Any]]:
    return list(session.info.get(_KEY, []))


@event.listens_for(Session, "before_commit")
def _write_queued(session: Session) -> None:
    queued = session.info.pop(_KEY, None)
    if queued:
        # A savepoint's release is a commit too, but only the outermost one ends the transaction.
        append_audit_events(session, queued, with_commit=not session.in_nested_transaction())


@event.listens_for(Session, "after_transaction_end")
def _drop_queued(session: Session, transaction: SessionTransaction) -> None:
    # Only what commits is audited. A commit has already taken its events (before_commit), so
    # whatever is left when the outermost transaction ends belongs to a rolled-back one.
    # Savepoints are handled by :func:`savepoint`.
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_KEY, None)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT whose rollback also forgets the audit events queued inside it.

    Only what commits is audited: events of steps a savepoint undid must not be chained.
    """
    mark = len(session.info.setdefault(_KEY, []))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del session.info.setdefault(_KEY, [])[mark:]
        raise
