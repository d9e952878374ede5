"""Working days, local dates and the checks of the project-duty settings (workflows/project/policy.py)."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine import FixedClock
from web.config import DEFAULTS
from workflows.project.policy import PolicyError, parse_days, policy_from


@pytest.fixture
def policy():
    return policy_from(DEFAULTS)


def test_working_days_follow_the_holiday_notice(policy):
    assert policy.is_working_day(date(2026, 3, 2))        # a Monday
    assert not policy.is_working_day(date(2026, 3, 7))    # a Saturday
    assert not policy.is_working_day(date(2026, 10, 5))   # National Day week
    assert policy.is_working_day(date(2026, 10, 10))      # Saturday worked in its place (调休)
    assert policy.working_days(date(2026, 2, 14), date(2026, 2, 28)) == [
        date(2026, 2, 14), date(2026, 2, 24), date(2026, 2, 25), date(2026, 2, 26), date(2026, 2, 27),
        date(2026, 2, 28)]


def test_local_today_and_end_of_day_use_the_configured_zone(policy):
    assert policy.local_today(FixedClock(datetime(2026, 3, 2, 15, 59, tzinfo=timezone.utc))) == date(2026, 3, 2)
    assert policy.local_today(FixedClock(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))) == date(2026, 3, 3)
    assert policy.end_of_day(date(2026, 3, 5)).isoformat() == "2026-03-05T23:59:59+08:00"
    utc = policy_from({**DEFAULTS, "TIMEZONE": "UTC"})
    assert utc.local_today(FixedClock(datetime(2026, 3, 2, 16, 0, tzinfo=timezone.utc))) == date(2026, 3, 2)


def test_days_accept_dates_and_intervals():
    assert parse_days("HOLIDAYS", ["2026-01-01", "2026-05-01/2026-05-03"]) == {
        date(2026, 1, 1), date(2026, 5, 1), date(2026, 5, 2), date(2026, 5, 3)}
    assert parse_days("HOLIDAYS", []) == frozenset()


@pytest.mark.parametrize(("value", "message"), [
    ("2026-01-01", "must be a list"),
    (["2026-13-01"], "is not a date"),
    (["next friday"], "is not a date"),
    (["2026-05-03/2026-05-01"], "must run forwards"),
    (["2026-01-01/2028-01-01"], "at most a year"),
])
def test_bad_holidays_are_refused_at_start_up(value, message):
    with pytest.raises(PolicyError, match=message):
        policy_from({**DEFAULTS, "HOLIDAYS": value})


@pytest.mark.parametrize(("key", "value", "message"), [
    ("DAILY_LOG_PARTIES", ["builder"], "DAILY_LOG_PARTIES"),
    ("DAILY_LOG_PARTIES", [], "DAILY_LOG_PARTIES"),
    ("SELF_INSPECTIONS_PER_WEEK", 0, "positive whole number"),
    ("SELF_RECTIFICATION_DEADLINE_DAYS", "7", "positive whole number"),
    ("TIMEZONE", "Mars/Olympus", "not a known time zone"),
])
def test_bad_settings_are_refused_with_their_name(key, value, message):
    with pytest.raises(PolicyError, match=message):
        policy_from({**DEFAULTS, key: value})


def test_a_missing_setting_is_named():
    config = dict(DEFAULTS)
    del config["EXTRA_WORKING_DAYS"]
    with pytest.raises(PolicyError, match="EXTRA_WORKING_DAYS is missing"):
        policy_from(config)
