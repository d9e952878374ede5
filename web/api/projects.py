"""``/api/v1/projects``: register projects, list and read the ones the caller may see."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Project
from storage.people import Person, ProjectPerson
from workflows.reference.districts import configured_districts
from workflows.reference.projects import ProjectFilter, get_project, list_projects, register_project
from workflows.reference.status import ProjectStatus, status_on
from workflows.reference.today import local_date

from ..audit_trail import record
from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args
from .reference_schemas import (
    ProjectCreateSchema,
    ProjectDetailSchema,
    ProjectListArgs,
    ProjectPageSchema,
    ProjectSchema,
)

bp = Blueprint("api_projects", __name__, url_prefix=API_PREFIX + "/projects")


def _today() -> Any:
    services = current_services()
    return local_date(services.clock.now(), services.config)


def project_body(project: Project, day: Any, schema: Any = None) -> dict[str, Any]:
    """A project as the API shows it: its fields, parties and status on ``day``."""
    dated = status_on(project, day)
    body = {c: getattr(project, c) for c in ProjectSchema().fields if hasattr(project, c)}
    body.update(parties=[{"role": p.party_role, "enterprise_code": p.enterprise_code} for p in project.parties],
                status=dated.status.value, under_supervision=dated.under_supervision,
                under_construction=dated.under_construction, status_date=day)
    return (schema or ProjectSchema()).dump(body)  # type: ignore[no-any-return]


def _people(session: Session, project_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ProjectPerson.position, Person.name, Person.enterprise_code)
        .join(Person, Person.id == ProjectPerson.person_id)
        .where(ProjectPerson.project_id == project_id).order_by(ProjectPerson.id))
    return [{"position": r.position, "name": r.name, "enterprise_code": r.enterprise_code} for r in rows]


@bp.post("")
@operation("Register a project (admin, or the district admin of its district)", tags=["projects"],
           body=ProjectCreateSchema, responses={201: ProjectSchema})
@login_required
def create_project() -> ResponseReturnValue:
    args = json_body(ProjectCreateSchema())
    actor = current_actor()
    assert actor is not None
    services = current_services()
    parties = [(p["role"], p["enterprise_code"]) for p in args.pop("parties")]
    session = get_session()
    with session.begin():
        project = register_project(session, actor, args, parties, districts=configured_districts(services.config),
                                   now=services.clock.now())
        record(session, "project.register", actor=actor.username, role=actor.role_for_audit,
               data={"project_id": project.id, "code": project.code, "district": project.district})
        body = project_body(project, _today())
    return body, 201, {"Location": url_for("api_projects.get_one", project_id=body["id"])}


@bp.get("")
@operation("Projects the caller may see, by code", tags=["projects"], query=ProjectListArgs,
           responses={200: ProjectPageSchema})
@login_required
def list_all() -> ResponseReturnValue:
    args = query_args(ProjectListArgs())
    today = _today()
    status = ProjectStatus(args["status"]) if args["status"] else None
    flt = ProjectFilter(args["district"], status, args["as_of"], args["q"], args["enterprise_code"])
    with get_session() as session:
        page = list_projects(session, current_actor(), flt, today=today, page=args["page"],
                             per_page=args["per_page"])
        day = args["as_of"] or today
        return {"items": [project_body(p, day) for p in page.items], "total": page.total, "page": page.page,
                "per_page": page.per_page}


@bp.get("/<int:project_id>")
@operation("One project with its parties, key personnel and status today", tags=["projects"],
           responses={200: ProjectDetailSchema})
@login_required
def get_one(project_id: int) -> ResponseReturnValue:
    with get_session() as session:
        project = get_project(session, current_actor(), project_id)
        body = project_body(project, _today(), ProjectDetailSchema())
        body["people"] = _people(session, project.id)
        return body
