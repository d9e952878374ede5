"""Performing outbox side effects: an explicit handler registry and a claim/run/record loop.

Handlers are registered by kind at start-up and frozen once the dispatcher runs. Delivery is
*at least once*: a message is handed to its handler again after a failure, after a worker
died mid-batch (its lease expires) or when a handler outlived its lease. Every handler must
therefore be **idempotent** — use the message's ``dedupe_key``-derived identity, an object key
addressed by content, or a check of the target's state so a second run changes nothing.
"""
from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.db import is_postgres
from storage.outbox import OutboxStatus, claim_batch, mark_done, mark_failed
from storage.records import OutboxMessage

from .clock import Clock

log = logging.getLogger(__name__)

# ``family.effect``, e.g. ``mqtt.publish``, ``documents.put``.
KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

OutboxHandler = Callable[[dict[str, Any]], None]
"""Performs one side effect from a message payload; must be idempotent; raises on failure."""


@dataclass(frozen=True)
class _Claimed:
    """What the worker needs of a claimed row once its claim transaction has ended."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # fencing token: a different value later means someone re-claimed it
    lease_end: datetime


class OutboxDispatcher:
    """Runs registered handlers for due outbox messages.

    Args:
        batch_size: Messages claimed per :meth:`process_once`.
        lease_seconds: How long a claim is exclusive; longer than any handler should take.
        max_attempts: Attempts before a message is marked ``dead``.
    """

    def __init__(self, *, batch_size: int = 50, lease_seconds: int = 60, max_attempts: int = 10) -> None:
        if batch_size < 1 or lease_seconds < 1 or max_attempts < 1:
            raise ValueError("batch_size, lease_seconds and max_attempts must be at least 1")
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._handlers: dict[str, OutboxHandler] = {}
        self._frozen = False
        self._lock = threading.Lock()

    def register(self, kind: str, handler: OutboxHandler) -> None:
        """Register the handler for ``kind``; only before the dispatcher starts.

        The handler receives a copy of the message payload, runs outside any database
        transaction, signals failure by raising, and must be idempotent (see module doc).

        Raises:
            RuntimeError: the dispatcher is frozen (it has started).
            ValueError: bad kind name or kind already registered.
            TypeError: ``handler`` is not callable.
        """
        with self._lock:
            if self._frozen:
                raise RuntimeError(f"cannot register outbox kind {kind!r}: the dispatcher is frozen after start-up")
            if not isinstance(kind, str) or not KIND_NAME.match(kind):
                raise ValueError(f"outbox kind {kind!r} must look like 'family.effect'")
            if not callable(handler):
                raise TypeError(f"the handler for {kind!r} is not callable")
            if kind in self._handlers:
                raise ValueError(f"outbox kind {kind!r} already has a handler")
            self._handlers[kind] = handler

    def freeze(self) -> None:
        """Refuse further registrations (called by the worker and the first process_once)."""
        with self._lock:
            self._frozen = True

    @property
    def frozen(self) -> bool:
        return self._frozen

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._handlers))

    def process_once(self, session_factory: sessionmaker[Session], clock: Clock) -> int:
        """Claim one batch of due messages, run their handlers and record each outcome.

        The claim is one short transaction; handlers run with no transaction open (a slow
        broker must not hold row locks); each outcome is recorded in its own short transaction
        right after its handler, so a crash later in the batch repeats as little as possible.
        A handler exception or an unknown kind is recorded as a failed attempt, never raised.

        Returns:
            The number of messages claimed.
        """
        self.freeze()
        with session_factory() as session, session.begin():
            rows = claim_batch(
                session,
                now=clock.now(),
                limit=self.batch_size,
                lease_seconds=self.lease_seconds,
                max_attempts=self.max_attempts,
            )
            batch = [
                _Claimed(m.id, m.kind, copy.deepcopy(m.payload), m.attempts, m.next_attempt_at) for m in rows
            ]
        for claimed in batch:
            if clock.now() >= claimed.lease_end:
                # An earlier handler in this batch was slow; the row may already be someone
                # else's. Leave it to them (or to the next claim) rather than run it twice.
                log.warning("outbox message %s: lease ended before its turn; left for the next claim", claimed.id)
                continue
            error = self._run(claimed)
            self._record(session_factory, clock, claimed, error)
        return len(batch)

    def _run(self, claimed: _Claimed) -> str | None:
        handler = self._handlers.get(claimed.kind)
        if handler is None:
            log.error("outbox message %s: no handler registered for kind %r", claimed.id, claimed.kind)
            return f"no handler registered for outbox kind {claimed.kind!r}"
        try:
            handler(claimed.payload)
        except Exception as exc:  # noqa: BLE001 - any handler failure is a failed attempt
            log.exception(
                "outbox message %s (%s) failed on attempt %s", claimed.id, claimed.kind, claimed.attempts
            )
            return f"{type(exc).__name__}: {exc}"
        return None

    def _record(
        self, session_factory: sessionmaker[Session], clock: Clock, claimed: _Claimed, error: str | None
    ) -> None:
        with session_factory() as session, session.begin():
            stmt = select(OutboxMessage).where(OutboxMessage.id == claimed.id)
            if is_postgres(session):
                stmt = stmt.with_for_update()
            msg = session.scalar(stmt)
            if msg is None:  # rows are never deleted; only a hand-edited database gets here
                log.error("outbox message %s vanished before its outcome was recorded", claimed.id)
                return
            ours = msg.status == OutboxStatus.PROCESSING.value and msg.attempts == claimed.attempts
            if error is None:
                # The effect happened, whoever holds the lease now; done is the truth.
                if msg.status != OutboxStatus.DONE.value:
                    mark_done(session, msg, clock.now())
            elif ours:
                mark_failed(session, msg, error, clock.now(), max_attempts=self.max_attempts)
            else:
                # Another worker re-claimed it after our lease ended; its outcome counts.
                log.warning("outbox message %s: failure not recorded, the lease was lost: %s", claimed.id, error)
