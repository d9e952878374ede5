"""Schemas of the supervision API (``/api/v1/supervision``)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .engine_schemas import PageArgs
from .schemas import PageSchema, key_field


class SupervisionFindingSchema(Schema):
    id = fields.Integer()
    notice_id = fields.Integer()
    case_id = fields.Integer()
    project_id = fields.Integer()
    position = fields.Integer(metadata={"description": "item number on the notice"})
    description = fields.String()
    severity = fields.String(metadata={"description": "general | serious"})
    owner = fields.String(metadata={"description": "credit code of the enterprise that must rectify it"})
    due_on = fields.Date()
    status = fields.String(metadata={"description": "open | closed"})
    rounds = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)


class SupervisionRoundSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    deadline = fields.Date()
    replied_at = fields.AwareDateTime(allow_none=True)
    replied_by = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    evidence = fields.List(fields.Integer(), metadata={"description": "document ids"})
    reminded_at = fields.AwareDateTime(allow_none=True)
    escalated_at = fields.AwareDateTime(allow_none=True)
    escalation = fields.String(allow_none=True, metadata={"description": "stop_work | penalty_transfer"})
    escalation_document_id = fields.Integer(allow_none=True)
    reviewed_at = fields.AwareDateTime(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    result = fields.String(allow_none=True, metadata={"description": "accepted | rejected"})
    opinion = fields.String(allow_none=True)
    review_document_id = fields.Integer(allow_none=True)


class SupervisionNoticeSchema(Schema):
    id = fields.Integer()
    inspection_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"description": "rectification | stop_work"})
    doc_number = fields.String()
    document_id = fields.Integer(allow_none=True)
    owner = fields.String()
    issued_on = fields.Date()
    deadline = fields.Date()
    status = fields.String()
    rounds = fields.Integer()
    escalated = fields.Boolean()
    issued_by = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    findings = fields.List(fields.Nested(SupervisionFindingSchema))
    rounds_detail = fields.List(fields.Nested(SupervisionRoundSchema))


class SupervisionInspectionSchema(Schema):
    id = fields.Integer()
    number = fields.Integer()
    inspected_on = fields.Date()
    inspectors = fields.List(fields.String())
    scope = fields.String()
    summary = fields.String()
    doc_number = fields.String()
    document_id = fields.Integer(allow_none=True)
    recorded_by = fields.String(allow_none=True)


class SupervisionTeamSchema(Schema):
    inspector = fields.String()
    is_lead = fields.Boolean()
    assigned_on = fields.Date()


class SupervisionReminderSchema(Schema):
    id = fields.Integer()
    subject = fields.String()
    subject_id = fields.Integer(allow_none=True)
    recipient_role = fields.String()
    recipient_enterprise = fields.String(allow_none=True)
    due_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime()
    message = fields.String()


class SupervisionAcceptanceSchema(Schema):
    status = fields.String()
    notified_on = fields.Date(allow_none=True)
    acceptance_on = fields.Date(allow_none=True)
    report_due_on = fields.Date(allow_none=True)
    reported_on = fields.Date(allow_none=True)
    report_doc_number = fields.String(allow_none=True)
    report_document_id = fields.Integer(allow_none=True)
    filing_due_on = fields.Date(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    filing_number = fields.String(allow_none=True)


class SupervisionCaseSchema(Schema):
    case_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    status = fields.String()
    team = fields.List(fields.Nested(SupervisionTeamSchema))
    inspections = fields.List(fields.Nested(SupervisionInspectionSchema))
    notices = fields.List(fields.Nested(SupervisionNoticeSchema))
    reminders = fields.List(fields.Nested(SupervisionReminderSchema))
    acceptance = fields.Nested(SupervisionAcceptanceSchema, allow_none=True)


class FindingListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "closed"]))
    project_id = key_field(load_default=None)
    owner = fields.String(load_default=None, validate=validate.Length(max=18))
    overdue = fields.Boolean(load_default=False, metadata={"description": "only open findings past their due date"})


class FindingPageSchema(PageSchema):
    items = fields.List(fields.Nested(SupervisionFindingSchema))
