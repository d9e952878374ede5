"""Device alarms: one row per breach episode of one rule on one device.

At most one alarm per device and rule is active (open or acknowledged) at a time, however
many breaches arrive together or from concurrent ingest processes: a unique partial index
enforces it, and the ingest inserts with ``ON CONFLICT DO NOTHING`` against that index.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, intpk, utc


class AlarmStatus(StrEnum):
    OPEN = "open"                  # raised, nobody has looked at it yet
    ACKNOWLEDGED = "acknowledged"  # staff have seen it; still active until readings are normal
    CLEARED = "cleared"            # readings stayed normal long enough (or the device came back)


ACTIVE_ALARM_STATUSES = (AlarmStatus.OPEN.value, AlarmStatus.ACKNOWLEDGED.value)


class AlarmSeverity(StrEnum):
    WARNING = "warning"  # pre-warning (e.g. crane load ≥ 90 %)
    ALARM = "alarm"


SEVERITY_RANK = {AlarmSeverity.WARNING.value: 1, AlarmSeverity.ALARM.value: 2}
# The predicate of the partial unique index; ON CONFLICT must repeat it to use the index.
ACTIVE_PREDICATE = "status <> 'cleared'"


class Alarm(Base):
    __tablename__ = "alarm"
    __table_args__ = (
        Index("uq_alarm_active_device_rule", "device_id", "rule", unique=True,
              sqlite_where=text(ACTIVE_PREDICATE), postgresql_where=text(ACTIVE_PREDICATE)),
        Index("ix_alarm_project_status", "project_id", "status"),
    )

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[utc]
    last_breach_at: Mapped[utc]
    breach_count: Mapped[int] = mapped_column(default=1)
    # The breach that opened the alarm and the latest one: quantity, value, limit, unit, time.
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    cleared_at: Mapped[datetime | None]
    # The case handling it: one that caught the device_alarm signal, or a device-alarm case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    # When the signal was sent (and the case found or started); NULL until then.
    dispatched_at: Mapped[datetime | None]
