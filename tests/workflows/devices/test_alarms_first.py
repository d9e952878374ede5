"""A batch with breaches commits the breaching devices first, then the rest (ingest.alarms_first)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from workflows.devices import ingest
from workflows.devices.rules import may_breach


@pytest.fixture
def calls(monkeypatch):  # type: ignore[no-untyped-def]
    """The readings of each transaction the sink ran, in order."""
    real, seen = ingest.ingest_batch, []

    def recording(session, engine, policy, readings, now):  # type: ignore[no-untyped-def]
        seen.append(list(readings))
        return real(session, engine, policy, readings, now)

    monkeypatch.setattr(ingest, "ingest_batch", recording)
    return seen


def test_breaching_devices_are_committed_first_with_all_their_readings(devices_env, calls):
    env = devices_env
    quiet = [env.device() for _ in range(3)]
    crane = env.device(device_type="crane_monitor")
    normal = [env.reading(d, "noise_leq", 50, minutes_ago=m) for d in quiet for m in range(5)]
    crane_readings = [env.reading(crane, "crane_load_pct", 40, minutes_ago=3),
                      env.reading(crane, "crane_load_pct", 105, minutes_ago=1)]
    batch = normal[:7] + [crane_readings[0], "not a reading"] + normal[7:] + [crane_readings[1]]
    result = env.sink.write_batch(batch)  # type: ignore[arg-type]
    assert [len(c) for c in calls] == [2, 16]
    assert calls[0] == crane_readings and crane_readings[0] not in calls[1]
    assert (result.stored, result.duplicates, result.alarms_raised) == (17, 0, 1)
    assert [reason for _, reason in result.refused] == ["not a reading"]
    (alarm,) = env.alarms()
    assert alarm.case_id is not None and alarm.breach_count == 1


def test_a_batch_without_breaches_is_one_transaction(devices_env, calls):
    env = devices_env
    dev = env.device()
    env.sink.write_batch([env.reading(dev, "noise_leq", 50, minutes_ago=m) for m in range(3)])
    assert len(calls) == 1


def test_a_failure_after_the_first_part_raises_and_the_redelivery_makes_no_second_alarm(devices_env, monkeypatch):
    env = devices_env
    quiet, crane = env.device(), env.device(device_type="crane_monitor")
    batch = [env.reading(quiet, "noise_leq", 50), env.reading(crane, "crane_load_pct", 105)]
    real, parts = ingest.ingest_batch, []

    def failing_second(session, engine, policy, readings, now):  # type: ignore[no-untyped-def]
        parts.append(1)
        if len(parts) == 2:
            raise RuntimeError("database went away")
        return real(session, engine, policy, readings, now)

    monkeypatch.setattr(ingest, "ingest_batch", failing_second)
    with pytest.raises(RuntimeError):
        env.sink.write_batch(batch)  # the adapter acknowledges nothing: the batch comes again
    monkeypatch.setattr(ingest, "ingest_batch", real)
    again = env.sink.write_batch(batch)
    assert (again.stored, again.duplicates, again.alarms_raised) == (1, 1, 0)
    assert len(env.alarms()) == 1 and len(env.cases()) == 1


@pytest.mark.parametrize(("quantity", "when", "value"), [
    ("crane_load_pct", datetime(2026, 3, 2, tzinfo=timezone.utc), "105"),
    ("crane_load_pct", datetime(2026, 3, 2), 105),  # naive
    ("crane_load_pct", "yesterday", 105), (["crane_load_pct"], None, 105), ("crane_load_pct", None, True),
    ("noise_leq", datetime(2026, 3, 2, tzinfo=timezone.utc), 3000),  # impossible: refused, not alarmed on
])
def test_garbage_is_never_taken_for_a_breach(devices_env, quantity, when, value):
    assert may_breach(devices_env.policy, quantity, when, value) is False


def test_a_plausible_breach_is_recognised(devices_env):
    assert may_breach(devices_env.policy, "crane_load_pct", datetime(2026, 3, 2, tzinfo=timezone.utc), 105)
