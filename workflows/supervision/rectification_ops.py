"""Service operations of one rectification round: open it, reply, remind, escalate, review.

A notice's findings stay open, each with its owner and due date, until a review accepts the
rectification. A rejected review or an escalation moves the deadline and starts the next
round (a new short instance); a reminder gives the owner a last period before escalation.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import Conflict, NotFound, ServiceContext
from storage import Finding, RectificationNotice, RectificationRound, Reminder

from . import checks
from .policy import SupervisionPolicy
from .support import Draft, ProjectView, date_text, issue_document, project_view, require_enterprise
from .vocab import ESCALATION_CHOICES, ESCALATION_DOCS, REVIEW_RECORD


def _notice(ctx: ServiceContext, notice_id: int, *, lock: bool = True) -> RectificationNotice:
    stmt = select(RectificationNotice).where(RectificationNotice.id == notice_id,
                                             RectificationNotice.case_id == ctx.case.id)
    notice = ctx.session.scalars(stmt.with_for_update() if lock else stmt).first()
    if notice is None:
        raise NotFound(f"rectification notice {notice_id} is not part of case {ctx.case.id}")
    return notice


def _open_notice(ctx: ServiceContext, notice_id: int) -> RectificationNotice:
    notice = _notice(ctx, notice_id)
    if notice.status != "open":
        raise Conflict(f"rectification notice {notice.doc_number} is already closed", {"notice_id": notice.id})
    return notice


def _round(ctx: ServiceContext, round_id: int) -> RectificationRound:
    found = ctx.session.get(RectificationRound, round_id)
    if found is None or found.case_id != ctx.case.id:
        raise NotFound(f"rectification round {round_id} is not part of case {ctx.case.id}")
    return found


def _findings(ctx: ServiceContext, notice: RectificationNotice) -> list[Finding]:
    return list(ctx.session.scalars(select(Finding).where(Finding.notice_id == notice.id).order_by(Finding.position)))


def _next_round(ctx: ServiceContext, notice: RectificationNotice, deadline: Any) -> int:
    """Move the notice and its open findings to a new round with ``deadline``."""
    notice.rounds += 1
    notice.deadline = deadline
    for finding in _findings(ctx, notice):
        if finding.status == "open":
            finding.rounds = notice.rounds
            finding.due_on = deadline
    return notice.rounds


def open_round(policy: SupervisionPolicy, ctx: ServiceContext, notice_id: int, round_no: int) -> Mapping[str, Any]:
    """Start round ``round_no`` of a notice: the owner's reply is due by the notice's deadline."""
    notice = _open_notice(ctx, notice_id)
    if round_no != notice.rounds:
        raise Conflict(f"notice {notice.doc_number} is in round {notice.rounds}, not {round_no}")
    row = RectificationRound(notice_id=notice.id, case_id=ctx.case.id, instance_id=ctx.instance.id,
                             number=round_no, deadline=notice.deadline, created_at=ctx.clock.now())
    ctx.session.add(row)
    ctx.session.flush()
    return {"round_id": row.id, "doc_number": notice.doc_number, "owner": notice.owner,
            "deadline": notice.deadline.isoformat(), "reply_due_at": policy.end_of_day(notice.deadline).isoformat(),
            "review_due_days": policy.task_days["review"], "escalation_due_days": policy.task_days["escalation"]}


def record_reply(policy: SupervisionPolicy, ctx: ServiceContext, round_id: int) -> Mapping[str, Any]:
    """整改回复 by the notice's owner. Reads form supervision.rectification_reply."""
    data = ctx.task_data
    row = _round(ctx, round_id)
    notice = _open_notice(ctx, row.notice_id)
    require_enterprise(ctx, {notice.owner}, f"reply to notice {notice.doc_number}")
    problems = checks.Problems()
    checks.not_future(problems, "completed_on", checks.as_date(data["completed_on"]), policy.today(ctx.clock))
    evidence = checks.case_documents(ctx.session, problems, "evidence", data["evidence"], ctx.case.id)
    problems.raise_any()
    row.replied_at = ctx.clock.now()
    row.replied_by = ctx.actor.username
    row.reply = data["measures"]
    row.evidence = evidence
    return {"replied": True}


def remind(policy: SupervisionPolicy, ctx: ServiceContext, round_id: int) -> Mapping[str, Any]:
    """The reply is overdue: remind the owner (催告) and give a last period before escalation."""
    row = _round(ctx, round_id)
    notice = _notice(ctx, row.notice_id)
    now = ctx.clock.now()
    grace = policy.task_days["reminder_grace"]
    row.reminded_at = now
    ctx.session.add(Reminder(
        case_id=ctx.case.id, project_id=notice.project_id, subject="rectification_reply", subject_id=row.id,
        recipient_role="enterprise", recipient_enterprise=notice.owner, due_at=policy.end_of_day(row.deadline),
        sent_at=now, message=f"《{notice.doc_number}》要求的整改已逾期（期限{date_text(row.deadline)}），"
                             f"请于{grace}日内回复整改情况，逾期将移交处置。"))
    return {"late_due_at": (now + timedelta(days=grace)).isoformat()}


def escalate(policy: SupervisionPolicy, ctx: ServiceContext, round_id: int) -> Mapping[str, Any]:
    """逾期处置: stop-work order or transfer for administrative penalty. Reads form supervision.escalation."""
    data = ctx.task_data
    row = _round(ctx, round_id)
    notice = _open_notice(ctx, row.notice_id)
    view = project_view(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    new_deadline = checks.as_date(data["new_deadline"])
    checks.after_today(problems, "new_deadline", new_deadline, today)
    problems.raise_any()
    decision = data["decision"]
    owner = view.parties.get("contractor") or view.owner()
    owner_name = owner.name if owner else notice.owner
    document, number = issue_document(policy, ctx, view, _escalation_draft(
        view, notice, decision, owner_name, data["reasons"], new_deadline, today))
    row.escalated_at = ctx.clock.now()
    row.escalation = decision
    row.escalation_document_id = document.id
    notice.escalated = True
    next_round = _next_round(ctx, notice, new_deadline)
    return {"decision": decision, "doc_number": number, "document_id": document.id, "next_round": next_round}


def _escalation_draft(view: ProjectView, notice: RectificationNotice, decision: str, owner_name: str,
                      reasons: str, new_deadline: Any, today: Any) -> Draft:
    doc = ESCALATION_DOCS[decision]
    overdue = f"你单位未按《{notice.doc_number}》要求于{date_text(notice.deadline)}前完成整改并回复。"
    if decision == "stop_work":
        body = [f"{owner_name}：", overdue + f"现责令你单位立即停工整改，于{date_text(new_deadline)}前整改完毕，"
                                  "经复查合格后方可恢复施工。", f"事实与理由：{reasons}"]
    else:
        body = [f"{owner_name}{overdue}依据有关规定，现将该案件移交行政处罚。", f"事实与理由：{reasons}",
                f"责任单位仍须于{date_text(new_deadline)}前完成整改。"]
    fields = view.fields() + [("原通知书", notice.doc_number), ("处置决定", ESCALATION_CHOICES[decision]),
                              ("整改期限", date_text(new_deadline))]
    return Draft(doc, fields, body, None, today)


def record_review(policy: SupervisionPolicy, ctx: ServiceContext, round_id: int) -> Mapping[str, Any]:
    """复查: the review record (复查记录); accepted closes the findings. Reads form supervision.review."""
    data = ctx.task_data
    row = _round(ctx, round_id)
    notice = _open_notice(ctx, row.notice_id)
    view = project_view(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    reviewed_on = checks.as_date(data["reviewed_on"])
    checks.not_future(problems, "reviewed_on", reviewed_on, today)
    next_deadline = checks.as_date(data.get("next_deadline"))
    checks.after_today(problems, "next_deadline", next_deadline, today)
    checks.case_documents(ctx.session, problems, "photos", data.get("photos") or [], ctx.case.id)
    problems.raise_any()
    assert reviewed_on is not None
    accepted = data["result"] == "accepted"
    findings = _findings(ctx, notice)
    conclusion = "整改合格，问题销号。" if accepted else "整改不合格，须继续整改。"
    fields = view.fields() + [("整改通知书", notice.doc_number), ("复查日期", date_text(reviewed_on)),
                              ("复查轮次", f"第{row.number}轮"), ("复查结论", conclusion)]
    body = [f"复查意见：{data['opinion']}", "复查的问题："]
    document, number = issue_document(policy, ctx, view, Draft(
        REVIEW_RECORD, fields, body, [f.description for f in findings if f.status == "open"], reviewed_on))
    now = ctx.clock.now()
    row.reviewed_at, row.reviewed_by, row.opinion = now, ctx.actor.username, data["opinion"]
    row.result = "accepted" if accepted else "rejected"
    row.review_document_id = document.id
    next_round = None
    if accepted:
        notice.status, notice.closed_at = "closed", now
        for finding in findings:
            if finding.status == "open":
                finding.status, finding.closed_at, finding.closed_by = "closed", now, ctx.actor.username
    else:
        next_round = _next_round(ctx, notice, next_deadline or today + timedelta(days=policy.deadline_days))
    return {"accepted": accepted, "doc_number": number, "document_id": document.id, "next_round": next_round}
