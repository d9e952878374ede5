"""The offline rule: a calendar job opens an alarm for every device silent for too long.

Run by the worker every ``DEVICE_OFFLINE_CHECK_SECONDS``; a missed or repeated run is harmless
(the partial unique index keeps one active offline alarm per device). A device that was
registered but never sent anything is offline once the threshold has passed since its
registration. The alarm clears as soon as the device is heard from again (``alarms.py``).
New alarms reach BPMN through the outbox: a job has no engine at hand.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine import Clock
from storage import ACTIVE_ALARM_STATUSES, Alarm, AlarmSeverity, Device

from .alarm_cases import enqueue_dispatch
from .alarms import insert_alarm
from .policy import DevicePolicy

RULE = "offline"


def silent_devices(now: datetime, policy: DevicePolicy) -> Select[tuple[int, int, datetime | None]]:
    """Active devices not heard from within the threshold and without an active offline alarm."""
    threshold = now - policy.offline_after
    has_alarm = exists().where(Alarm.device_id == Device.id, Alarm.rule == RULE,
                               Alarm.status.in_(ACTIVE_ALARM_STATUSES))
    return (
        select(Device.id, Device.project_id, Device.last_seen_at)
        .where(Device.active.is_(True),
               or_(Device.last_seen_at < threshold,
                   and_(Device.last_seen_at.is_(None), Device.created_at < threshold)),
               ~has_alarm)
        .order_by(Device.id)
    )


def open_offline_alarms(session: Session, policy: DevicePolicy, now: datetime) -> list[Alarm]:
    """Open the offline alarms due at ``now`` and enqueue their dispatch (caller's transaction)."""
    opened = []
    for device_id, project_id, last_seen in session.execute(silent_devices(now, policy)).all():
        values = {"last_seen_at": last_seen.isoformat() if last_seen else None,
                  "offline_minutes": policy.offline_after.total_seconds() / 60, "measured_at": now.isoformat()}
        alarm = insert_alarm(session, device_id=device_id, project_id=project_id, rule=RULE,
                             severity=AlarmSeverity.ALARM.value, opened_at=now, last_breach_at=now, breaches=1,
                             values={"first": values, "latest": values})
        if alarm is not None:
            enqueue_dispatch(session, alarm, now)
            opened.append(alarm)
    return opened


def offline_job(config: Mapping[str, Any]) -> Callable[[sessionmaker[Session], Clock], None]:
    """The calendar job ``devices.offline_check`` (policy read once, at registration)."""
    policy = DevicePolicy.from_config(config)

    def check_offline_devices(session_factory: sessionmaker[Session], clock: Clock) -> None:
        """Open an alarm for every device silent longer than DEVICE_OFFLINE_MINUTES."""
        with session_factory() as session, session.begin():
            open_offline_alarms(session, policy, clock.now())

    return check_offline_devices
