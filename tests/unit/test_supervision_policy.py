"""``workflows.supervision.policy``: settings, local days, deadlines and working days."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from engine import FixedClock
from web.config import DEFAULTS
from workflows.supervision.policy import PolicyError, policy_from


def policy(**over: Any):  # type: ignore[no-untyped-def]
    return policy_from({**DEFAULTS, **over})


def test_defaults_follow_domain() -> None:
    p = policy()
    assert (p.min_inspectors, p.deadline_days, p.notice_working_days, p.report_days, p.filing_days) == (2, 7, 7, 5, 15)
    assert p.doc_prefix == "甬建监"


def test_today_and_deadlines_are_ningbo_days() -> None:
    p = policy()
    late_evening_utc = FixedClock(datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc))  # 01:00 on 3 March in Ningbo
    assert p.today(late_evening_utc) == date(2026, 3, 3)
    assert p.end_of_day(date(2026, 3, 9)) == datetime(2026, 3, 9, 16, 0, tzinfo=timezone.utc)
    assert p.at_local(date(2026, 3, 16), 9) == datetime(2026, 3, 16, 1, 0, tzinfo=timezone.utc)


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days() -> None:
    p = policy()
    assert p.working_days_between(date(2026, 3, 2), date(2026, 3, 11)) == 7  # Mon → next Wed
    assert p.add_working_days(date(2026, 3, 2), 7) == date(2026, 3, 11)
    # Labour day 2026: 1-5 May off, Saturday 9 May worked.
    assert p.add_working_days(date(2026, 4, 30), 1) == date(2026, 5, 6)
    assert p.is_working_day(date(2026, 5, 9))
    assert policy(HOLIDAYS=[], EXTRA_WORKING_DAYS=[]).add_working_days(date(2026, 4, 30), 1) == date(2026, 5, 1)


@pytest.mark.parametrize("over, message", [
    ({"MIN_INSPECTORS_PER_INSPECTION": 1}, "at least 2"),
    ({"RECTIFICATION_DEADLINE_DAYS": 0}, "positive"),
    ({"RECTIFICATION_DEADLINE_DAYS": "7"}, "positive"),
    ({"SUPERVISION_TASK_DAYS": {"review": 3}}, "SUPERVISION_TASK_DAYS"),
    ({"TIMEZONE": "Mars/Olympus"}, "time zone"),
    ({"HOLIDAYS": ["2026-13-01"]}, "HOLIDAYS"),
    ({"HOLIDAYS": "2026-10-01"}, "HOLIDAYS"),
])
def test_unusable_settings_are_refused_at_start_up(over: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        policy(**over)


def test_a_missing_setting_is_named() -> None:
    config = dict(DEFAULTS)
    del config["SUPERVISION_DOC_PREFIX"]
    with pytest.raises(PolicyError, match="SUPERVISION_DOC_PREFIX"):
        policy_from(config)
