"""The alarm lifecycle: open → (acknowledged) → cleared, one active alarm per device and rule.

A batch's outcomes (``rules.summarize``) open new alarms, add breaches to active ones and
clear those whose readings stayed normal for ``ALARM_CLEAR_AFTER_MINUTES`` after the last
breach. Opening inserts against the partial unique index with ``ON CONFLICT DO NOTHING``, so
concurrent ingest processes breaching the same rule on the same device still make one alarm;
the loser of that race adds its breaches to the winner's alarm instead.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import Actor, Conflict, NotFound
from storage import ACTIVE_ALARM_STATUSES, Alarm, AlarmStatus, is_postgres
from storage.alarms import ACTIVE_PREDICATE, SEVERITY_RANK
from storage.db import one_of

from .policy import DevicePolicy
from .rules import Outcome


@dataclass
class AlarmChanges:
    opened: list[Alarm] = field(default_factory=list)
    updated: int = 0
    cleared: int = 0


def active_alarms(session: Session, device_ids: Collection[int]) -> dict[tuple[int, str], Alarm]:
    """Active alarms of these devices, locked (PostgreSQL) so concurrent batches update them in turn."""
    if not device_ids:
        return {}
    rows = session.scalars(
        select(Alarm).where(one_of(session, Alarm.device_id, sorted(device_ids)),
                            Alarm.status.in_(ACTIVE_ALARM_STATUSES))
        .order_by(Alarm.id).with_for_update()
    )
    return {(a.device_id, a.rule): a for a in rows}


def _add_breaches(alarm: Alarm, out: Outcome) -> None:
    assert out.worst is not None and out.last_breach_at is not None
    alarm.breach_count += out.breaches
    if out.last_breach_at > alarm.last_breach_at:
        alarm.last_breach_at = out.last_breach_at
    if SEVERITY_RANK[out.worst.severity or ""] > SEVERITY_RANK[alarm.severity]:
        alarm.severity = out.worst.severity or alarm.severity
    alarm.values = {**(alarm.values or {}), "latest": out.worst.values}


def _maybe_clear(alarm: Alarm, out: Outcome, policy: DevicePolicy, now: datetime) -> bool:
    normal = out.last_normal_at
    if normal is None or normal - alarm.last_breach_at < policy.clear_after:
        return False
    alarm.status = AlarmStatus.CLEARED.value
    alarm.cleared_at = now
    return True


def insert_alarm(session: Session, *, device_id: int, project_id: int, rule: str, severity: str,
                 opened_at: datetime, last_breach_at: datetime, breaches: int,
                 values: dict[str, Any]) -> Alarm | None:
    """Open an alarm unless one is active for the device and rule (then None)."""
    ins = (postgresql.insert if is_postgres(session) else sqlite.insert)(Alarm)
    stmt = ins.values(
        device_id=device_id, project_id=project_id, rule=rule, severity=severity,
        status=AlarmStatus.OPEN.value, opened_at=opened_at, last_breach_at=last_breach_at,
        breach_count=breaches, values=values,
    ).on_conflict_do_nothing(index_elements=["device_id", "rule"], index_where=text(ACTIVE_PREDICATE)
                             ).returning(Alarm.id)
    alarm_id = session.scalar(stmt)
    return session.get(Alarm, alarm_id) if alarm_id is not None else None


def apply_outcomes(session: Session, outcomes: Mapping[tuple[int, str], Outcome], project_of: Mapping[int, int],
                   seen_devices: Collection[int], policy: DevicePolicy, now: datetime) -> AlarmChanges:
    """Open, update and clear alarms for one batch (inside its transaction).

    Args:
        outcomes: per (device, rule), what the batch's readings said.
        project_of: device id → project id, for every device in ``outcomes``.
        seen_devices: devices that sent accepted readings (their offline alarms clear).
    """
    changes = AlarmChanges()
    active = active_alarms(session, {d for d, _ in outcomes} | set(seen_devices))
    for (device_id, rule), alarm in active.items():
        if rule == "offline" and device_id in seen_devices:
            alarm.status, alarm.cleared_at = AlarmStatus.CLEARED.value, now
            changes.cleared += 1
    for key in sorted(outcomes):
        out, alarm = outcomes[key], active.get(key)
        if alarm is None and out.worst is not None:
            assert out.last_breach_at is not None
            opened = insert_alarm(
                session, device_id=key[0], project_id=project_of[key[0]], rule=key[1],
                severity=out.worst.severity or "alarm", opened_at=now, last_breach_at=out.last_breach_at,
                breaches=out.breaches, values={"first": out.worst.values, "latest": out.worst.values},
            )
            if opened is not None:
                changes.opened.append(opened)
                continue
            # Another transaction opened it meanwhile (and has committed): add to that one.
            alarm = active_alarms(session, [key[0]]).get(key)
        if alarm is None:
            continue
        if out.worst is not None:
            _add_breaches(alarm, out)
            changes.updated += 1
        if _maybe_clear(alarm, out, policy, now):
            changes.cleared += 1
    session.flush()
    return changes


def acknowledge(session: Session, alarm_id: int, actor: Actor, now: datetime) -> Alarm:
    """Staff have seen the alarm (it stays active until its readings are normal).

    Raises:
        NotFound: no such alarm.
        Conflict: the alarm is already acknowledged or cleared.
    """
    alarm = session.scalars(select(Alarm).where(Alarm.id == alarm_id).with_for_update()).first()
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} does not exist")
    if alarm.status != AlarmStatus.OPEN.value:
        raise Conflict(f"alarm {alarm_id} is {alarm.status}, not open")
    alarm.status = AlarmStatus.ACKNOWLEDGED.value
    alarm.acknowledged_at = now
    alarm.acknowledged_by = actor.username
    session.flush()
    return alarm
