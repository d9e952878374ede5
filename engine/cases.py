"""Cases: start one on a deployed model, cancel it, suspend and resume its instances."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Case, ProcessInstance, Project

from . import deploy, projection, runtime
from .actor import Actor
from .errors import Conflict, FieldErrors, NotFound
from .status import RESUMABLE_INSTANCE_STATES, CaseStatus, InstanceStatus, TaskState

if TYPE_CHECKING:
    from .core import ProcessEngine


def deploy_models(eng: ProcessEngine, session: Session, files: Sequence[deploy.BpmnFile], actor: Actor) -> list[deploy.Deployed]:
    now = eng.clock.now()
    result = deploy.deploy(session, files, actor_name=actor.username, now=now, forms=eng.forms,
                           operations=eng.services, roles=eng.roles)
    for item in result:
        if item.created:
            d = item.definition
            runtime.audit(session, actor, "model.deployed", now,
                          data={"key": d.key, "version": d.version, "sha256": d.sha256, "filename": d.filename})
    return result


def _scope_of(session: Session, project_id: int | None, actor: Actor) -> tuple[str | None, str | None]:
    """The district and enterprise a new case belongs to (from its project and its starter)."""
    district = None
    if project_id is not None:
        project = session.get(Project, project_id)
        if project is None:
            raise FieldErrors({"project_id": [f"project {project_id} does not exist"]})
        district = project.district
    enterprise = next((s.enterprise_code for s in actor.scopes if s.role == "enterprise" and s.enterprise_code), None)
    return district, enterprise


def start_case(eng: ProcessEngine, session: Session, process_key: str, data: dict[str, Any], actor: Actor, *,
               project_id: int | None = None, title: str | None = None) -> Case:
    definition = eng.latest_definition(session, process_key)
    now = eng.clock.now()
    district, enterprise = _scope_of(session, project_id, actor)
    case = Case(process_key=process_key, title=title or definition.name or process_key, status=CaseStatus.ACTIVE,
                project_id=project_id, district=district, enterprise_code=enterprise, data={},
                created_at=now, updated_at=now, created_by=actor.username)
    session.add(case)
    session.flush()
    runtime.audit(session, actor, "case.started", now, case_id=case.id,
                  data={"process_key": process_key, "version": definition.version, "project_id": project_id})
    initial = dict(data)
    initial.setdefault("case_id", case.id)
    if project_id is not None:
        initial.setdefault("project_id", project_id)
    runtime.create_instance(eng, session, case, definition.id, initial, actor)
    return case


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def cancel_case(eng: ProcessEngine, session: Session, case_id: int, reason: str, actor: Actor) -> Case:
    if not reason or not reason.strip():
        raise FieldErrors({"reason": ["a reason is required"]})
    case = get_case(session, case_id)
    if case.status in (CaseStatus.COMPLETED, CaseStatus.CANCELLED):
        raise Conflict(f"case {case_id} is already {case.status}")
    now = eng.clock.now()
    instances = session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.case_id == case_id,
            ProcessInstance.status.not_in((InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)),
        ).with_for_update()
    ).all()
    for row in instances:
        row.status = InstanceStatus.CANCELLED
        row.status_reason = reason
        row.updated_at = now
        projection.close_all(session, row, now, TaskState.CANCELLED)
        row.waiting_digest = None
    case.status = CaseStatus.CANCELLED
    case.closed_at = now
    case.updated_at = now
    runtime.audit(session, actor, "case.cancelled", now, case_id=case_id, data={"reason": reason})
    session.flush()
    return case


def set_suspended(eng: ProcessEngine, session: Session, instance_id: int, reason: str, actor: Actor, *,
                  suspended: bool) -> ProcessInstance:
    if not reason or not reason.strip():
        raise FieldErrors({"reason": ["a reason is required"]})
    row = runtime.lock_instance(session, instance_id)
    wanted_from = (InstanceStatus.RUNNING,) if suspended else RESUMABLE_INSTANCE_STATES
    if row.status not in wanted_from:
        raise Conflict(f"instance {instance_id} is {row.status}, not {' or '.join(wanted_from)}")
    now = eng.clock.now()
    row.status = InstanceStatus.SUSPENDED if suspended else InstanceStatus.RUNNING
    row.status_reason = reason if suspended else None
    row.updated_at = now
    runtime.audit(session, actor, "instance.suspended" if suspended else "instance.resumed", now,
                  case_id=row.case_id, instance_id=row.id, data={"reason": reason})
    session.flush()
    return row
