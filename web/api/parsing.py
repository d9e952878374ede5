"""Reading API input: a JSON body, a multipart form or a query string, through a schema.

Schema errors raise ``marshmallow.ValidationError``, which the error handlers render as
400 with the messages field by field.
"""
from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema

from ..errors import ApiError


def json_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON object, validated by ``schema``.

    Raises:
        ApiError: 415 when the body is not declared as JSON, 400 when it does not parse.
        ValidationError: the object does not fit the schema.
    """
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON body (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "bad_request", "the body is not valid JSON")
    result: dict[str, Any] = schema.load(data)
    return result


def multipart_form(schema: Schema) -> dict[str, Any]:
    """The multipart form's fields and files together, validated by ``schema``.

    Raises:
        ApiError: 415 when the body is not ``multipart/form-data``.
        ValidationError: missing or invalid fields.
    """
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send the file as multipart/form-data")
    data: dict[str, Any] = {**request.form.to_dict(), **request.files.to_dict()}
    result: dict[str, Any] = schema.load(data)
    return result


def query_args(schema: Schema) -> dict[str, Any]:
    """The query string, validated by ``schema``."""
    result: dict[str, Any] = schema.load(request.args.to_dict())
    return result
