"""Alarms into BPMN: the ``device_alarm`` signal, or a device-alarm case when nobody catches it.

Where it runs, and why. An alarm opened by the ingest is dispatched **in the ingest's own
transaction**, inside a SAVEPOINT: the alarm and its case then commit together (there is
never an alarm without a case, and exactly one case, since only the transaction that inserted
the alarm sees it), and the case exists as soon as the batch commits — the outbox would add
a worker poll (seconds) to every alarm, against an alarm-to-case target of 1 s. Alarms are
rare next to readings, so the engine step costs the batch little. Readings must never be lost
because of a case, so a failing dispatch (model not deployed, a broken new model version…) is
rolled back to the savepoint alone and handed to the outbox (``devices.alarm_case``), which
retries it with backoff. The offline job has no engine at hand and always goes through the
outbox. Either way the alarm row is locked and ``dispatched_at`` checked, so a retry never
makes a second case.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, Clock, ProcessEngine, Scope
from storage import Alarm, Device, ProcessInstance
from storage.audit_queue import savepoint
from storage.outbox import enqueue

from .policy import DevicePolicy
from .rules import RULE_NAMES

log = logging.getLogger(__name__)

ALARM_SIGNAL = "device_alarm"
OUTBOX_KIND = "devices.alarm_case"
# Who raises alarms in the audit trail: the platform, on behalf of the devices.
DEVICES_ACTOR = Actor(username="system:devices", scopes=(Scope("system"),))


def signal_payload(alarm: Alarm, device: Device) -> dict[str, Any]:
    """What a catching instance receives (its signal variable): rule, device, values, alarm id."""
    latest = (alarm.values or {}).get("latest") or {}
    return {
        "alarm_id": alarm.id, "rule": alarm.rule, "severity": alarm.severity,
        "device_id": device.id, "device": device.code, "device_type": device.device_type,
        "project_id": alarm.project_id, "values": dict(latest),
    }


def case_data(alarm: Alarm, device: Device, policy: DevicePolicy) -> dict[str, Any]:
    """The device-alarm case's first round: flat, plain values."""
    latest = (alarm.values or {}).get("latest") or {}
    return {
        "alarm_id": alarm.id, "rule": alarm.rule, "severity": alarm.severity, "device_id": device.id,
        "device_code": device.code, "device_type": device.device_type,
        "quantity": latest.get("quantity"), "value": latest.get("value", latest.get("hourly_mean")),
        "limit": latest.get("limit"), "unit": latest.get("unit"), "measured_at": latest.get("measured_at"),
        "rectify_due": f"PT{policy.rectify_hours}H", "verify_due": f"PT{policy.verify_hours}H", "round": 1,
    }


def dispatch_alarm(engine: ProcessEngine, session: Session, alarm: Alarm, policy: DevicePolicy,
                   now: datetime) -> int:
    """Signal ``device_alarm`` in the alarm's project; start a case if no instance caught it.

    Returns the id of the case now handling the alarm (recorded on the alarm).
    """
    device = session.get(Device, alarm.device_id)
    assert device is not None
    delivered = engine.signal(session, ALARM_SIGNAL, signal_payload(alarm, device), DEVICES_ACTOR,
                              project_id=alarm.project_id)
    if delivered:
        case_id = session.scalar(select(ProcessInstance.case_id).where(ProcessInstance.id == delivered[0]))
    else:
        case = engine.start_case(session, policy.alarm_process_key, case_data(alarm, device, policy),
                                 DEVICES_ACTOR, project_id=alarm.project_id,
                                 title=f"设备报警 {device.code}：{RULE_NAMES.get(alarm.rule, alarm.rule)}")
        case_id = case.id
    alarm.case_id = case_id
    alarm.dispatched_at = now
    session.flush()
    assert case_id is not None
    return case_id


def enqueue_dispatch(session: Session, alarm: Alarm, now: datetime) -> None:
    """Leave the alarm's dispatch to the worker (idempotent per alarm)."""
    enqueue(session, OUTBOX_KIND, {"alarm_id": alarm.id}, now=now, dedupe_key=f"{OUTBOX_KIND}:{alarm.id}")


def dispatch_in_savepoint(engine: ProcessEngine, session: Session, alarm: Alarm, policy: DevicePolicy,
                          now: datetime) -> bool:
    """Dispatch now; on any failure roll back to the savepoint and enqueue a retry instead."""
    try:
        with savepoint(session):
            dispatch_alarm(engine, session, alarm, policy, now)
        return True
    except Exception:  # noqa: BLE001 - whatever the engine raised, the readings must commit
        log.exception("alarm %s: dispatch failed; the worker will retry it through the outbox", alarm.id)
        enqueue_dispatch(session, alarm, now)
        return False


class SupportsAlarmCases(Protocol):
    config: Mapping[str, Any]
    session_factory: sessionmaker[Session]
    engine: ProcessEngine
    clock: Clock


class AlarmCaseHandler:
    """Outbox handler of ``devices.alarm_case``: dispatch the alarm unless already done."""

    def __init__(self, session_factory: sessionmaker[Session], engine: ProcessEngine, policy: DevicePolicy,
                 clock: Clock) -> None:
        self.session_factory, self.engine, self.policy, self.clock = session_factory, engine, policy, clock

    def __call__(self, payload: dict[str, Any]) -> None:
        alarm_id = int(payload["alarm_id"])
        with self.session_factory() as session, session.begin():
            alarm = session.scalars(select(Alarm).where(Alarm.id == alarm_id).with_for_update()).first()
            if alarm is None or alarm.dispatched_at is not None:
                return  # a redelivery: the first run already made the case
            dispatch_alarm(self.engine, session, alarm, self.policy, self.clock.now())


def build_alarm_case_handler(services: SupportsAlarmCases) -> AlarmCaseHandler:
    """For ``web.cli.worker.register_outbox_handlers``."""
    return AlarmCaseHandler(services.session_factory, services.engine, DevicePolicy.from_config(services.config),
                            services.clock)
