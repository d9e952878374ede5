"""Timers on an injected clock, signals, messages, call activities, service tasks, versions, budget."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import EventNotDelivered, ScriptFailed, TaskBudgetExceeded
from storage import Case, ProcessInstance, WaitingEvent
from tests.fixtures import bpmn
from tests.integration.test_engine_tasks import case_status, complete, open_tasks

SIGNAL = ('<bpmn:signal id="Sig_alarm" name="device_alarm"><bpmn:extensionElements>'
          '<spiffworkflow:variableName>alarm</spiffworkflow:variableName></bpmn:extensionElements></bpmn:signal>')


def rectification(pid: str = "round") -> bytes:
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("rectify", due="deadline")
             + '<bpmn:boundaryEvent id="overdue" attachedToRef="rectify" cancelActivity="true">'
             '<bpmn:timerEventDefinition><bpmn:timeDuration>deadline</bpmn:timeDuration></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent>'
             '<bpmn:boundaryEvent id="alarm" attachedToRef="rectify" cancelActivity="true">'
             '<bpmn:signalEventDefinition signalRef="Sig_alarm"/></bpmn:boundaryEvent>'
             + bpmn.user_task("review") + bpmn.user_task("escalate") + bpmn.user_task("handle_alarm")
             + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "rectify") + bpmn.flow("f1", "rectify", "review")
             + bpmn.flow("f2", "review", "end") + bpmn.flow("f3", "overdue", "escalate")
             + bpmn.flow("f4", "escalate", "end") + bpmn.flow("f5", "alarm", "handle_alarm")
             + bpmn.flow("f6", "handle_alarm", "end"))
    return bpmn.process(pid, inner, extra=SIGNAL)


def test_boundary_timer_fires_on_the_injected_clock(env):
    env.deploy(rectification())
    case_id = env.start("round", {"deadline": "P7D"})
    (task,) = open_tasks(env, case_id)
    assert task.due_at == env.clock.now() + timedelta(days=7)
    with env.sessions() as s:
        (timer,) = s.scalars(select(WaitingEvent).where(WaitingEvent.kind == "timer")).all()
        assert timer.due_at == env.clock.now() + timedelta(days=7)
    env.clock.advance(timedelta(days=6, hours=23))
    assert env.engine.fire_due_timers(env.sessions) == 0
    env.clock.advance(timedelta(hours=2))
    assert env.engine.fire_due_timers(env.sessions) == 1
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["escalate"]
    assert env.engine.fire_due_timers(env.sessions) == 0  # fired once only


def test_boundary_signal_scoped_to_a_case(env):
    env.deploy(rectification())
    first = env.start("round", {"deadline": "P7D"})
    second = env.start("round", {"deadline": "P7D"})
    with env.sessions.begin() as s:
        delivered = env.engine.signal(s, "device_alarm", {"device": "crane-7"}, env.admin, case_id=second)
    assert len(delivered) == 1
    assert [t.bpmn_id for t in open_tasks(env, first)] == ["rectify"]
    (alarm_task,) = open_tasks(env, second)
    assert alarm_task.bpmn_id == "handle_alarm" and alarm_task.data["alarm"] == {"device": "crane-7"}
    with env.sessions() as s:  # the withdrawn timer no longer waits
        assert s.scalars(select(WaitingEvent).where(WaitingEvent.case_id == second)).all() == []
    with env.sessions.begin() as s:
        assert env.engine.signal(s, "nobody_listens", {}, env.admin) == []


def test_message_reaches_only_the_correlated_instance(env):
    env.deploy(bpmn.correlated_message_wait("msg"))
    a = env.start("msg", {"project_code": "NB-001"})
    b = env.start("msg", {"project_code": "NB-002"})
    with pytest.raises(EventNotDelivered), env.sessions.begin() as s:
        env.engine.message(s, "test_result", {"project_code": "NB-999"}, {"ok": True}, env.admin)
    assert open_tasks(env, a) == [] and open_tasks(env, b) == []
    with env.sessions.begin() as s:
        env.engine.message(s, "test_result", {"project_code": "NB-002"},
                           {"project_code": "NB-002", "strength": "C30"}, env.admin)
    (task,) = open_tasks(env, b)
    assert task.data["result"]["strength"] == "C30"
    assert open_tasks(env, a) == []


def test_call_activity_across_files(env):
    env.deploy(bpmn.sequence("sub_review", ["sub_step"]))
    inner = ('<bpmn:startEvent id="start"/><bpmn:callActivity id="call" calledElement="sub_review"/>'
             + bpmn.user_task("after") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "call") + bpmn.flow("f1", "call", "after") + bpmn.flow("f2", "after", "end"))
    env.deploy(bpmn.process("caller", inner))
    case_id = env.start("caller")
    (task,) = open_tasks(env, case_id)
    assert task.bpmn_id == "sub_step"
    complete(env, task.id, {"checked": True})
    (after,) = open_tasks(env, case_id)
    assert after.bpmn_id == "after" and after.data["checked"] is True


SERVICE = ('<bpmn:serviceTask id="svc"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
           'id="test.record" resultVariable="receipt"><spiffworkflow:parameters>'
           '<spiffworkflow:parameter id="amount" type="int" value="amount * 2"/>'
           '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>')


def test_service_task_calls_the_registered_operation(env):
    inner = ('<bpmn:startEvent id="start"/>' + SERVICE + bpmn.user_task("check") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "svc") + bpmn.flow("f1", "svc", "check") + bpmn.flow("f2", "check", "end"))
    env.deploy(bpmn.process("svc_model", inner))
    case_id = env.start("svc_model", {"amount": 21})
    assert env.calls == [{"case_id": case_id, "amount": 42}]
    (task,) = open_tasks(env, case_id)
    assert task.data["receipt"] == {"recorded": 1}


def test_failing_script_rolls_back_and_reports(env):
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("a")
             + '<bpmn:scriptTask id="divide"><bpmn:script>ratio = 1 / zero</bpmn:script></bpmn:scriptTask>'
             + '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "a") + bpmn.flow("f1", "a", "divide")
             + bpmn.flow("f2", "divide", "end"))
    env.deploy(bpmn.process("fails", inner))
    case_id = env.start("fails", {"zero": 0})
    (task,) = open_tasks(env, case_id)
    with pytest.raises(ScriptFailed) as err:
        complete(env, task.id)
    assert err.value.details.get("element_id") == "divide"
    assert [t.id for t in open_tasks(env, case_id)] == [task.id]  # state intact


def test_running_instances_finish_on_their_version(env):
    env.deploy(bpmn.sequence("ver", ["v1_a", "v1_b"]))
    old = env.start("ver")
    env.deploy(bpmn.sequence("ver", ["v2_only"]))
    new = env.start("ver")
    assert [t.bpmn_id for t in open_tasks(env, new)] == ["v2_only"]
    complete(env, open_tasks(env, old)[0].id)
    assert [t.bpmn_id for t in open_tasks(env, old)] == ["v1_b"]
    complete(env, open_tasks(env, old)[0].id)
    assert case_status(env, old) == "completed"


def test_task_budget_rejects_runaway_loops(env):
    inner = ('<bpmn:startEvent id="start"/><bpmn:scriptTask id="inc"><bpmn:script>n = n + 1</bpmn:script>'
             '</bpmn:scriptTask><bpmn:exclusiveGateway id="gw" default="again"/><bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "inc") + bpmn.flow("f1", "inc", "gw")
             + bpmn.flow("done", "gw", "end", "n >= 10000") + bpmn.flow("again", "gw", "inc"))
    env.deploy(bpmn.process("loop", inner))
    with pytest.raises(TaskBudgetExceeded) as err:
        env.start("loop", {"n": 0})
    assert "budget of 500" in err.value.message
    with env.sessions() as s:
        assert s.scalars(select(Case)).all() == [] and s.scalars(select(ProcessInstance)).all() == []
    assert env.start("loop", {"n": 9990})  # a short loop stays within budget


def test_case_starts_a_short_instance_per_round(env):
    env.deploy(bpmn.sequence("round_b", ["fix"]))
    start_round = ('<bpmn:serviceTask id="next"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
                   'id="test.start_round"><spiffworkflow:parameters>'
                   '<spiffworkflow:parameter id="process_key" type="str" value="\'round_b\'"/>'
                   '<spiffworkflow:parameter id="round" type="int" value="round"/>'
                   '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
                   '</bpmn:serviceTask>')
    inner = ('<bpmn:startEvent id="start"/>' + start_round + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "next") + bpmn.flow("f1", "next", "end"))
    env.deploy(bpmn.process("spawner", inner))
    case_id = env.start("spawner", {"round": 1})
    (task,) = open_tasks(env, case_id)
    assert task.bpmn_id == "fix" and task.data["round"] == 1
    assert case_status(env, case_id) == "active"
    complete(env, task.id)
    assert case_status(env, case_id) == "completed"


def test_signals_reach_only_cases_the_sender_may_read(env):
    from engine import Scope
    from storage import Project

    env.deploy(rectification())
    with env.sessions.begin() as s:
        haishu, jiangbei = Project(code="HS-1", name="海曙项目", district="海曙区"), Project(
            code="JB-1", name="江北项目", district="江北区")
        s.add_all([haishu, jiangbei])
        s.flush()
        ids = haishu.id, jiangbei.id
    in_haishu = env.start("round", {"deadline": "P7D"}, project_id=ids[0])
    in_jiangbei = env.start("round", {"deadline": "P7D"}, project_id=ids[1])
    inspector = env.user("zhang", Scope("inspector", district="海曙区"))
    with env.sessions.begin() as s:
        assert env.engine.signal(s, "device_alarm", {}, inspector, project_id=ids[1]) == []
        assert len(env.engine.signal(s, "device_alarm", {}, inspector)) == 1  # only 海曙区's case
    assert [t.bpmn_id for t in open_tasks(env, in_haishu)] == ["handle_alarm"]
    assert [t.bpmn_id for t in open_tasks(env, in_jiangbei)] == ["rectify"]


def test_correlation_values_too_long_to_index_fail_the_step_not_the_database(env):
    env.deploy(bpmn.correlated_message_wait("msg"))
    with pytest.raises(ScriptFailed) as err:
        env.start("msg", {"project_code": "NB-" + "9" * 600})
    assert "longer than 500" in err.value.message and err.value.details["element_id"]
    with env.sessions() as s:
        assert s.scalars(select(Case)).all() == []
    assert env.start("msg", {"project_code": "NB-" + "9" * 400})  # fits: waits as usual
