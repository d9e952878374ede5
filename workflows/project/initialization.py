"""Project initialization (项目初始化): the enterprise completes its project, the district confirms.

A submission is stored as it was filed; only the district's acknowledgement writes it into the
reference data (project fields, the three parties, key personnel) and counts the project as
initialized for the usage report. A returned submission starts the next round in the same case,
pre-filled with what was filed.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select

from engine import Conflict, NotFound, ServiceContext
from engine.scripting import plain
from storage import (
    Enterprise,
    Person,
    Project,
    ProjectInitialization,
    ProjectParty,
    ProjectPerson,
    ProjectRecord,
    record_project_event,
)
from storage.audit_queue import queue_audit

from .forms import InitializationForm, InitializationReviewForm, load_form
from .guards import Problems, case_project, check_documents, require_any_party
from .policy import ProjectPolicy
from .vocab import INITIALIZATION_PROCESS, InitializationStatus

PROJECT_FIELDS = ("address", "floor_area_m2", "contract_value_cny", "construction_start", "construction_end")
PARTIES = ("builder", "contractor", "supervisor")
# Form field prefix → (position on the project, the party whose employee it is).
POSITIONS = {
    "project_manager": ("project_manager", "contractor"),
    "safety_officer": ("safety_officer", "contractor"),
    "technical_lead": ("technical_lead", "contractor"),
    "chief_supervisor": ("chief_supervisor", "supervisor"),
}


def submit_initialization(ctx: ServiceContext, *, policy: ProjectPolicy) -> dict[str, Any]:
    """Store the submission of form ``project.initialization`` for the district's review.

    Raises:
        FieldErrors: documents not uploaded to this case.
        Forbidden: the actor's enterprise is not a party of the project.
        Conflict: another submission for the project is waiting for review.
    """
    form = load_form(InitializationForm, ctx.task_data)
    project = case_project(ctx)
    enterprise = require_any_party(ctx.session, ctx.actor, project)
    pending = ctx.session.scalars(select(ProjectInitialization).where(
        ProjectInitialization.project_id == project.id,
        ProjectInitialization.status == InitializationStatus.SUBMITTED)).first()
    if pending is not None:
        raise Conflict(f"an initialization of project {project.code} is already waiting for review "
                       f"(case {pending.case_id})")
    problems = Problems()
    check_documents(ctx.session, problems, "document_ids", ctx.case.id, form["document_ids"])
    problems.raise_if_any()
    earlier = ctx.session.scalar(select(func.count()).select_from(ProjectInitialization)
                                 .where(ProjectInitialization.case_id == ctx.case.id)) or 0
    row = ProjectInitialization(project_id=project.id, case_id=ctx.case.id, round=earlier + 1,
                                status=InitializationStatus.SUBMITTED, data=plain(form), enterprise_code=enterprise,
                                submitted_by=ctx.actor.username, submitted_at=ctx.clock.now())
    ctx.session.add(row)
    ctx.session.flush()
    ctx.case.title = f"项目初始化 · {project.name}"
    return {"initialization_id": row.id, "round": row.round}


def _submission_of_case(ctx: ServiceContext, initialization_id: Any) -> ProjectInitialization:
    row = ctx.session.get(ProjectInitialization, initialization_id) if isinstance(initialization_id, int) else None
    if row is None or row.case_id != ctx.case.id:
        raise NotFound(f"initialization {initialization_id} is not part of case {ctx.case.id}")
    return row


def review_initialization(ctx: ServiceContext, *, policy: ProjectPolicy, initialization_id: int) -> dict[str, Any]:
    """Record the district's decision (form ``project.initialization_review``); acknowledging applies it.

    Raises:
        NotFound: the submission is not part of this case.
        Conflict: it was already reviewed.
    """
    row = _submission_of_case(ctx, initialization_id)
    if row.status != InitializationStatus.SUBMITTED:
        raise Conflict(f"initialization {row.id} was already {row.status}")
    form = load_form(InitializationReviewForm, ctx.task_data)
    now = ctx.clock.now()
    row.reviewed_by = ctx.actor.username
    row.reviewed_at = now
    row.review_comment = form["comment"] or None
    acknowledged = form["decision"] == InitializationStatus.ACKNOWLEDGED
    row.status = InitializationStatus.ACKNOWLEDGED if acknowledged else InitializationStatus.RETURNED
    if acknowledged:
        project = case_project(ctx)
        apply_initialization(ctx, project, load_form(InitializationForm, row.data))
        if ctx.session.scalar(select(ProjectRecord.id).where(
                ProjectRecord.project_id == project.id, ProjectRecord.kind == "initialization").limit(1)) is None:
            record_project_event(ctx.session, project.id, "initialization", policy.local_today(ctx.clock),
                                 case_id=ctx.case.id, now=now)
    ctx.session.flush()
    return {"acknowledged": acknowledged}


def reopen_initialization(ctx: ServiceContext, *, policy: ProjectPolicy, initialization_id: int) -> dict[str, Any]:
    """Start the next round of a returned submission, pre-filled with what was filed.

    Raises:
        Conflict: the submission was not returned.
    """
    row = _submission_of_case(ctx, initialization_id)
    if row.status != InitializationStatus.RETURNED:
        raise Conflict(f"initialization {row.id} is {row.status}, not returned")
    ctx.start_requests.append((INITIALIZATION_PROCESS, {
        **row.data, "returned_comment": row.review_comment or "", "returned_round": row.round}))
    return {"next_round": row.round + 1}


def _json_value(value: Any) -> Any:
    return str(value) if isinstance(value, (Decimal, date)) else value


def apply_initialization(ctx: ServiceContext, project: Project, form: dict[str, Any]) -> None:
    """Write an acknowledged initialization into the project, its parties and key personnel (audited)."""
    now = ctx.clock.now()
    before = {name: _json_value(getattr(project, name)) for name in PROJECT_FIELDS}
    for name in PROJECT_FIELDS:
        setattr(project, name, form[name])
    project.updated_at = now
    session = ctx.session
    for party in PARTIES:
        code = form[f"{party}_code"]
        if session.scalar(select(Enterprise.id).where(Enterprise.code == code)) is None:
            session.add(Enterprise(code=code, name=form[f"{party}_name"], kind=party, created_at=now))
    session.execute(delete(ProjectParty).where(ProjectParty.project_id == project.id,
                                               ProjectParty.party_role.in_(PARTIES)))
    session.add_all([ProjectParty(project_id=project.id, enterprise_code=form[f"{party}_code"], party_role=party)
                     for party in PARTIES])
    session.flush()
    session.expire(project, ["parties"])
    _apply_personnel(ctx, project, form)
    queue_audit(session, action="project.initialized", at=now, actor=ctx.actor.username,
                role=ctx.actor.role_for_audit, client_addr=ctx.actor.client_addr, case_id=ctx.case.id,
                instance_id=ctx.instance.id, task_id=None,
                data={"project_id": project.id, "before": before,
                      "after": {name: _json_value(form[name]) for name in PROJECT_FIELDS},
                      "parties": {party: form[f"{party}_code"] for party in PARTIES}})


def _apply_personnel(ctx: ServiceContext, project: Project, form: dict[str, Any]) -> None:
    session = ctx.session
    named = [(prefix, position, party) for prefix, (position, party) in POSITIONS.items() if form.get(prefix)]
    session.execute(delete(ProjectPerson).where(ProjectPerson.project_id == project.id,
                                                ProjectPerson.position.in_([p for _, p, _ in named])))
    for prefix, position, party in named:
        identifier = form[f"{prefix}_cert"]
        person = session.scalars(select(Person).where(Person.kind == "key_personnel",
                                                      Person.identifier == identifier)).first()
        if person is None:
            person = Person(kind="key_personnel", identifier=identifier, name=form[prefix],
                            enterprise_code=form[f"{party}_code"], created_at=ctx.clock.now())
            session.add(person)
            session.flush()
        if session.scalar(select(ProjectPerson.id).where(
                ProjectPerson.project_id == project.id, ProjectPerson.person_id == person.id,
                ProjectPerson.position == position)) is None:
            session.add(ProjectPerson(project_id=project.id, person_id=person.id, position=position))
    session.flush()
