"""The transactional outbox: side effects recorded with the step that causes them (ARCHITECTURE §2.4).

A service function calls :func:`enqueue` inside the caller's transaction, so the side effect
exists exactly when the step commits. A worker later claims due rows (:func:`claim_batch`),
performs the effect outside any transaction and records the outcome (:func:`mark_done`,
:func:`mark_failed`). Claims are leases: a worker that dies mid-batch leaves its rows in
``processing`` with ``next_attempt_at`` at the lease end, after which any worker may claim them
again. Rows are never deleted; ``dead`` rows stay for inspection.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import is_postgres
from .records import OutboxMessage

BACKOFF_BASE_SECONDS = 2
BACKOFF_CAP_SECONDS = 3600
# Jitter adds up to this fraction of the delay, so messages that failed together (a broker
# outage) do not all come back in the same second.
JITTER_FRACTION = 0.1
MAX_ERROR_CHARS = 4000
KIND_MAX_CHARS = 80
DEDUPE_KEY_MAX_CHARS = 200


class OutboxStatus(StrEnum):
    PENDING = "pending"        # waiting for next_attempt_at
    PROCESSING = "processing"  # leased by a worker until next_attempt_at
    DONE = "done"
    DEAD = "dead"              # gave up after max_attempts; kept for inspection


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Record a side effect to perform after the caller's transaction commits.

    Never commits. A message whose ``dedupe_key`` already exists (in any status) is not added
    again and ``None`` is returned; the check cannot abort the caller's transaction on
    PostgreSQL because the insert runs inside a SAVEPOINT.

    Args:
        session: The caller's session, inside its transaction.
        kind: The handler name, e.g. ``"mqtt.publish"``.
        payload: JSON-serializable plain values the handler needs.
        now: Tz-aware time of the step; the message is due immediately.
        dedupe_key: Optional unique key making the enqueue idempotent.

    Returns:
        The new message (flushed, with its id), or None for a duplicate ``dedupe_key``.

    Raises:
        ValueError: bad kind, naive ``now``, over-long key or a payload that is not JSON.
        TypeError: ``payload`` is not a dict.
    """
    _check_kind(kind)
    _check_aware(now)
    if not isinstance(payload, dict):
        raise TypeError(f"outbox payload must be a dict, not {type(payload).__name__}")
    try:
        # Fail in the caller's code path, not later at flush or in the worker.
        json.dumps(payload, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outbox payload is not plain JSON: {exc}") from exc
    if dedupe_key is not None:
        if not isinstance(dedupe_key, str) or not dedupe_key or len(dedupe_key) > DEDUPE_KEY_MAX_CHARS:
            raise ValueError(f"dedupe_key must be a non-empty string of at most {DEDUPE_KEY_MAX_CHARS} characters")
        # Common case first: a cheap lookup, no savepoint, no error in the server log.
        if session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None:
            return None
    msg = OutboxMessage(
        kind=kind,
        payload=payload,
        dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if dedupe_key is None:
        session.add(msg)
        session.flush()
        return msg
    # A concurrent transaction may insert the same key between our SELECT and INSERT; the
    # SAVEPOINT confines the unique violation so the caller's transaction stays usable.
    try:
        with session.begin_nested():
            session.add(msg)
    except IntegrityError:
        return None
    return msg


def claim_batch(
    session: Session,
    *,
    now: datetime,
    limit: int = 50,
    lease_seconds: int = 60,
    max_attempts: int | None = None,
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages to the calling worker, oldest first.

    Due means ``pending`` with ``next_attempt_at <= now``, or ``processing`` whose lease ended
    (its worker died or hung). On PostgreSQL rows locked by another worker's claim are skipped
    (``FOR UPDATE SKIP LOCKED``), so concurrent workers get disjoint batches; on SQLite the
    ``BEGIN IMMEDIATE`` of every transaction serializes claims. Each claim counts as an attempt.
    Commit promptly: the lease is only visible to other workers once committed.

    Args:
        session: A session inside a short transaction of its own.
        now: Tz-aware current time.
        limit: Maximum number of messages.
        lease_seconds: How long the caller owns the messages.
        max_attempts: If given, a message whose lease expired after its last allowed attempt
            is marked ``dead`` instead of being handed out again (a message that crashes
            every worker that touches it must not loop forever).

    Returns:
        The leased messages (status ``processing``, ``next_attempt_at`` at the lease end).
    """
    _check_aware(now)
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if lease_seconds <= 0:
        raise ValueError("lease_seconds must be positive")
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.PROCESSING.value]),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    lease_end = now + timedelta(seconds=lease_seconds)
    claimed: list[OutboxMessage] = []
    for msg in session.scalars(stmt):
        if msg.status == OutboxStatus.PROCESSING.value:
            msg.last_error = _truncate(
                f"lease expired: the worker that claimed attempt {msg.attempts} did not report back"
            )
            if max_attempts is not None and msg.attempts >= max_attempts:
                msg.status = OutboxStatus.DEAD.value
                continue
        msg.status = OutboxStatus.PROCESSING.value
        msg.attempts += 1
        msg.next_attempt_at = lease_end
        claimed.append(msg)
    session.flush()
    return claimed


def mark_done(session: Session, msg: OutboxMessage, now: datetime) -> None:
    """Record that the side effect happened; the row stays as history."""
    _check_aware(now)
    msg.status = OutboxStatus.DONE.value
    msg.done_at = now


def mark_failed(
    session: Session,
    msg: OutboxMessage,
    error: str,
    now: datetime,
    *,
    max_attempts: int = 10,
) -> None:
    """Record a failed attempt: retry later with backoff, or ``dead`` after ``max_attempts``.

    ``msg.attempts`` already counts the failed attempt (:func:`claim_batch` increments it).
    """
    _check_aware(now)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    msg.last_error = _truncate(error)
    if msg.attempts >= max_attempts:
        msg.status = OutboxStatus.DEAD.value
        return
    msg.status = OutboxStatus.PENDING.value
    msg.next_attempt_at = now + retry_delay(max(msg.attempts, 1), msg.id)


def retry_delay(attempts: int, message_id: int) -> timedelta:
    """Backoff after the ``attempts``-th failure: 2 s doubling, capped at 1 h, plus jitter.

    The jitter (0 to 10 % of the delay) is derived from the message id, so the schedule is
    reproducible in tests yet spreads messages that failed together.

    >>> [retry_delay(n, 0).total_seconds() for n in (1, 2, 3)]
    [2.0, 4.0, 8.0]
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    # Compare exponents, not powers, so a huge attempt count costs nothing.
    exponent = attempts - 1
    cap_exponent = (BACKOFF_CAP_SECONDS // BACKOFF_BASE_SECONDS).bit_length()
    base = BACKOFF_BASE_SECONDS * 2 ** min(exponent, cap_exponent)
    base = min(base, BACKOFF_CAP_SECONDS)
    return timedelta(seconds=base * (1 + JITTER_FRACTION * jitter_fraction(message_id)))


def jitter_fraction(message_id: int) -> float:
    """A stable pseudo-random number in [0, 1) for ``message_id`` (Knuth multiplicative hash)."""
    return ((message_id * 2654435761) % 2**32) / 2**32


def _truncate(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not kind.strip() or len(kind) > KIND_MAX_CHARS:
        raise ValueError(f"outbox kind must be a non-empty string of at most {KIND_MAX_CHARS} characters")


def _check_aware(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
