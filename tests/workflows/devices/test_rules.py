"""Alarm rules on single values and hourly means, and how a batch's evaluations are folded (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from web.config import DEFAULTS
from workflows.devices.policy import DevicePolicy
from workflows.devices.rules import evaluate_hourly_mean, evaluate_reading, judge_reading, summarize

POLICY = DevicePolicy.from_config(DEFAULTS)
DAY = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)     # 10:00 in Shanghai
NIGHT = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # 23:00 in Shanghai


def severity(quantity: str, value: float, when: datetime = DAY) -> str | None:
    ev = evaluate_reading(POLICY, 1, quantity, when, value, "")
    assert ev is not None
    return ev.severity


@pytest.mark.parametrize(("quantity", "value", "when", "expected"), [
    ("noise_leq", 70, DAY, None), ("noise_leq", 70.1, DAY, "alarm"),
    ("noise_leq", 55, NIGHT, None), ("noise_leq", 55.1, NIGHT, "alarm"),
    ("noise_lmax", 99, DAY, None), ("noise_lmax", 70, NIGHT, None), ("noise_lmax", 70.5, NIGHT, "alarm"),
    ("crane_load_pct", 89.99, DAY, None), ("crane_load_pct", 90, DAY, "warning"),
    ("crane_load_pct", 100, DAY, "alarm"), ("crane_moment_pct", 150, DAY, "alarm"),
    ("wind_speed", 13.79, DAY, None), ("wind_speed", 13.8, DAY, "alarm"),
])
def test_single_value_rules(quantity, value, when, expected):
    assert severity(quantity, value, when) == expected


def test_quantities_without_a_rule_are_not_evaluated():
    assert evaluate_reading(POLICY, 1, "pm25", DAY, 999, "") is None
    assert evaluate_reading(POLICY, 1, "pm10", DAY, 999, "") is None  # pm10 is judged on its hourly mean


def test_the_day_is_local_time_and_configurable():
    evening = DevicePolicy.from_config({**DEFAULTS, "NOISE_DAY_END": "20:00"})
    at_21 = datetime(2026, 3, 2, 13, 0, tzinfo=timezone.utc)
    assert evaluate_reading(POLICY, 1, "noise_leq", at_21, 60, "").severity is None
    assert evaluate_reading(evening, 1, "noise_leq", at_21, 60, "").severity == "alarm"
    with pytest.raises(ValueError, match="NOISE_DAY_START must be HH:MM"):
        DevicePolicy.from_config({**DEFAULTS, "NOISE_DAY_START": "six"})


def test_hourly_mean():
    hour = DAY.replace(minute=0)
    breach = evaluate_hourly_mean(POLICY, 1, "pm10", hour, 4, 604, DAY)
    assert breach.severity == "alarm" and breach.values["hourly_mean"] == 151 and breach.values["count"] == 4
    assert evaluate_hourly_mean(POLICY, 1, "pm10", hour, 4, 600, DAY).severity is None
    assert evaluate_hourly_mean(POLICY, 1, "pm25", hour, 4, 6000, DAY) is None
    assert evaluate_hourly_mean(POLICY, 1, "pm10", hour, 0, 0, DAY) is None


def test_summarize_keeps_the_worst_latest_breach_and_the_last_normal_time():
    evs = [evaluate_reading(POLICY, 1, "crane_load_pct", DAY + timedelta(minutes=m), v, "%")
           for m, v in ((0, 95), (1, 101), (2, 99), (3, 50), (4, 92))]
    evs.append(evaluate_reading(POLICY, 2, "crane_load_pct", DAY, 10, "%"))
    out = summarize(evs)
    crane = out[(1, "crane_load")]
    assert crane.breaches == 4 and crane.severity == "alarm" and crane.worst.values["value"] == 101
    assert crane.last_breach_at == DAY + timedelta(minutes=4) and crane.last_normal_at == DAY + timedelta(minutes=3)
    quiet = out[(2, "crane_load")]
    assert quiet.breaches == 0 and quiet.worst is None and quiet.last_normal_at == DAY


def test_judging_readings_one_by_one_folds_like_summarize():
    # The ingest folds each reading's verdict straight into the outcomes (judge_reading)
    # instead of building an evaluation per normal value; the outcomes must be the same.
    readings = [(1, "crane_load_pct", DAY + timedelta(minutes=m), v) for m, v in ((0, 95), (1, 101), (2, 99), (3, 50))]
    readings += [(2, "noise_leq", NIGHT, 54), (2, "noise_leq", NIGHT + timedelta(minutes=1), 56),
                 (2, "noise_lmax", DAY, 120), (3, "wind_speed", DAY, 14), (3, "pm25", DAY, 999)]
    judged: dict = {}
    for device, quantity, when, value in readings:
        judge_reading(judged, POLICY, device, quantity, when, value, "")
    evaluated = [evaluate_reading(POLICY, device, quantity, when, value, "") for device, quantity, when, value in readings]
    assert judged == summarize(ev for ev in evaluated if ev is not None)
    assert judged[(2, "noise_leq")].worst.values == {"quantity": "noise_leq", "value": 56, "unit": "", "limit": 55.0,
                                                      "period": "night",
                                                      "measured_at": (NIGHT + timedelta(minutes=1)).isoformat()}
    assert (3, "pm25") not in judged and judged[(2, "noise_lmax")].last_normal_at == DAY
