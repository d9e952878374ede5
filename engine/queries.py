"""Read side: lists and details for the inbox, case pages and the API, filtered by access.

Every function returns plain rows or statements; none deserializes an instance.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from storage import AuditEvent, Case, Document, ProcessDefinition, ProcessInstance, Project, Task

from . import access
from .actor import Actor
from .errors import NotFound
from .status import OPEN_TASK_STATES, TaskState

T = TypeVar("T")
MAX_PER_PAGE = 200
# Deeper than anyone pages; keeps every OFFSET far inside the database's integer range.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


def paginate(session: Session, stmt: Select[Any], page: int, per_page: int) -> Page[Any]:
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


@dataclass(frozen=True)
class CaseFilter:
    process_key: str | None = None
    status: str | None = None
    project_id: int | None = None


def list_cases(session: Session, actor: Actor, f: CaseFilter, page: int = 1, per_page: int = 50) -> Page[Case]:
    stmt = select(Case).where(access.visible_cases(actor))
    if f.process_key:
        stmt = stmt.where(Case.process_key == f.process_key)
    if f.status:
        stmt = stmt.where(Case.status == f.status)
    if f.project_id is not None:
        stmt = stmt.where(Case.project_id == f.project_id)
    return paginate(session, stmt.order_by(Case.id.desc()), page, per_page)


def case_for(session: Session, actor: Actor, case_id: int) -> Case:
    """The case if ``actor`` may read it; 404 otherwise (never reveal that it exists)."""
    case = session.get(Case, case_id)
    if case is None or not access.can_read_case(actor, case, access.project_parties(session, case.project_id)):
        raise NotFound(f"case {case_id} does not exist")
    return case


def case_instances(session: Session, case_id: int) -> list[tuple[ProcessInstance, ProcessDefinition]]:
    rows = session.execute(
        select(ProcessInstance, ProcessDefinition)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(ProcessInstance.case_id == case_id).order_by(ProcessInstance.id)
    )
    return [(i, d) for i, d in rows]


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    actor: str | None
    role: str | None
    action: str
    task_id: int | None
    task: str | None
    instance_id: int | None
    data: dict[str, Any]


def case_history(session: Session, case_id: int) -> list[HistoryEntry]:
    rows = session.execute(
        select(AuditEvent, Task.bpmn_id, Task.name)
        .outerjoin(Task, Task.id == AuditEvent.task_id)
        .where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
    )
    return [
        HistoryEntry(e.seq, e.at, e.actor, e.role, e.action, e.task_id, name or bpmn_id, e.instance_id, e.data)
        for e, bpmn_id, name in rows
    ]


def case_documents(session: Session, case_id: int) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.case_id == case_id).order_by(Document.id)))


@dataclass(frozen=True)
class TaskFilter:
    """Narrowing of a task list; every field left at its default narrows nothing.

    Attributes:
        project_name: text contained in the project's name or code (case-insensitive).
        district: the task's district, exactly.
        due_within_days: due before now + this many days (overdue tasks included).
    """

    state: str | None = None
    process_key: str | None = None
    case_id: int | None = None
    project_id: int | None = None
    assigned_to_me: bool = False
    overdue: bool = False
    project_name: str | None = None
    district: str | None = None
    due_within_days: int | None = None


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with the user's own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def projects_named(text: str) -> Select[tuple[int]]:
    """Ids of the projects whose name or code contains ``text``."""
    pattern = like_pattern(text.strip())
    return select(Project.id).where(or_(Project.name.ilike(pattern, escape="\\"),
                                        Project.code.ilike(pattern, escape="\\")))


def task_filter_clauses(actor: Actor, f: TaskFilter, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``f`` other than state and access (shared by the API and the inbox)."""
    clauses: list[ColumnElement[bool]] = []
    if f.process_key:
        clauses.append(Task.process_key == f.process_key)
    if f.case_id is not None:
        clauses.append(Task.case_id == f.case_id)
    if f.project_id is not None:
        clauses.append(Task.project_id == f.project_id)
    if f.assigned_to_me:
        clauses.append(Task.assignee_id == actor.user_id)
    if f.overdue:
        clauses.append(Task.due_at < now)
    if f.due_within_days is not None:
        clauses.append(Task.due_at <= now + timedelta(days=max(f.due_within_days, 0)))
    if f.district:
        clauses.append(Task.district == f.district)
    if f.project_name and f.project_name.strip():
        # A semi-join on project: at most one row per task, whatever the project table holds.
        clauses.append(Task.project_id.in_(projects_named(f.project_name)))
    return clauses


def task_query(actor: Actor, f: TaskFilter, now: datetime) -> Select[tuple[Task]]:
    """Open tasks the actor may work on by default; other states among the tasks it may read."""
    if f.state in (None, "open"):
        # A claimed task is exclusive: someone else's is no longer the caller's to work on.
        unclaimed_or_mine = or_(Task.state == TaskState.OPEN, Task.assignee_id == actor.user_id)
        stmt = select(Task).where(Task.state.in_(OPEN_TASK_STATES), unclaimed_or_mine,
                                  access.workable_tasks(actor))
    else:
        stmt = select(Task).where(Task.state == f.state, access.visible_tasks(actor))
    if f.overdue:
        stmt = stmt.where(Task.state.in_(OPEN_TASK_STATES))
    stmt = stmt.where(*task_filter_clauses(actor, f, now))
    return stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.id)


def list_tasks(session: Session, actor: Actor, f: TaskFilter, now: datetime, page: int = 1,
               per_page: int = 50) -> Page[Task]:
    return paginate(session, task_query(actor, f, now), page, per_page)


def is_open(task: Task) -> bool:
    return task.state in (TaskState.OPEN, TaskState.CLAIMED)


def definitions(session: Session, key: str | None = None) -> list[ProcessDefinition]:
    stmt = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
    if key is not None:
        stmt = stmt.where(ProcessDefinition.key == key)
    return list(session.scalars(stmt))


def definition(session: Session, key: str, version: int | None = None) -> ProcessDefinition:
    stmt = select(ProcessDefinition).where(ProcessDefinition.key == key)
    stmt = stmt.where(ProcessDefinition.version == version) if version else stmt.order_by(
        ProcessDefinition.version.desc())
    found = session.scalars(stmt.limit(1)).first()
    if found is None:
        raise NotFound(f"process model {key!r}" + (f" version {version}" if version else "") + " does not exist")
    return found
