"""Read side of the case page and the auditors' search: rounds, diagram marks, case search.

Everything here comes from the projections and the audit chain; no instance is deserialized.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session

from storage import AuditEvent, Case, Enterprise, ProcessDefinition, ProcessInstance, Project, ProjectParty, Task, User

from . import access
from .actor import Actor
from .queries import Page, like_pattern, paginate
from .status import OPEN_TASK_STATES, TaskState


@dataclass(frozen=True)
class DiagramMarks:
    """BPMN element ids to highlight on an instance's diagram."""

    completed: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Round:
    """One process instance of a case with its user tasks, oldest task first."""

    instance: ProcessInstance
    process_key: str
    version: int
    name: str | None
    tasks: list[Task]
    marks: DiagramMarks


def marks_for(tasks: list[Task]) -> DiagramMarks:
    """Completed, active and cancelled user tasks of one instance, by BPMN id.

    A task id repeats when a loop ran it again: its latest state wins (active over done).
    """
    latest: dict[str, str] = {}
    for task in sorted(tasks, key=lambda t: t.id):
        latest[task.bpmn_id] = task.state
    done = [b for b, s in latest.items() if s == TaskState.COMPLETED]
    active = [b for b, s in latest.items() if s in OPEN_TASK_STATES]
    cancelled = [b for b, s in latest.items() if s == TaskState.CANCELLED]
    return DiagramMarks(sorted(done), sorted(active), sorted(cancelled))


def case_rounds(session: Session, case_id: int) -> list[Round]:
    """Every instance of the case (earlier rounds first) with its tasks and diagram marks."""
    instances = session.execute(
        select(ProcessInstance, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.case_id == case_id).order_by(ProcessInstance.id)
    ).all()
    tasks: dict[int, list[Task]] = {}
    for task in session.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id)):
        tasks.setdefault(task.instance_id, []).append(task)
    return [Round(i, key, version, name, tasks.get(i.id, []), marks_for(tasks.get(i.id, [])))
            for i, key, version, name in instances]


def open_tasks_of_case(session: Session, actor: Actor, case_id: int) -> list[Task]:
    """The case's open tasks the actor may work (the case page's action links)."""
    return list(session.scalars(
        select(Task).where(Task.case_id == case_id, Task.state.in_(OPEN_TASK_STATES), access.workable_tasks(actor))
        .order_by(Task.id)))


def process_names(session: Session) -> list[tuple[str, str | None]]:
    """``(key, name of its latest version)`` for every deployed model, by key."""
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    ).all()
    names: dict[str, str | None] = {}
    for key, name, _version in rows:
        names.setdefault(key, name)
    return list(names.items())


@dataclass(frozen=True)
class CaseSearch:
    """The auditors' case search; every field left empty narrows nothing.

    Attributes:
        project: text in the project's name or code.
        enterprise: text in the enterprise's name or its credit code (filer or project party).
        created_from: first local day of the case's start (inclusive).
        created_to: last local day of the case's start (inclusive).
    """

    project: str | None = None
    enterprise: str | None = None
    process_key: str | None = None
    status: str | None = None
    created_from: date | None = None
    created_to: date | None = None


@dataclass(frozen=True)
class CaseRow:
    case: Case
    project_name: str | None
    project_code: str | None


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)


def case_search_query(actor: Actor, search: CaseSearch, tz: ZoneInfo) -> Select[tuple[Case]]:
    stmt = select(Case).where(access.visible_cases(actor))
    clauses: list[ColumnElement[bool]] = []
    if search.project and search.project.strip():
        pattern = like_pattern(search.project.strip())
        clauses.append(Case.project_id.in_(select(Project.id).where(
            or_(Project.name.ilike(pattern, escape="\\"), Project.code.ilike(pattern, escape="\\")))))
    if search.enterprise and search.enterprise.strip():
        pattern = like_pattern(search.enterprise.strip())
        codes = select(Enterprise.code).where(
            or_(Enterprise.name.ilike(pattern, escape="\\"), Enterprise.code.ilike(pattern, escape="\\")))
        party = or_(ProjectParty.enterprise_code.in_(codes), ProjectParty.enterprise_code.ilike(pattern, escape="\\"))
        clauses.append(or_(
            Case.enterprise_code.ilike(pattern, escape="\\"),
            Case.enterprise_code.in_(codes),
            Case.project_id.in_(select(ProjectParty.project_id).where(party)),
        ))
    if search.process_key:
        clauses.append(Case.process_key == search.process_key)
    if search.status:
        clauses.append(Case.status == search.status)
    if search.created_from:
        clauses.append(Case.created_at >= _local_midnight(search.created_from, tz))
    if search.created_to:
        clauses.append(Case.created_at < _local_midnight(search.created_to + timedelta(days=1), tz))
    return stmt.where(*clauses).order_by(Case.created_at.desc(), Case.id.desc())


def search_cases(session: Session, actor: Actor, search: CaseSearch, tz: ZoneInfo, *, page: int = 1,
                 per_page: int = 50) -> Page[CaseRow]:
    """Cases the actor may read matching ``search``, newest first, with their project's name.

    Dates are local days in ``tz`` (the bureau's time zone), compared with the UTC start times.
    """
    found = paginate(session, case_search_query(actor, search, tz), page, per_page)
    projects = {p.id: p for p in session.scalars(
        select(Project).where(Project.id.in_({c.project_id for c in found.items if c.project_id is not None})))}
    rows = []
    for case in found.items:
        project = projects.get(case.project_id) if case.project_id is not None else None
        rows.append(CaseRow(case, project.name if project else None, project.code if project else None))
    return Page(rows, found.total, found.page, found.per_page)


@dataclass(frozen=True)
class PartyInfo:
    role: str
    enterprise_code: str
    enterprise_name: str | None


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    parties: list[PartyInfo]


def project_summary(session: Session, project_id: int | None) -> ProjectSummary | None:
    """A case's project with its parties and their names (None without a project)."""
    if project_id is None:
        return None
    project = session.get(Project, project_id)
    if project is None:
        return None
    rows = session.execute(
        select(ProjectParty.party_role, ProjectParty.enterprise_code, Enterprise.name)
        .outerjoin(Enterprise, Enterprise.code == ProjectParty.enterprise_code)
        .where(ProjectParty.project_id == project_id).order_by(ProjectParty.party_role, ProjectParty.id)
    ).all()
    return ProjectSummary(project, [PartyInfo(role, code, name) for role, code, name in rows])


def submitted_values(session: Session, task_id: int) -> dict[str, object] | None:
    """The form data a completed task was submitted with (from its audit event)."""
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.task_id == task_id, AuditEvent.action == "task.completed")
        .order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if event is None:
        return None
    data = (event.data or {}).get("data")
    return dict(data) if isinstance(data, dict) else None


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """username → the name to show (its display name, else the username itself)."""
    names = {u: u for u in usernames if u}
    if names:
        for username, display in session.execute(
                select(User.username, User.display_name).where(User.username.in_(list(names)))):
            if display:
                names[username] = display
    return names


def submitted_by_task(session: Session, case_id: int) -> dict[int, dict[str, object]]:
    """task id → the form data each completed task of the case was submitted with."""
    found: dict[int, dict[str, object]] = {}
    for task_id, data in session.execute(
            select(AuditEvent.task_id, AuditEvent.data).where(
                AuditEvent.case_id == case_id, AuditEvent.action == "task.completed",
                AuditEvent.task_id.is_not(None)).order_by(AuditEvent.seq)):
        submitted = (data or {}).get("data")
        if isinstance(submitted, dict):
            found[int(task_id)] = dict(submitted)
    return found
