"""Calendar job registry: explicit registration, validation, uniqueness, freezing."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.jobs import JobRegistry


def daily_log_check(session_factory: Any, clock: Any) -> None:
    """Find projects without yesterday's daily log."""


def test_register_cron_and_interval_jobs() -> None:
    jobs = JobRegistry()
    cron = jobs.register("project.daily_log_check", daily_log_check, {"hour": 1, "minute": 0})
    interval = jobs.register("stats.snapshot", daily_log_check, 300, description="statistics")
    assert [j.name for j in jobs] == ["project.daily_log_check", "stats.snapshot"]
    assert len(jobs) == 2 and "stats.snapshot" in jobs and jobs.get("nope.nope") is None
    assert cron.description == "Find projects without yesterday's daily log."
    assert interval.description == "statistics"
    assert cron.schedule == "cron hour=1 minute=0 UTC" and interval.schedule == "every 300 s"


def test_triggers_are_built_in_utc() -> None:
    jobs = JobRegistry()
    cron = jobs.register("project.daily", daily_log_check, {"hour": 1, "minute": 0}).scheduler_trigger()
    assert isinstance(cron, CronTrigger)
    after = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
    assert cron.get_next_fire_time(None, after) == datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    interval = jobs.register("stats.poll", daily_log_check, 2.5).scheduler_trigger()
    assert isinstance(interval, IntervalTrigger) and interval.interval.total_seconds() == 2.5


def test_cron_dict_is_copied_not_shared() -> None:
    fields = {"hour": 1}
    job = JobRegistry().register("project.daily", daily_log_check, fields)
    fields["hour"] = 5
    assert dict(job.cron or {}) == {"hour": 1}


def test_duplicate_name_refused() -> None:
    jobs = JobRegistry()
    jobs.register("project.daily", daily_log_check, 60)
    with pytest.raises(ValueError, match="already registered"):
        jobs.register("project.daily", daily_log_check, {"hour": 2})
    assert len(jobs) == 1


@pytest.mark.parametrize("name", ["", "daily", "Project.daily", "project.", ".daily", "project daily", "timers", 7])
def test_bad_names_refused(name: Any) -> None:
    with pytest.raises(ValueError, match="family.job"):
        JobRegistry().register(name, daily_log_check, 60)


@pytest.mark.parametrize(
    ("trigger", "error"),
    [
        ({"hour": 25}, ValueError),
        ({"minute": "*/0"}, ValueError),
        ({"hourz": 1}, ValueError),
        ({"timezone": "UTC"}, ValueError),
        ({}, ValueError),
        ({"hour": 1.5}, TypeError),
        ({"hour": True}, TypeError),
        (0, ValueError),
        (-5, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (True, TypeError),
        ("daily", TypeError),
        (None, TypeError),
    ],
)
def test_bad_triggers_refused(trigger: Any, error: type[Exception]) -> None:
    jobs = JobRegistry()
    with pytest.raises(error):
        jobs.register("project.daily", daily_log_check, trigger)
    assert len(jobs) == 0


def test_non_callable_refused() -> None:
    with pytest.raises(TypeError):
        JobRegistry().register("project.daily", "not a function", 60)  # type: ignore[arg-type]


def test_frozen_registry_refuses_registration_but_keeps_jobs() -> None:
    jobs = JobRegistry()
    jobs.register("project.daily", daily_log_check, 60)
    jobs.freeze()
    assert jobs.frozen
    with pytest.raises(RuntimeError, match="frozen"):
        jobs.register("project.weekly", daily_log_check, {"day_of_week": "mon"})
    assert [j.name for j in jobs] == ["project.daily"]
