"""Read side of devices: device lists, a project's readings, alarms, a site's last 24 hours.

Every list is filtered by what the actor may read (the project's visibility) and returns
statements or plain rows; pagination is ``engine.queries.paginate``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from engine import Actor
from storage import ACTIVE_ALARM_STATUSES, Alarm, Case, Device, Project, Reading, ReadingHourly, ReadingLatest
from storage.devices import online_clause

from .access import visible_project_ids

DAY = timedelta(hours=24)


@dataclass(frozen=True)
class DeviceFilter:
    project_id: int | None = None
    device_type: str | None = None
    protocol: str | None = None
    online: bool | None = None


def devices_query(actor: Actor, f: DeviceFilter, now: datetime, offline_after: timedelta) -> Select[tuple[Device]]:
    stmt = select(Device).where(Device.project_id.in_(visible_project_ids(actor)))
    if f.project_id is not None:
        stmt = stmt.where(Device.project_id == f.project_id)
    if f.device_type:
        stmt = stmt.where(Device.device_type == f.device_type)
    if f.protocol:
        stmt = stmt.where(Device.protocol == f.protocol)
    if f.online is not None:
        online = online_clause(now, offline_after)
        stmt = stmt.where(online if f.online else ~online)
    return stmt.order_by(Device.project_id, Device.code)


def readings_query(project_id: int, quantity: str | None, device_id: int | None, start: datetime,
                   end: datetime) -> Select[tuple[Reading]]:
    """A project's readings in ``[start, end)``, newest first (the open-data interface)."""
    devices = select(Device.id).where(Device.project_id == project_id)
    if device_id is not None:
        devices = devices.where(Device.id == device_id)
    stmt = select(Reading).where(Reading.device_id.in_(devices), Reading.measured_at >= start,
                                 Reading.measured_at < end)
    if quantity:
        stmt = stmt.where(Reading.quantity == quantity)
    return stmt.order_by(Reading.measured_at.desc(), Reading.device_id, Reading.quantity)


@dataclass(frozen=True)
class AlarmFilter:
    status: str | None = None  # open, acknowledged, cleared, or "active" (open or acknowledged)
    project_id: int | None = None
    device_id: int | None = None
    rule: str | None = None


def alarms_query(actor: Actor, f: AlarmFilter) -> Select[tuple[Alarm]]:
    stmt = select(Alarm).where(Alarm.project_id.in_(visible_project_ids(actor)))
    if f.status == "active":
        stmt = stmt.where(Alarm.status.in_(ACTIVE_ALARM_STATUSES))
    elif f.status:
        stmt = stmt.where(Alarm.status == f.status)
    if f.project_id is not None:
        stmt = stmt.where(Alarm.project_id == f.project_id)
    if f.device_id is not None:
        stmt = stmt.where(Alarm.device_id == f.device_id)
    if f.rule:
        stmt = stmt.where(Alarm.rule == f.rule)
    return stmt.order_by(Alarm.opened_at.desc(), Alarm.id.desc())


@dataclass(frozen=True)
class SiteRow:
    project_id: int
    code: str
    name: str
    district: str | None
    devices: int
    online: int
    active_alarms: int


def site_list(session: Session, actor: Actor, now: datetime, offline_after: timedelta) -> list[SiteRow]:
    """Projects with devices that ``actor`` may read, with device and active-alarm counts (two queries)."""
    online = online_clause(now, offline_after)
    rows = session.execute(
        select(Project.id, Project.code, Project.name, Project.district, func.count(Device.id),
               func.count(Device.id).filter(online))
        .join(Device, Device.project_id == Project.id)
        .where(Project.id.in_(visible_project_ids(actor)))
        .group_by(Project.id, Project.code, Project.name, Project.district)
        .order_by(Project.district, Project.code)).all()
    alarms = {pid: n for pid, n in session.execute(
        select(Alarm.project_id, func.count()).where(Alarm.project_id.in_([r[0] for r in rows]),
                                                     Alarm.status.in_(ACTIVE_ALARM_STATUSES))
        .group_by(Alarm.project_id))} if rows else {}
    return [SiteRow(pid, code, name, district, total, up, alarms.get(pid, 0))
            for pid, code, name, district, total, up in rows]


@dataclass(frozen=True)
class SiteView:
    """What the site page shows for one project."""

    devices: list[Device]
    latest: list[ReadingLatest]
    hourly: list[ReadingHourly]
    alarms: list[tuple[Alarm, Case | None]]
    since: datetime


def site_view(session: Session, project_id: int, now: datetime) -> SiteView:
    """Devices, latest values, the last 24 hourly means and active alarms (with their cases)."""
    devices = list(session.scalars(select(Device).where(Device.project_id == project_id).order_by(Device.code)))
    ids = [d.id for d in devices]
    since = now - DAY
    latest = list(session.scalars(select(ReadingLatest).where(ReadingLatest.device_id.in_(ids))
                                  .order_by(ReadingLatest.device_id, ReadingLatest.quantity))) if ids else []
    hourly = list(session.scalars(
        select(ReadingHourly).where(ReadingHourly.device_id.in_(ids), ReadingHourly.hour >= since)
        .order_by(ReadingHourly.device_id, ReadingHourly.quantity, ReadingHourly.hour))) if ids else []
    alarms = [(a, c) for a, c in session.execute(
        select(Alarm, Case).outerjoin(Case, Case.id == Alarm.case_id)
        .where(Alarm.project_id == project_id, Alarm.status.in_(ACTIVE_ALARM_STATUSES))
        .order_by(Alarm.opened_at.desc()))]
    return SiteView(devices, latest, hourly, alarms, since)


def chart_series(view: SiteView, devices: Sequence[Device]) -> list[dict[str, Any]]:
    """One ECharts series per device and quantity: ``[hour ISO, mean, min, max]`` points."""
    codes = {d.id: d.code for d in devices}
    series: dict[tuple[int, str], dict[str, Any]] = {}
    for row in view.hourly:
        entry = series.setdefault((row.device_id, row.quantity), {
            "device": codes.get(row.device_id, str(row.device_id)), "quantity": row.quantity, "points": []})
        entry["points"].append([row.hour.isoformat(), round(row.mean, 3), row.min, row.max])
    return list(series.values())
