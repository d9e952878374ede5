"""Forms of the supervision loop: one marshmallow schema per ``supervision.*`` form key.

What the submitted data alone can tell is checked here: required fields, choices, dates,
lists of document ids, at least two different inspectors. What needs the engine's clock or
the database (a deadline after today, an inspector who is a user of the project's district,
a document uploaded to *this* case) is checked by the service operation that follows the
user task in the same step (``checks.py``); it raises ``FieldErrors`` keyed by these field
names, so the API answers 400 field by field either way and the rolled-back step stores
nothing. (marshmallow 4 has no schema context to hand a clock or a session to a schema.)
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from forms import FormRegistry

from .fields import SupervisionForm, choice, day, document_ids, items, meta, text, usernames
from .vocab import ESCALATION_CHOICES, NEXT_STEP_CHOICES, REVIEW_CHOICES, SEVERITY_CHOICES

TEAM_HELP = "至少两名不同的本区监督员（填写其用户名）"


class AssignmentForm(SupervisionForm):
    """分配监督任务: the district admin names the inspector team and plans the briefing."""

    team_fields = ("inspectors",)
    inspectors = usernames("监督人员", "Inspectors", TEAM_HELP)
    lead_inspector = text("主监督员", "Lead inspector", required=False, max_length=120,
                          help="须为上列监督人员之一；不填则为第一位")
    briefing_on = day("计划交底日期", "Planned briefing date", help="不得早于今天")
    remarks = text("备注", "Remarks", required=False, widget="textarea")

    @validates_schema
    def _lead_in_team(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        lead = data.get("lead_inspector")
        if lead and lead not in (data.get("inspectors") or []):
            raise ValidationError("The lead inspector must be one of the inspectors.", "lead_inspector")


class BriefingForm(SupervisionForm):
    """质量安全交底 (首次监督会议) with builder, contractor and supervising engineer."""

    team_fields = ("inspectors_present",)
    held_on = day("交底日期", "Date held", help="不得晚于今天")
    location = text("交底地点", "Location", max_length=300)
    builder_representative = text("建设单位参会人", "Builder's representative", max_length=200)
    contractor_representative = text("施工单位参会人", "Contractor's representative", max_length=200)
    supervisor_representative = text("监理单位参会人", "Supervising engineer's representative", max_length=200)
    inspectors_present = usernames("参加监督人员", "Inspectors present", TEAM_HELP)
    key_points = items("交底要点", "Key points", help="每条一项，写入交底记录")
    attachments = document_ids("附件", "Attachments")


class InspectionForm(SupervisionForm):
    """日常监督检查: the record of one inspection, its findings and what comes next."""

    team_fields = ("inspectors",)
    inspected_on = day("检查日期", "Inspection date", help="不得晚于今天")
    inspectors = usernames("检查人员", "Inspectors", TEAM_HELP)
    scope = text("检查部位及内容", "Parts and subjects inspected", max_length=500)
    summary = text("检查情况", "Observations", widget="textarea")
    severity = choice(SEVERITY_CHOICES, "问题性质", "Findings")
    findings = items("存在问题", "Problems found", required=False, help="每条一项；无问题时留空")
    deadline = day("整改期限", "Rectification deadline", required=False,
                   help="不填则按规定期限（默认7天）；须晚于今天")
    photos = document_ids("现场照片", "Photos")
    next_step = choice(NEXT_STEP_CHOICES, "后续安排", "Next step")
    next_inspection_on = day("下次检查日期", "Next inspection", required=False,
                             help="继续监督时必填，须晚于今天")

    @validates_schema
    def _consistent(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        has_findings = bool(data.get("findings"))
        if data.get("severity") == "none" and has_findings:
            errors["severity"] = ["Problems were listed: choose general or serious."]
        if data.get("severity") in ("general", "serious") and not has_findings:
            errors["findings"] = ["List the problems found."]
        if data.get("deadline") and not has_findings:
            errors["deadline"] = ["A rectification deadline needs problems to rectify."]
        if data.get("next_step") == "continue" and not data.get("next_inspection_on"):
            errors["next_inspection_on"] = ["Give the date of the next inspection."]
        if data.get("next_step") == "complete" and has_findings:
            errors["next_step"] = ["Supervision cannot move to completion acceptance with new problems open."]
        if errors:
            raise ValidationError(errors)


class ReplyForm(SupervisionForm):
    """整改回复: the enterprise reports what it did, with evidence (photos, documents)."""

    measures = text("整改措施及结果", "Measures taken", widget="textarea")
    completed_on = day("整改完成日期", "Completed on", help="不得晚于今天")
    evidence = document_ids("整改证明材料", "Evidence", required=True)
    contact = text("联系人及电话", "Contact", required=False, max_length=200)


class ReviewForm(SupervisionForm):
    """复查: the inspector accepts the rectification (problems closed) or rejects it."""

    reviewed_on = day("复查日期", "Reviewed on", help="不得晚于今天")
    result = choice(REVIEW_CHOICES, "复查结论", "Result")
    opinion = text("复查意见", "Opinion", widget="textarea")
    next_deadline = day("新的整改期限", "New deadline", required=False,
                        help="不合格时可填，不填则按规定期限；须晚于今天")
    photos = document_ids("复查照片", "Photos")

    @validates_schema
    def _deadline_only_when_rejected(self, data: Mapping[str, Any], **kwargs: Any) -> None:
        if data.get("result") == "accepted" and data.get("next_deadline"):
            raise ValidationError("A new deadline is only given when the rectification is rejected.",
                                  "next_deadline")


class EscalationForm(SupervisionForm):
    """逾期处置: the district admin orders a stop of work or transfers for penalty."""

    decision = choice(ESCALATION_CHOICES, "处置决定", "Decision")
    reasons = text("事实与理由", "Facts and reasons", widget="textarea")
    new_deadline = day("整改期限", "Rectification deadline", help="整改仍须完成；须晚于今天")


class AcceptanceNoticeForm(SupervisionForm):
    """竣工验收告知: the builder announces the completion acceptance in advance."""

    acceptance_on = day("竣工验收日期", "Acceptance date", help="须在告知之日起至少7个工作日之后")
    location = text("验收地点", "Location", max_length=300)
    organizer = text("验收组织人（建设单位）", "Organizer", max_length=200)
    participants = text("参加验收单位及人员", "Participants", widget="textarea")
    documents = document_ids("竣工验收方案等资料", "Documents", required=True)


class AcceptanceSupervisionForm(SupervisionForm):
    """竣工验收监督: the inspectors attend and report on the acceptance's conduct."""

    team_fields = ("inspectors",)
    held_on = day("验收日期", "Held on", help="不得晚于今天")
    inspectors = usernames("监督人员", "Inspectors", TEAM_HELP)
    procedure_compliant = fields.Boolean(required=True, metadata=meta("验收程序是否合规", "Procedure compliant"))
    opinion = text("监督意见", "Opinion", widget="textarea")
    issues = items("发现的问题", "Issues", required=False)
    photos = document_ids("现场照片", "Photos")


class FilingForm(SupervisionForm):
    """竣工验收备案: the builder files the acceptance."""

    filed_on = day("备案日期", "Filed on", help="不得晚于今天")
    filing_number = text("备案编号", "Filing number", max_length=80)
    documents = document_ids("备案材料", "Documents", required=True)


FORMS: dict[str, tuple[type[SupervisionForm], str, str]] = {
    "supervision.assignment": (AssignmentForm, "分配监督任务", "Assign inspectors"),
    "supervision.briefing": (BriefingForm, "质量安全交底", "Quality and safety briefing"),
    "supervision.inspection": (InspectionForm, "监督检查记录", "Supervision inspection"),
    "supervision.rectification_reply": (ReplyForm, "整改回复", "Rectification reply"),
    "supervision.review": (ReviewForm, "整改复查", "Review of the rectification"),
    "supervision.escalation": (EscalationForm, "逾期整改处置", "Escalation of an overdue rectification"),
    "supervision.acceptance_notice": (AcceptanceNoticeForm, "竣工验收告知", "Completion acceptance notice"),
    "supervision.acceptance_supervision": (AcceptanceSupervisionForm, "竣工验收监督", "Acceptance supervision"),
    "supervision.acceptance_filing": (FilingForm, "竣工验收备案", "Acceptance filing"),
}


def register_forms(registry: FormRegistry, min_inspectors: int) -> None:
    """Register every form, with the configured minimum number of inspectors bound in."""
    for key, (schema, title, title_en) in FORMS.items():
        bound = type(schema.__name__, (schema,), {"min_inspectors": min_inspectors, "__doc__": schema.__doc__})
        registry.register(key, bound, title, title_en)
