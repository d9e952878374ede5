"""``/api/v1/process-models``: list, deploy, validate and read BPMN models and their versions."""
from __future__ import annotations

from itertools import groupby

from flask import Blueprint, Response
from flask.typing import ResponseReturnValue

from engine import BpmnFile, queries

from ..auth.decorators import login_required, roles_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .engine_schemas import DeployedSchema, ModelSchema, ModelUploadSchema, ProblemSchema, VersionArgs
from .openapi import API_PREFIX, operation
from .parsing import multipart_form, query_args

bp = Blueprint("api_process_models", __name__, url_prefix=API_PREFIX + "/process-models")
MODEL_EDITORS = ("process_owner", "admin")


def _uploaded_file() -> BpmnFile:
    upload = multipart_form(ModelUploadSchema())["file"]
    return BpmnFile(upload.filename or "model.bpmn", upload.stream.read())


@bp.get("")
@operation("Deployed process models with their versions", tags=["process models"],
           responses={200: ModelSchema(many=True)})
@login_required
def list_models() -> ResponseReturnValue:
    with get_session() as session:
        rows = queries.definitions(session)
    models = []
    for key, versions in groupby(rows, key=lambda d: d.key):
        items = list(versions)
        models.append({"key": key, "name": items[0].name, "latest_version": items[0].version, "versions": items})
    return ModelSchema(many=True).dump(models)


@bp.post("")
@operation("Deploy a .bpmn file (a new version per changed process)", tags=["process models"],
           form=ModelUploadSchema, responses={201: DeployedSchema, 200: DeployedSchema, 400: ProblemSchema(many=True)},
           description="400 lists every problem found (element id and line). Identical XML returns "
                       "the existing version with 200.")
@roles_required(*MODEL_EDITORS)
def deploy_model() -> ResponseReturnValue:
    file = _uploaded_file()
    services = current_services()
    session = get_session()
    with session.begin():
        deployed = services.engine.deploy(session, [file], current_actor())
        body = [{"key": d.definition.key, "version": d.definition.version, "sha256": d.definition.sha256,
                 "created": d.created} for d in deployed]
    status = 201 if any(d["created"] for d in body) else 200
    first = dict(body[0])
    if len(body) > 1:
        first["deployed"] = body
    return first, status


@bp.post("/validate")
@operation("Check a .bpmn file without deploying it", tags=["process models"], form=ModelUploadSchema,
           responses={200: ProblemSchema(many=True)})
@roles_required(*MODEL_EDITORS)
def validate_model() -> ResponseReturnValue:
    file = _uploaded_file()
    with get_session() as session:
        problems = current_services().engine.validate(session, [file])
    return {"valid": not problems, "problems": problems}


@bp.get("/<key>")
@operation("The versions of one model, newest first", tags=["process models"], responses={200: ModelSchema})
@login_required
def get_model(key: str) -> ResponseReturnValue:
    with get_session() as session:
        latest = queries.definition(session, key)
        versions = queries.definitions(session, key)
    return ModelSchema().dump({"key": key, "name": latest.name, "latest_version": latest.version,
                               "versions": versions})


@bp.get("/<key>/bpmn")
@operation("The BPMN XML of a version (default: the latest)", tags=["process models"], query=VersionArgs,
           responses={200: ("BPMN 2.0 XML", None, "application/xml")})
@login_required
def get_bpmn(key: str) -> ResponseReturnValue:
    version = query_args(VersionArgs())["version"]
    with get_session() as session:
        definition = queries.definition(session, key, version)
    return Response(definition.bpmn_xml, mimetype="application/xml",
                    headers={"X-Process-Version": str(definition.version)})
