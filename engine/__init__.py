"""Generic BPMN runtime on SpiffWorkflow: deploy, cases, tasks, events, timers.

Knows nothing about construction: process families reach it through registered service
operations and forms.
"""
from .actor import SYSTEM, Actor, Scope
from .clock import Clock, FixedClock, SystemClock
from .core import DEFAULT_TASK_BUDGET, ProcessEngine
from .deploy import BpmnFile, Deployed
from .errors import (
    Conflict,
    EngineError,
    EventNotDelivered,
    FieldErrors,
    Forbidden,
    ModelInvalid,
    NotFound,
    Problem,
    ScriptFailed,
    TaskBudgetExceeded,
)
from .registry import FormSource, ServiceContext, ServiceRegistry

__all__ = [
    "DEFAULT_TASK_BUDGET", "SYSTEM", "Actor", "BpmnFile", "Clock", "Conflict", "Deployed", "ProcessEngine",
    "EngineError", "EventNotDelivered", "FieldErrors", "FixedClock", "Forbidden", "FormSource",
    "ModelInvalid", "NotFound", "Problem", "Scope", "ScriptFailed", "ServiceContext",
    "ServiceRegistry", "SystemClock", "TaskBudgetExceeded",
]
