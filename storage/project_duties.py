"""What enterprises file on their projects (DOMAIN §1.2): initialization, daily logs,
self-inspections with their rectification rounds, stage acceptances and suggestions.

Each filing also adds a dated ``project_record`` where the bureau's usage report counts it;
these tables keep the content. Rows are written by the ``project.*`` service operations
inside the step's transaction.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, intpk, json_dict, utc, utcnow


class ProjectInitialization(Base):
    """One submission of a project's initialization (项目初始化) and the district's review of it."""

    __tablename__ = "project_initialization"
    __table_args__ = (UniqueConstraint("case_id", "round"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    # NULL for history entered without a case (imports, demo data).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    # submitted → acknowledged | returned (workflows.project.vocab.InitializationStatus)
    status: Mapped[str] = mapped_column(String(20))
    # The submitted form (project data, parties, key personnel), JSON-plain.
    data: Mapped[json_dict] = mapped_column(default=dict)
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    submitted_by: Mapped[str] = mapped_column(String(120))
    submitted_at: Mapped[utc]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)


class DailyLog(Base):
    """A work log (工作日志) of one party (contractor or supervising engineer) for one day."""

    __tablename__ = "project_daily_log"
    __table_args__ = (
        UniqueConstraint("project_id", "party", "log_date"),
        Index("ix_project_daily_log_date", "log_date"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    party: Mapped[str] = mapped_column(String(20))
    log_date: Mapped[date] = mapped_column(Date)
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    weather: Mapped[str] = mapped_column(String(20))
    workers_on_site: Mapped[int]
    work_content: Mapped[str] = mapped_column(Text)
    quality_safety: Mapped[str | None] = mapped_column(Text)
    issues: Mapped[str | None] = mapped_column(Text)
    document_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    filed_by: Mapped[str] = mapped_column(String(120))
    filed_at: Mapped[utc] = mapped_column(default=utcnow)


class SelfInspection(Base):
    """An enterprise's own inspection of its site (日常检查); open while findings are unrectified."""

    __tablename__ = "project_self_inspection"
    __table_args__ = (Index("ix_project_self_inspection_project_day", "project_id", "inspected_on"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    party: Mapped[str] = mapped_column(String(20))
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(100))
    items: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    findings: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    hazard_level: Mapped[str] = mapped_column(String(20))
    # passed (no findings) | rectifying | closed (workflows.project.vocab.InspectionStatus)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The due date of the current rectification round: every open finding has one.
    rectify_by: Mapped[date | None] = mapped_column(Date)
    rounds: Mapped[int] = mapped_column(default=0)
    document_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[utc] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class SelfRectification(Base):
    """One rectification round of a self-inspection: the reply with evidence, then its verification."""

    __tablename__ = "project_self_rectification"
    __table_args__ = (UniqueConstraint("inspection_id", "round"),)

    id: Mapped[intpk]
    inspection_id: Mapped[int] = mapped_column(ForeignKey("project_self_inspection.id", ondelete="CASCADE"),
                                               index=True)
    round: Mapped[int]
    due_on: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[utc] = mapped_column(default=utcnow)
    measures: Mapped[str | None] = mapped_column(Text)
    rectified_on: Mapped[date | None] = mapped_column(Date)
    evidence_document_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None]
    # accepted | rejected (workflows.project.vocab.Verdict); NULL until verified
    verdict: Mapped[str | None] = mapped_column(String(20))
    verifier: Mapped[str | None] = mapped_column(String(100))
    verify_comment: Mapped[str | None] = mapped_column(Text)
    verified_by: Mapped[str | None] = mapped_column(String(120))
    verified_at: Mapped[datetime | None]
    # Overdue: reminded (催告), then, still overdue, the district admin's decision (逾期处置;
    # workflows.project.vocab.ESCALATION_LABELS).
    reminded_at: Mapped[datetime | None]
    escalation: Mapped[str | None] = mapped_column(String(30))
    escalation_reasons: Mapped[str | None] = mapped_column(Text)
    escalated_by: Mapped[str | None] = mapped_column(String(120))
    escalated_at: Mapped[datetime | None]


class StageAcceptance(Base):
    """A stage acceptance (工程验收) as the works progress."""

    __tablename__ = "project_acceptance"
    __table_args__ = (Index("ix_project_acceptance_project_stage", "project_id", "stage"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    accepted_on: Mapped[date] = mapped_column(Date)
    participant_units: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    participants: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    result: Mapped[str] = mapped_column(String(20))
    remarks: Mapped[str | None] = mapped_column(Text)
    document_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[utc] = mapped_column(default=utcnow)


class Suggestion(Base):
    """A suggestion (意见建议) from any user, and the staff's answer the submitter reads."""

    __tablename__ = "project_suggestion"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), unique=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"), index=True)
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(120), index=True)
    enterprise_code: Mapped[str | None] = mapped_column(String(18))
    submitted_at: Mapped[utc]
    # submitted | answered (workflows.project.vocab.SuggestionStatus)
    status: Mapped[str] = mapped_column(String(20), index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None]
