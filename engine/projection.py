"""Rebuild an instance's rows in ``task`` (the inbox) and ``waiting_event`` after a step.

Only the instance just stepped is touched, in the step's transaction (ARCHITECTURE §2 rule 3),
so no query ever needs to deserialize instances.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import bindparam, delete, inspect, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState as SpiffState

from storage import Case, ProcessInstance, Task, WaitingEvent
from storage.row_writes import insert_rows, update_row

from .errors import ScriptFailed
from .model_check import DUE_PROPERTY, ENTERPRISE_PROPERTY, FORM_KEY_PROPERTY
from .scripting import plain
from .status import OPEN_TASK_STATES, EventKind, TaskState
from .timers import due_time

MAX_SNAPSHOT_BYTES = 64 * 1024
MAX_ENTERPRISE_CODE = 18  # task.for_enterprise; a unified social credit code is 18 characters
T = TypeVar("T")


def canonical(values: Any) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def task_properties(task: SpiffTask) -> dict[str, str]:
    return dict((getattr(task.task_spec, "extensions", None) or {}).get("properties", {}))


def form_key(task: SpiffTask) -> str | None:
    return task_properties(task).get(FORM_KEY_PROPERTY)


def snapshot(task: SpiffTask) -> dict[str, Any]:
    """The task's data shown with it, if it is small enough to copy into the inbox row.

    Data that cannot be stored (e.g. a NUL an event payload brought in) fails the step, naming the task.
    """
    try:
        value = plain(task.data)
    except ScriptFailed as exc:
        bpmn_id = task.task_spec.bpmn_id or task.task_spec.name
        raise ScriptFailed(f"{bpmn_id}: {exc.message}", {**(exc.details or {}), "element_id": bpmn_id}) from exc
    if len(json.dumps(value, ensure_ascii=False)) > MAX_SNAPSHOT_BYTES:
        return {}
    return value  # type: ignore[no-any-return]


def _property_value(task: SpiffTask, name: str, convert: Callable[[Any], T]) -> T | None:
    """What the expression of the task's property ``name`` gives, converted.

    None when the task has no such property or the expression gives None. Process data
    decides the value, so any failure (of the expression or of ``convert``) is the model's:
    it fails the step with the element and the expression named.
    """
    expression = task_properties(task).get(name)
    if not expression:
        return None
    try:
        value = task.workflow.script_engine.evaluate(task, expression)
        return None if value is None else convert(value)
    except Exception as exc:  # noqa: BLE001 - see above
        bpmn_id = task.task_spec.bpmn_id or task.task_spec.name
        raise ScriptFailed(f"{name} of {bpmn_id}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                           {"element_id": bpmn_id, "expression": expression}) from exc


def _due_at(task: SpiffTask, now: datetime) -> datetime | None:
    """The due time ``dueIn`` gives: days, an ISO duration or a date."""
    def convert(value: Any) -> datetime:
        if isinstance(value, (int, float)):
            return now + timedelta(days=value)
        if isinstance(value, timedelta):
            return now + value
        if isinstance(value, str):
            if value.startswith("P"):
                parsed = TimerEventDefinition.parse_iso_duration(value)
                return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
            return TimerEventDefinition.get_datetime(value)  # type: ignore[no-any-return]
        raise ValueError(f"dueIn must give days, an ISO duration or a date, not {value!r}")

    return _property_value(task, DUE_PROPERTY, convert)


def _addressed_enterprise(value: Any) -> str | None:
    if not isinstance(value, str) or len(value.strip()) > MAX_ENTERPRISE_CODE:
        raise ValueError(f"{ENTERPRISE_PROPERTY} must give an enterprise code (text of at most "
                         f"{MAX_ENTERPRISE_CODE} characters), not {value!r}")
    return value.strip() or None


def task_enterprise(task: SpiffTask) -> str | None:
    """The one enterprise the task is for (``enterpriseCode``), whose users alone work it.

    None: the task is offered within the case's scope (``engine.access``).
    """
    return _property_value(task, ENTERPRISE_PROPERTY, _addressed_enterprise)


def sync_tasks(session: Session, case: Case, instance: ProcessInstance, wf: BpmnWorkflow,
               now: datetime, process_key: str, ready_before: frozenset[str],
               loaded_rows: Mapping[Task, Mapping[str, Any]] | None = None) -> None:
    """Close the rows of tasks no longer ready and insert rows for newly ready ones.

    ``ready_before`` (the user tasks ready when the instance was loaded) is exactly the set of
    the instance's open rows, so nothing needs to be read back. Rows already in the session
    (``loaded_rows``, e.g. the task being completed, with more values to write when it closes)
    are updated in place.
    """
    in_session = {row.spiff_id: row for row in loaded_rows or {}}
    ready = {str(t.id): t for t in wf.get_tasks(state=SpiffState.READY, manual=True)}
    finished: dict[TaskState, list[str]] = {TaskState.COMPLETED: [], TaskState.CANCELLED: []}
    for spiff_id in ready_before - ready.keys():
        spiff_task = _find(wf, spiff_id)
        done = spiff_task is not None and spiff_task.state == SpiffState.COMPLETED
        state = TaskState.COMPLETED if done else TaskState.CANCELLED
        row = in_session.get(spiff_id)
        if row is not None:
            update_row(session, row, {**loaded_rows[row], "state": state, "completed_at": now})  # type: ignore[index]
        else:
            finished[state].append(spiff_id)
    for state, ids in finished.items():
        if ids:
            session.execute(
                update(Task).where(Task.instance_id == instance.id, Task.spiff_id.in_(ids),
                                   Task.state.in_(OPEN_TASK_STATES))
                .values(state=state, completed_at=now).execution_options(synchronize_session="evaluate")
            )
    insert_rows(session, Task, [
        dict(instance_id=instance.id, case_id=case.id, spiff_id=spiff_id,
             bpmn_id=task.task_spec.bpmn_id or task.task_spec.name,
             name=task.task_spec.bpmn_name, process_key=process_key, form_key=form_key(task),
             role=(task.task_spec.lane or None), state=TaskState.OPEN,
             project_id=case.project_id, district=case.district, enterprise_code=case.enterprise_code,
             for_enterprise=task_enterprise(task), due_at=_due_at(task, now), data=snapshot(task),
             created_at=now)
        for spiff_id, task in ready.items() if spiff_id not in ready_before
    ])


def _find(wf: BpmnWorkflow, spiff_id: str) -> SpiffTask | None:
    from uuid import UUID

    try:
        return wf.get_task_from_id(UUID(spiff_id))  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - TaskNotFoundException once pruned
        return None


def waiting_rows(case: Case, instance: ProcessInstance, wf: BpmnWorkflow) -> list[dict[str, Any]]:
    """The ``waiting_event`` rows (column → value) of what ``wf`` waits for now."""
    rows = []
    for task in wf.get_tasks(state=SpiffState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        base = dict(instance_id=instance.id, case_id=case.id, project_id=case.project_id, spiff_id=str(task.id),
                    due_at=None, correlation=None)
        if isinstance(definition, TimerEventDefinition):
            due = due_time(task)
            if due is not None:
                rows.append({**base, "kind": EventKind.TIMER, "name": definition.name, "due_at": due})
        elif isinstance(definition, MessageEventDefinition):
            rows.append({**base, "kind": EventKind.MESSAGE, "name": definition.name,
                         "correlation": _indexable(task, expected_correlation(wf, definition))})
        elif isinstance(definition, SignalEventDefinition):
            rows.append({**base, "kind": EventKind.SIGNAL, "name": definition.name})
    return rows


MAX_CORRELATION = WaitingEvent.__table__.c.correlation.type.length


def _indexable(task: SpiffTask, correlation: str | None) -> str | None:
    """The correlation, if the index can hold it; process data decide it, so a longer one fails the step."""
    if correlation is not None and len(correlation) > MAX_CORRELATION:
        bpmn_id = task.task_spec.bpmn_id or task.task_spec.name
        raise ScriptFailed(f"{bpmn_id}: the message's correlation values are longer than {MAX_CORRELATION} "
                           "characters", {"element_id": bpmn_id, "length": len(correlation)})
    return correlation


def expected_correlation(wf: BpmnWorkflow, definition: MessageEventDefinition) -> str | None:
    """Flattened ``{property: value}`` a message must carry, or None if it accepts any."""
    values: dict[str, Any] = {}
    for prop in definition.correlation_properties:
        for key in prop.correlation_keys:
            known = (wf.correlations or {}).get(key) or {}
            if prop.name in known:
                values[prop.name] = known[prop.name]
    return canonical(values) if values else None


def sync_waiting_events(session: Session, case: Case, instance: ProcessInstance, wf: BpmnWorkflow) -> str:
    """Rebuild the instance's ``waiting_event`` rows if they changed.

    Returns their digest, for the caller to store in ``instance.waiting_digest``.
    """
    rows = waiting_rows(case, instance, wf)
    digest = hashlib.sha256(canonical([
        [r["kind"], r["name"], r["correlation"], r["due_at"].isoformat() if r["due_at"] else None, r["spiff_id"]]
        for r in rows
    ]).encode()).hexdigest()
    if digest != instance.waiting_digest:  # the common step (a user task done, another ready) changes none
        if instance.waiting_digest is not None:  # None: a new instance, or one closed; it has no rows
            # A Core statement: waiting rows are never held as objects (events.py reads columns).
            session.connection().execute(_DELETE_WAITING, {"instance_id": instance.id})
        insert_rows(session, WaitingEvent, rows)
    return digest


_DELETE_WAITING = delete(WaitingEvent.__table__).where(WaitingEvent.__table__.c.instance_id == bindparam("instance_id"))


def close_all(session: Session, instance: ProcessInstance, now: datetime, state: TaskState) -> None:
    """Withdraw every open task and waiting event of an instance (cancel, completion).

    The caller stores ``waiting_digest`` None on the instance: it waits for nothing now.
    """
    # Core statements built once (this runs at every instance's end); task rows held in the
    # session are brought up to date by hand, as the ORM's "evaluate" synchronization would.
    connection = session.connection()
    connection.execute(_CLOSE_TASKS, {"of_instance": instance.id, "new_state": state, "closed_at": now})
    connection.execute(_DELETE_WAITING, {"instance_id": instance.id})
    for obj in list(session.identity_map.values()):
        # Loaded values only: an expired row reloads with the new state, and a lazy load here
        # could not run inside the caller's pipelined block.
        loaded = inspect(obj).dict if isinstance(obj, Task) else {}
        if loaded.get("instance_id") == instance.id and loaded.get("state") in OPEN_TASK_STATES:
            set_committed_value(obj, "state", state)
            set_committed_value(obj, "completed_at", now)


_TASK = Task.__table__
_CLOSE_TASKS = (
    update(_TASK).where(_TASK.c.instance_id == bindparam("of_instance"), _TASK.c.state.in_(OPEN_TASK_STATES))
    .values(state=bindparam("new_state"), completed_at=bindparam("closed_at"))
)
