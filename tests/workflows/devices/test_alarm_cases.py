"""Alarms into BPMN: one alarm → one signal → the waiting case, or one device-alarm case, and its rounds."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine import Actor, BpmnFile, FieldErrors, Scope
from storage import AuditEvent, Case, Document, OutboxMessage, ProcessInstance
from tests.fixtures import bpmn
from tests.fixtures.devices import ACME, ADMIN
from workflows.devices import AlarmCaseHandler
from workflows.devices.ingest import DeviceReadingSink
from workflows.devices.policy import DevicePolicy

CONTRACTOR = Actor("acme", None, (Scope("enterprise", None, ACME),))
INSPECTOR = Actor("insp", None, (Scope("inspector", "海曙区"),))
DADMIN = Actor("dadmin", None, (Scope("district_admin", "海曙区"),))

SIGNAL = ('<bpmn:signal id="Sig_alarm" name="device_alarm"><bpmn:extensionElements>'
          '<spiffworkflow:variableName>alarm</spiffworkflow:variableName></bpmn:extensionElements></bpmn:signal>')
WAITER = bpmn.process("alarm_waiter", (
    '<bpmn:startEvent id="start"/>'
    '<bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="Sig_alarm"/>'
    '</bpmn:intermediateCatchEvent>' + bpmn.user_task("handle") + '<bpmn:endEvent id="end"/>'
    + bpmn.flow("f1", "start", "wait") + bpmn.flow("f2", "wait", "handle") + bpmn.flow("f3", "handle", "end")),
    extra=SIGNAL)


def breach(env, device=None):
    device = device or env.device()
    result = env.sink.write_batch([env.reading(device, "noise_leq", 80)])
    assert result.alarms_raised == 1
    return env.alarms()[-1]


def complete(env, task, data, actor):
    with env.sessions.begin() as s:
        env.engine.complete(s, task.id, data, actor)


def upload(env, case_id: int) -> int:
    with env.sessions.begin() as s:
        doc = Document(sha256="0" * 64, case_id=case_id, kind="evidence", filename="photo.png",
                       content_type="image/png", size=1)
        s.add(doc)
        s.flush()
        return doc.id


def test_a_breach_makes_one_alarm_and_one_device_alarm_case_dispatched_to_the_contractor(devices_env):
    env = devices_env
    alarm = breach(env)
    (case,) = env.cases()
    assert (alarm.case_id, alarm.dispatched_at) == (case.id, env.clock.now())
    assert (case.process_key, case.project_id, case.district, case.enterprise_code) == (
        "device_alarm", env.projects["p1"], "海曙区", ACME)
    assert case.data["alarm_id"] == alarm.id and case.data["rule"] == "noise_leq"
    (task,) = env.open_tasks(case.id)
    assert (task.bpmn_id, task.role, task.form_key) == ("rectify", "enterprise", "supervision.rectification_reply")
    assert task.for_enterprise == ACME  # the contractor's alone, not every party's
    assert task.due_at == env.clock.now() + timedelta(hours=24)
    assert task.data["dispatch"]["value"] == 80 and task.data["dispatch"]["limit"] == 70


def test_the_signal_reaches_a_waiting_case_of_the_project_instead(devices_env):
    env = devices_env
    with env.sessions.begin() as s:
        env.engine.deploy(s, [BpmnFile("waiter.bpmn", WAITER)], ADMIN)
        other = env.engine.start_case(s, "alarm_waiter", {}, ADMIN, project_id=env.projects["p2"]).id
        waiting = env.engine.start_case(s, "alarm_waiter", {}, ADMIN, project_id=env.projects["p1"]).id
    dev = env.device()
    alarm = breach(env, dev)
    assert alarm.case_id == waiting
    assert [c.process_key for c in env.cases()] == ["alarm_waiter", "alarm_waiter"]  # no device-alarm case
    (task,) = env.open_tasks(waiting)
    assert task.bpmn_id == "handle"
    assert task.data["alarm"] == {
        "alarm_id": alarm.id, "rule": "noise_leq", "severity": "alarm", "device_id": dev.id, "device": dev.code,
        "device_type": "dust_noise_monitor", "project_id": env.projects["p1"],
        "values": {"quantity": "noise_leq", "value": 80, "unit": "dB(A)", "limit": 70, "period": "day",
                   "measured_at": env.clock.now().isoformat()}}
    assert env.open_tasks(other) == []  # the other project's waiter still waits
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.case_id == other, ProcessInstance.status == "running")) == 1


def test_a_failed_dispatch_keeps_the_readings_and_the_outbox_makes_exactly_one_case(devices_env):
    env = devices_env
    broken = DevicePolicy.from_config({**env.config, "DEVICE_ALARM_PROCESS_KEY": "not_deployed"})
    sink = DeviceReadingSink(env.sessions, env.engine, broken, env.clock)
    dev = env.device()
    result = sink.write_batch([env.reading(dev, "noise_leq", 80), env.reading(dev, "pm10", 20)])
    assert (result.stored, result.alarms_raised) == (2, 1)
    (alarm,) = env.alarms()
    assert alarm.case_id is None and alarm.dispatched_at is None and env.cases() == []
    with env.sessions() as s:
        (msg,) = s.scalars(select(OutboxMessage)).all()
        assert (msg.kind, msg.payload) == ("devices.alarm_case", {"alarm_id": alarm.id})
        # The savepoint's engine steps left nothing in the audit chain.
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.started")) == 0
    handler = AlarmCaseHandler(env.sessions, env.engine, env.policy, env.clock)
    handler({"alarm_id": alarm.id})
    handler({"alarm_id": alarm.id})  # a redelivery
    (case,) = env.cases()
    assert env.alarms()[0].case_id == case.id
    handler({"alarm_id": 424242})  # an alarm that is gone: nothing to do


def test_verified_rectification_closes_the_case(devices_env):
    env = devices_env
    alarm = breach(env)
    (rectify,) = env.open_tasks(alarm.case_id)
    reply = {"measures": "洒水降尘，停止夜间施工", "completed_on": "2026-03-02", "evidence": [9999]}
    with pytest.raises(FieldErrors) as refused:
        complete(env, rectify, reply, CONTRACTOR)
    assert refused.value.errors == {"evidence": ["Document 9999 was not uploaded to this case."]}
    complete(env, rectify, {**reply, "evidence": [upload(env, alarm.case_id)]}, CONTRACTOR)
    (verify,) = env.open_tasks(alarm.case_id)
    assert (verify.bpmn_id, verify.role) == ("verify", "inspector")
    assert verify.due_at == env.clock.now() + timedelta(hours=72)
    complete(env, verify, {"reviewed_on": "2026-03-02", "result": "accepted", "opinion": "整改到位"}, INSPECTOR)
    with env.sessions() as s:
        case = s.get(Case, alarm.case_id)
        assert case.status == "completed" and case.data["outcome"] == "closed"
        assert case.data["verification"] == "accepted"


def test_rejected_verification_starts_the_next_round_with_the_new_deadline(devices_env):
    env = devices_env
    alarm = breach(env)
    (rectify,) = env.open_tasks(alarm.case_id)
    complete(env, rectify, {"measures": "已整改", "completed_on": "2026-03-02",
                            "evidence": [upload(env, alarm.case_id)]}, CONTRACTOR)
    (verify,) = env.open_tasks(alarm.case_id)
    complete(env, verify, {"reviewed_on": "2026-03-02", "result": "rejected", "opinion": "仍超标",
                           "next_deadline": "2026-03-05"}, INSPECTOR)
    (again,) = env.open_tasks(alarm.case_id)
    assert again.bpmn_id == "rectify" and again.data["round"] == 2
    assert again.due_at.isoformat() == "2026-03-05T15:59:59+00:00"  # end of 5 March in Shanghai
    with env.sessions() as s:
        assert s.get(Case, alarm.case_id).status == "active"


def test_an_overdue_rectification_is_escalated_and_goes_on(devices_env):
    env = devices_env
    alarm = breach(env)
    env.clock.advance(timedelta(hours=24, minutes=1))
    assert env.engine.fire_due_timers(env.sessions) == 1
    (escalate,) = env.open_tasks(alarm.case_id)
    assert (escalate.bpmn_id, escalate.role, escalate.form_key) == ("escalate", "district_admin",
                                                                    "supervision.escalation")
    with pytest.raises(FieldErrors):  # a new deadline must lie in the future
        complete(env, escalate, {"decision": "stop_work", "reasons": "逾期未整改", "new_deadline": "2026-03-01"},
                 DADMIN)
    complete(env, escalate, {"decision": "stop_work", "reasons": "逾期未整改", "new_deadline": "2026-03-06"}, DADMIN)
    (again,) = env.open_tasks(alarm.case_id)
    assert again.bpmn_id == "rectify" and again.data["round"] == 2
    with env.sessions() as s:
        case = s.get(Case, alarm.case_id)
        assert case.data["escalated"] is True and case.data["escalation"] == "stop_work"
