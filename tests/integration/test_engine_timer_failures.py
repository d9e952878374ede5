"""A timer whose step fails: its instance is marked ``error``, the other due timers still fire,
and once the cause is fixed, resuming the instance lets the timer fire at the next poll."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import Conflict
from storage import AuditEvent, Enterprise, ProcessInstance
from tests.fixtures import bpmn
from tests.integration.test_engine_tasks import open_tasks


def _timer_then(pid: str, element: str) -> bytes:
    inner = ('<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
             '<bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
             + element + bpmn.user_task("after") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "wait") + bpmn.flow("f1", "wait", "step") + bpmn.flow("f2", "step", "after")
             + bpmn.flow("f3", "after", "end"))
    return bpmn.process(pid, inner)


SERVICE = ('<bpmn:serviceTask id="step"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
           'id="test.register" resultVariable="registered"><spiffworkflow:parameters/>'
           '</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>')
SCRIPT = '<bpmn:scriptTask id="step"><bpmn:script>ratio = 1 / zero</bpmn:script></bpmn:scriptTask>'
NOTHING = '<bpmn:scriptTask id="step"><bpmn:script>waited = True</bpmn:script></bpmn:scriptTask>'


@pytest.fixture
def broken(env):  # type: ignore[no-untyped-def]
    """``test.register`` adds a row its table refuses (no name) until ``fixed`` is set: the
    failure surfaces when the step's writes are flushed, outside the operation."""
    state: dict[str, Any] = {"fixed": False}

    def register(ctx: Any) -> dict[str, Any]:
        ctx.session.add(Enterprise(code="91330200ACME00001X", name="甬城建设" if state["fixed"] else None))
        return {"ok": True}

    env.engine.services.register("test.register", register)
    env.deploy(_timer_then("flawed", SERVICE), _timer_then("healthy", NOTHING), _timer_then("scripted", SCRIPT))
    return state


def _instance(env, case_id: int) -> ProcessInstance:  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return s.scalars(select(ProcessInstance).where(ProcessInstance.case_id == case_id)).one()


def _failures(env, case_id: int) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return [e.data for e in s.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.action == "instance.failed"))]


def test_a_failing_timer_is_marked_and_does_not_hold_up_the_others(env, broken) -> None:  # type: ignore[no-untyped-def]
    flawed = env.start("flawed")  # due first, so first in every poll
    scripted = env.start("scripted", {"zero": 0})
    env.clock.advance(timedelta(hours=1))
    healthy = env.start("healthy")
    env.clock.advance(timedelta(days=2))
    assert env.engine.fire_due_timers(env.sessions) == 1
    assert [t.bpmn_id for t in open_tasks(env, healthy)] == ["after"]
    for case_id, error in ((flawed, "internal_error"), (scripted, "script_failed")):
        instance = _instance(env, case_id)
        assert instance.status == "error" and instance.status_reason
        (failure,) = _failures(env, case_id)
        assert failure["error"] == error and failure["message"] == instance.status_reason
        assert open_tasks(env, case_id) == []
    assert env.engine.fire_due_timers(env.sessions) == 0  # an instance in error is left alone


def test_resuming_a_failed_instance_fires_its_timer_again(env, broken) -> None:  # type: ignore[no-untyped-def]
    case_id = env.start("flawed")
    env.clock.advance(timedelta(days=2))
    assert env.engine.fire_due_timers(env.sessions) == 0
    instance_id = _instance(env, case_id).id
    broken["fixed"] = True  # e.g. a corrected operation deployed
    with env.sessions.begin() as s:
        env.engine.resume_instance(s, instance_id, "运维已修复登记服务", env.admin)
    assert _instance(env, case_id).status == "running" and _instance(env, case_id).status_reason is None
    assert env.engine.fire_due_timers(env.sessions) == 1
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["after"]
    with pytest.raises(Conflict), env.sessions.begin() as s:  # running now: nothing to resume
        env.engine.resume_instance(s, instance_id, "again", env.admin)
