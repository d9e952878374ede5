"""Load, step and save one instance inside the caller's transaction.

Every action that moves an instance (completing a task, delivering an event, firing a timer)
goes through :func:`advance`: lock the row, restore the workflow with its cached spec, apply
the action, run engine steps under the task budget, save, rebuild the projections, audit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState as SpiffState

from storage import Case, ProcessDefinition, ProcessInstance, Task
from storage.audit_queue import queue_audit
from storage.row_writes import pipelined, update_row

from . import expressions, projection
from .actor import Actor
from .errors import Conflict, NotFound, ScriptFailed, TaskBudgetExceeded
from .registry import ServiceContext
from .scripting import RestrictedEnvironment, RestrictedScriptEngine, plain
from .serialization import CachedDefinition, dump_state, load_state
from .status import CaseStatus, InstanceStatus, TaskState
from .timers import schedule_timers

if TYPE_CHECKING:
    from .core import ProcessEngine

MAX_START_CHAIN = 20  # instances a single step may start in its case (runaway guard)


@dataclass
class Loaded:
    """An instance row with its case and restored workflow, for the length of one step."""

    row: ProcessInstance
    case: Case
    definition: CachedDefinition
    workflow: BpmnWorkflow
    actor: Actor
    # User tasks ready when loaded: exactly the instance's open rows in ``task``.
    ready_before: frozenset[str] = frozenset()
    task: Task | None = None
    # Written on ``task``'s row with its completion (e.g. who completed it).
    task_values: dict[str, Any] = field(default_factory=dict)
    start_requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def audit(session: Session, actor: Actor, action: str, now: datetime, *, case_id: int | None = None,
          instance_id: int | None = None, task_id: int | None = None, data: dict[str, Any] | None = None) -> None:
    queue_audit(session, action=action, at=now, actor=actor.username, role=actor.role_for_audit,
                 client_addr=actor.client_addr, case_id=case_id, instance_id=instance_id,
                 task_id=task_id, data=plain(data or {}))


def _script_engine(eng: ProcessEngine, session: Session, loaded: Loaded) -> RestrictedScriptEngine:
    def context_factory(task_data: Any) -> ServiceContext:
        ctx = ServiceContext(session=session, case=loaded.case, instance=loaded.row, actor=loaded.actor,
                             clock=eng.clock, task_data=task_data, ports=eng.ports)
        ctx.start_requests = loaded.start_requests
        return ctx

    return RestrictedScriptEngine(RestrictedEnvironment(eng.services, eng.expression_functions(), context_factory))


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    row = session.scalars(
        select(ProcessInstance).where(ProcessInstance.id == instance_id)
        .with_for_update().execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return row


def definition_of(eng: ProcessEngine, session: Session, definition_id: int) -> CachedDefinition:
    def load_row() -> tuple[str, int, bytes]:
        key, version, blob = session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.spec)
            .where(ProcessDefinition.id == definition_id)
        ).one()
        return key, version, blob

    return eng.spec_cache.get(definition_id, load_row)


def _restore(eng: ProcessEngine, session: Session, row: ProcessInstance, case: Case, actor: Actor,
             task: Task | None = None) -> Loaded:
    definition = definition_of(eng, session, row.definition_id)
    wf = load_state(row.state, definition.bundle)
    loaded = Loaded(row, case, definition, wf, actor, ready_user_tasks(wf), task)
    wf.script_engine = _script_engine(eng, session, loaded)
    return loaded


# Built once: the two locking reads every step starts with (reusing a statement object skips
# its construction and cache-key computation).
_LOCK_INSTANCE = (
    select(ProcessInstance, Case).join(Case, Case.id == ProcessInstance.case_id)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update(of=ProcessInstance).execution_options(populate_existing=True)
)
_LOCK_TASK = (
    select(Task, ProcessInstance, Case)
    .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
    .join(Case, Case.id == Task.case_id)
    .where(Task.id == bindparam("task_id"))
    .with_for_update(of=(ProcessInstance, Task)).execution_options(populate_existing=True)
)


def load(eng: ProcessEngine, session: Session, instance_id: int, actor: Actor) -> Loaded:
    """Lock instance ``instance_id`` (with its case) and restore its workflow: one query."""
    found = session.execute(_LOCK_INSTANCE, {"instance_id": instance_id}).first()
    if found is None:
        raise NotFound(f"process instance {instance_id} does not exist")
    return _restore(eng, session, found[0], found[1], actor)


def load_for_task(eng: ProcessEngine, session: Session, task_id: int, actor: Actor) -> Loaded:
    """Lock a task's row and its instance, and restore the workflow: one query.

    Read under the lock, the task's state is current: a concurrent completion is visible.
    """
    found = session.execute(_LOCK_TASK, {"task_id": task_id}).first()
    if found is None:
        raise NotFound(f"task {task_id} does not exist")
    task, row, case = found
    return _restore(eng, session, row, case, actor, task)


def ready_user_tasks(wf: BpmnWorkflow) -> frozenset[str]:
    return frozenset(str(t.id) for t in wf.get_tasks(state=SpiffState.READY, manual=True))


def task_count(wf: BpmnWorkflow) -> int:
    return len(wf.tasks) + sum(len(sp.tasks) for sp in wf.subprocesses.values())


def _run_engine_steps(eng: ProcessEngine, loaded: Loaded, action: Callable[[BpmnWorkflow], None] | None) -> None:
    wf = loaded.workflow

    def guard(_task: Any) -> None:
        if task_count(wf) > eng.task_budget:
            raise TaskBudgetExceeded(
                f"instance {loaded.row.id} exceeded its budget of {eng.task_budget} tasks; "
                "long-lived loops belong in the case, with one short instance per round",
                {"instance_id": loaded.row.id, "budget": eng.task_budget, "tasks": task_count(wf)},
            )

    try:
        if action is not None:
            action(wf)
        wf.do_engine_steps(did_complete_task=guard)
        guard(None)
    except (TaskBudgetExceeded, Conflict):
        raise
    except (SpiffWorkflowException, expressions.ExpressionError) as exc:
        raise ScriptFailed(_script_message(exc), _script_details(exc)) from exc
    except RecursionError as exc:
        raise TaskBudgetExceeded("the instance's task tree is too deep", {"instance_id": loaded.row.id}) from exc


def _script_message(exc: Exception) -> str:
    return str(exc).split("\n")[0] or type(exc).__name__


def _script_details(exc: Exception) -> dict[str, Any]:
    task = getattr(exc, "task", None)
    details: dict[str, Any] = {}
    if task is not None:
        details["element_id"] = task.task_spec.bpmn_id or task.task_spec.name
    for attr in ("line_number", "error_line"):
        if getattr(exc, attr, None):
            details[attr] = getattr(exc, attr)
    return details


def advance(eng: ProcessEngine, session: Session, loaded: Loaded, action: Callable[[BpmnWorkflow], None] | None,
            *, audit_action: str | None = None, audit_data: dict[str, Any] | None = None,
            task_id: int | None = None) -> None:
    """Apply ``action``, step, save and project; the caller's transaction commits it all."""
    if loaded.row.status == InstanceStatus.SUSPENDED:
        raise Conflict(f"instance {loaded.row.id} is suspended: {loaded.row.status_reason or ''}".strip())
    if loaded.row.status in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED):
        raise Conflict(f"instance {loaded.row.id} is {loaded.row.status}")
    wall_clock = datetime.now(timezone.utc)
    now = eng.clock.now()
    _run_engine_steps(eng, loaded, action)
    schedule_timers(loaded.workflow, now, wall_clock)
    save(eng, session, loaded, now)
    if audit_action:
        audit(session, loaded.actor, audit_action, now, case_id=loaded.case.id,
              instance_id=loaded.row.id, task_id=task_id, data=audit_data)
    _start_requested(eng, session, loaded)


def save(eng: ProcessEngine, session: Session, loaded: Loaded, now: datetime) -> None:
    """Write the stepped instance and its projections: a few direct statements, pipelined."""
    row, wf = loaded.row, loaded.workflow
    values: dict[str, Any] = {"state": dump_state(wf), "task_count": task_count(wf),
                              "step_count": row.step_count + 1, "updated_at": now}
    completed = wf.is_completed()
    with pipelined(session):
        projection.sync_tasks(session, loaded.case, row, wf, now, loaded.definition.key, loaded.ready_before,
                              {loaded.task: loaded.task_values} if loaded.task is not None else None)
        if completed:
            projection.close_all(session, row, now, TaskState.CANCELLED)
            values.update(status=InstanceStatus.COMPLETED, completed_at=now, waiting_digest=None)
        else:
            values["waiting_digest"] = projection.sync_waiting_events(session, loaded.case, row, wf)
        update_row(session, row, values)
    loaded.ready_before = ready_user_tasks(wf)
    if completed:
        _maybe_complete_case(session, loaded, now)


_COUNT_UNFINISHED = select(func.count()).select_from(ProcessInstance).where(
    ProcessInstance.case_id == bindparam("case_id"),
    ProcessInstance.status.in_((InstanceStatus.RUNNING, InstanceStatus.SUSPENDED, InstanceStatus.ERROR)),
)


def _maybe_complete_case(session: Session, loaded: Loaded, now: datetime) -> None:
    if loaded.start_requests:
        return
    running = session.scalar(_COUNT_UNFINISHED, {"case_id": loaded.case.id})
    if running == 0 and loaded.case.status == CaseStatus.ACTIVE:
        loaded.case.status = CaseStatus.COMPLETED
        loaded.case.closed_at = now
        loaded.case.updated_at = now
        audit(session, loaded.actor, "case.completed", now, case_id=loaded.case.id)


def create_instance(eng: ProcessEngine, session: Session, case: Case, definition_id: int,
                    data: dict[str, Any], actor: Actor, parent_id: int | None = None,
                    depth: int = 0) -> ProcessInstance:
    """Create and run a new instance of definition ``definition_id`` in ``case`` until it waits."""
    now = eng.clock.now()
    definition = definition_of(eng, session, definition_id)
    spec, subprocess_specs = definition.bundle
    row = ProcessInstance(case_id=case.id, definition_id=definition.id, parent_id=parent_id,
                          status=InstanceStatus.RUNNING, state=b"", created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    wf = BpmnWorkflow(spec, subprocess_specs)
    loaded = Loaded(row, case, definition, wf, actor)
    wf.script_engine = _script_engine(eng, session, loaded)
    start = wf.get_next_task(spec_name="Start")
    if start is not None:
        start.data.update(plain(data))
    audit(session, actor, "instance.started", now, case_id=case.id, instance_id=row.id,
          data={"process_key": definition.key, "version": definition.version, "data": data})
    wall_clock = datetime.now(timezone.utc)
    _run_engine_steps(eng, loaded, None)
    schedule_timers(wf, now, wall_clock)
    save(eng, session, loaded, now)
    _start_requested(eng, session, loaded, depth)
    return row


def _start_requested(eng: ProcessEngine, session: Session, loaded: Loaded, depth: int = 0) -> None:
    requests, loaded.start_requests = loaded.start_requests, []
    if requests and depth >= MAX_START_CHAIN:
        raise TaskBudgetExceeded(f"more than {MAX_START_CHAIN} chained instance starts in one step")
    for process_key, data in requests:
        definition = eng.latest_definition(session, process_key)
        create_instance(eng, session, loaded.case, definition.id, data, loaded.actor,
                        parent_id=loaded.row.id, depth=depth + 1)
    if requests and loaded.row.status == InstanceStatus.COMPLETED:
        session.flush()
        _maybe_complete_case(session, loaded, eng.clock.now())


def reproject(eng: ProcessEngine, session: Session, instance_id: int, actor: Actor) -> None:
    """Rebuild an instance's inbox rows and waiting events from its stored state alone.

    For repairs and restores (e.g. state copied from a backup): open rows are withdrawn and
    recreated from what the workflow says is ready and waiting.
    """
    loaded = load(eng, session, instance_id, actor)
    now = eng.clock.now()
    projection.close_all(session, loaded.row, now, TaskState.CANCELLED)
    loaded.row.waiting_digest = None
    projection.sync_tasks(session, loaded.case, loaded.row, loaded.workflow, now, loaded.definition.key, frozenset())
    loaded.row.waiting_digest = projection.sync_waiting_events(session, loaded.case, loaded.row, loaded.workflow)
    session.flush()
