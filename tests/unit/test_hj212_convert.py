"""HJ 212 data frames into readings: factor codes, Beijing time → UTC, flags, bad values."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from adapters.hj212 import frame_readings, parse_data_time, parse_segment
from adapters.readings import DeviceRef


def readings_of(cp: str, cn: str = "2011"):  # type: ignore[no-untyped-def]
    return frame_readings(parse_segment(f"QN=20240105103000123;ST=22;CN={cn};MN=SITE01;Flag=5;CP=&&{cp}&&"))


def test_real_time_factors_become_canonical_readings_in_utc() -> None:
    got, refused = readings_of("DataTime=20240105103000;a34001-Rtd=210,a34001-Flag=N;a34002-Rtd=83.1;"
                               "a34004-Rtd=41.5,a34004-Flag=D;a01007-Rtd=14.2;LA-Rtd=66.0")
    assert refused == []
    by = {r.quantity: r for r in got}
    assert set(by) == {"tsp", "pm10", "pm25", "wind_speed", "noise_leq"}
    assert by["pm10"].value == 83.1 and by["pm10"].unit == "µg/m³"
    assert by["pm25"].quality == "fault" and by["tsp"].quality == "ok"
    assert by["wind_speed"].unit == "m/s" and by["noise_leq"].unit == "dB(A)"
    assert by["pm10"].measured_at == datetime(2024, 1, 5, 2, 30, tzinfo=timezone.utc)
    assert by["pm10"].device == DeviceRef("hj212", "SITE01")
    assert by["pm10"].source_id == "hj212:SITE01:20240105103000123"


@pytest.mark.parametrize("code", ["LA", "Leq", "NOIS"])
def test_noise_codes(code: str) -> None:
    got, _ = readings_of(f"DataTime=20240105230000;{code}-Rtd=58.2")
    assert [(r.quantity, r.value) for r in got] == [("noise_leq", 58.2)]


def test_minute_data_uses_avg_and_noise_max_is_lmax() -> None:
    got, refused = readings_of("DataTime=20240105230000;a34002-Min=70,a34002-Avg=80,a34002-Max=95;"
                               "Leq-Avg=56,Leq-Max=72", cn="2051")
    assert refused == []
    assert sorted((r.quantity, r.value) for r in got) == [("noise_leq", 56.0), ("noise_lmax", 72.0), ("pm10", 80.0)]


def test_unknown_factor_codes_are_skipped() -> None:
    got, refused = readings_of("DataTime=20240105103000;w01018-Rtd=5;a34002-Rtd=80")
    assert [r.quantity for r in got] == ["pm10"] and refused == []


def test_bad_values_are_refused_one_by_one() -> None:
    got, refused = readings_of("DataTime=20240105103000;a34002-Rtd=abc;a34004-Rtd=-5;LA-Rtd=NaN;"
                               "a01007-Rtd=3.2;a34001-Avg=10")
    assert [r.quantity for r in got] == ["wind_speed"]
    assert refused == [
        "a34002-Rtd: value 'abc' is not a number",
        "a34004-Rtd: pm25: value -5 µg/m³ is impossible (plausible range 0..20000)",
        "LA-Rtd: noise_leq: value nan is not finite",
        "a34001: no Rtd value in CN=2011 frame",
    ]


def test_missing_or_bad_data_time() -> None:
    assert readings_of("a34002-Rtd=80") == ([], ["data frame (CN=2011) without DataTime"])
    assert readings_of("DataTime=2024010510;a34002-Rtd=80") == ([], ["DataTime '2024010510' is not YYYYMMDDhhmmss"])
    assert readings_of("DataTime=20241305103000;a34002-Rtd=80") == (
        [], ["DataTime '20241305103000' is not a valid date and time"])


def test_non_data_commands_yield_nothing() -> None:
    assert readings_of("RtdInterval=30", cn="1062") == ([], [])


def test_unknown_flag_letter() -> None:
    got, _ = readings_of("DataTime=20240105103000;a34002-Rtd=80,a34002-Flag=Q")
    assert got[0].quality == "unknown"


def test_parse_data_time_crosses_midnight_into_the_previous_utc_day() -> None:
    assert parse_data_time("20240101050000") == datetime(2023, 12, 31, 21, 0, tzinfo=timezone.utc)
