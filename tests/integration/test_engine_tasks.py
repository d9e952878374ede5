"""User tasks, gateways, forms, assignment and concurrency on a real database."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine import Conflict, FieldErrors, Forbidden, NotFound, Scope
from storage import Case, Project, Task
from tests.fixtures import bpmn


def open_tasks(env, case_id: int) -> list[Task]:
    with env.sessions() as s:
        return list(s.scalars(select(Task).where(Task.case_id == case_id, Task.state.in_(["open", "claimed"]))
                              .order_by(Task.id)))


def complete(env, task_id: int, data=None, actor=None) -> None:
    with env.sessions.begin() as s:
        env.engine.complete(s, task_id, data, actor or env.admin)


def case_status(env, case_id: int) -> str:
    with env.sessions() as s:
        return s.get(Case, case_id).status


def test_user_tasks_run_in_order_and_case_completes(env):
    env.deploy(bpmn.sequence("seq", ["assign", "brief", "inspect"]))
    case_id = env.start("seq", {"project_name": "宁波中心"})
    for expected in ["assign", "brief", "inspect"]:
        (task,) = open_tasks(env, case_id)
        assert task.bpmn_id == expected and task.data["project_name"] == "宁波中心"
        complete(env, task.id, {"note": f"{expected} done"})
    assert open_tasks(env, case_id) == []
    assert case_status(env, case_id) == "completed"


def test_exclusive_gateway_routes_on_form_data(env):
    inner = ('<bpmn:startEvent id="start"/>' + bpmn.user_task("inspect", form="test.inspection")
             + '<bpmn:exclusiveGateway id="gw" default="to_rectify"/>'
             + bpmn.user_task("rectify") + bpmn.user_task("archive") + '<bpmn:endEvent id="end"/>'
             + bpmn.flow("f0", "start", "inspect") + bpmn.flow("f1", "inspect", "gw")
             + bpmn.flow("to_archive", "gw", "archive", "passed == True and len(findings) == 0")
             + bpmn.flow("to_rectify", "gw", "rectify")
             + bpmn.flow("f4", "rectify", "end") + bpmn.flow("f5", "archive", "end"))
    env.deploy(bpmn.process("xgw", inner))
    ok = env.start("xgw")
    complete(env, open_tasks(env, ok)[0].id, {"passed": True, "inspected_on": "2026-03-02"})
    assert [t.bpmn_id for t in open_tasks(env, ok)] == ["archive"]
    bad = env.start("xgw")
    complete(env, open_tasks(env, bad)[0].id,
             {"passed": False, "findings": ["临边防护缺失"], "inspected_on": "2026-03-02"})
    assert [t.bpmn_id for t in open_tasks(env, bad)] == ["rectify"]


PARALLEL = bpmn.process("par", (
    '<bpmn:startEvent id="start"/><bpmn:parallelGateway id="split"/><bpmn:parallelGateway id="join"/>'
    + bpmn.user_task("quality") + bpmn.user_task("safety") + bpmn.user_task("sign")
    + '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "split")
    + bpmn.flow("f1", "split", "quality") + bpmn.flow("f2", "split", "safety")
    + bpmn.flow("f3", "quality", "join") + bpmn.flow("f4", "safety", "join")
    + bpmn.flow("f5", "join", "sign") + bpmn.flow("f6", "sign", "end")))


def test_parallel_gateway_joins(env):
    env.deploy(PARALLEL)
    case_id = env.start("par")
    assert sorted(t.bpmn_id for t in open_tasks(env, case_id)) == ["quality", "safety"]
    complete(env, next(t.id for t in open_tasks(env, case_id) if t.bpmn_id == "safety"))
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["quality"]
    complete(env, open_tasks(env, case_id)[0].id)
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["sign"]


def test_form_errors_are_reported_field_by_field_and_state_stays(env):
    env.deploy(bpmn.process("f", '<bpmn:startEvent id="start"/>' + bpmn.user_task("inspect", form="test.inspection")
                            + '<bpmn:endEvent id="end"/>' + bpmn.flow("a", "start", "inspect")
                            + bpmn.flow("b", "inspect", "end")))
    case_id = env.start("f")
    (task,) = open_tasks(env, case_id)
    with pytest.raises(FieldErrors) as err:
        complete(env, task.id, {"passed": "perhaps", "severity": "catastrophic"})
    assert set(err.value.errors) == {"passed", "inspected_on", "severity"}
    assert [t.id for t in open_tasks(env, case_id)] == [task.id]
    complete(env, task.id, {"passed": True, "inspected_on": "2026-03-02"})
    assert case_status(env, case_id) == "completed"


def test_formless_task_takes_only_plain_values(env):
    env.deploy(bpmn.sequence("plain", ["a"]))
    case_id = env.start("plain")
    (task,) = open_tasks(env, case_id)
    for bad in ({"nested": {"x": 1}}, {"__class__": 1}, {"list": [{"a": 1}]}, ["not", "an", "object"]):
        with pytest.raises(FieldErrors):
            complete(env, task.id, bad)
    complete(env, task.id, {"ok": True, "tags": ["a", 1, None]})


def test_completing_twice_conflicts(env):
    env.deploy(bpmn.sequence("twice", ["a", "b"]))
    case_id = env.start("twice")
    (task,) = open_tasks(env, case_id)
    complete(env, task.id)
    with pytest.raises(Conflict):
        complete(env, task.id)
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["b"]


def test_concurrent_completion_exactly_one_wins(env):
    env.deploy(bpmn.sequence("race", ["a", "b"]))
    case_id = env.start("race")
    (task,) = open_tasks(env, case_id)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        try:
            complete(env, task.id, {"by": threading.current_thread().name})
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert [t.bpmn_id for t in open_tasks(env, case_id)] == ["b"]


def _project(env, code: str, district: str) -> int:
    with env.sessions.begin() as s:
        p = Project(code=code, name=code, district=district)
        s.add(p)
        s.flush()
        return p.id


def test_lane_role_and_district_scope_decide_who_works_a_task(env):
    env.deploy(bpmn.sequence("lane", ["inspect"], lanes={"inspector": ["inspect"]}))
    haishu = _project(env, "P-HS", "海曙区")
    case_id = env.start("lane", project_id=haishu)
    (task,) = open_tasks(env, case_id)
    assert task.role == "inspector" and task.district == "海曙区"
    other_district = env.user("li", Scope("inspector", district="江北区"))
    wrong_role = env.user("wang", Scope("district_admin", district="海曙区"))
    auditor = env.user("audit", Scope("auditor"))
    with pytest.raises(NotFound):
        complete(env, task.id, {}, other_district)
    with pytest.raises(Forbidden):
        complete(env, task.id, {}, wrong_role)
    with pytest.raises(Forbidden):
        complete(env, task.id, {}, auditor)
    inspector = env.user("zhang", Scope("inspector", district="海曙区"))
    complete(env, task.id, {}, inspector)


def test_claim_makes_a_task_exclusive(env):
    env.deploy(bpmn.sequence("claim", ["inspect"], lanes={"inspector": ["inspect"]}))
    case_id = env.start("claim")
    (task,) = open_tasks(env, case_id)
    zhang = env.user("zhang", Scope("inspector"))
    li = env.user("li", Scope("inspector"))
    with env.sessions.begin() as s:
        assert env.engine.claim(s, task.id, zhang).assignee_id == zhang.user_id
    with pytest.raises(Conflict), env.sessions.begin() as s:
        env.engine.claim(s, task.id, li)
    with pytest.raises(Conflict):
        complete(env, task.id, {}, li)
    with pytest.raises(Forbidden), env.sessions.begin() as s:
        env.engine.unclaim(s, task.id, li)
    with env.sessions.begin() as s:
        env.engine.unclaim(s, task.id, zhang)
    complete(env, task.id, {}, li)


def test_cancelling_updates_task_rows_already_held_in_the_session(env):
    env.deploy(PARALLEL)
    case_id = env.start("par")
    with env.sessions.begin() as s:
        held, expired = s.scalars(select(Task).where(Task.case_id == case_id).order_by(Task.id)).all()
        s.expire(expired)  # not loaded now: it must reload the new state, not trip a load mid-write
        env.engine.cancel_case(s, case_id, "项目终止", env.admin)
        assert held.state == "cancelled" and held.completed_at is not None
        assert expired.state == "cancelled"
        assert not s.dirty  # written already: nothing left for the commit to flush


def test_cancel_suspend_resume(env):
    env.deploy(bpmn.sequence("life", ["a", "b"]))
    case_id = env.start("life")
    (task,) = open_tasks(env, case_id)
    with env.sessions.begin() as s:
        env.engine.suspend_instance(s, task.instance_id, "材料核查中", env.admin)
    with pytest.raises(Conflict):
        complete(env, task.id)
    with pytest.raises(FieldErrors), env.sessions.begin() as s:
        env.engine.resume_instance(s, task.instance_id, "  ", env.admin)
    with env.sessions.begin() as s:
        env.engine.resume_instance(s, task.instance_id, "核查完毕", env.admin)
    complete(env, task.id)
    with env.sessions.begin() as s:
        env.engine.cancel_case(s, case_id, "项目终止", env.admin)
    assert open_tasks(env, case_id) == [] and case_status(env, case_id) == "cancelled"
    with pytest.raises(Conflict), env.sessions.begin() as s:
        env.engine.cancel_case(s, case_id, "again", env.admin)
