"""Service operations of completion-acceptance supervision (竣工验收监督, DOMAIN §1.1 item 6).

The builder announces the acceptance at least ``COMPLETION_NOTICE_WORKING_DAYS`` working days
ahead; the inspectors attend and report within ``SUPERVISION_REPORT_DAYS`` days after it; the
builder files the acceptance within ``ACCEPTANCE_FILING_DAYS`` days after it. The BPMN's timers
remind whoever is late; the last step ends the project's supervision.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine import Conflict, ServiceContext
from storage import CompletionAcceptance, Reminder

from . import checks
from .policy import SupervisionPolicy
from .support import Draft, ProjectView, date_text, issue_document, open_findings, project_view, require_enterprise
from .vocab import ACCEPTANCE_REPORT

OVERDUE_SUBJECTS = {
    "acceptance_report": ("inspector", "竣工验收监督报告已逾期，请尽快出具。"),
    "acceptance_filing": ("enterprise", "竣工验收备案已逾期，请建设单位尽快办理备案。"),
}


def _acceptance(ctx: ServiceContext) -> CompletionAcceptance:
    row = ctx.session.scalars(select(CompletionAcceptance).where(CompletionAcceptance.case_id == ctx.case.id)
                              .with_for_update()).first()
    if row is None:
        raise Conflict(f"case {ctx.case.id} has no completion acceptance")
    return row


def _builder_codes(ctx: ServiceContext) -> set[str]:
    view = project_view(ctx)
    code = _builder_code(view)
    return {code} if code else {p.code for p in view.parties.values()}


def _builder_code(view: ProjectView) -> str | None:
    """The enterprise the builder's tasks are for (None: no builder named, any party may)."""
    builder = view.parties.get("builder")
    return builder.code if builder else None


def open_acceptance(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """Start completion-acceptance supervision: the project's findings must all be closed."""
    view = project_view(ctx)
    if open_findings(ctx):
        raise Conflict(f"{open_findings(ctx)} problem(s) are still open: completion acceptance must wait")
    if ctx.session.scalar(select(CompletionAcceptance.id).where(CompletionAcceptance.case_id == ctx.case.id)):
        raise Conflict(f"case {ctx.case.id} already has a completion acceptance")
    ctx.session.add(CompletionAcceptance(case_id=ctx.case.id, project_id=view.project.id, created_at=ctx.clock.now()))
    return {"notice_due_at": policy.due_in_days(ctx.clock, "acceptance_notice"),
            "notice_working_days": policy.notice_working_days, "builder": _builder_code(view)}


def record_notice(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """竣工验收告知 by the builder. Reads form supervision.acceptance_notice."""
    data = ctx.task_data
    require_enterprise(ctx, _builder_codes(ctx), "announce the completion acceptance")
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    acceptance_on = checks.as_date(data["acceptance_on"])
    assert acceptance_on is not None
    if policy.working_days_between(today, acceptance_on) < policy.notice_working_days:
        earliest = policy.add_working_days(today, policy.notice_working_days)
        problems.add("acceptance_on", f"The acceptance must be announced {policy.notice_working_days} working days "
                                      f"ahead: the earliest date is {earliest.isoformat()}.")
    documents = checks.case_documents(ctx.session, problems, "documents", data["documents"], ctx.case.id)
    problems.raise_any()
    row = _acceptance(ctx)
    row.notified_on, row.acceptance_on, row.status = today, acceptance_on, "scheduled"
    row.report_due_on = acceptance_on + timedelta(days=policy.report_days)
    row.filing_due_on = acceptance_on + timedelta(days=policy.filing_days)
    row.details = {"location": data["location"], "organizer": data["organizer"],
                   "participants": data["participants"], "documents": documents}
    return {"acceptance_at": policy.at_local(acceptance_on, 9).isoformat(),
            "report_due_at": policy.end_of_day(row.report_due_on).isoformat(),
            "filing_due_at": policy.end_of_day(row.filing_due_on).isoformat()}


def record_report(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """竣工验收监督报告. Reads form supervision.acceptance_supervision."""
    data = ctx.task_data
    view = project_view(ctx)
    row = _acceptance(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    held_on = checks.as_date(data["held_on"])
    assert held_on is not None and row.acceptance_on is not None
    checks.not_future(problems, "held_on", held_on, today)
    if held_on < row.acceptance_on:
        problems.add("held_on", f"The acceptance was announced for {row.acceptance_on.isoformat()}.")
    team = checks.inspectors(ctx.session, problems, "inspectors", list(data["inspectors"]), view.district)
    checks.case_documents(ctx.session, problems, "photos", data.get("photos") or [], ctx.case.id)
    problems.raise_any()
    compliant = bool(data["procedure_compliant"])
    fields = view.fields() + [
        ("验收日期", date_text(held_on)), ("告知日期", date_text(row.notified_on or held_on)),
        ("验收地点", str(row.details.get("location", ""))), ("监督人员", "、".join(team.values())),
        ("验收程序", "符合规定" if compliant else "不符合规定"),
    ]
    body = [f"{policy.authority}对本工程竣工验收的组织形式、验收程序、执行验收标准等情况进行了现场监督。",
            f"监督意见：{data['opinion']}"]
    issues = list(data.get("issues") or [])
    if issues:
        body.append("发现的问题：")
    document, number = issue_document(policy, ctx, view, Draft(ACCEPTANCE_REPORT, fields, body, issues or None, today))
    row.reported_on, row.report_doc_number, row.report_document_id = today, number, document.id
    row.status = "reported"
    return {"doc_number": number, "document_id": document.id}


def flag_overdue(policy: SupervisionPolicy, ctx: ServiceContext, subject: str) -> Mapping[str, Any]:
    """A timer found the report or the filing late: record a reminder to whoever must act."""
    if subject not in OVERDUE_SUBJECTS:
        raise ValueError(f"unknown subject {subject!r}")
    row = _acceptance(ctx)
    role, message = OVERDUE_SUBJECTS[subject]
    due_on = row.report_due_on if subject == "acceptance_report" else row.filing_due_on
    assert due_on is not None
    enterprise = next(iter(sorted(_builder_codes(ctx))), None) if role == "enterprise" else None
    ctx.session.add(Reminder(case_id=ctx.case.id, project_id=row.project_id, subject=subject, subject_id=row.id,
                             recipient_role=role, recipient_enterprise=enterprise,
                             due_at=policy.end_of_day(due_on), sent_at=ctx.clock.now(),
                             message=f"{message}（期限{date_text(due_on)}）"))
    return {"reminded": subject}


def close_supervision(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """竣工验收备案 by the builder ends the project's supervision. Reads form supervision.acceptance_filing."""
    data = ctx.task_data
    require_enterprise(ctx, _builder_codes(ctx), "file the completion acceptance")
    view = project_view(ctx)
    row = _acceptance(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    filed_on = checks.as_date(data["filed_on"])
    assert filed_on is not None and row.acceptance_on is not None
    checks.not_future(problems, "filed_on", filed_on, today)
    if filed_on < row.acceptance_on:
        problems.add("filed_on", f"The filing cannot come before the acceptance ({row.acceptance_on.isoformat()}).")
    documents = checks.case_documents(ctx.session, problems, "documents", data["documents"], ctx.case.id)
    problems.raise_any()
    row.filed_on, row.filing_number, row.status = filed_on, data["filing_number"], "filed"
    row.details = {**row.details, "filing_documents": documents}
    project = view.project
    if project.supervision_end is None or project.supervision_end > filed_on:
        project.supervision_end = filed_on  # the project is no longer under supervision (在监) after this
    return {"closed": True, "filed_on": filed_on.isoformat()}
