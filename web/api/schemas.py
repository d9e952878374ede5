"""Request and response schemas of the platform's own API routes (auth, health, documents, audit)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from storage import MAX_ID, MAX_INT

KIND_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"


def key_field(**kwargs: Any) -> fields.Integer:
    """A record's id given as input (a filter, a reference): 1 up to the largest database key.

    A larger number is a field error here; in a query it would fail in the database.
    """
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def version_field(**kwargs: Any) -> fields.Integer:
    """A process model's version number given as input (an INTEGER column)."""
    return fields.Integer(validate=validate.Range(min=1, max=MAX_INT), **kwargs)


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                             load_only=True)
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class TokenSchema(Schema):
    token = fields.String(required=True, metadata={"description": "send as 'Authorization: Bearer <token>'"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})
    database = fields.String(required=True, metadata={"example": "ok"})
    version = fields.String()


class UploadField(fields.Field):
    """A multipart file part (shown as a binary string in the OpenAPI document)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> FileStorage:
        if not isinstance(value, FileStorage):
            raise ValidationError("Send a file in this multipart field.")
        return value


class DocumentUploadSchema(Schema):
    file = UploadField(required=True, metadata={"type": "string", "format": "binary"})
    case_id = key_field(required=True, strict=False)
    kind = fields.String(load_default="attachment",
                         validate=[validate.Length(min=1, max=60), validate.Regexp(KIND_PATTERN)],
                         metadata={"description": "what the document is for, e.g. inspection_photo"})


class DocumentSchema(Schema):
    id = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    size = fields.Integer(required=True)
    content_type = fields.String(required=True)
    filename = fields.String(required=True)
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    author = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class ChainReportSchema(Schema):
    ok = fields.Boolean(required=True)
    checked = fields.Integer(required=True)
    first_bad_seq = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    last_hash = fields.String(allow_none=True)


class PageSchema(Schema):
    """A page of a list: subclasses declare ``items``; the counts are the same everywhere."""

    total = fields.Integer(metadata={"description": "items matching the filters, on all pages"})
    page = fields.Integer()
    per_page = fields.Integer()
