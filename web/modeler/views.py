"""Pages of ``/models``: the list, the modeler (new and edit), old versions, and version diffs.

Validating and deploying go through the API (``/api/v1/process-models``) from the browser,
with the session cookie and the ``X-CSRFToken`` header; these routes only render pages.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, make_response, render_template, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from engine import NotFound, queries

from ..api.parsing import query_args
from ..api.schemas import version_field
from ..auth.decorators import roles_required
from ..db import get_session
from ..services import current_services
from . import catalog, editor
from .importmap import allow_inline_script, import_map

bp = Blueprint("models", __name__, url_prefix="/models")
MODEL_EDITORS = ("process_owner", "admin")


class VersionArgs(Schema):
    version = version_field(load_default=None)


class DiffArgs(Schema):
    a = version_field(load_default=None)
    b = version_field(load_default=None)


@bp.get("")
@roles_required(*MODEL_EDITORS)
def index() -> ResponseReturnValue:
    with get_session() as session:
        models = catalog.model_summaries(session)
    return render_template("models/index.html", models=models)


@bp.get("/new")
@roles_required(*MODEL_EDITORS)
def new() -> ResponseReturnValue:
    key, xml = editor.new_diagram()
    return _editor_page(key=key, xml=xml, versions=[], based_on=None)


@bp.get("/<key>/edit")
@roles_required(*MODEL_EDITORS)
def edit(key: str) -> ResponseReturnValue:
    version = query_args(VersionArgs())["version"]
    with get_session() as session:
        definition = queries.definition(session, key, version)
        versions = catalog.model_versions(session, key)
    return _editor_page(key=key, xml=definition.bpmn_xml, versions=versions, based_on=definition.version)


@bp.get("/<key>/versions/<version:version>")
@roles_required(*MODEL_EDITORS)
def version(key: str, version: int) -> ResponseReturnValue:
    with get_session() as session:
        definition = queries.definition(session, key, version)
        versions = catalog.model_versions(session, key)
    return render_template("models/version.html", key=key, definition=definition, versions=versions,
                           viewer={"xml": definition.bpmn_xml, "messages": editor.diff_messages(),
                                   "types": editor.element_type_labels()})


@bp.get("/<key>/diff")
@roles_required(*MODEL_EDITORS)
def diff(key: str) -> ResponseReturnValue:
    args = query_args(DiffArgs())
    with get_session() as session:
        versions = catalog.model_versions(session, key)
        if not versions:
            raise NotFound(f"process model {key!r} does not exist")
        b = args["b"] or versions[0].version
        a = args["a"] or max(b - 1, 1)
        left = queries.definition(session, key, a)
        right = queries.definition(session, key, b)
    page_data: dict[str, Any] = {
        "a": {"version": left.version, "xml": left.bpmn_xml},
        "b": {"version": right.version, "xml": right.bpmn_xml},
        "messages": editor.diff_messages(),
        "types": editor.element_type_labels(),
    }
    imports = import_map()
    response = make_response(render_template("models/diff.html", key=key, versions=versions, left=left,
                                             right=right, page_data=page_data, import_map=imports))
    response.headers["Content-Security-Policy"] = allow_inline_script(
        current_app.config["CONTENT_SECURITY_POLICY"], imports)
    return response


def _editor_page(*, key: str, xml: str, versions: list[catalog.VersionInfo], based_on: int | None) -> str:
    registries = current_services().registries
    page_data = {
        "key": key,
        "xml": xml,
        "basedOn": based_on,
        "urls": {"validate": url_for("api_process_models.validate_model"),
                 "deploy": url_for("api_process_models.deploy_model"), "models": url_for("models.index")},
        "latest": versions[0].version if versions else None,
        "messages": editor.editor_messages(),
        "types": editor.element_type_labels(),
    }
    return render_template(
        "models/edit.html", key=key, versions=versions, based_on=based_on, page_data=page_data,
        roles=editor.role_choices(), forms=editor.form_choices(registries.forms),
        operations=editor.operation_choices(registries.services),
        parameter_types=editor.PARAMETER_TYPES,
    )
