"""Read side of supervision: a case's team, inspections, notices, findings, rounds, reminders.

Everything is filtered by who may read the case (``engine.access``); a case the caller may
not read does not exist for it (404).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import Actor
from engine.access import visible_cases
from engine.queries import Page, case_for, paginate
from storage import (
    Case, CompletionAcceptance, Finding, Inspection, RectificationNotice, RectificationRound, Reminder,
    SupervisionAssignment,
)


def _columns(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


NOTICE_FIELDS = ("id", "case_id", "project_id", "inspection_id", "kind", "doc_number", "document_id", "owner",
                 "issued_on", "deadline", "status", "rounds", "escalated", "issued_by", "closed_at")
FINDING_FIELDS = ("id", "notice_id", "case_id", "project_id", "position", "description", "severity", "owner",
                  "due_on", "status", "rounds", "closed_at", "closed_by")
ROUND_FIELDS = ("id", "notice_id", "number", "deadline", "replied_at", "replied_by", "reply", "evidence",
                "reminded_at", "escalated_at", "escalation", "escalation_document_id", "reviewed_at",
                "reviewed_by", "result", "opinion", "review_document_id")
INSPECTION_FIELDS = ("id", "number", "inspected_on", "inspectors", "scope", "summary", "doc_number", "document_id",
                     "recorded_by")
REMINDER_FIELDS = ("id", "subject", "subject_id", "recipient_role", "recipient_enterprise", "due_at", "sent_at",
                   "message")
ACCEPTANCE_FIELDS = ("status", "notified_on", "acceptance_on", "report_due_on", "reported_on", "report_doc_number",
                     "report_document_id", "filing_due_on", "filed_on", "filing_number")


def case_summary(session: Session, actor: Actor, case_id: int) -> dict[str, Any]:
    """The supervision state of case ``case_id`` (404 if the actor may not read it)."""
    case = case_for(session, actor, case_id)
    team = session.scalars(select(SupervisionAssignment).where(SupervisionAssignment.case_id == case.id)
                           .order_by(SupervisionAssignment.id))
    inspections = session.scalars(select(Inspection).where(Inspection.case_id == case.id).order_by(Inspection.number))
    notices = list(session.scalars(select(RectificationNotice).where(RectificationNotice.case_id == case.id)
                                   .order_by(RectificationNotice.id)))
    findings = session.scalars(select(Finding).where(Finding.case_id == case.id).order_by(Finding.notice_id,
                                                                                          Finding.position))
    rounds = session.scalars(select(RectificationRound).where(RectificationRound.case_id == case.id)
                             .order_by(RectificationRound.notice_id, RectificationRound.number))
    by_notice: dict[int, dict[str, Any]] = {n.id: {**_columns(n, NOTICE_FIELDS), "findings": [], "rounds_detail": []}
                                            for n in notices}
    for finding in findings:
        by_notice[finding.notice_id]["findings"].append(_columns(finding, FINDING_FIELDS))
    for row in rounds:
        by_notice[row.notice_id]["rounds_detail"].append(_columns(row, ROUND_FIELDS))
    acceptance = session.scalars(select(CompletionAcceptance).where(CompletionAcceptance.case_id == case.id)).first()
    reminders = session.scalars(select(Reminder).where(Reminder.case_id == case.id).order_by(Reminder.id))
    return {
        "case_id": case.id, "project_id": case.project_id, "status": case.status,
        "team": [{"inspector": a.inspector, "is_lead": a.is_lead, "assigned_on": a.assigned_on} for a in team],
        "inspections": [_columns(i, INSPECTION_FIELDS) for i in inspections],
        "notices": list(by_notice.values()),
        "reminders": [_columns(r, REMINDER_FIELDS) for r in reminders],
        "acceptance": _columns(acceptance, ACCEPTANCE_FIELDS) if acceptance else None,
    }


@dataclass(frozen=True)
class FindingFilter:
    status: str | None = None
    project_id: int | None = None
    owner: str | None = None
    overdue_on: date | None = None  # only open findings due before this day


def _visible(stmt: Select[Any], actor: Actor) -> Select[Any]:
    return stmt.join(Case, Case.id == Finding.case_id).where(visible_cases(actor))


def list_findings(session: Session, actor: Actor, f: FindingFilter, page: int = 1, per_page: int = 50) -> Page[Finding]:
    """Findings the actor may read, the most urgent first (open ones by due date)."""
    stmt = _visible(select(Finding), actor)
    if f.status:
        stmt = stmt.where(Finding.status == f.status)
    if f.project_id is not None:
        stmt = stmt.where(Finding.project_id == f.project_id)
    if f.owner:
        stmt = stmt.where(Finding.owner == f.owner)
    if f.overdue_on is not None:
        stmt = stmt.where(Finding.status == "open", Finding.due_on < f.overdue_on)
    return paginate(session, stmt.order_by(Finding.status.desc(), Finding.due_on, Finding.id), page, per_page)


def finding_rows(page: Page[Finding]) -> list[dict[str, Any]]:
    return [_columns(f, FINDING_FIELDS) for f in page.items]
