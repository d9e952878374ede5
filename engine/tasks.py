"""User tasks: claim, unclaim and complete, with form data validated by the task's schema."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from marshmallow import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState

from storage import Case, Task

from . import access, runtime
from .actor import Actor
from .errors import Conflict, FieldErrors, Forbidden, NotFound
from .scripting import plain
from .status import OPEN_TASK_STATES, TaskState

if TYPE_CHECKING:
    from .core import ProcessEngine

PLAIN_SCALARS = (str, int, float, bool, type(None))
MAX_FREE_FIELDS = 200


def check_task_access(session: Session, actor: Actor, task: Task, case: Case | None, *, to_work: bool) -> None:
    """404 if ``actor`` may neither read the task's case nor work the task; 403 if it may only read."""
    parties = access.project_parties(session, task.project_id) if _needs_parties(actor) else frozenset()
    workable = access.can_work_task(actor, task, parties)
    readable = workable or (case is not None and access.can_read_case(actor, case, parties))
    if not readable:
        raise NotFound(f"task {task.id} does not exist")
    if to_work and not workable:
        raise Forbidden(f"you may not work task {task.id} (role {task.role or 'any'} in its scope is required)")


def _needs_parties(actor: Actor) -> bool:
    return any(s.role == "enterprise" for s in actor.scopes)


def get_task_for(session: Session, task_id: int, actor: Actor, *, to_work: bool) -> Task:
    """The task, if ``actor`` may see it (404 otherwise) and, with ``to_work``, work it (403)."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"task {task_id} does not exist")
    check_task_access(session, actor, task, session.get(Case, task.case_id), to_work=to_work)
    return task


def claim(eng: ProcessEngine, session: Session, task_id: int, actor: Actor) -> Task:
    task = get_task_for(session, task_id, actor, to_work=True)
    result = session.execute(
        update(Task).where(Task.id == task_id, Task.state == TaskState.OPEN)
        .values(state=TaskState.CLAIMED, assignee_id=actor.user_id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(task)
        raise Conflict(f"task {task_id} is {task.state} and cannot be claimed")
    session.refresh(task)
    runtime.audit(session, actor, "task.claimed", eng.clock.now(), case_id=task.case_id,
                  instance_id=task.instance_id, task_id=task.id)
    return task


def unclaim(eng: ProcessEngine, session: Session, task_id: int, actor: Actor) -> Task:
    task = get_task_for(session, task_id, actor, to_work=False)
    if task.state != TaskState.CLAIMED:
        raise Conflict(f"task {task_id} is {task.state}, not claimed")
    if task.assignee_id != actor.user_id and not actor.has_role("admin", "district_admin"):
        raise Forbidden(f"task {task_id} is claimed by someone else")
    result = session.execute(
        update(Task).where(Task.id == task_id, Task.state == TaskState.CLAIMED, Task.assignee_id == task.assignee_id)
        .values(state=TaskState.OPEN, assignee_id=None)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"task {task_id} changed meanwhile; reload it")
    session.refresh(task)
    runtime.audit(session, actor, "task.unclaimed", eng.clock.now(), case_id=task.case_id,
                  instance_id=task.instance_id, task_id=task.id)
    return task


def validate_form_data(eng: ProcessEngine, form_key: str | None, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validated, JSON-plain form data, or :class:`FieldErrors` field by field."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FieldErrors({"data": ["must be a JSON object"]})
    if form_key is None:
        return _free_data(data)
    schema = eng.forms.schema(form_key)
    if schema is None:
        raise Conflict(f"the form {form_key!r} of this task is no longer registered")
    try:
        loaded = schema.load(dict(data))
    except ValidationError as exc:
        raise FieldErrors(exc.normalized_messages()) from exc  # type: ignore[arg-type]
    return plain(loaded)  # type: ignore[no-any-return]


def _free_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A task without a form takes flat plain values, so a new diagram runs before its forms exist."""
    errors: dict[str, list[str]] = {}
    if len(data) > MAX_FREE_FIELDS:
        raise FieldErrors({"data": [f"at most {MAX_FREE_FIELDS} fields"]})
    for key, value in data.items():
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            errors[str(key)] = ["field names are identifiers not starting with '_'"]
        elif isinstance(value, list):
            if not all(isinstance(v, PLAIN_SCALARS) for v in value):
                errors[key] = ["lists may hold only plain values"]
        elif not isinstance(value, PLAIN_SCALARS):
            errors[key] = ["must be a plain value (text, number, true/false, null or a list of those)"]
    if errors:
        raise FieldErrors(errors)
    return dict(data)


def complete(eng: ProcessEngine, session: Session, task_id: int, data: Mapping[str, Any] | None, actor: Actor) -> Task:
    loaded = runtime.load_for_task(eng, session, task_id, actor)  # locks the task and its instance
    task = loaded.task
    assert task is not None
    check_task_access(session, actor, task, loaded.case, to_work=True)
    if task.state not in OPEN_TASK_STATES:
        raise Conflict(f"task {task_id} is already {task.state}")
    if task.state == TaskState.CLAIMED and task.assignee_id != actor.user_id:
        raise Conflict(f"task {task_id} is claimed by another user")
    values = validate_form_data(eng, task.form_key, data)

    def run(wf: BpmnWorkflow) -> None:
        spiff_task = wf.get_task_from_id(UUID(task.spiff_id))
        if spiff_task.state != SpiffState.READY:
            raise Conflict(f"task {task_id} is no longer ready")
        if hasattr(spiff_task.task_spec, "add_data_from_form"):
            spiff_task.task_spec.add_data_from_form(spiff_task, values)
        else:
            spiff_task.set_data(**values)
        spiff_task.run()

    loaded.task_values = {"completed_by": actor.username}
    if task.assignee_id is None:
        loaded.task_values["assignee_id"] = actor.user_id
    runtime.advance(eng, session, loaded, run, audit_action="task.completed",
                    audit_data={"bpmn_id": task.bpmn_id, "data": values}, task_id=task.id)
    return task
