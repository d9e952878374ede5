"""The offline rule: the calendar job opens one alarm per silent device; hearing from it clears it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from engine.outbox import OutboxDispatcher
from storage import Device, OutboxMessage
from workflows.devices import AlarmCaseHandler
from workflows.devices.family import OFFLINE_JOB


def run_job(env) -> None:
    env.registries.jobs.get(OFFLINE_JOB).func(env.sessions, env.clock)


def seen(env, device, minutes_ago: float) -> None:
    with env.sessions.begin() as s:
        s.execute(update(Device).where(Device.id == device.id)
                  .values(last_seen_at=env.clock.now() - timedelta(minutes=minutes_ago)))


def test_the_job_is_registered_on_the_configured_interval(devices_env):
    job = devices_env.registries.jobs.get(OFFLINE_JOB)
    assert job is not None and job.interval_seconds == 60


def test_silent_devices_get_one_offline_alarm_each(devices_env):
    env = devices_env
    never = env.device()                                   # registered two days ago, never heard from
    fresh = env.device(created_at=env.clock.now() - timedelta(minutes=10))  # just installed
    quiet = env.device()
    talking = env.device()
    retired = env.device(active=False)
    seen(env, quiet, 31)
    seen(env, talking, 29)
    seen(env, retired, 600)
    run_job(env)
    run_job(env)  # a repeated run adds nothing
    alarms = env.alarms()
    assert sorted(a.device_id for a in alarms) == sorted([never.id, quiet.id])
    assert {a.rule for a in alarms} == {"offline"} and {a.status for a in alarms} == {"open"}
    assert fresh.id not in {a.device_id for a in alarms}
    with env.sessions() as s:
        assert sorted(m.payload["alarm_id"] for m in s.scalars(select(OutboxMessage))) == sorted(a.id for a in alarms)


def test_the_outbox_turns_an_offline_alarm_into_a_case(devices_env):
    env = devices_env
    env.device()
    run_job(env)
    dispatcher = OutboxDispatcher()
    dispatcher.register("devices.alarm_case", AlarmCaseHandler(env.sessions, env.engine, env.policy, env.clock))
    assert dispatcher.process_once(env.sessions, env.clock) == 1
    (alarm,) = env.alarms()
    (case,) = env.cases()
    assert alarm.case_id == case.id and case.data["rule"] == "offline"
    with env.sessions() as s:
        assert s.scalar(select(OutboxMessage.status)) == "done"


def test_hearing_from_the_device_clears_its_offline_alarm(devices_env):
    env = devices_env
    dev = env.device()
    run_job(env)
    env.clock.advance(timedelta(minutes=5))
    env.sink.write_batch([env.reading(dev, "pm10", 40)])
    (alarm,) = env.alarms()
    assert (alarm.status, alarm.cleared_at) == ("cleared", env.clock.now())
    env.clock.advance(timedelta(minutes=31))
    run_job(env)  # silent again: a new alarm
    assert [a.status for a in env.alarms()] == ["cleared", "open"]


def test_refused_readings_do_not_count_as_hearing_from_a_device(devices_env):
    env = devices_env
    dev = env.device()
    run_job(env)
    env.sink.write_batch([env.reading(dev, "pm10", float("nan"))])
    assert env.alarms()[0].status == "open"
