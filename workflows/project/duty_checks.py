"""Calendar jobs: which projects under construction missed a daily log or a weekly self-inspection.

The jobs take ``(session_factory, clock)`` like every calendar job (``engine.jobs``) and decide
from the database alone what is due, so running one twice, late, or on two workers at once adds
nothing new: each gap is one row, inserted with ``ON CONFLICT DO NOTHING``.

- :meth:`DutyChecks.daily_log_check` (every night): for yesterday (local time), if it was a
  working day, every party of ``DAILY_LOG_PARTIES`` of every project under construction that
  day without a log for it is recorded in ``project_missing_log``. The working days of the
  week before are checked again on the way (:data:`CATCH_UP_DAYS`): a night the worker was
  down is caught up, and a day already checked adds nothing.
- :meth:`DutyChecks.self_inspection_check` (Monday night): every project under construction
  the whole previous week (Monday to Sunday) with fewer than ``SELF_INSPECTIONS_PER_WEEK``
  self-inspections in it is recorded in ``project_self_inspection_gap``. A week without a
  single working day (Spring Festival) is not checked.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from engine import Clock
from storage import DailyLog, MissingDailyLog, Project, ProjectParty, ProjectRecord, SelfInspectionGap
from storage.base import Base
from workflows.reference.status import under_construction

from .policy import ProjectPolicy

log = logging.getLogger(__name__)

# When the worker runs them, in UTC (01:30 and Monday 02:00 in Asia/Shanghai). The jobs count
# days in the configured TIMEZONE themselves, so another hour only changes when they look.
DAILY_LOG_CHECK_CRON = {"hour": 17, "minute": 30}
SELF_INSPECTION_CHECK_CRON = {"day_of_week": "sun", "hour": 18, "minute": 0}
# How many days back each nightly run looks, yesterday included.
CATCH_UP_DAYS = 7


def insert_ignoring_duplicates(session: Session, model: type[Base], rows: list[dict[str, Any]]) -> int:
    """Insert ``rows``, skipping those a unique constraint already holds; returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).on_conflict_do_nothing()
    else:  # pragma: no cover - Oversite runs on PostgreSQL and SQLite only
        stmt = insert(model)
    before = session.scalar(select(func.count()).select_from(model)) or 0
    session.execute(stmt, rows)
    after = session.scalar(select(func.count()).select_from(model)) or 0
    return after - before


def previous_week(today: date) -> tuple[date, date]:
    """Monday and Sunday of the week before the one ``today`` falls in."""
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday - timedelta(days=1)


class DutyChecks:
    """The family's two calendar jobs, bound to its policy."""

    def __init__(self, policy: ProjectPolicy) -> None:
        self.policy = policy

    # -- daily logs ---------------------------------------------------------------------------
    def daily_log_check(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        """Record yesterday's missing daily logs of projects under construction (working days only)."""
        yesterday = self.policy.local_today(clock) - timedelta(days=1)
        added = 0
        with session_factory.begin() as session:
            for day in self.policy.working_days(yesterday - timedelta(days=CATCH_UP_DAYS - 1), yesterday):
                added += self.missing_logs_on(session, day, clock)
        log.info("daily log check up to %s: %d missing log(s) recorded", yesterday, added)

    def missing_logs_on(self, session: Session, day: date, clock: Clock) -> int:
        """Record the logs missing for ``day`` (nothing on a day off); returns how many rows were new."""
        if not self.policy.is_working_day(day):
            return 0
        projects = session.execute(select(Project.id, Project.district).where(under_construction(day))).all()
        if not projects:
            return 0
        filed = {(pid, party) for pid, party in session.execute(
            select(DailyLog.project_id, DailyLog.party).where(DailyLog.log_date == day))}
        named: dict[tuple[int, str], str] = {}
        for pid, role, code in session.execute(
                select(ProjectParty.project_id, ProjectParty.party_role, ProjectParty.enterprise_code)
                .join(Project, Project.id == ProjectParty.project_id)
                .where(under_construction(day), ProjectParty.party_role.in_(self.policy.log_parties))
                .order_by(ProjectParty.id)):
            named.setdefault((pid, role), code)
        now = clock.now()
        rows = [
            {"project_id": pid, "district": district, "party": party, "log_date": day,
             "enterprise_code": named.get((pid, party)), "detected_at": now, "resolved_at": None,
             "resolved_case_id": None}
            for pid, district in projects for party in self.policy.log_parties if (pid, party) not in filed
        ]
        return insert_ignoring_duplicates(session, MissingDailyLog, rows)

    # -- weekly self-inspection ---------------------------------------------------------------
    def self_inspection_check(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        """Record the projects self-inspected too rarely in the previous week (Monday to Sunday)."""
        week_start, _ = previous_week(self.policy.local_today(clock))
        with session_factory.begin() as session:
            added = self.inspection_gaps_in(session, week_start, clock)
        log.info("self-inspection check for the week of %s: %d gap(s) recorded", week_start, added)

    def inspection_gaps_in(self, session: Session, week_start: date, clock: Clock) -> int:
        """Record the gaps of the week starting on Monday ``week_start``; returns how many rows were new.

        Raises:
            ValueError: ``week_start`` is not a Monday.
        """
        if week_start.weekday() != 0:
            raise ValueError(f"a week starts on a Monday, {week_start.isoformat()} is not one")
        week_end = week_start + timedelta(days=6)
        if not self.policy.working_days(week_start, week_end):
            return 0
        # Under construction the whole week: started by Monday, not finished before Sunday is over.
        whole_week = and_(Project.construction_start <= week_start,
                          or_(Project.construction_end.is_(None), Project.construction_end > week_end))
        done = (select(ProjectRecord.project_id, func.count().label("n"))
                .where(ProjectRecord.kind == "self_inspection", ProjectRecord.occurred_on >= week_start,
                       ProjectRecord.occurred_on <= week_end)
                .group_by(ProjectRecord.project_id).subquery())
        last = (select(ProjectRecord.project_id, func.max(ProjectRecord.occurred_on).label("day"))
                .where(ProjectRecord.kind == "self_inspection", ProjectRecord.occurred_on <= week_end)
                .group_by(ProjectRecord.project_id).subquery())
        rows = session.execute(
            select(Project.id, Project.district, func.coalesce(done.c.n, 0), last.c.day)
            .outerjoin(done, done.c.project_id == Project.id)
            .outerjoin(last, last.c.project_id == Project.id)
            .where(whole_week, func.coalesce(done.c.n, 0) < self.policy.self_inspections_per_week)
        ).all()
        now = clock.now()
        return insert_ignoring_duplicates(session, SelfInspectionGap, [
            {"project_id": pid, "district": district, "week_start": week_start, "week_end": week_end,
             "inspections": count, "required": self.policy.self_inspections_per_week,
             "last_inspected_on": last_day, "detected_at": now}
            for pid, district, count, last_day in rows
        ])
