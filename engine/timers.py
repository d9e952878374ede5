"""Timers on an injectable clock.

SpiffWorkflow compares timer due times with the wall clock and cannot be given another.
So the engine owns the schedule: right after each step it computes every waiting timer's due
time on *its* clock, records it (``internal_data['oversite_due']`` and the ``waiting_event``
index) and parks SpiffWorkflow's own value in the far future. When the index says a timer is
due, :func:`fire_timer` puts SpiffWorkflow's value in the past and lets it fire exactly that one.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

FAR_FUTURE = "9999-12-31T00:00:00+00:00"
PAST = "1970-01-01T00:00:00+00:00"
DUE_KEY = "oversite_due"


def waiting_timers(wf: BpmnWorkflow) -> Iterator[SpiffTask]:
    for task in wf.get_tasks(state=TaskState.WAITING):
        if isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition):
            yield task


def schedule_timers(wf: BpmnWorkflow, now: datetime, wall_clock_at_start: datetime) -> None:
    """Give every newly waiting timer its due time on the engine's clock."""
    for task in waiting_timers(wf):
        if DUE_KEY in task.internal_data:
            continue
        value = task.internal_data.get("event_value")
        if value is None:
            continue
        definition = task.task_spec.event_definition
        if isinstance(definition, CycleTimerEventDefinition):
            due = now + timedelta(seconds=value["duration"])
            value["next"] = FAR_FUTURE
        elif isinstance(definition, TimeDateEventDefinition):
            due = TimerEventDefinition.get_datetime(value)  # an absolute date stays absolute
            task.internal_data["event_value"] = FAR_FUTURE
        else:
            due = _duration_due(task, now) or now + (TimerEventDefinition.get_datetime(value) - wall_clock_at_start)
            task.internal_data["event_value"] = FAR_FUTURE
        task.internal_data[DUE_KEY] = due.isoformat()


def _duration_due(task: SpiffTask, now: datetime) -> datetime | None:
    """``now`` + the timer's ISO duration, evaluated again so it is exact on our clock."""
    try:
        expression = task.workflow.script_engine.evaluate(task, task.task_spec.event_definition.expression)
        parsed = TimerEventDefinition.parse_iso_duration(expression)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    except Exception:  # noqa: BLE001 - SpiffWorkflow already accepted it; fall back to its value
        return None


def due_time(task: SpiffTask) -> datetime | None:
    value = task.internal_data.get(DUE_KEY)
    return datetime.fromisoformat(value) if value else None


def fire_timer(wf: BpmnWorkflow, spiff_id: str) -> bool:
    """Fire the timer of task ``spiff_id``; False when it no longer waits (already fired, cancelled)."""
    try:
        task = wf.get_task_from_id(UUID(spiff_id))
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises TaskNotFoundException
        return False
    if task is None or task.state != TaskState.WAITING or DUE_KEY not in task.internal_data:
        return False
    value = task.internal_data.get("event_value")
    cycle = isinstance(task.task_spec.event_definition, CycleTimerEventDefinition)
    if cycle:
        value["next"] = PAST
    else:
        task.internal_data["event_value"] = PAST
    task.internal_data.pop(DUE_KEY, None)
    wf.refresh_timers()
    if cycle and task.state == TaskState.WAITING:
        # Park the next cycle again, or do_engine_steps would fire it at once (its "next"
        # is now 1970 + duration); schedule_timers gives it a due time on our clock.
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):
            value["next"] = FAR_FUTURE
    return True
