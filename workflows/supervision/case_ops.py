"""Service operations of a project's supervision: open, assign, brief, inspect, issue notices.

Each reads the fields of the form just submitted from the task data, checks what the form
could not (``checks``), then records the facts in the family's tables, the dated project
events the usage statistics count, and the documents.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from engine import Conflict, Forbidden, ServiceContext
from engine.builtins import set_case_data
from storage import Case, Finding, Inspection, RectificationNotice, SupervisionAssignment, record_project_event

from . import checks
from .policy import SupervisionPolicy
from .support import Draft, date_text, issue_document, open_findings, project_view
from .vocab import BRIEFING_RECORD, NOTICE_DOCS, SUPERVISION_RECORD

STAFF_ROLES = ("admin", "district_admin", "inspector")


def open_case(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """Open a project's supervision case (在监项目): staff only, one active case per project."""
    view = project_view(ctx)
    if not ctx.actor.has_role(*STAFF_ROLES):
        raise Forbidden("only the bureau's staff open a supervision case")
    other = ctx.session.scalar(select(Case.id).where(
        Case.project_id == view.project.id, Case.process_key == ctx.case.process_key,
        Case.status == "active", Case.id != ctx.case.id).limit(1))
    if other is not None:
        raise Conflict(f"project {view.project.code} is already under supervision (case {other})",
                       {"case_id": other})
    return {"project_name": view.project.name, "district": view.district,
            "assign_due_at": policy.due_in_days(ctx.clock, "assignment")}


def assign(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """分配监督任务. Reads form supervision.assignment: inspectors, lead_inspector, briefing_on."""
    data = ctx.task_data
    view = project_view(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    team = checks.inspectors(ctx.session, problems, "inspectors", list(data["inspectors"]), view.district)
    briefing_on = checks.as_date(data.get("briefing_on"))
    checks.from_today(problems, "briefing_on", briefing_on, today)
    problems.raise_any()
    if ctx.session.scalar(select(SupervisionAssignment.id).where(SupervisionAssignment.case_id == ctx.case.id)):
        raise Conflict(f"case {ctx.case.id} already has its inspectors")
    lead = data.get("lead_inspector") or data["inspectors"][0]
    for name in team:
        ctx.session.add(SupervisionAssignment(
            case_id=ctx.case.id, project_id=view.project.id, inspector=name, is_lead=name == lead,
            assigned_on=today, assigned_by=ctx.actor.username, created_at=ctx.clock.now()))
    record_project_event(ctx.session, view.project.id, "assignment", today, case_id=ctx.case.id, now=ctx.clock.now())
    set_case_data(ctx, inspectors=list(team), lead_inspector=lead)
    assert briefing_on is not None
    return {"team": list(team), "briefing_due_at": policy.end_of_day(briefing_on).isoformat()}


def record_briefing(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """质量安全交底: the briefing record (交底记录). Reads form supervision.briefing."""
    data = ctx.task_data
    view = project_view(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    held_on = checks.as_date(data["held_on"])
    checks.not_future(problems, "held_on", held_on, today)
    team = checks.inspectors(ctx.session, problems, "inspectors_present", list(data["inspectors_present"]),
                             view.district)
    checks.case_documents(ctx.session, problems, "attachments", data.get("attachments") or [], ctx.case.id)
    problems.raise_any()
    assert held_on is not None
    fields = view.fields() + [
        ("交底日期", date_text(held_on)), ("交底地点", data["location"]),
        ("参会人员", f"建设单位：{data['builder_representative']}；施工单位：{data['contractor_representative']}；"
                     f"监理单位：{data['supervisor_representative']}"),
        ("监督人员", "、".join(team.values())),
    ]
    body = [f"根据《建设工程质量管理条例》《建设工程安全生产管理条例》，{policy.authority}依法对本工程实施"
            "质量安全监督。现将监督工作有关事项及各方质量安全责任交底如下："]
    document, number = issue_document(policy, ctx, view, Draft(BRIEFING_RECORD, fields, body,
                                                               list(data["key_points"]), held_on))
    record_project_event(ctx.session, view.project.id, "briefing", held_on, case_id=ctx.case.id, now=ctx.clock.now())
    return {"document_id": document.id, "doc_number": number,
            "first_inspection_due_at": policy.due_in_days(ctx.clock, "inspection")}


def record_inspection(policy: SupervisionPolicy, ctx: ServiceContext) -> Mapping[str, Any]:
    """日常监督检查: the supervision record (监督记录). Reads form supervision.inspection."""
    data = ctx.task_data
    view = project_view(ctx)
    today = policy.today(ctx.clock)
    problems = checks.Problems()
    inspected_on = checks.as_date(data["inspected_on"])
    checks.not_future(problems, "inspected_on", inspected_on, today)
    team = checks.inspectors(ctx.session, problems, "inspectors", list(data["inspectors"]), view.district)
    checks.case_documents(ctx.session, problems, "photos", data.get("photos") or [], ctx.case.id)
    checks.after_today(problems, "deadline", checks.as_date(data.get("deadline")), today)
    next_on = checks.as_date(data.get("next_inspection_on"))
    checks.after_today(problems, "next_inspection_on", next_on, today)
    findings = list(data.get("findings") or [])
    if findings and view.owner() is None:
        problems.add("findings", "The project has no contractor or builder registered to rectify the problems.")
    if data["next_step"] == "complete" and open_findings(ctx):
        problems.add("next_step", f"{open_findings(ctx)} problem(s) of earlier notices are still open.")
    problems.raise_any()
    assert inspected_on is not None
    number = (ctx.session.scalar(select(func.max(Inspection.number)).where(Inspection.case_id == ctx.case.id)) or 0) + 1
    fields = view.fields() + [("检查日期", date_text(inspected_on)), ("检查人员", "、".join(team.values())),
                              ("检查部位及内容", data["scope"])]
    body = [f"检查情况：{data['summary']}"]
    if findings:
        kind = NOTICE_DOCS["stop_work" if data["severity"] == "serious" else "rectification"]
        body.append(f"存在问题如下，已另行下发《{kind.title}》限期整改：")
    else:
        body.append("本次检查未发现质量安全问题。")
    document, doc_number = issue_document(policy, ctx, view, Draft(SUPERVISION_RECORD, fields, body,
                                                                   findings or None, inspected_on))
    inspection = Inspection(case_id=ctx.case.id, project_id=view.project.id, instance_id=ctx.instance.id,
                            number=number, inspected_on=inspected_on, inspectors=list(team), scope=data["scope"],
                            summary=data["summary"], doc_number=doc_number, document_id=document.id,
                            recorded_by=ctx.actor.username, created_at=ctx.clock.now())
    ctx.session.add(inspection)
    ctx.session.flush()
    record_project_event(ctx.session, view.project.id, "supervision_record", inspected_on, case_id=ctx.case.id,
                         now=ctx.clock.now())
    severity = data["severity"] if findings else "none"
    return {"inspection_id": inspection.id, "inspection_no": number, "document_id": document.id,
            "doc_number": doc_number, "notice_kind": {"general": "rectification", "serious": "stop_work"}.get(
                severity, "none"),
            "next_due_at": policy.end_of_day(next_on).isoformat() if next_on else None}


def issue_notice(policy: SupervisionPolicy, ctx: ServiceContext, kind: str, inspection_id: int) -> Mapping[str, Any]:
    """整改通知书 / 局部停工整改通知书 for the findings just recorded; each finding gets its owner and due date."""
    if kind not in NOTICE_DOCS:
        raise ValueError(f"unknown notice kind {kind!r}")
    data = ctx.task_data
    view = project_view(ctx)
    owner = view.owner()
    assert owner is not None  # checked by record_inspection
    today = policy.today(ctx.clock)
    deadline = checks.as_date(data.get("deadline")) or today + timedelta(days=policy.deadline_days)
    findings = list(data["findings"])
    doc = NOTICE_DOCS[kind]
    inspected = date_text(checks.as_date(data["inspected_on"]) or today)
    if kind == "stop_work":
        order = (f"存在严重质量安全隐患。现责令你单位立即对下列问题所涉部位局部停止施工，于{date_text(deadline)}前整改完毕，"
                 "经复查合格后方可恢复施工。")
    else:
        order = f"存在下列问题。现责令你单位于{date_text(deadline)}前整改完毕。"
    body = [f"{owner.name}：",
            f"我局于{inspected}对你单位承担的{view.project.name}进行监督检查，{order}",
            "请将整改情况书面回复，并附整改前后对比照片等证明材料。逾期未整改或整改不到位的，将依法予以处理。"]
    fields = view.fields() + [("受通知单位", owner.name), ("整改期限", date_text(deadline))]
    document, doc_number = issue_document(policy, ctx, view, Draft(doc, fields, body, findings, today))
    notice = RectificationNotice(case_id=ctx.case.id, project_id=view.project.id, inspection_id=inspection_id,
                                 kind=kind, doc_number=doc_number, document_id=document.id, owner=owner.code,
                                 issued_on=today, deadline=deadline, issued_by=ctx.actor.username,
                                 created_at=ctx.clock.now())
    ctx.session.add(notice)
    ctx.session.flush()
    severity = "serious" if kind == "stop_work" else "general"
    for position, text in enumerate(findings, start=1):
        ctx.session.add(Finding(notice_id=notice.id, case_id=ctx.case.id, project_id=view.project.id,
                                position=position, description=text, severity=severity, owner=owner.code,
                                due_on=deadline, created_at=ctx.clock.now()))
    ctx.session.flush()
    return {"notice_id": notice.id, "doc_number": doc_number, "document_id": document.id,
            "deadline": deadline.isoformat(), "round_no": 1}
