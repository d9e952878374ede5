"""The script engine SpiffWorkflow runs: restricted expressions and registered services only.

SpiffWorkflow's default engine calls ``eval``/``exec`` with task data as globals, which is not a
sandbox. Every condition, script, timer expression and correlation expression goes through
``engine.expressions`` instead, and service tasks reach Python only through the registry.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from storage import nul_path

from . import expressions
from .errors import EngineError, ScriptFailed
from .registry import ServiceContext, ServiceRegistry


def plain(value: Any) -> Any:
    """JSON-plain copy of task data (dates as ISO strings): what we store and show.

    Raises:
        ScriptFailed: the data has no JSON form, or holds a NUL character (``storage.NUL``),
            which PostgreSQL cannot store; ``details["field"]`` names where.
    """
    try:
        text = json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)
        copy = json.loads(text)
    except (RecursionError, ValueError) as exc:
        raise ScriptFailed(f"task data cannot be stored: {exc}") from exc
    if "\\u0000" in text:  # JSON writes a NUL as this escape: a cheap test before the walk
        _refuse_nul(copy, "task data cannot be stored: a NUL character (U+0000) in {where}")
    return copy


def _refuse_nul(data: Any, message: str) -> None:
    where = nul_path(data)
    if where is not None:
        raise ScriptFailed(message.format(where=where or "a value"), {"field": where})


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates with :mod:`engine.expressions`; service calls go to the registry."""

    def __init__(
        self,
        services: ServiceRegistry,
        functions: Mapping[str, Callable[..., Any]],
        context_factory: Callable[[Mapping[str, Any]], ServiceContext] | None,
    ) -> None:
        super().__init__({})
        self._services = services
        self._functions = functions
        self._context_factory = context_factory

    def evaluate(self, expression: str, context: Any, external_context: Any = None) -> Any:
        variables = dict(context)
        if external_context:
            variables.update(external_context)
        return expressions.evaluate(expression, variables, functions=self._functions)

    def execute(self, script: str, context: Any, external_context: Any = None) -> bool:
        if external_context:
            context.update(external_context)
        expressions.execute(script, context, functions=self._functions)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> str:
        name = kwargs["operation_name"]
        op = self._services.get(name)
        if op is None:
            raise ScriptFailed(f"service operation {name!r} is not registered")
        if self._context_factory is None:
            raise ScriptFailed(f"service operation {name!r} cannot run outside a step")
        params = {k: v["value"] for k, v in (kwargs.get("operation_params") or {}).items()}
        result = op.func(self._context_factory(context), **params)
        try:
            return json.dumps(plain(result if result is not None else {}))
        except ScriptFailed as exc:
            raise ScriptFailed(f"the result of service operation {name!r}: {exc.message}", exc.details or {}) from exc


class RestrictedScriptEngine(PythonScriptEngine):
    """A script engine bound to one step (its service context and clock functions)."""

    def __init__(self, environment: RestrictedEnvironment) -> None:
        super().__init__(environment=environment)

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        done = super().execute(task, script, external_context)
        try:
            # Scripts are the one way a model makes new text; text users send is checked on the way in.
            _refuse_nul(task.data, "the script put a NUL character (U+0000) in {where}, which cannot be stored")
        except ScriptFailed as exc:
            exc.details["element_id"] = task.task_spec.bpmn_id
            raise
        return done  # type: ignore[no-any-return]

    def call_service(self, task: Any, **kwargs: Any) -> str:
        # SpiffWorkflow 3.2's own call_service turns every exception into a NameError (its
        # handler names an undefined variable). Engine errors raised by an operation (e.g.
        # FieldErrors for data only a service can check) reach the caller as they are, so
        # the step rolls back and the API answers 400/409; anything else is a failed script.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except ScriptFailed as exc:
            if isinstance(exc.details, dict):
                exc.details.setdefault("element_id", task.task_spec.bpmn_id)
            raise
        except EngineError:
            raise
        except Exception as exc:  # noqa: BLE001 - an operation's bug must not become a 500
            name = kwargs.get("operation_name")
            raise ScriptFailed(f"service operation {name!r} failed: {type(exc).__name__}: {exc}",
                               {"element_id": task.task_spec.bpmn_id}) from exc

    def validate(self, expression: str) -> None:
        problems = expressions.check_expression(expression)
        if problems:
            raise problems[0]
