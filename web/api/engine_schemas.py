"""Schemas of the engine's API: process models, cases, tasks, signals and messages."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.queries import MAX_PAGE, MAX_PER_PAGE

from .schemas import PageSchema, UploadField, key_field, version_field

NAME = validate.Length(min=1, max=200)


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class ModelUploadSchema(Schema):
    file = UploadField(required=True, metadata={"type": "string", "format": "binary"})


class ProblemSchema(Schema):
    message = fields.String(required=True)
    element_id = fields.String()
    line = fields.Integer()
    file = fields.String()
    severity = fields.String()


class DeployedSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    created = fields.Boolean(metadata={"description": "false when identical XML was already deployed"})


class DefinitionSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(allow_none=True)
    sha256 = fields.String()
    filename = fields.String(allow_none=True)
    deployed_at = fields.AwareDateTime()
    deployed_by = fields.String(allow_none=True)


class ModelSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(allow_none=True)
    latest_version = fields.Integer()
    versions = fields.List(fields.Nested(DefinitionSchema))


class VersionArgs(Schema):
    version = version_field(load_default=None)


class CaseStartSchema(Schema):
    process_key = fields.String(required=True, validate=NAME)
    data = fields.Dict(keys=fields.String(), load_default=dict)
    project_id = key_field(load_default=None, allow_none=True, strict=True)
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))


class CaseSchema(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String()
    title = fields.String(allow_none=True)
    status = fields.String()
    project_id = fields.Integer(allow_none=True)
    district = fields.String(allow_none=True)
    enterprise_code = fields.String(allow_none=True)
    data = fields.Dict()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    created_by = fields.String(allow_none=True)


class InstanceSchema(Schema):
    id = fields.Integer()
    process_key = fields.String()
    version = fields.Integer()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    task_count = fields.Integer()
    created_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)


class CaseDetailSchema(CaseSchema):
    instance_id = fields.Integer(allow_none=True, metadata={"description": "the case's first instance"})
    instances = fields.List(fields.Nested(InstanceSchema))


class CaseStartedSchema(Schema):
    id = fields.Integer(required=True)
    instance_id = fields.Integer(required=True)
    status = fields.String(required=True)


class CaseListArgs(PageArgs):
    process_key = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(["active", "suspended", "completed", "cancelled"]))
    project_id = key_field(load_default=None)


class CasePageSchema(PageSchema):
    items = fields.List(fields.Nested(CaseSchema))


class HistoryEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    action = fields.String()
    task_id = fields.Integer(allow_none=True)
    task = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    data = fields.Dict()


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InstanceActionSchema(ReasonSchema):
    instance_id = key_field(load_default=None, allow_none=True,
                                 metadata={"description": "default: every running instance of the case"})


class TaskSchema(Schema):
    id = fields.Integer(required=True)
    case_id = fields.Integer()
    instance_id = fields.Integer()
    bpmn_id = fields.String()
    name = fields.String(allow_none=True)
    process_key = fields.String()
    form_key = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    project_id = fields.Integer(allow_none=True)
    district = fields.String(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True)
    overdue = fields.Boolean()
    created_at = fields.AwareDateTime()
    completed_at = fields.AwareDateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(allow_none=True, metadata={"description": "the form as JSON Schema"})
    data = fields.Dict(metadata={"description": "the task's current data"})


class TaskListArgs(PageArgs):
    state = fields.String(load_default=None, validate=validate.OneOf(["open", "claimed", "completed", "cancelled"]))
    process_key = fields.String(load_default=None)
    case_id = key_field(load_default=None)
    project_id = key_field(load_default=None)
    assignee = fields.String(load_default=None, validate=validate.OneOf(["me"]))
    overdue = fields.Boolean(load_default=False)


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema))


class TaskCompleteSchema(Schema):
    data = fields.Raw(load_default=dict, metadata={"description": "form data (an object)"})


class SignalSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    project_id = key_field(load_default=None, allow_none=True)
    case_id = key_field(load_default=None, allow_none=True)
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class MessageSchema(Schema):
    name = fields.String(required=True, validate=NAME)
    correlation = fields.Dict(keys=fields.String(), load_default=dict)
    payload = fields.Dict(keys=fields.String(), load_default=dict)


class DeliveredSchema(Schema):
    delivered = fields.List(fields.Integer(), metadata={"description": "ids of the instances that caught it"})
