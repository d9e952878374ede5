"""The calendar jobs that find missing daily logs and self-inspections (workflows/project/duty_checks.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, update

from engine import FixedClock
from storage import DailyLog, MissingDailyLog, Project, SelfInspectionGap, record_project_event
from tests.fixtures.project_duties import ACME, OTHER, START, WATCH
from web.config import DEFAULTS
from workflows.project.duty_checks import DutyChecks, previous_week
from workflows.project.policy import policy_from

SHANGHAI = timezone(timedelta(hours=8))


def at_local(day: date, hour: int = 1, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def run_daily(duties, when: datetime) -> None:
    duties.registries.jobs.get("project.daily_log_check").func(duties.sessions, FixedClock(when))


def run_weekly(duties, when: datetime) -> None:
    duties.registries.jobs.get("project.self_inspection_check").func(duties.sessions, FixedClock(when))


def missing(duties) -> list[tuple[str, str, date, str | None]]:
    codes = {v: k for k, v in duties.projects.items()}
    return sorted((codes[m.project_id], m.party, m.log_date, m.enterprise_code) for m in duties.rows(MissingDailyLog))


def add_log(duties, project: str, party: str, day: date) -> None:
    with duties.sessions.begin() as s:
        s.add(DailyLog(project_id=duties.projects[project], party=party, log_date=day, weather="sunny",
                       workers_on_site=1, work_content="x", filed_by="t", filed_at=duties.clock.now()))


def test_jobs_are_registered_with_their_schedules(duties):
    jobs = {job.name: job for job in duties.registries.jobs}
    assert set(jobs) == {"project.daily_log_check", "project.self_inspection_check"}
    assert jobs["project.daily_log_check"].cron == {"hour": 17, "minute": 30}
    assert jobs["project.self_inspection_check"].cron == {"day_of_week": "sun", "hour": 18, "minute": 0}


def on(duties, day: date) -> list[tuple[str, str, date, str | None]]:
    return [m for m in missing(duties) if m[2] == day]


def test_a_weekday_records_yesterdays_missing_logs_per_party_once(duties):
    monday = date(2026, 3, 2)
    add_log(duties, "p1", "contractor", monday)
    run_daily(duties, at_local(monday + timedelta(days=1)))  # Tuesday 01:30 checks Monday
    assert on(duties, monday) == [("p1", "supervisor", monday, WATCH), ("p2", "contractor", monday, OTHER),
                                  ("p2", "supervisor", monday, WATCH)]
    # The working days of the week before are caught up: 24–28 February (the 28th is a makeup
    # Saturday), four logs missing on each.
    assert sorted({m[2] for m in missing(duties)}) == [date(2026, 2, d) for d in (24, 25, 26, 27, 28)] + [monday]
    before = missing(duties)
    assert len(before) == 5 * 4 + 3
    run_daily(duties, at_local(monday + timedelta(days=1), hour=23))  # again the same day: nothing new
    assert missing(duties) == before
    with duties.sessions.begin() as s:  # run directly for that day: still nothing new
        assert DutyChecks(policy_from(DEFAULTS)).missing_logs_on(s, monday, duties.clock) == 0


def test_weekends_and_holidays_are_not_checked_but_makeup_days_are(duties):
    run_daily(duties, at_local(date(2026, 3, 8)))   # Sunday: yesterday was Saturday
    assert sorted({m[2] for m in missing(duties)}) == [date(2026, 3, d) for d in (2, 3, 4, 5, 6)]
    run_daily(duties, at_local(date(2026, 4, 7)))   # up to Monday 6 April, Qingming (HOLIDAYS 4–6 April)
    days = {m[2] for m in missing(duties)}
    assert date(2026, 4, 3) in days and not days & {date(2026, 4, 4), date(2026, 4, 5), date(2026, 4, 6)}
    run_daily(duties, at_local(date(2026, 3, 1)))   # up to Saturday 28 February, a makeup working day
    days = {m[2] for m in missing(duties)}
    assert date(2026, 2, 28) in days and date(2026, 2, 23) not in days  # the 23rd: Spring Festival


def test_holidays_come_from_configuration(duties):
    policy = policy_from({**DEFAULTS, "HOLIDAYS": ["2026-03-04"], "EXTRA_WORKING_DAYS": []})
    checks = DutyChecks(policy)
    with duties.sessions.begin() as s:
        assert checks.missing_logs_on(s, date(2026, 3, 4), duties.clock) == 0
        assert checks.missing_logs_on(s, date(2026, 2, 28), duties.clock) == 0  # a plain Saturday now
        assert checks.missing_logs_on(s, date(2026, 3, 5), duties.clock) == 4
    assert len(missing(duties)) == 4


def test_only_projects_under_construction_that_day_are_checked(duties):
    with duties.sessions.begin() as s:
        s.execute(update(Project).where(Project.id == duties.projects["p2"])
                  .values(construction_end=date(2026, 3, 2)))
    run_daily(duties, at_local(date(2026, 3, 3)))  # p2 finished on the 2nd: not under construction that day
    assert on(duties, date(2026, 3, 2)) == [("p1", "contractor", date(2026, 3, 2), ACME),
                                            ("p1", "supervisor", date(2026, 3, 2), WATCH)]
    assert ("p2", "contractor", date(2026, 2, 27), OTHER) in missing(duties)  # it still was on the 27th


def test_the_local_day_decides_what_yesterday_is(duties):
    # 2026-03-02 17:00 UTC is Tuesday 01:00 in Shanghai: yesterday is Monday the 2nd.
    run_daily(duties, datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc))
    assert max(m[2] for m in missing(duties)) == date(2026, 3, 2)
    with duties.sessions.begin() as s:
        s.execute(delete(MissingDailyLog))
    # 2026-03-02 15:00 UTC is still Monday 23:00 in Shanghai: yesterday is Sunday, the last check Friday.
    run_daily(duties, datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc))
    assert max(m[2] for m in missing(duties)) == date(2026, 2, 28)


def test_weekly_check_flags_projects_without_a_self_inspection(duties):
    with duties.sessions.begin() as s:
        record_project_event(s, duties.projects["p1"], "self_inspection", date(2026, 3, 4), now=duties.clock.now())
        record_project_event(s, duties.projects["p2"], "self_inspection", date(2026, 2, 25), now=duties.clock.now())
    run_weekly(duties, at_local(date(2026, 3, 9), hour=2))  # Monday: checks 2–8 March
    run_weekly(duties, at_local(date(2026, 3, 11), hour=9))  # any later day of that week: same week, no dup
    (gap,) = duties.rows(SelfInspectionGap)
    assert (gap.project_id, gap.week_start, gap.week_end, gap.inspections, gap.required, gap.last_inspected_on) == (
        duties.projects["p2"], date(2026, 3, 2), date(2026, 3, 8), 0, 1, date(2026, 2, 25))
    assert gap.district == "江北区"


def test_weekly_check_skips_weeks_without_working_days_and_new_projects(duties):
    run_weekly(duties, at_local(date(2026, 2, 23)))  # checks 16–22 Feb: the Spring Festival holiday
    assert duties.rows(SelfInspectionGap) == []
    with duties.sessions.begin() as s:  # p2 starts on Wednesday: not under construction the whole week
        s.execute(update(Project).where(Project.id == duties.projects["p2"])
                  .values(construction_start=date(2026, 3, 4)))
    run_weekly(duties, at_local(date(2026, 3, 9)))
    assert [g.project_id for g in duties.rows(SelfInspectionGap)] == [duties.projects["p1"]]


def test_previous_week_and_bad_week_start():
    assert previous_week(date(2026, 3, 9)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert previous_week(date(2026, 3, 15)) == (date(2026, 3, 2), date(2026, 3, 8))  # a Sunday
    with pytest.raises(ValueError, match="Monday"):
        DutyChecks(policy_from(DEFAULTS)).inspection_gaps_in(None, date(2026, 3, 3), FixedClock(START))  # type: ignore[arg-type]
