"""The OpenAPI 3 document, built from the routes the app actually registered under ``/api/v1``.

A route module describes each view with :func:`operation`; the document lists every
``/api/v1`` rule, described or not, so a new route can never be missing from it::

    @bp.post("/cases")
    @operation("Start a case", tags=["cases"], body=CaseStartSchema, responses={201: CaseSchema})
    @login_required
    def start_case(): ...
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields
from werkzeug.routing import Rule

API_PREFIX = "/api/v1"
ATTRIBUTE = "__openapi_operation__"
SPEC_CACHE_KEY = "oversite.openapi"
F = TypeVar("F", bound=Callable[..., Any])

SchemaRef = type[Schema] | Schema
# A response: a schema (JSON), or (description, schema or None, content type).
ResponseSpec = SchemaRef | tuple[str, SchemaRef | None, str] | None

bp = Blueprint("api_openapi", __name__, url_prefix=API_PREFIX)


class ErrorSchema(Schema):
    """Every API error: a stable code, a human message and details (e.g. field errors)."""

    error = fields.String(required=True, metadata={"example": "validation_error"})
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


@dataclass(frozen=True)
class Operation:
    """What the document says about one view (see :func:`operation`)."""

    summary: str
    tags: tuple[str, ...] = ()
    body: SchemaRef | None = None
    form: SchemaRef | None = None
    query: SchemaRef | None = None
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    auth: bool = True
    description: str | None = None


def operation(
    summary: str,
    *,
    tags: Sequence[str] = (),
    body: SchemaRef | None = None,
    form: SchemaRef | None = None,
    query: SchemaRef | None = None,
    responses: Mapping[int, ResponseSpec] | None = None,
    auth: bool = True,
    description: str | None = None,
) -> Callable[[F], F]:
    """Describe a view for the OpenAPI document.

    Args:
        summary: one line.
        tags: groups in the document.
        body: schema of a JSON request body.
        form: schema of a multipart body (file fields as ``fields.Raw`` with
            ``metadata={"type": "string", "format": "binary"}``).
        query: schema of the query string.
        responses: status → schema, or (description, schema, content type), or None (no body).
        auth: whether the call needs a bearer token or session (adds 401 and the security).
        description: longer text.
    """
    op = Operation(summary, tuple(tags), body, form, query,
                   dict(responses or {}), auth, description)

    def decorator(view: F) -> F:
        setattr(view, ATTRIBUTE, op)
        return view

    return decorator


_RULE_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_CONVERTER_TYPES = {"int": "integer", "float": "number"}


def _path_and_params(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """``/documents/<int:document_id>`` → ``/documents/{document_id}`` and its parameter."""
    params: list[dict[str, Any]] = []

    def replace(match: re.Match[str]) -> str:
        kind = _CONVERTER_TYPES.get(match["converter"] or "", "string")
        params.append({"in": "path", "name": match["name"], "required": True, "schema": {"type": kind}})
        return "{" + match["name"] + "}"

    return _RULE_ARG.sub(replace, rule.rule), params


def _response(status: int, spec: ResponseSpec) -> dict[str, Any]:
    if spec is None:
        return {"description": "no content" if status == 204 else "ok"}
    if isinstance(spec, tuple):
        description, schema, content_type = spec
        content = {content_type: {"schema": schema}} if schema is not None else {
            content_type: {"schema": {"type": "string", "format": "binary"}}}
        return {"description": description, "content": content}
    return {"description": "ok", "content": {"application/json": {"schema": spec}}}


def _operation_dict(op: Operation, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": op.summary, "tags": list(op.tags)}
    if op.description:
        out["description"] = op.description
    params = list(path_params)
    if op.query is not None:
        params.append({"in": "query", "schema": op.query})
    if params:
        out["parameters"] = params
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    elif op.form is not None:
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.form}}}
    responses = {str(status): _response(status, spec) for status, spec in op.responses.items()}
    if op.auth:
        responses.setdefault("401", {"description": "not authenticated", "content": {
            "application/json": {"schema": ErrorSchema}}})
    responses["default"] = {"description": "error", "content": {"application/json": {"schema": ErrorSchema}}}
    out["responses"] = responses
    out["security"] = [{"bearerAuth": []}, {"sessionCookie": []}] if op.auth else []
    return out


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3 document of every ``/api/v1`` route registered on ``app``."""
    spec = APISpec(
        title="Oversite API",
        version=package_version(),
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Cases, tasks, process models, documents and the audit trail."},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme(
        "sessionCookie", {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"]}
    )
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        op: Operation | None = getattr(view, ATTRIBUTE, None)
        if op is None:
            first_line = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
            op = Operation(summary=first_line)
        path, params = _path_and_params(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_dict(op, params)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def package_version() -> str:
    try:
        return version("oversite")
    except PackageNotFoundError:
        return "0"


@bp.get("/openapi.json")
@operation("This OpenAPI document", tags=["meta"], auth=False,
           responses={200: ("the OpenAPI 3 document", None, "application/json")})
def openapi_json() -> ResponseReturnValue:
    # Routes are frozen once the app serves requests, so the document is built once.
    document = current_app.extensions.get(SPEC_CACHE_KEY)
    if document is None:
        document = build_spec(current_app._get_current_object())  # type: ignore[attr-defined]
        current_app.extensions[SPEC_CACHE_KEY] = document
    return jsonify(document)
