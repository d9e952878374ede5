"""Status vocabularies of cases, instances and tasks (one place, used everywhere)."""
from __future__ import annotations

from enum import StrEnum


class CaseStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class InstanceStatus(StrEnum):
    RUNNING = "running"        # has ready user tasks or waits for an event
    SUSPENDED = "suspended"    # nothing may move it until resumed
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"            # a timer's step failed (rolled back); set aside until resumed


# What resuming moves back to running: a suspension ended, or a failed timer retried.
RESUMABLE_INSTANCE_STATES = (InstanceStatus.SUSPENDED, InstanceStatus.ERROR)


class TaskState(StrEnum):
    OPEN = "open"              # ready, offered to every user holding the lane's role in scope
    CLAIMED = "claimed"        # ready, exclusive to its assignee
    COMPLETED = "completed"
    CANCELLED = "cancelled"    # withdrawn by the engine (boundary event, cancel, new round)


OPEN_TASK_STATES = (TaskState.OPEN, TaskState.CLAIMED)


class EventKind(StrEnum):
    SIGNAL = "signal"
    MESSAGE = "message"
    TIMER = "timer"
