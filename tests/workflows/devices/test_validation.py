"""The per-batch reading check remembers unit and quality verdicts; they must not leak between readings."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from web.config import DEFAULTS
from workflows.devices.policy import DevicePolicy
from workflows.devices.validation import ReadingCheck, Refused, check_reading

POLICY = DevicePolicy.from_config(DEFAULTS)
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)


def verdict(check, quantity, value, unit, quality="ok", at=NOW):  # type: ignore[no-untyped-def]
    try:
        return check(quantity, at, value, unit, quality)
    except Refused as exc:
        return str(exc)


CASES = [
    ("pm10", 50, "ug/m3", "ok"), ("pm10", 50, "mg/m3", "ok"), ("pm10", 51, "ug/m3", "ok"),
    ("noise_leq", 60, "ug/m3", "ok"), ("noise_leq", 60, "dBA", "ok"), ("pm10", 50, "", "bad flag!"),
    ("pm10", 50, "", "ok"), ("pm10", 50, ["µg/m³"], "ok"), ("pm10", 50, "", ["ok"]), ("pm10", 50, None, "ok"),
]


def test_one_check_for_a_whole_batch_judges_each_reading_as_check_reading_does():
    batch = ReadingCheck(POLICY, NOW)
    for quantity, value, unit, quality in CASES + CASES:  # the second round hits the remembered verdicts
        alone = verdict(lambda *a: check_reading(*a, POLICY, NOW), quantity, value, unit, quality)
        assert verdict(batch, quantity, value, unit, quality) == alone
    assert verdict(batch, "pm10", 50, "mg/m3") == "unit 'mg/m3' is not 'µg/m³' for pm10"
    assert verdict(batch, "pm10", 50, ["x"]) == "unit ['x'] is not 'µg/m³' for pm10"  # unhashable: no crash


@pytest.mark.parametrize(("offset", "reason"), [
    (timedelta(minutes=6), "measured_at is in the future"), (timedelta(days=-31), "measured_at is too old"),
])
def test_the_time_window_follows_the_batch_clock(offset, reason):
    assert verdict(ReadingCheck(POLICY, NOW), "pm10", 50, "", at=NOW + offset).startswith(reason)
    assert verdict(ReadingCheck(POLICY, NOW + offset), "pm10", 50, "", at=NOW + offset)[1] == 50.0
