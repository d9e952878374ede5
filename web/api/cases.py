"""``/api/v1/cases``: start, list, read (with history and documents), cancel, suspend, resume."""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from engine import Forbidden, NotFound, queries
from engine.access import READ_ONLY_ROLES, can_act_on_project, project_parties
from engine.status import RESUMABLE_INSTANCE_STATES, InstanceStatus
from storage import Project

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .engine_schemas import (
    CaseDetailSchema,
    CaseListArgs,
    CasePageSchema,
    CaseSchema,
    CaseStartedSchema,
    CaseStartSchema,
    HistoryEntrySchema,
    InstanceActionSchema,
    InstanceSchema,
    ReasonSchema,
)
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args
from .schemas import DocumentSchema

bp = Blueprint("api_cases", __name__, url_prefix=API_PREFIX + "/cases")
CASE_MANAGERS = ("admin", "district_admin")


@bp.post("")
@operation("Start a case on the latest version of a model", tags=["cases"], body=CaseStartSchema,
           responses={201: CaseStartedSchema})
@login_required
def start_case() -> ResponseReturnValue:
    args = json_body(CaseStartSchema())
    actor = current_actor()
    engine = current_services().engine
    session = get_session()
    with session.begin():
        if args["project_id"] is not None:
            project = session.get(Project, args["project_id"])
            if project is not None and not can_act_on_project(actor, project.district,
                                                               project_parties(session, project.id)):
                raise Forbidden(f"you may not start cases for project {project.id}")
        elif not actor.roles - READ_ONLY_ROLES:
            raise Forbidden("auditors read cases; they do not start them")
        case = engine.start_case(session, args["process_key"], args["data"], actor,
                                 project_id=args["project_id"], title=args["title"])
        instances = queries.case_instances(session, case.id)
        body = {"id": case.id, "instance_id": instances[0][0].id, "status": case.status}
    return CaseStartedSchema().dump(body), 201


@bp.get("")
@operation("Cases the caller may read", tags=["cases"], query=CaseListArgs, responses={200: CasePageSchema})
@login_required
def list_cases() -> ResponseReturnValue:
    args = query_args(CaseListArgs())
    flt = queries.CaseFilter(args["process_key"], args["status"], args["project_id"])
    with get_session() as session:
        page = queries.list_cases(session, current_actor(), flt, args["page"], args["per_page"])
        return CasePageSchema().dump(page)


def _instances(session, case_id: int) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        {"id": i.id, "process_key": d.key, "version": d.version, "status": i.status, "status_reason": i.status_reason,
         "parent_id": i.parent_id, "task_count": i.task_count, "created_at": i.created_at,
         "completed_at": i.completed_at}
        for i, d in queries.case_instances(session, case_id)
    ]


@bp.get("/<int:case_id>")
@operation("One case with its instances", tags=["cases"], responses={200: CaseDetailSchema})
@login_required
def get_case(case_id: int) -> ResponseReturnValue:
    with get_session() as session:
        case = queries.case_for(session, current_actor(), case_id)
        instances = _instances(session, case_id)
        # Dump once: a dumped dict holds ISO strings that a second dump cannot format again.
        body = CaseDetailSchema().dump(case)
        body["instances"] = InstanceSchema(many=True).dump(instances)
        body["instance_id"] = instances[0]["id"] if instances else None
        return body


@bp.get("/<int:case_id>/history")
@operation("The case's history, oldest first (from the audit chain)", tags=["cases"],
           responses={200: HistoryEntrySchema(many=True)})
@login_required
def case_history(case_id: int) -> ResponseReturnValue:
    with get_session() as session:
        queries.case_for(session, current_actor(), case_id)
        return HistoryEntrySchema(many=True).dump(queries.case_history(session, case_id))


@bp.get("/<int:case_id>/documents")
@operation("Documents linked to the case", tags=["cases"], responses={200: DocumentSchema(many=True)})
@login_required
def case_documents(case_id: int) -> ResponseReturnValue:
    with get_session() as session:
        queries.case_for(session, current_actor(), case_id)
        return DocumentSchema(many=True).dump(queries.case_documents(session, case_id))


def _managed_case(session, case_id: int):  # type: ignore[no-untyped-def]
    actor = current_actor()
    case = queries.case_for(session, actor, case_id)
    if not actor.has_role(*CASE_MANAGERS):
        raise Forbidden("cancelling, suspending and resuming cases needs the admin or district_admin role")
    return actor, case


@bp.post("/<int:case_id>/cancel")
@operation("Cancel a case and withdraw its open tasks", tags=["cases"], body=ReasonSchema,
           responses={200: CaseSchema})
@login_required
def cancel_case(case_id: int) -> ResponseReturnValue:
    args = json_body(ReasonSchema())
    session = get_session()
    with session.begin():
        actor, _ = _managed_case(session, case_id)
        case = current_services().engine.cancel_case(session, case_id, args["reason"], actor)
        return CaseSchema().dump(case)


def _suspend_or_resume(case_id: int, suspended: bool) -> ResponseReturnValue:
    args = json_body(InstanceActionSchema())
    engine = current_services().engine
    session = get_session()
    with session.begin():
        actor, _ = _managed_case(session, case_id)
        wanted = (InstanceStatus.RUNNING,) if suspended else RESUMABLE_INSTANCE_STATES
        targets = [i for i, _ in queries.case_instances(session, case_id)
                   if (args["instance_id"] is None and i.status in wanted) or i.id == args["instance_id"]]
        if args["instance_id"] is not None and not targets:
            raise NotFound(f"instance {args['instance_id']} is not part of case {case_id}")
        verb = engine.suspend_instance if suspended else engine.resume_instance
        for instance in targets:
            verb(session, instance.id, args["reason"], actor)
        return {"instances": InstanceSchema(many=True).dump(_instances(session, case_id))}


@bp.post("/<int:case_id>/suspend")
@operation("Suspend the case's running instances (or one)", tags=["cases"], body=InstanceActionSchema)
@login_required
def suspend_case(case_id: int) -> ResponseReturnValue:
    return _suspend_or_resume(case_id, suspended=True)


@bp.post("/<int:case_id>/resume")
@operation("Resume the case's suspended instances, or retry those a failed timer set aside (or one)",
           tags=["cases"], body=InstanceActionSchema)
@login_required
def resume_case(case_id: int) -> ResponseReturnValue:
    return _suspend_or_resume(case_id, suspended=False)
