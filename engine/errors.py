"""Errors the engine raises; the web layer maps each to one HTTP status."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class EngineError(Exception):
    """Base class. ``code`` is the stable machine-readable error code of the API."""

    code = "engine_error"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a BPMN model: where (file, element, line) and what."""

    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None
    severity: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class ModelInvalid(EngineError):
    """A BPMN deployment was refused; ``problems`` lists everything found, not just the first."""

    code = "invalid_model"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"the model has {len(problems)} problem(s)", [p.as_dict() for p in problems])
        self.problems = problems


class NotFound(EngineError):
    code = "not_found"


class Forbidden(EngineError):
    code = "forbidden"


class Conflict(EngineError):
    """The object is not in a state that allows the action (e.g. a task completed twice)."""

    code = "conflict"


class FieldErrors(EngineError):
    """Form data failed validation: ``errors`` maps each field to its messages."""

    code = "validation_error"

    def __init__(self, errors: dict[str, Any], message: str = "the submitted data is invalid") -> None:
        super().__init__(message, errors)
        self.errors = errors


class TaskBudgetExceeded(EngineError):
    """An instance grew past its task budget (ARCHITECTURE §2 rule 1)."""

    code = "task_budget_exceeded"


class ScriptFailed(EngineError):
    """A script, condition or service task failed; the step was rolled back."""

    code = "script_failed"


class InternalFailure(EngineError):
    """A step failed for a reason that is neither the caller's nor the model's (a bug); recorded
    when no caller is there to answer, e.g. for a timer fired by the worker."""

    code = "internal_error"


class EventNotDelivered(EngineError):
    """A message matched no waiting instance (wrong name or correlation)."""

    code = "not_delivered"
