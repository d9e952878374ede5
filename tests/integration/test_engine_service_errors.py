"""A service operation that refuses (``FieldErrors``, ``Conflict``) or fails: the step rolls back.

SpiffWorkflow 3.2's own ``call_service`` turned every exception into a ``NameError``;
``engine.scripting.RestrictedScriptEngine.call_service`` passes engine errors through.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import Conflict, FieldErrors, ScriptFailed
from storage import AuditEvent, Task
from tests.fixtures import bpmn

SERVICE = ('<bpmn:serviceTask id="check"><bpmn:extensionElements>'
           '<spiffworkflow:serviceTaskOperator id="test.check" resultVariable="checked">'
           '<spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>')


@pytest.fixture
def checked(env):  # type: ignore[no-untyped-def]
    """A model ``fill → check (service) → end`` whose service raises what the test sets."""
    outcome: dict[str, Any] = {}

    def check(ctx: Any) -> dict[str, Any]:
        if "raise" in outcome:
            raise outcome["raise"]
        return {"ok": True}

    env.engine.services.register("test.check", check)
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("fill") + SERVICE + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "fill") + bpmn.flow("f1", "fill", "check") + bpmn.flow("f2", "check", "end"))
    env.deploy(bpmn.process("checked", inner))
    return env, outcome


def _fill(env, case_id: int) -> int:  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return s.scalar(select(Task.id).where(Task.case_id == case_id, Task.bpmn_id == "fill"))


def _audit_count(env) -> int:  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("error", [FieldErrors({"deadline": ["Must be after today."]}), Conflict("closed")])
def test_engine_errors_of_a_service_reach_the_caller_and_nothing_is_stored(checked, error) -> None:  # type: ignore[no-untyped-def]
    env, outcome = checked
    case_id = env.start("checked")
    task_id = _fill(env, case_id)
    before = _audit_count(env)
    outcome["raise"] = error
    with pytest.raises(type(error)) as raised, env.sessions.begin() as s:
        env.engine.complete(s, task_id, {"deadline": "2026-03-01"}, env.admin)
    assert raised.value is error
    assert _audit_count(env) == before
    with env.sessions() as s:
        assert s.get(Task, task_id).state == "open"
    del outcome["raise"]
    with env.sessions.begin() as s:
        env.engine.complete(s, task_id, {"deadline": "2026-03-09"}, env.admin)


def test_any_other_exception_of_a_service_is_a_failed_script(checked) -> None:  # type: ignore[no-untyped-def]
    env, outcome = checked
    case_id = env.start("checked")
    outcome["raise"] = KeyError("inspectors")
    with pytest.raises(ScriptFailed) as raised, env.sessions.begin() as s:
        env.engine.complete(s, _fill(env, case_id), {}, env.admin)
    assert "test.check" in raised.value.message and "KeyError" in raised.value.message
    assert raised.value.details == {"element_id": "check"}
