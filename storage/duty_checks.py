"""Gaps in project duties found by the calendar jobs, for the districts to follow up.

Written by ``workflows.project.duty_checks``; one row per gap, so running a check again adds
nothing (the unique constraints make the jobs idempotent even with several workers).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, utc


class MissingDailyLog(Base):
    """A working day on which a party of a project under construction filed no daily log."""

    __tablename__ = "project_missing_log"
    __table_args__ = (
        UniqueConstraint("project_id", "party", "log_date"),
        Index("ix_project_missing_log_district_date", "district", "log_date"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    party: Mapped[str] = mapped_column(String(20))
    log_date: Mapped[date] = mapped_column(Date)
    # The party's enterprise when the project names one (a missing party is a gap too).
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    detected_at: Mapped[utc]
    # Set when the log is filed late.
    resolved_at: Mapped[datetime | None]
    resolved_case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))


class SelfInspectionGap(Base):
    """A week (Monday to Sunday) in which a project under construction was self-inspected too rarely."""

    __tablename__ = "project_self_inspection_gap"
    __table_args__ = (
        UniqueConstraint("project_id", "week_start"),
        Index("ix_project_self_inspection_gap_district_week", "district", "week_start"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    week_start: Mapped[date] = mapped_column(Date)
    week_end: Mapped[date] = mapped_column(Date)
    inspections: Mapped[int]
    required: Mapped[int]
    last_inspected_on: Mapped[date | None] = mapped_column(Date)
    detected_at: Mapped[utc]
