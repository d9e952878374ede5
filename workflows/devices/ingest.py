"""The reading sink: one batch from any adapter → stored, aggregated, judged, alarms raised.

``oversite ingest`` (and every other producer of readings) gets its sink from
:func:`build_reading_sink`, so adapters only know the :class:`adapters.readings.ReadingSink`
protocol. A batch is one transaction: resolve devices (a query per protocol), check each
reading (no query), insert the new ones in bulk, upsert the aggregates and latest values,
mark the devices seen, apply the rules, open/update/clear alarms and dispatch new alarms to
BPMN, commit. Bad input never raises: each refused reading comes back with its reason.
When some devices in a batch breach a rule, their readings are committed first, in a small
transaction of their own, so their alarm cases need not wait for the rest (``alarms_first``).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import or_, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from adapters.readings import BatchResult, DeviceRef, Reading
from engine import Clock, ProcessEngine
from storage import NUL, Device
from storage.db import one_of
from storage.errors import is_contention
from storage.reading_store import AggregateRow, ReadingKey, ReadingRow, hour_of, store_batch

from . import rules
from .alarm_cases import dispatch_in_savepoint, enqueue_dispatch
from .alarms import apply_outcomes
from .policy import DevicePolicy
from .resolve import RefKey, resolve_devices
from .validation import ReadingCheck, Refused

log = logging.getLogger(__name__)

UNKNOWN_DEVICE = "unknown device"
INACTIVE_DEVICE = "device is out of service"
NUL_IN_IDENTITY = "device identity contains a NUL character"
LAST_SEEN_RESOLUTION = timedelta(seconds=10)
RETRIES = 3


def _ref_key(reading: Any) -> RefKey | None:
    ref = getattr(reading, "device", None)
    if isinstance(reading, Reading) and isinstance(ref, DeviceRef) and isinstance(ref.protocol, str) \
            and isinstance(ref.identity, str):
        return (ref.protocol, ref.identity)
    return None


def check_batch(session: Session, readings: Sequence[Any], policy: DevicePolicy, now: datetime,
                result: BatchResult) -> tuple[dict[ReadingKey, ReadingRow], dict[int, int]]:
    """Resolve and check every reading; refusals and in-batch duplicates go into ``result``.

    Returns the rows to insert (one per key) and device id → project id of accepted readings.
    """
    keys = [_ref_key(r) for r in readings]  # tuples hash in C: this loop runs per reading
    # An identity with a NUL would fail the lookup (storage.NUL), and the batch with it.
    devices = resolve_devices(session, {k for k in keys if k is not None and NUL not in k[1]})
    rows: dict[ReadingKey, ReadingRow] = {}
    project_of: dict[int, int] = {}
    check = ReadingCheck(policy, now)
    for reading, ref in zip(readings, keys):
        target = devices.get(ref) if ref is not None else None
        try:
            if ref is None:
                raise Refused("not a reading")
            if target is None and NUL in ref[1]:
                raise Refused(NUL_IN_IDENTITY)
            if target is None:
                raise Refused(f"{UNKNOWN_DEVICE} {ref[0]}:{ref[1]}")
            if not target.active:
                raise Refused(INACTIVE_DEVICE)
            when, value, spec = check(reading.quantity, reading.measured_at, reading.value, reading.unit,
                                      reading.quality)
        except Refused as exc:
            result.refused.append((reading, str(exc)))
            continue
        key = (target.device_id, reading.quantity, when)
        project_of[target.device_id] = target.project_id
        if key in rows:
            result.duplicates += 1
            continue
        rows[key] = ReadingRow(target.device_id, reading.quantity, when, value, spec.unit, reading.quality)
    return rows, project_of


def _mark_seen(session: Session, device_ids: Sequence[int], now: datetime) -> None:
    # Online state is judged in minutes: rewriting every device row on every batch (a new row
    # version and an index entry each time, and a lock other ingest processes wait for)
    # buys nothing, so last_seen_at moves only when it is LAST_SEEN_RESOLUTION old.
    if device_ids:
        session.execute(
            update(Device).where(one_of(session, Device.id, device_ids),
                                 or_(Device.last_seen_at.is_(None), Device.last_seen_at <= now - LAST_SEEN_RESOLUTION))
            .values(last_seen_at=now).execution_options(synchronize_session=False)
        )


def _outcomes(new_rows: list[ReadingRow], hourly: list[AggregateRow],
              policy: DevicePolicy) -> dict[tuple[int, str], rules.Outcome]:
    """The batch's rules verdicts per (device, rule): every new reading, every hourly mean it moved."""
    outcomes: dict[tuple[int, str], rules.Outcome] = {}
    latest_in_hour: dict[tuple[int, str, datetime], datetime] = {}
    judge, hourly_rules = rules.judge_reading, rules.HOURLY_RULES
    for row in new_rows:
        if row.quality != "ok":
            continue  # a flagged value (maintenance, calibration…) is stored but judges nothing
        judge(outcomes, policy, row.device_id, row.quantity, row.measured_at, row.value, row.unit)
        if row.quantity in hourly_rules:
            key = (row.device_id, row.quantity, hour_of(row.measured_at))
            latest = latest_in_hour.get(key)
            if latest is None or row.measured_at > latest:
                latest_in_hour[key] = row.measured_at
    for agg in hourly:
        latest = latest_in_hour.get((agg.device_id, agg.quantity, agg.bucket))
        if latest is not None:
            ev = rules.evaluate_hourly_mean(policy, agg.device_id, agg.quantity, agg.bucket, agg.count,
                                            agg.total, latest)
            if ev is not None:
                rules.record(outcomes, ev)
    return outcomes


def ingest_batch(session: Session, engine: ProcessEngine | None, policy: DevicePolicy,
                 readings: Sequence[Reading], now: datetime) -> BatchResult:
    """Store and judge ``readings`` inside the caller's transaction (never commits).

    ``engine`` None leaves new alarms to the outbox (the worker dispatches them).
    """
    result = BatchResult()
    rows, project_of = check_batch(session, readings, policy, now, result)
    stored = store_batch(session, list(rows.values()), policy.timezone, rules.HOURLY_RULES)
    new_rows = [row for key, row in rows.items() if key not in stored.duplicates] if stored.duplicates \
        else list(rows.values())
    result.stored = len(new_rows)
    result.duplicates += len(rows) - len(new_rows)
    seen = sorted(project_of)
    _mark_seen(session, seen, now)
    outcomes = _outcomes(new_rows, stored.hourly, policy)
    changes = apply_outcomes(session, outcomes, project_of, seen, policy, now)
    result.alarms_raised = len(changes.opened)
    for alarm in changes.opened:
        if engine is None:
            enqueue_dispatch(session, alarm, now)
        else:
            dispatch_in_savepoint(engine, session, alarm, policy, now)
    return result


def alarms_first(readings: Sequence[Any], policy: DevicePolicy) -> tuple[list[Any], list[Any]]:
    """Split a batch: the readings of devices with a likely single-value breach, and the rest.

    Under load a batch holds thousands of readings and its transaction takes hundreds of
    milliseconds; an alarm in it would wait for all of them before its case exists. Committing
    the few breaching devices first lets their case exist after a small transaction. Every
    reading of such a device goes first, so each device's readings are still judged together
    (duplicates in the batch, normal-after-breach) exactly as in one batch.
    """
    urgent = {_ref_key(r) for r in readings
              if isinstance(r, Reading) and rules.may_breach(policy, r.quantity, r.measured_at, r.value)}
    urgent.discard(None)
    if not urgent:
        return [], list(readings)
    first, rest = [], []
    for r in readings:
        (first if _ref_key(r) in urgent else rest).append(r)
    return first, rest


def _add(total: BatchResult, part: BatchResult) -> None:
    total.stored += part.stored
    total.duplicates += part.duplicates
    total.refused.extend(part.refused)
    total.alarms_raised += part.alarms_raised


class DeviceReadingSink:
    """The real :class:`adapters.readings.ReadingSink`: committed transactions per batch.

    A batch is one transaction, or two when some devices in it breach a rule: theirs first
    (:func:`alarms_first`), then the rest. Either way ``write_batch`` returns only after
    both committed; if the second fails it raises, the adapter acknowledges nothing, and on
    redelivery the first part's readings are recognised as duplicates (no second alarm).

    Thread-safe (it holds no mutable state); a database failure raises, so the adapter must
    not acknowledge the batch (it will be redelivered).
    """

    def __init__(self, session_factory: sessionmaker[Session], engine: ProcessEngine | None,
                 policy: DevicePolicy, clock: Clock) -> None:
        self.session_factory, self.engine, self.policy, self.clock = session_factory, engine, policy, clock

    def write_batch(self, readings: Sequence[Reading]) -> BatchResult:
        if not readings:
            return BatchResult()
        first, rest = alarms_first(readings, self.policy)
        if not first:
            result = self._commit(rest)
        else:
            result = self._commit(first)
            if rest:
                _add(result, self._commit(rest))
            position = {id(r): i for i, r in enumerate(readings)}
            result.refused.sort(key=lambda refusal: position[id(refusal[0])])  # in the batch's order
        if result.refused:
            log.info("batch of %d: %d stored, %d duplicates, %d refused (first: %s)", len(readings),
                     result.stored, result.duplicates, len(result.refused), result.refused[0][1])
        return result

    def _commit(self, readings: Sequence[Reading]) -> BatchResult:
        for attempt in range(1, RETRIES + 1):
            try:
                with self.session_factory() as session, session.begin():
                    return ingest_batch(session, self.engine, self.policy, readings, self.clock.now())
            except OperationalError as exc:
                # Concurrent ingest processes may deadlock on shared aggregate or alarm rows
                # (PostgreSQL aborts one of them): the batch was rolled back whole, run it again.
                if attempt == RETRIES or not is_contention(exc):
                    raise
                log.warning("batch of %d: %s; retrying (attempt %d)", len(readings), exc.orig, attempt + 1)
        raise AssertionError("unreachable: the last attempt returns or raises")


class SinkServices(Protocol):
    """What :func:`build_reading_sink` needs (``web.services.Services`` has it)."""

    config: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    engine: ProcessEngine
    clock: Clock


def build_reading_sink(services: SinkServices) -> DeviceReadingSink:
    """The sink ``oversite ingest`` hands to every adapter (policy read from the configuration)."""
    return DeviceReadingSink(services.session_factory, services.engine, DevicePolicy.from_config(services.config),
                             services.clock)
