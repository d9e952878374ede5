"""Schemas of the reference-data API: projects, enterprises, imports and usage reports."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.reference import PARTY_ROLES
from workflows.reference.imports import KINDS as IMPORT_KINDS
from workflows.reference.status import ProjectStatus
from workflows.reports import FORMATS

from .engine_schemas import PageArgs
from .schemas import PageSchema, UploadField

STATUSES = [s.value for s in ProjectStatus]


class PartySchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(PARTY_ROLES),
                         metadata={"description": "builder (建设单位), contractor (施工单位), supervisor (监理单位)"})
    enterprise_code = fields.String(required=True, validate=validate.Length(min=1, max=18))


class ProjectCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=300))
    district = fields.String(required=True, validate=validate.Length(min=1, max=64))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    floor_area_m2 = fields.Decimal(load_default=None, allow_none=True, metadata={"example": "12500.50"})
    contract_value_cny = fields.Decimal(load_default=None, allow_none=True, metadata={"example": "56000000.00"})
    supervision_start = fields.Date(load_default=None, allow_none=True)
    supervision_end = fields.Date(load_default=None, allow_none=True)
    construction_start = fields.Date(load_default=None, allow_none=True)
    construction_end = fields.Date(load_default=None, allow_none=True)
    parties = fields.List(fields.Nested(PartySchema), load_default=list)


class ProjectListArgs(PageArgs):
    district = fields.String(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    as_of = fields.Date(load_default=None, metadata={"description": "day the status refers to (default today)"})
    q = fields.String(load_default=None, validate=validate.Length(max=100),
                      metadata={"description": "part of the name or code"})
    enterprise_code = fields.String(load_default=None, validate=validate.Length(max=18))


class PersonOnProjectSchema(Schema):
    position = fields.String()
    name = fields.String()
    enterprise_code = fields.String(allow_none=True)


class ProjectSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    district = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    floor_area_m2 = fields.Decimal(as_string=True, allow_none=True)
    contract_value_cny = fields.Decimal(as_string=True, allow_none=True)
    supervision_start = fields.Date(allow_none=True)
    supervision_end = fields.Date(allow_none=True)
    construction_start = fields.Date(allow_none=True)
    construction_end = fields.Date(allow_none=True)
    parties = fields.List(fields.Nested(PartySchema))
    status = fields.String(validate=validate.OneOf(STATUSES))
    under_supervision = fields.Boolean()
    under_construction = fields.Boolean()
    status_date = fields.Date(metadata={"description": "the day status refers to"})
    created_at = fields.AwareDateTime()


class ProjectDetailSchema(ProjectSchema):
    people = fields.List(fields.Nested(PersonOnProjectSchema))


class ProjectPageSchema(PageSchema):
    items = fields.List(fields.Nested(ProjectSchema))


class EnterpriseCreateSchema(Schema):
    code = fields.String(required=True, metadata={"description": "unified social credit code (18 characters)",
                                                  "example": "91330200MA2H4X5Y1K"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))
    legal_representative = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=300))
    district = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class EnterpriseSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(allow_none=True)
    legal_representative = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    district = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class EnterpriseListArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    kind = fields.String(load_default=None, validate=validate.Length(max=40))


class EnterprisePageSchema(PageSchema):
    items = fields.List(fields.Nested(EnterpriseSchema))


class ImportUploadSchema(Schema):
    file = UploadField(required=True, metadata={"type": "string", "format": "binary",
                                                "description": "CSV (UTF-8 or GBK) or XLSX"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check and count, store nothing"})


class ImportResultSchema(Schema):
    kind = fields.String(validate=validate.OneOf(list(IMPORT_KINDS)))
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    dry_run = fields.Boolean()
    format = fields.String(metadata={"description": "csv or xlsx"})
    encoding = fields.String(allow_none=True, metadata={"description": "utf-8, utf-8-sig or gbk (CSV only)"})


class ReportArgs(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "YYYY-MM-DD; default today"})
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ReportSchema(Schema):
    as_of = fields.String(metadata={"example": "2022-10-16"})
    title = fields.String()
    columns = fields.List(fields.String())
    rows = fields.List(fields.Dict(keys=fields.String(), values=fields.String()),
                       metadata={"description": "one object per district and the 合计 row, keyed by column header"})
