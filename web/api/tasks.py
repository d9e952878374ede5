"""``/api/v1/tasks``: the caller's inbox, one task with its form, claim, unclaim, complete."""
from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from engine import queries
from engine.tasks import get_task_for
from storage import Task

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .engine_schemas import TaskCompleteSchema, TaskDetailSchema, TaskListArgs, TaskPageSchema, TaskSchema
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args

bp = Blueprint("api_tasks", __name__, url_prefix=API_PREFIX + "/tasks")


def _dump(task: Task, schema: Any = None) -> dict[str, Any]:
    now = current_services().clock.now()
    body = (schema or TaskSchema()).dump(task)
    body["overdue"] = bool(task.due_at and task.due_at < now and queries.is_open(task))
    return body  # type: ignore[no-any-return]


@bp.get("")
@operation("Tasks: by default the open tasks the caller may work on", tags=["tasks"], query=TaskListArgs,
           responses={200: TaskPageSchema})
@login_required
def list_tasks() -> ResponseReturnValue:
    args = query_args(TaskListArgs())
    flt = queries.TaskFilter(state=args["state"], process_key=args["process_key"], case_id=args["case_id"],
                             project_id=args["project_id"], assigned_to_me=args["assignee"] == "me",
                             overdue=args["overdue"])
    if args["state"] == "claimed":
        flt = queries.TaskFilter(**{**flt.__dict__, "state": None, "assigned_to_me": True})
    with get_session() as session:
        page = queries.list_tasks(session, current_actor(), flt, current_services().clock.now(),
                                  args["page"], args["per_page"])
        return {"items": [_dump(t) for t in page.items], "total": page.total, "page": page.page,
                "per_page": page.per_page}


@bp.get("/<int:task_id>")
@operation("One task with its form (JSON Schema) and current data", tags=["tasks"],
           responses={200: TaskDetailSchema})
@login_required
def get_task(task_id: int) -> ResponseReturnValue:
    forms = current_services().engine.forms
    with get_session() as session:
        task = get_task_for(session, task_id, current_actor(), to_work=False)
        body = _dump(task, TaskDetailSchema())
        body["form"] = forms.json_schema(task.form_key) if task.form_key else None
        body["data"] = task.data
        return body


def _act(task_id: int, verb: str, data: Any = None) -> ResponseReturnValue:
    engine = current_services().engine
    session = get_session()
    with session.begin():
        actor = current_actor()
        if verb == "complete":
            task = engine.complete(session, task_id, data, actor)
        else:
            task = getattr(engine, verb)(session, task_id, actor)
        return _dump(task)


@bp.post("/<int:task_id>/claim")
@operation("Claim a task (it becomes exclusive to the caller)", tags=["tasks"], responses={200: TaskSchema})
@login_required
def claim(task_id: int) -> ResponseReturnValue:
    return _act(task_id, "claim")


@bp.post("/<int:task_id>/unclaim")
@operation("Give a claimed task back to its role", tags=["tasks"], responses={200: TaskSchema})
@login_required
def unclaim(task_id: int) -> ResponseReturnValue:
    return _act(task_id, "unclaim")


@bp.post("/<int:task_id>/complete")
@operation("Complete a task with its form data", tags=["tasks"], body=TaskCompleteSchema,
           responses={200: TaskSchema},
           description="400 lists the form's errors field by field; 409 if it was completed meanwhile.")
@login_required
def complete(task_id: int) -> ResponseReturnValue:
    args = json_body(TaskCompleteSchema())
    return _act(task_id, "complete", args["data"])
