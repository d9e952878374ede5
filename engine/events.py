"""Signals, messages and timers, found through the ``waiting_event`` index (never by scanning).

A signal reaches every instance waiting for its name (optionally only those of one project or
case); a message reaches the instance whose correlation values match; a due timer fires in the
instance that set it. Each delivery is one locked step.
"""
from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState as SpiffState

from storage import Case, ProcessInstance, WaitingEvent

from . import access, projection, runtime
from .actor import SYSTEM, Actor, Scope
from .errors import EngineError, EventNotDelivered, FieldErrors, InternalFailure
from .status import EventKind, InstanceStatus

if TYPE_CHECKING:
    from .core import ProcessEngine

log = logging.getLogger(__name__)


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise FieldErrors({"name": ["a non-empty name of at most 200 characters is required"]})


def _waiting(session: Session, kind: EventKind, name: str, actor: Actor, **filters: Any) -> list[Any]:
    """Waiters (instance_id, spiff_id) for ``name`` among the cases ``actor`` may read: nobody
    moves a case it cannot see. Plain rows, not objects: delivery loads the instance anyway."""
    shape = tuple(sorted((column, value is None) for column, value in filters.items()))
    params = {f"f_{column}": value for column, value in filters.items() if value is not None}
    return list(session.execute(_waiting_statement(kind, actor.scopes, shape), {"name": name, **params}))


@functools.lru_cache(maxsize=512)
def _waiting_statement(kind: EventKind, scopes: tuple[Scope, ...], shape: tuple[tuple[str, bool], ...]) -> Select[Any]:
    # One statement per (kind, scopes, filters) shape, reused: building it costs more than running it.
    stmt = (
        select(WaitingEvent.instance_id, WaitingEvent.spiff_id)
        .join(ProcessInstance, ProcessInstance.id == WaitingEvent.instance_id)
        .where(WaitingEvent.kind == kind, WaitingEvent.name == bindparam("name"),
               ProcessInstance.status == InstanceStatus.RUNNING)
    )
    if not access.reads_every_case(scopes):  # the join costs more to plan than the lookup to run
        stmt = stmt.join(Case, Case.id == WaitingEvent.case_id).where(access.visible_cases_in(scopes))
    for column, is_null in shape:
        attribute = getattr(WaitingEvent, column)
        stmt = stmt.where(attribute.is_(None) if is_null else attribute == bindparam(f"f_{column}"))
    return stmt.order_by(WaitingEvent.instance_id)


def _definition_of(wf: BpmnWorkflow, spiff_id: str):  # type: ignore[no-untyped-def]
    from uuid import UUID

    task = wf.get_task_from_id(UUID(spiff_id))
    if task.state != SpiffState.WAITING:
        return None
    return task.task_spec.event_definition


def signal(eng: ProcessEngine, session: Session, name: str, payload: dict[str, Any], actor: Actor, *,
           project_id: int | None = None, case_id: int | None = None) -> list[int]:
    """Deliver signal ``name``; returns the ids of the instances that caught it."""
    _check_name(name)
    filters: dict[str, Any] = {}
    if project_id is not None:
        filters["project_id"] = project_id
    if case_id is not None:
        filters["case_id"] = case_id
    delivered: list[int] = []
    by_instance: dict[int, str] = {}
    for row in _waiting(session, EventKind.SIGNAL, name, actor, **filters):
        if row.spiff_id:
            by_instance.setdefault(row.instance_id, row.spiff_id)
    for instance_id, spiff_id in by_instance.items():
        loaded = runtime.load(eng, session, instance_id, actor)
        definition = _definition_of(loaded.workflow, spiff_id)
        if definition is None:
            continue

        def send(wf: BpmnWorkflow, definition: Any = definition) -> None:
            wf.send_event(BpmnEvent(definition, payload=payload))

        runtime.advance(eng, session, loaded, send, audit_action="signal.delivered",
                        audit_data={"name": name, "payload": payload})
        delivered.append(instance_id)
    return delivered


def message(eng: ProcessEngine, session: Session, name: str, correlation: dict[str, Any], payload: dict[str, Any],
            actor: Actor) -> list[int]:
    """Deliver message ``name`` to the instance its correlation values select.

    An instance that expects correlation values receives only a message carrying exactly
    those; one that expects none yet (its first message) takes the oldest such waiter.
    """
    _check_name(name)
    if not isinstance(correlation, dict):
        raise FieldErrors({"correlation": ["must be an object of correlation values"]})
    key = projection.canonical(correlation) if correlation else None
    rows = _waiting(session, EventKind.MESSAGE, name, actor, correlation=key) if key else []
    if not rows:
        rows = _waiting(session, EventKind.MESSAGE, name, actor, correlation=None)[:1]
    if not rows:
        raise EventNotDelivered(
            f"no instance is waiting for message {name!r} with correlation {correlation or {}}",
            {"name": name, "correlation": correlation},
        )
    delivered: list[int] = []
    for row in rows:
        loaded = runtime.load(eng, session, row.instance_id, actor)
        definition = _definition_of(loaded.workflow, row.spiff_id or "")
        if definition is None:
            continue
        correlations = _correlations_for(definition, correlation)
        # SpiffWorkflow recomputes the correlation from the payload when the message is caught
        # (its retrieval expressions run on the payload): the values given apart must be in it.
        carried = {**correlation, **payload}

        def send(wf: BpmnWorkflow, definition: Any = definition, correlations: Any = correlations,
                 carried: Any = carried) -> None:
            wf.send_event(BpmnEvent(definition, payload=carried, correlations=correlations))

        runtime.advance(eng, session, loaded, send, audit_action="message.delivered",
                        audit_data={"name": name, "correlation": correlation, "payload": payload})
        delivered.append(row.instance_id)
    if not delivered:
        raise EventNotDelivered(f"message {name!r} was not caught")
    return delivered


def _correlations_for(definition: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for prop in getattr(definition, "correlation_properties", []):
        if prop.name in values:
            for key in prop.correlation_keys:
                result.setdefault(key, {})[prop.name] = values[prop.name]
    return result


def due_timer_ids(session: Session, now: Any, limit: int) -> list[int]:
    stmt = (
        select(WaitingEvent.id)
        .join(ProcessInstance, ProcessInstance.id == WaitingEvent.instance_id)
        .where(WaitingEvent.kind == EventKind.TIMER, WaitingEvent.due_at <= now,
               ProcessInstance.status == InstanceStatus.RUNNING)
        .order_by(WaitingEvent.due_at).limit(limit)
    )
    return list(session.scalars(stmt))


def fire_due_timers(eng: ProcessEngine, session_factory: sessionmaker[Session], *, limit: int = 100,
                    actor: Actor = SYSTEM) -> int:
    """Fire due timers, each in its own transaction; a failing one marks its instance 'error'.

    Whatever one timer's step raises, the others still fire: a failure that would recur (the
    model's, or a bug) sets the instance aside until someone resumes it; one that may pass by
    itself (a lost connection, a collision with another transaction) leaves the timer due, for
    the next poll.
    """
    now = eng.clock.now()
    with session_factory() as session:
        candidates = due_timer_ids(session, now, limit)
    fired = 0
    for waiting_id in candidates:
        try:
            with session_factory() as session, session.begin():
                fired += _fire_one(eng, session, waiting_id, actor)
        except EngineError as exc:
            log.warning("timer %s failed: %s", waiting_id, exc.message)
            _mark_error(eng, session_factory, waiting_id, exc, actor)
        except (OperationalError, InterfaceError) as exc:
            log.warning("timer %s not fired this time: %s", waiting_id, exc.orig)
        except Exception as exc:  # noqa: BLE001 - one broken step must not stop every timer after it
            log.exception("timer %s failed", waiting_id)
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
            _mark_error(eng, session_factory, waiting_id, InternalFailure(reason), actor)
    return fired


def _fire_one(eng: ProcessEngine, session: Session, waiting_id: int, actor: Actor) -> int:
    # SKIP LOCKED: another worker already holds this timer; leave it to that worker.
    row = session.scalars(
        select(WaitingEvent).where(WaitingEvent.id == waiting_id).with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return 0
    from .timers import fire_timer

    instance_id, spiff_id, name, due_at = row.instance_id, row.spiff_id or "", row.name, row.due_at
    loaded = runtime.load(eng, session, instance_id, actor)
    if loaded.row.status != InstanceStatus.RUNNING:
        return 0
    fired: list[bool] = []
    runtime.advance(eng, session, loaded, lambda wf: fired.append(fire_timer(wf, spiff_id)),
                    audit_action="timer.fired", audit_data={"name": name, "due_at": due_at})
    return 1 if fired and fired[0] else 0


def _mark_error(eng: ProcessEngine, session_factory: sessionmaker[Session], waiting_id: int, exc: EngineError,
                actor: Actor) -> None:
    with session_factory() as session, session.begin():
        row = session.get(WaitingEvent, waiting_id)
        if row is None:
            return
        instance = runtime.lock_instance(session, row.instance_id)
        now = eng.clock.now()
        instance.status = InstanceStatus.ERROR
        instance.status_reason = exc.message
        instance.updated_at = now
        runtime.audit(session, actor, "instance.failed", now, case_id=instance.case_id,
                      instance_id=instance.id, data={"error": exc.code, "message": exc.message,
                                                     "details": exc.details})
