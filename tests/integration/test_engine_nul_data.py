"""Task data holding a NUL character (U+0000): a failed script naming where, never a 500.

PostgreSQL's text and JSONB cannot store U+0000. Users cannot send one (``web.request_guard``),
but a model's script, a service operation's result or an event payload from inside the system
can still put one into task data; the step then used to fail in the database (a 500 on
PostgreSQL only). It is refused as the model's error, and nothing of the step is kept.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import ScriptFailed
from storage import AuditEvent, ProcessInstance
from tests.fixtures import bpmn
from tests.integration.test_engine_events import SIGNAL
from tests.integration.test_engine_tasks import complete, open_tasks


def _audit_count(env) -> int:  # type: ignore[no-untyped-def]
    with env.sessions() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))  # type: ignore[no-any-return]


def _then_review(pid: str, element: str) -> bytes:
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("fill") + element + bpmn.user_task("review")
             + '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "fill") + bpmn.flow("f1", "fill", "step")
             + bpmn.flow("f2", "step", "review") + bpmn.flow("f3", "review", "end"))
    return bpmn.process(pid, inner)


def _refused_and_intact(env, case_id: int) -> ScriptFailed:  # type: ignore[no-untyped-def]
    (task,) = open_tasks(env, case_id)
    before = _audit_count(env)
    with pytest.raises(ScriptFailed) as err:
        complete(env, task.id)
    assert [(t.id, t.bpmn_id) for t in open_tasks(env, case_id)] == [(task.id, "fill")]
    assert _audit_count(env) == before
    return err.value


def test_a_script_putting_a_nul_in_task_data_fails_naming_the_script_and_the_variable(env):
    script = ('<bpmn:scriptTask id="step"><bpmn:script>notes = ["ok", "a\\x00b"]</bpmn:script>'
              '</bpmn:scriptTask>')
    env.deploy(_then_review("nul_script", script))
    error = _refused_and_intact(env, env.start("nul_script", {}))
    assert error.details.get("element_id") == "step"
    assert "NUL" in error.message and "notes.1" in error.message


def test_a_nul_in_a_nested_key_is_found_too(env):
    script = '<bpmn:scriptTask id="step"><bpmn:script>found = {"a\\x00": 1}</bpmn:script></bpmn:scriptTask>'
    env.deploy(_then_review("nul_key", script))
    error = _refused_and_intact(env, env.start("nul_key", {}))
    assert error.details.get("element_id") == "step" and "found.a" in error.message


def test_a_service_result_holding_a_nul_fails_naming_the_operation(env):
    def lookup(ctx: Any) -> dict[str, Any]:
        return {"licence": "ZJ\x00001"}

    env.engine.services.register("test.lookup", lookup)
    service = ('<bpmn:serviceTask id="step"><bpmn:extensionElements>'
               '<spiffworkflow:serviceTaskOperator id="test.lookup" resultVariable="looked_up">'
               '<spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
               '</bpmn:serviceTask>')
    env.deploy(_then_review("nul_service", service))
    error = _refused_and_intact(env, env.start("nul_service", {}))
    assert error.details.get("element_id") == "step"
    assert "test.lookup" in error.message and "licence" in error.message


def test_an_event_payload_holding_a_nul_is_refused_and_the_instance_keeps_waiting(env):
    inner = ('<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition '
             'signalRef="Sig_alarm"/></bpmn:intermediateCatchEvent>' + bpmn.user_task("handle")
             + '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "wait") + bpmn.flow("f1", "wait", "handle")
             + bpmn.flow("f2", "handle", "end"))
    env.deploy(bpmn.process("nul_signal", inner, extra=SIGNAL))
    case_id = env.start("nul_signal", {})
    with pytest.raises(ScriptFailed) as err, env.sessions.begin() as s:
        env.engine.signal(s, "device_alarm", {"device": "dust\x00-1"}, env.admin, case_id=case_id)
    assert "alarm.device" in err.value.message and err.value.details.get("element_id") == "handle"
    with env.sessions.begin() as s:  # still waiting: the same signal, clean, is caught
        assert env.engine.signal(s, "device_alarm", {"device": "dust-1"}, env.admin, case_id=case_id)
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["handle"]


def test_text_that_only_looks_like_an_escaped_nul_is_plain_text(env):
    script = '<bpmn:scriptTask id="step"><bpmn:script>note = "\\\\u0000"</bpmn:script></bpmn:scriptTask>'
    env.deploy(_then_review("escaped", script))
    case_id = env.start("escaped", {})
    (task,) = open_tasks(env, case_id)
    complete(env, task.id)
    (review,) = open_tasks(env, case_id)
    assert review.data["note"] == "\\u0000"
    with env.sessions() as s:
        assert s.scalar(select(ProcessInstance.status).where(ProcessInstance.case_id == case_id)) == "running"
