"""The reading sink: bad input counted with reasons, duplicates, aggregates, latest values, last seen."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from adapters.readings import DeviceRef, Reading
from storage import Device, Reading as StoredReading, ReadingDaily, ReadingHourly, ReadingLatest
from workflows.devices import build_reading_sink


def stored(env) -> list[StoredReading]:
    with env.sessions() as s:
        return list(s.scalars(select(StoredReading).order_by(StoredReading.measured_at, StoredReading.quantity)))


def reasons(result) -> list[str]:
    return [reason for _, reason in result.refused]


def test_good_readings_are_stored_in_canonical_units(devices_env):
    env = devices_env
    dev = env.device()
    result = env.sink.write_batch([
        env.reading(dev, "pm10", 80.5, "ug/m3", minutes_ago=2),
        env.reading(dev, "noise_leq", 61.2, "dBA", minutes_ago=2),
        env.reading(dev, "wind_speed", 3.0, minutes_ago=1),  # no unit: the canonical one
    ])
    assert (result.stored, result.duplicates, result.refused, result.alarms_raised) == (3, 0, [], 0)
    rows = stored(env)
    assert [(r.quantity, r.value, r.unit, r.quality) for r in rows] == [
        ("noise_leq", 61.2, "dB(A)", "ok"), ("pm10", 80.5, "µg/m³", "ok"), ("wind_speed", 3.0, "m/s", "ok")]
    assert rows[0].measured_at == env.clock.now() - timedelta(minutes=2)


def test_bad_input_is_refused_with_reasons_and_never_raises(devices_env):
    env = devices_env
    dev = env.device()
    retired = env.device(active=False)
    now = env.clock.now()
    batch = [
        Reading(DeviceRef("mqtt", "P1/nope"), now, "pm10", 50, ""),
        Reading(DeviceRef("hj212", "NO-SUCH-MN"), now, "pm10", 50, ""),
        Reading(DeviceRef("modbus", "garbage"), now, "pm10", 50, ""),
        Reading(DeviceRef("carrier-pigeon", "1"), now, "pm10", 50, ""),
        env.reading(retired, "pm10", 50),
        env.reading(dev, "pm10", 50, at=now + timedelta(minutes=6)),
        env.reading(dev, "pm10", 50, at=now - timedelta(days=31)),
        env.reading(dev, "pm10", 50, at=datetime(2026, 3, 2, 9, 0)),  # naive
        env.reading(dev, "pm10", math.nan),
        env.reading(dev, "pm10", math.inf),
        env.reading(dev, "noise_leq", 3000),
        env.reading(dev, "pm10", -1),
        env.reading(dev, "pm10", "80"),  # type: ignore[arg-type]
        env.reading(dev, "pm10", True),  # type: ignore[arg-type]
        env.reading(dev, "pm10", 0.08, "mg/m3"),
        env.reading(dev, "radiation", 1),
        env.reading(dev, "pm10", 50, quality="not a flag!"),
        "not a reading",  # type: ignore[list-item]
        # PostgreSQL's text cannot hold U+0000: such an identity failed the lookup, and the
        # whole batch with it (redelivered and failing for ever).
        Reading(DeviceRef("mqtt", "P1/d\x00"), now, "pm10", 50, ""),
        Reading(DeviceRef("hj212", "MN\x00"), now, "pm10", 50, ""),
        Reading(DeviceRef("modbus", "10.0.0.\x00:502:1"), now, "pm10", 50, ""),
        env.reading(dev, "pm10", 50, at=now + timedelta(minutes=4)),  # a clock a little ahead: fine
    ]
    result = env.sink.write_batch(batch)
    assert result.stored == 1 and result.duplicates == 0 and result.alarms_raised == 0
    got = reasons(result)
    assert len(got) == len(batch) - 1
    assert got[0] == "unknown device mqtt:P1/nope"
    assert got[1] == "unknown device hj212:NO-SUCH-MN"
    assert got[2].startswith("unknown device modbus:") and got[3].startswith("unknown device carrier-pigeon:")
    assert got[4] == "device is out of service"
    assert got[5].startswith("measured_at is in the future")
    assert got[6].startswith("measured_at is too old")
    assert got[7] == "measured_at must be a timezone-aware time"
    assert got[8] == got[9] == "value is not finite (NaN or infinity)"
    assert got[10].startswith("value 3000 is impossible for noise_leq")
    assert got[11].startswith("value -1 is impossible for pm10")
    assert got[12] == got[13] == "value is not a number"
    assert got[14] == "unit 'mg/m3' is not 'µg/m³' for pm10"
    assert got[15] == "unknown quantity 'radiation'"
    assert got[16] == "quality must be 'ok' or a short flag"
    assert got[17] == "not a reading"
    assert got[18:] == ["device identity contains a NUL character"] * 3
    with env.sessions() as s:
        assert s.get(Device, retired.id).last_seen_at is None


def test_duplicates_in_a_batch_and_across_batches_are_stored_once(devices_env):
    env = devices_env
    dev = env.device()
    first = [env.reading(dev, "pm10", 80, minutes_ago=5), env.reading(dev, "pm10", 80, minutes_ago=5),
             env.reading(dev, "pm10", 90, minutes_ago=4)]
    result = env.sink.write_batch(first)
    assert (result.stored, result.duplicates) == (2, 1)
    again = env.sink.write_batch(first + [env.reading(dev, "pm10", 100, minutes_ago=3)])  # a redelivery
    assert (again.stored, again.duplicates) == (1, 3)
    assert [r.value for r in stored(env)] == [80, 90, 100]
    with env.sessions() as s:
        (hour,) = s.scalars(select(ReadingHourly)).all()
        assert (hour.count, hour.total, hour.min, hour.max) == (3, 270, 80, 100)  # duplicates not counted twice


def test_aggregates_are_kept_per_hour_and_local_day_incrementally(devices_env):
    env = devices_env
    dev = env.device()
    # 23:30 and 00:30 UTC on 1 March are 07:30 and 08:30 in Shanghai: two hours, one local day.
    late = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
    env.sink.write_batch([env.reading(dev, "pm10", 100, at=late), env.reading(dev, "pm10", 50, at=late + timedelta(minutes=10))])
    env.sink.write_batch([env.reading(dev, "pm10", 30, at=late + timedelta(hours=1))])
    env.sink.write_batch([env.reading(dev, "pm10", 70, at=late + timedelta(minutes=20), quality="maintenance")])
    with env.sessions() as s:
        hours = s.scalars(select(ReadingHourly).order_by(ReadingHourly.hour)).all()
        assert [(h.hour.hour, h.count, h.mean, h.min, h.max) for h in hours] == [(23, 2, 75, 50, 100), (0, 1, 30, 30, 30)]
        (day,) = s.scalars(select(ReadingDaily)).all()
        assert (day.day, day.count, day.total, day.min, day.max) == (date(2026, 3, 2), 3, 180, 30, 100)
        (latest,) = s.scalars(select(ReadingLatest)).all()
        assert (latest.value, latest.measured_at) == (30, late + timedelta(hours=1))
    assert len(stored(env)) == 4  # the flagged reading is stored, but aggregates only count "ok"


def test_latest_value_never_goes_back_in_time(devices_env):
    env = devices_env
    dev = env.device()
    env.sink.write_batch([env.reading(dev, "noise_leq", 60, minutes_ago=1)])
    env.sink.write_batch([env.reading(dev, "noise_leq", 50, minutes_ago=30)])  # a late, older reading
    with env.sessions() as s:
        (latest,) = s.scalars(select(ReadingLatest)).all()
        assert latest.value == 60


def test_devices_are_resolved_by_each_protocol_identity_and_marked_seen(devices_env):
    env = devices_env
    hj = env.device(protocol="hj212", mn_code="010000A8900016F000169DC0")
    mq = env.device(protocol="mqtt", code="crane-1", device_type="crane_monitor")
    mb = env.device(protocol="modbus", device_type="power_meter", modbus_host="10.0.0.5", modbus_port=502,
                    modbus_unit_id=7)
    now = env.clock.now()
    result = env.sink.write_batch([
        Reading(DeviceRef("hj212", "010000A8900016F000169DC0"), now, "pm10", 40, "ug/m3"),
        Reading(DeviceRef("mqtt", "P1/crane-1"), now, "crane_load_pct", 40, "%"),
        Reading(DeviceRef("mqtt", "P2/crane-1"), now, "crane_load_pct", 40, "%"),  # wrong project
        Reading(DeviceRef("modbus", "10.0.0.5:502:7"), now, "power_kw", 12.5, "kW"),
        Reading(DeviceRef("modbus", "10.0.0.5:502:8"), now, "power_kw", 12.5, "kW"),
    ])
    assert result.stored == 3 and len(result.refused) == 2
    with env.sessions() as s:
        assert {d.id: d.last_seen_at for d in s.scalars(select(Device))} == {hj.id: now, mq.id: now, mb.id: now}


def test_build_reading_sink_reads_the_services(devices_env):
    class Services:
        config = devices_env.config
        session_factory = devices_env.sessions
        engine = devices_env.engine
        clock = devices_env.clock

    sink = build_reading_sink(Services())
    dev = devices_env.device()
    assert sink.write_batch([devices_env.reading(dev, "pm10", 20)]).stored == 1
    assert sink.write_batch([]).stored == 0


def test_a_large_batch_is_written_in_chunks(devices_env):
    env = devices_env
    devs = [env.device() for _ in range(3)]
    batch = [env.reading(d, "noise_leq", 50 + (i % 10), minutes_ago=i / 10) for d in devs for i in range(1500)]
    result = env.sink.write_batch(batch)
    assert result.stored == 4500 and result.duplicates == 0
    with env.sessions() as s:
        assert sum(h.count for h in s.scalars(select(ReadingHourly))) == 4500


@pytest.mark.parametrize("unit", ["µg/m³", "μg/m3", "ug/m³", "UG/M3", " ug/m3 "])
def test_unit_spellings(devices_env, unit):
    dev = devices_env.device()
    assert devices_env.sink.write_batch([devices_env.reading(dev, "pm10", 20, unit)]).stored == 1


def test_a_deadlocked_batch_is_run_again_whole(devices_env, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from workflows.devices import ingest

    class Deadlock(Exception):
        sqlstate = "40P01"

    real, calls = ingest.ingest_batch, []

    def flaky(*args, **kwargs):
        calls.append(1)
        result = real(*args, **kwargs)  # the work is done, then the transaction is aborted
        if len(calls) == 1:
            raise OperationalError("INSERT …", {}, Deadlock("deadlock detected"))
        return result

    monkeypatch.setattr(ingest, "ingest_batch", flaky)
    dev = devices_env.device()
    result = devices_env.sink.write_batch([devices_env.reading(dev, "pm10", 20)])
    assert (len(calls), result.stored, result.duplicates) == (2, 1, 0)  # the first attempt left nothing
    assert len(stored(devices_env)) == 1

    class Broken(Exception):
        sqlstate = "08006"  # connection failure: not retried here, the adapter redelivers

    monkeypatch.setattr(ingest, "ingest_batch", lambda *a, **k: (_ for _ in ()).throw(
        OperationalError("INSERT …", {}, Broken("server closed the connection"))))
    with pytest.raises(OperationalError):
        devices_env.sink.write_batch([devices_env.reading(dev, "pm10", 30)])
