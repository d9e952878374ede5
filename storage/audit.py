"""The tamper-evident audit log: an append-only ``audit_event`` table chained by SHA-256.

Each row's ``hash`` is ``SHA-256(prev_hash + canonical JSON of the row)``, where the JSON
covers ``seq`` and every recorded field. Because ``seq`` is hashed and must run 1, 2, 3…
without gaps, editing, deleting, inserting or reordering rows breaks the chain at a row
``verify_chain`` can name.

Limits (by design of a keyless chain): someone able to rewrite the table can recompute every
hash after the rows they changed, and dropping the newest rows leaves a shorter valid chain.
Both are caught only by comparing ``ChainReport.last_hash`` with a copy kept elsewhere
(a published or exported head hash).
"""
from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from .pg_connections import OversiteConnection, driver_errors
from .records import AuditEvent

GENESIS_HASH = "0" * 64
# Key of the PostgreSQL transaction-level advisory lock serializing appends ("OVSAUDIT").
AUDIT_LOCK_KEY = 0x4F56534155444954
# Column widths of audit_event, checked up front so SQLite and PostgreSQL behave alike.
_LIMITS = {"action": 80, "actor": 120, "role": 40, "client_addr": 64}
_HASHED_FIELDS = (
    "seq", "at", "actor", "role", "client_addr", "action", "case_id", "instance_id", "task_id", "data",
)


def plain_json(value: Any) -> Any:
    """``value`` as plain JSON data that survives a round trip through JSON/JSONB unchanged.

    Datetimes become ISO 8601 UTC strings (microseconds, explicit ``+00:00``), dates ISO strings, Decimals and UUIDs strings,
    tuples lists, integral floats ints (JSONB may return ``1e16`` as an integer) and integer
    dict keys strings.

    Raises:
        TypeError: a value has no JSON form, or a dict key is neither str nor int.
        ValueError: a naive datetime, a NaN/infinite float, or a NUL character in a string
            (PostgreSQL's JSONB cannot hold one).
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters cannot be stored as JSON text")
        return value
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("NaN and infinity cannot be stored as JSON")
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        return _iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            out[plain_json(str(key))] = plain_json(item)
        return out
    if isinstance(value, (list, tuple)):
        return [plain_json(item) for item in value]
    raise TypeError(f"{type(value).__name__} has no JSON form")


def canonical_json(fields: dict[str, Any]) -> str:
    """The one text form that is hashed: sorted keys, no spaces, UTF-8 characters kept.

    Values are first made plain (see ``plain_json``): datetimes as ISO UTC with
    microseconds and an explicit ``+00:00``, Decimals as strings.
    """
    return json.dumps(
        plain_json(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 hex digest of ``prev_hash`` followed by the canonical JSON of ``fields``."""
    return hashlib.sha256((prev_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


def _iso_utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime in audit data")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _hashed_fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _HASHED_FIELDS}


def append_audit(
    session: Session,
    *,
    action: str,
    at: datetime,
    actor: str | None,
    role: str | None = None,
    client_addr: str | None = None,
    case_id: int | None = None,
    instance_id: int | None = None,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction (flushed, not committed).

    Appends are serialized so the chain never forks: PostgreSQL takes a transaction-level
    advisory lock, held until commit; SQLite transactions already start with BEGIN IMMEDIATE
    (``storage.db``), which holds the database write lock. Because the lock is held until the
    transaction ends, append audit events as late as possible in a transaction (after the
    instance row lock), to keep the wait short and the lock order the same everywhere.

    ``seq`` is assigned here as last + 1 rather than from a database sequence, so a rolled-back
    transaction never leaves a gap that would look like a deleted row.

    Args:
        session: the caller's session.
        action: what happened, e.g. ``task.complete``.
        at: when (timezone-aware; from the engine's clock).
        actor: username, or None for an anonymous caller.
        role: the role the actor acted in.
        client_addr: the client's IP address, for API actions.
        case_id, instance_id, task_id: what it happened to.
        data: what changed; converted to plain JSON (``plain_json``) before storing.

    Raises:
        ValueError: empty ``action``, a naive ``at``, an over-long field, or bad data values.
        TypeError: ``data`` holds a value with no JSON form.
    """
    fields = _checked_fields(action=action, at=at, actor=actor, role=role, client_addr=client_addr,
                             case_id=case_id, instance_id=instance_id, task_id=task_id, data=data)
    last_seq, prev_hash = _lock_chain_head(session)
    event = AuditEvent(seq=last_seq + 1, prev_hash=prev_hash, **fields)
    event.hash = event_hash(prev_hash, _hashed_fields(event))
    session.add(event)
    session.flush()
    return event


def append_audit_events(session: Session, events: Sequence[Mapping[str, Any]], *, with_commit: bool = False) -> None:
    """Append several events (each with :func:`append_audit`'s keyword arguments), in order.

    The same chain as :func:`append_audit`, written with one lock-and-read and one INSERT and
    no ORM objects: this is what every engine step pays at commit (``storage.audit_queue``).

    ``with_commit`` (only when the transaction's commit is under way): on PostgreSQL the lock,
    the head read and the INSERT go out in the same message as the COMMIT, and the server
    computes each hash from the head it reads (:func:`_chained_insert`), so the chain lock is
    held for no client round trip at all (``storage.pg_connections``).
    """
    rows = [_checked_fields(**fields) for fields in events]  # every event checked before locking
    if not rows:
        return
    driver = session.connection().connection.driver_connection
    if with_commit and isinstance(driver, OversiteConnection):
        session.flush()  # pending row writes first: the chain lock is the last lock a transaction takes
        driver.defer_to_commit(_PG_LOCK, ())
        for row in rows:
            driver.defer_to_commit(*_chained_insert(row))
        return
    seq, prev_hash = _lock_chain_head(session)
    for row in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, prev_hash
        row["hash"] = prev_hash = event_hash(prev_hash, {name: row[name] for name in _HASHED_FIELDS})
    session.connection().execute(_INSERT, rows)  # the lock above flushed the session already


_INSERT = insert(AuditEvent.__table__)
_STORED = ("at", "actor", "role", "client_addr", "action", "case_id", "instance_id", "task_id", "data")
# The new row's seq and hashes come from the head the statement reads under the chain lock:
# the hashed text is prev_hash + the row's canonical JSON, whose only server-made part is seq.
_PG_CHAINED_INSERT = f"""WITH head AS (SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1),
next AS (SELECT COALESCE((SELECT seq FROM head), 0) + 1 AS seq,
                COALESCE((SELECT hash FROM head), '{GENESIS_HASH}') AS prev_hash)
INSERT INTO audit_event (seq, {", ".join(_STORED)}, prev_hash, hash)
SELECT next.seq, {", ".join(["%s"] * len(_STORED))}, next.prev_hash,
       encode(sha256(convert_to(next.prev_hash || %s || next.seq::text || %s, 'UTF8')), 'hex')
FROM next"""
_SEQ_MARK = '"seq":0,"task_id":'  # seq sorts just before task_id, the last key, whose value is never text


def _chained_insert(row: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The INSERT appending ``row`` (stored columns) after the chain's head, hashed by the server."""
    text = canonical_json({**{name: row[name] for name in _HASHED_FIELDS if name != "seq"}, "seq": 0})
    mark = text.rfind(_SEQ_MARK)  # the last one is the top level's: data (sorted earlier) may hold one
    before_seq, after_seq = text[:mark + len('"seq":')], text[mark + len('"seq":0'):]
    return _PG_CHAINED_INSERT, [Jsonb(row[name]) if name == "data" else row[name] for name in _STORED] + [
        before_seq, after_seq]


def _checked_fields(*, action: str, at: datetime, actor: str | None, role: str | None = None,
                    client_addr: str | None = None, case_id: int | None = None, instance_id: int | None = None,
                    task_id: int | None = None, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored columns of one event (all but seq and the hashes), checked and made plain."""
    if not action:
        raise ValueError("an audit event needs an action")
    if at.tzinfo is None:
        raise ValueError("audit time must be timezone-aware")
    for name, value in (("action", action), ("actor", actor), ("role", role), ("client_addr", client_addr)):
        if value is not None and len(value) > _LIMITS[name]:
            raise ValueError(f"audit {name} is longer than {_LIMITS[name]} characters")
    # Stored values must equal what is read back later: times at microsecond UTC precision.
    return {"at": at.astimezone(timezone.utc), "actor": actor, "role": role, "client_addr": client_addr,
            "action": action, "case_id": case_id, "instance_id": instance_id, "task_id": task_id,
            "data": plain_json(data or {})}


# Lock and head read in one round trip: the key is a constant, so the two statements go as one
# simple query; each still takes its own snapshot, so the head is read after the lock is held.
_PG_LOCK = f"SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"
_PG_LOCK_AND_HEAD = f"{_PG_LOCK}; SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"


def _lock_chain_head(session: Session) -> tuple[int, str]:
    """Take the chain lock (PostgreSQL; SQLite holds its write lock already) and read the head.

    Returns (last seq, last hash), or (0, the genesis hash) for an empty chain.
    """
    session.flush()  # pending row writes first: the chain lock is the last lock a transaction takes
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver_errors(connection, "audit chain head"), driver.cursor() as cursor:  # type: ignore[union-attr]
            if isinstance(driver, OversiteConnection):
                driver.run_deferred()  # rows waiting for the COMMIT are part of the chain already
            cursor.execute(_PG_LOCK_AND_HEAD)
            cursor.nextset()
            last = cursor.fetchone()
    else:
        last = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (last[0], last[1]) if last is not None else (0, GENESIS_HASH)


@dataclass(frozen=True)
class ChainReport:
    """Outcome of ``verify_chain``.

    Attributes:
        ok: the whole chain verified.
        checked: rows verified before the first bad one (all rows when ``ok``).
        first_bad_seq: the first sequence number at which the chain breaks, or None.
        reason: what is wrong there, in words, or None.
        last_hash: hash of the last verified row (the chain head when ``ok``); compare it
            with a copy kept elsewhere to detect rewritten or truncated history.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str | None
    last_hash: str | None


def verify_chain(session: Session, *, batch_size: int = 5000) -> ChainReport:
    """Recompute the chain in ``seq`` order, ``batch_size`` rows per query, and report its state.

    Checks, in this order, for every row: its ``seq`` is the previous one + 1 (else a row is
    missing); its ``prev_hash`` is the previous row's ``hash`` (else a row was inserted or
    rows were reordered); its ``hash`` matches its content (else it was altered).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    columns = [getattr(AuditEvent, name) for name in _HASHED_FIELDS] + [AuditEvent.prev_hash, AuditEvent.hash]
    # A chain starts at 1; rows below that would slip past the keyset queries below.
    stray = session.scalar(select(AuditEvent.seq).where(AuditEvent.seq < 1).order_by(AuditEvent.seq).limit(1))
    if stray is not None:
        return ChainReport(False, 0, stray, f"row {stray} has an impossible sequence number", None)
    checked = 0
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last_hash: str | None = None
    while True:
        # Keyset pagination: memory stays bounded however long the chain is.
        rows = session.execute(
            select(*columns).where(AuditEvent.seq >= expected_seq).order_by(AuditEvent.seq).limit(batch_size)
        ).all()
        for row in rows:
            problem = _check_row(row, expected_seq, prev_hash)
            if problem is not None:
                bad_seq, reason = problem
                return ChainReport(False, checked, bad_seq, reason, last_hash)
            checked += 1
            prev_hash = last_hash = row.hash
            expected_seq += 1
        if len(rows) < batch_size:
            break
    return ChainReport(True, checked, None, None, last_hash)


def _check_row(row: Any, expected_seq: int, prev_hash: str) -> tuple[int, str] | None:
    if row.seq != expected_seq:
        return expected_seq, f"row {expected_seq} is missing (the next row is {row.seq})"
    if row.prev_hash != prev_hash:
        previous = f"row {row.seq - 1}" if row.seq > 1 else "the start of the chain"
        return row.seq, f"row {row.seq} does not follow {previous}: a row was inserted or rows were reordered"
    if row.hash != event_hash(row.prev_hash, _hashed_fields(row)):
        return row.seq, f"row {row.seq} was altered"
    return None


def history_for_case(case_id: int) -> Select[AuditEvent]:
    """Statement selecting a case's audit events in chain order."""
    return select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
