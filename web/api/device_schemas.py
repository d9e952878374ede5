"""Schemas of the devices API: devices, pushed and listed readings, alarms, the smart-site report."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from storage import DeviceProtocol, DeviceType
from workflows.devices.star_rating import DECLARABLE

from .engine_schemas import PageArgs
from .schemas import PageSchema, key_field

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$",
                       error="letters, digits, '.', '_' and '-' only (it is an MQTT topic level)")


class JsonNumber(fields.Field):
    """A JSON number (not a string, not a boolean); NaN and infinity are left to the ingest checks."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("Not a number.")
        return float(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


class DateOrDateTime(fields.Field):
    """``2026-03-02`` (a local day) or ``2026-03-02T09:00:00+08:00`` (an instant, with its offset)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | datetime:
        if not isinstance(value, str):
            raise ValidationError("Give a date (YYYY-MM-DD) or a time with its offset.")
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError("Give a date (YYYY-MM-DD) or a time with its offset.") from exc
        if parsed.tzinfo is None:
            raise ValidationError("A time needs its offset, e.g. +08:00.")
        return parsed.astimezone(timezone.utc)


class DeviceCreateSchema(Schema):
    project_id = key_field(required=True, strict=True)
    code = fields.String(required=True, validate=CODE)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    device_type = fields.String(required=True, validate=validate.OneOf([t.value for t in DeviceType]))
    protocol = fields.String(required=True, validate=validate.OneOf([p.value for p in DeviceProtocol]))
    mn_code = fields.String(load_default=None, allow_none=True,
                            validate=validate.Regexp(r"^[A-Za-z0-9]{1,32}$"),
                            metadata={"description": "HJ 212 MN (监测点编码)"})
    client_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    modbus_host = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=255))
    modbus_port = fields.Integer(load_default=None, allow_none=True, strict=True,
                                 validate=validate.Range(min=1, max=65535))
    modbus_unit_id = fields.Integer(load_default=None, allow_none=True, strict=True,
                                    validate=validate.Range(min=0, max=255))
    register_map = fields.Raw(load_default=None, allow_none=True, metadata={
        "description": "Modbus only: [{quantity, address, count, data_type, scale, offset, unit, table, word_order}]"})
    poll_interval_seconds = fields.Integer(load_default=None, allow_none=True, strict=True,
                                           validate=validate.Range(min=1, max=86400))


class DeviceSchema(Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer()
    code = fields.String()
    name = fields.String(allow_none=True)
    device_type = fields.String()
    protocol = fields.String()
    mn_code = fields.String(allow_none=True)
    client_id = fields.String(allow_none=True)
    modbus_host = fields.String(allow_none=True)
    modbus_port = fields.Integer(allow_none=True)
    modbus_unit_id = fields.Integer(allow_none=True)
    register_map = fields.Raw(allow_none=True)
    poll_interval_seconds = fields.Integer(allow_none=True)
    active = fields.Boolean()
    created_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime(allow_none=True)
    online = fields.Boolean()


class DeviceListArgs(PageArgs):
    project_id = key_field(load_default=None)
    device_type = fields.String(load_default=None, validate=validate.OneOf([t.value for t in DeviceType]))
    protocol = fields.String(load_default=None, validate=validate.OneOf([p.value for p in DeviceProtocol]))
    online = fields.Boolean(load_default=None)


class DevicePageSchema(PageSchema):
    items = fields.List(fields.Nested(DeviceSchema))


class DeviceTokenRequestSchema(Schema):
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class DeviceTokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "shown once; the device sends it as a bearer token"})


class ReadingInSchema(Schema):
    quantity = fields.String(required=True, validate=validate.Length(min=1, max=32),
                             metadata={"example": "pm10"})
    value = JsonNumber(required=True, metadata={"type": "number"})
    unit = fields.String(load_default="", validate=validate.Length(max=16),
                         metadata={"description": "empty: the quantity's unit"})
    measured_at = fields.AwareDateTime(required=True, metadata={"example": "2026-03-02T09:00:00+08:00"})
    quality = fields.String(load_default="ok", validate=validate.Length(min=1, max=16))


class PushResultSchema(Schema):
    stored = fields.Integer()
    duplicates = fields.Integer(metadata={"description": "already stored (a redelivery): not stored again"})
    alarms_raised = fields.Integer()


class ReadingSchema(Schema):
    device_id = fields.Integer()
    quantity = fields.String()
    measured_at = fields.AwareDateTime()
    value = JsonNumber()
    unit = fields.String()
    quality = fields.String()


class ReadingListArgs(PageArgs):
    quantity = fields.String(load_default=None, validate=validate.Length(max=32))
    device_id = key_field(load_default=None)
    start = fields.AwareDateTime(load_default=None, data_key="from",
                                 metadata={"description": "default: 24 hours before 'to'"})
    end = fields.AwareDateTime(load_default=None, data_key="to", metadata={"description": "default: now"})


class ReadingPageSchema(PageSchema):
    items = fields.List(fields.Nested(ReadingSchema))


class AlarmSchema(Schema):
    id = fields.Integer(required=True)
    device_id = fields.Integer()
    project_id = fields.Integer()
    rule = fields.String()
    severity = fields.String()
    status = fields.String()
    opened_at = fields.AwareDateTime()
    last_breach_at = fields.AwareDateTime()
    breach_count = fields.Integer()
    values = fields.Dict()
    acknowledged_at = fields.AwareDateTime(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    cleared_at = fields.AwareDateTime(allow_none=True)
    case_id = fields.Integer(allow_none=True)


class AlarmListArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf(["open", "acknowledged", "cleared", "active"]))
    project_id = key_field(load_default=None)
    device_id = key_field(load_default=None)
    rule = fields.String(load_default=None, validate=validate.Length(max=40))


class AlarmPageSchema(PageSchema):
    items = fields.List(fields.Nested(AlarmSchema))


class SmartSiteArgs(Schema):
    as_of = DateOrDateTime(load_default=None,
                           metadata={"type": "string", "description": "a date or a time; default now"})


class ProjectRatingSchema(Schema):
    project_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    district = fields.String(allow_none=True)
    applications = fields.List(fields.String())
    level = fields.Integer(metadata={"description": "stars reached (0-3)"})
    required = fields.Integer(metadata={"description": "stars required by seed 004 §3(3)"})
    phase = fields.String(allow_none=True)
    short = fields.Boolean()
    devices = fields.Integer()
    online_devices = fields.Integer()


class DistrictRowSchema(Schema):
    district = fields.String()
    projects = fields.Integer()
    required = fields.Integer()
    meeting = fields.Integer()
    short = fields.Integer()
    devices = fields.Integer()
    online = fields.Integer()
    online_rate = fields.Decimal(as_string=True, allow_none=True, metadata={"description": "percent, 2 decimals"})
    three_star = fields.Integer()
    three_star_share = fields.Decimal(as_string=True, allow_none=True)
    three_star_target = fields.Decimal(as_string=True, allow_none=True)


class SmartSiteReportSchema(Schema):
    as_of = fields.AwareDateTime()
    projects = fields.List(fields.Nested(ProjectRatingSchema))
    short = fields.List(fields.Nested(ProjectRatingSchema))
    districts = fields.List(fields.Nested(DistrictRowSchema))
    total = fields.Nested(DistrictRowSchema)


class SiteApplicationInSchema(Schema):
    application = fields.String(required=True, validate=validate.OneOf(list(DECLARABLE)))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class SiteApplicationSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    application = fields.String()
    declared_at = fields.AwareDateTime()
    declared_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
