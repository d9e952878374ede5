"""The alarm lifecycle: one active alarm per device and rule, breaches added, cleared, acknowledged."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from engine import Actor, Conflict, NotFound, Scope
from storage import Alarm
from workflows.devices.alarms import acknowledge

NIGHT = datetime(2026, 3, 1, 15, 0, tzinfo=timezone.utc)  # 23:00 in Shanghai


def test_a_burst_of_breaches_opens_one_alarm_and_one_case(devices_env):
    env = devices_env
    dev = env.device()
    burst = [env.reading(dev, "noise_leq", 75 + i % 5, minutes_ago=i / 60) for i in range(50)]
    result = env.sink.write_batch(burst)
    assert result.alarms_raised == 1
    (alarm,) = env.alarms()
    assert (alarm.rule, alarm.severity, alarm.status, alarm.breach_count) == ("noise_leq", "alarm", "open", 50)
    assert alarm.values["latest"]["limit"] == 70 and alarm.values["latest"]["period"] == "day"
    assert alarm.opened_at == env.clock.now() and alarm.case_id is not None
    assert len(env.cases()) == 1
    # More breaches later add to the same alarm: no new alarm, no new case.
    env.clock.advance(timedelta(minutes=5))
    again = env.sink.write_batch([env.reading(dev, "noise_leq", 80)])
    assert again.alarms_raised == 0
    (alarm,) = env.alarms()
    assert alarm.breach_count == 51 and alarm.last_breach_at == env.clock.now()
    assert len(env.cases()) == 1


def test_concurrent_batches_breaching_the_same_rule_make_one_alarm(devices_env, db_engine):
    env = devices_env
    dev = env.device()
    results, errors = [], []
    barrier = threading.Barrier(4)

    def push(offset: int) -> None:
        try:
            barrier.wait()
            results.append(env.sink.write_batch([env.reading(dev, "pm10", 400, minutes_ago=offset)]))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.alarms_raised for r in results) == 1
    (alarm,) = env.alarms()
    assert alarm.breach_count == 4 and alarm.rule == "pm10_hourly"
    assert len(env.cases()) == 1


@pytest.mark.parametrize(("at", "value", "breach"), [
    (NIGHT, 56, True), (NIGHT, 55, False), (NIGHT - timedelta(hours=2), 69, False),  # 21:00 is day
    (NIGHT - timedelta(hours=1), 70.5, True),
    (datetime(2026, 3, 1, 21, 59, tzinfo=timezone.utc), 60, True),   # 05:59 local: night
    (datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc), 60, False),   # 06:00 local: day
])
def test_noise_leq_day_and_night_limits(devices_env, at, value, breach):
    env = devices_env
    dev = env.device()
    assert env.sink.write_batch([env.reading(dev, "noise_leq", value, at=at)]).alarms_raised == int(breach)


def test_night_lmax_may_exceed_the_night_limit_by_15(devices_env):
    env = devices_env
    dev = env.device()
    assert env.sink.write_batch([env.reading(dev, "noise_lmax", 70, at=NIGHT)]).alarms_raised == 0
    assert env.sink.write_batch([env.reading(dev, "noise_lmax", 90, minutes_ago=1)]).alarms_raised == 0  # day
    assert env.sink.write_batch([env.reading(dev, "noise_lmax", 70.1, at=NIGHT + timedelta(minutes=1))]).alarms_raised == 1
    assert env.alarms()[0].rule == "noise_lmax"


def test_pm10_alarms_on_the_hourly_mean_not_on_a_single_peak(devices_env):
    env = devices_env
    dev = env.device()
    hour = datetime(2026, 3, 2, 0, 0, tzinfo=timezone.utc)
    assert env.sink.write_batch([env.reading(dev, "pm10", 100, at=hour + timedelta(minutes=m)) for m in (0, 10, 20)]
                                ).alarms_raised == 0
    # A peak of 290: the mean of the hour so far is (300 + 290) / 4 = 147.5 ≤ 150.
    assert env.sink.write_batch([env.reading(dev, "pm10", 290, at=hour + timedelta(minutes=30))]).alarms_raised == 0
    # Another: (590 + 200) / 5 = 158 > 150.
    assert env.sink.write_batch([env.reading(dev, "pm10", 200, at=hour + timedelta(minutes=40))]).alarms_raised == 1
    (alarm,) = env.alarms()
    assert alarm.rule == "pm10_hourly" and alarm.values["first"]["hourly_mean"] == 158
    assert alarm.values["first"]["count"] == 5 and alarm.last_breach_at == hour + timedelta(minutes=40)


def test_crane_prewarning_escalates_to_alarm_on_the_same_record(devices_env):
    env = devices_env
    crane = env.device(device_type="crane_monitor")
    assert env.sink.write_batch([env.reading(crane, "crane_load_pct", 89.9, minutes_ago=3)]).alarms_raised == 0
    assert env.sink.write_batch([env.reading(crane, "crane_load_pct", 90, minutes_ago=2)]).alarms_raised == 1
    (alarm,) = env.alarms()
    assert (alarm.rule, alarm.severity) == ("crane_load", "warning")
    assert env.sink.write_batch([env.reading(crane, "crane_load_pct", 100, minutes_ago=1),
                                 env.reading(crane, "crane_moment_pct", 95, minutes_ago=1)]).alarms_raised == 1
    load, moment = env.alarms()
    assert (load.rule, load.severity, load.breach_count) == ("crane_load", "alarm", 2)
    assert load.values["first"]["value"] == 90 and load.values["latest"]["value"] == 100
    assert (moment.rule, moment.severity) == ("crane_moment", "warning")


def test_wind_at_beaufort_6_stops_work(devices_env):
    env = devices_env
    crane = env.device(device_type="crane_monitor")
    assert env.sink.write_batch([env.reading(crane, "wind_speed", 13.7, minutes_ago=1)]).alarms_raised == 0
    assert env.sink.write_batch([env.reading(crane, "wind_speed", 13.8)]).alarms_raised == 1
    assert env.alarms()[0].rule == "wind"


def test_flagged_readings_judge_nothing(devices_env):
    env = devices_env
    dev = env.device()
    result = env.sink.write_batch([env.reading(dev, "noise_leq", 99, quality="calibration")])
    assert result.stored == 1 and result.alarms_raised == 0


def test_an_alarm_clears_after_readings_stay_normal_long_enough(devices_env):
    env = devices_env
    dev = env.device()
    t0 = env.clock.now()
    env.sink.write_batch([env.reading(dev, "noise_leq", 80)])
    for minutes in (10, 20, 29):
        env.clock.set(t0 + timedelta(minutes=minutes))
        env.sink.write_batch([env.reading(dev, "noise_leq", 60)])
        assert env.alarms()[0].status == "open", minutes
    # A breach in between restarts the wait.
    env.clock.set(t0 + timedelta(minutes=29, seconds=30))
    env.sink.write_batch([env.reading(dev, "noise_leq", 75)])
    env.clock.set(t0 + timedelta(minutes=50))
    env.sink.write_batch([env.reading(dev, "noise_leq", 60)])
    assert env.alarms()[0].status == "open"
    env.clock.set(t0 + timedelta(minutes=60))
    env.sink.write_batch([env.reading(dev, "noise_leq", 60)])
    (alarm,) = env.alarms()
    assert (alarm.status, alarm.cleared_at) == ("cleared", env.clock.now())
    # A new breach after clearing is a new alarm (and a new case).
    env.clock.advance(timedelta(minutes=1))
    assert env.sink.write_batch([env.reading(dev, "noise_leq", 90)]).alarms_raised == 1
    assert [a.status for a in env.alarms()] == ["cleared", "open"]
    assert len(env.cases()) == 2


def test_acknowledge(devices_env):
    env = devices_env
    dev = env.device()
    env.sink.write_batch([env.reading(dev, "noise_leq", 80)])
    (alarm,) = env.alarms()
    staff = Actor("insp", 1, (Scope("inspector", "海曙区"),))
    with env.sessions.begin() as s:
        acked = acknowledge(s, alarm.id, staff, env.clock.now())
        assert (acked.status, acked.acknowledged_by) == ("acknowledged", "insp")
    with env.sessions.begin() as s, pytest.raises(Conflict):
        acknowledge(s, alarm.id, staff, env.clock.now())
    with env.sessions.begin() as s, pytest.raises(NotFound):
        acknowledge(s, 9999, staff, env.clock.now())
    # Acknowledged is still active: new breaches add to it.
    assert env.sink.write_batch([env.reading(dev, "noise_leq", 85, minutes_ago=-1)]).alarms_raised == 0
    with env.sessions() as s:
        assert s.scalar(select(Alarm.breach_count)) == 2
