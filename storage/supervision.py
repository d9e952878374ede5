"""The state of a project's supervision case (DOMAIN §1.1), kept in tables, not in instances.

A supervision case lives for years; its BPMN instances are short (one per inspection, one per
rectification round). What the case has become lives here: who was assigned, each
inspection's record, the rectification notices with their findings and rounds, the
reminders sent, and the completion acceptance. Every open finding has an owner (the
enterprise that must rectify it) and a due date.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, intpk, utc, utcnow

NOTICE_KINDS = (
    "rectification",  # 整改通知书
    "stop_work",      # 局部停工整改通知书 (serious hazards)
)
SEVERITIES = ("general", "serious")
NOTICE_STATUSES = ("open", "closed")
FINDING_STATUSES = ("open", "closed")
REVIEW_RESULTS = ("accepted", "rejected")
ESCALATION_DECISIONS = (
    "stop_work",          # 责令停工
    "penalty_transfer",   # 行政处罚移交
)
REMINDER_SUBJECTS = ("rectification_reply", "acceptance_report", "acceptance_filing")
ACCEPTANCE_STATUSES = ("notice_pending", "scheduled", "reported", "filed")


class SupervisionAssignment(Base):
    """分配监督任务: one inspector of a case's team (a case has at least two)."""

    __tablename__ = "supervision_assignment"
    __table_args__ = (UniqueConstraint("case_id", "inspector"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    inspector: Mapped[str] = mapped_column(String(120), index=True)  # username
    is_lead: Mapped[bool] = mapped_column(default=False)
    assigned_on: Mapped[date] = mapped_column(Date)
    assigned_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class Inspection(Base):
    """One supervision inspection (日常监督检查) and its supervision record (监督记录)."""

    __tablename__ = "supervision_inspection"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    number: Mapped[int]  # 1, 2, … within the case
    inspected_on: Mapped[date] = mapped_column(Date)
    inspectors: Mapped[list[str]] = mapped_column(JSONType, default=list)
    scope: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    doc_number: Mapped[str] = mapped_column(String(80))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    recorded_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class RectificationNotice(Base):
    """整改通知书 or 局部停工整改通知书: the findings of one inspection, owned by one enterprise."""

    __tablename__ = "rectification_notice"
    __table_args__ = (Index("ix_rectification_notice_status_deadline", "status", "deadline"),)

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_inspection.id"))
    kind: Mapped[str] = mapped_column(String(20))
    doc_number: Mapped[str] = mapped_column(String(80), unique=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    owner: Mapped[str] = mapped_column(String(18), index=True)  # enterprise code that rectifies
    issued_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)  # of the current round
    status: Mapped[str] = mapped_column(String(10), default="open")
    rounds: Mapped[int] = mapped_column(default=1)
    escalated: Mapped[bool] = mapped_column(default=False)
    issued_by: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class Finding(Base):
    """One problem found (问题): open until an accepted review closes it."""

    __tablename__ = "supervision_finding"
    __table_args__ = (Index("ix_supervision_finding_status_due", "status", "due_on"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # its item number on the notice
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    owner: Mapped[str] = mapped_column(String(18))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    rounds: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(120))


class RectificationRound(Base):
    """One round of a notice: the enterprise's reply, then the inspector's review (复查)."""

    __tablename__ = "rectification_round"
    __table_args__ = (UniqueConstraint("notice_id", "number"),)

    id: Mapped[intpk]
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    number: Mapped[int]
    deadline: Mapped[date] = mapped_column(Date)
    replied_at: Mapped[datetime | None]
    replied_by: Mapped[str | None] = mapped_column(String(120))
    reply: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list[int]] = mapped_column(JSONType, default=list)  # document ids
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    escalation: Mapped[str | None] = mapped_column(String(20))
    escalation_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    result: Mapped[str | None] = mapped_column(String(10))
    opinion: Mapped[str | None] = mapped_column(Text)
    review_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class Reminder(Base):
    """A reminder sent because something fell due: who must act, about what, since when."""

    __tablename__ = "supervision_reminder"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None]  # the round or the acceptance concerned
    recipient_role: Mapped[str] = mapped_column(String(40))
    recipient_enterprise: Mapped[str | None] = mapped_column(String(18))
    due_at: Mapped[utc]
    sent_at: Mapped[utc]
    message: Mapped[str] = mapped_column(Text)


class CompletionAcceptance(Base):
    """竣工验收监督: the builder's notice, the acceptance day, the report and the filing."""

    __tablename__ = "completion_acceptance"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="notice_pending")
    notified_on: Mapped[date | None] = mapped_column(Date)
    acceptance_on: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    report_due_on: Mapped[date | None] = mapped_column(Date)
    reported_on: Mapped[date | None] = mapped_column(Date)
    report_doc_number: Mapped[str | None] = mapped_column(String(80))
    report_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    filing_due_on: Mapped[date | None] = mapped_column(Date)
    filed_on: Mapped[date | None] = mapped_column(Date)
    filing_number: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
