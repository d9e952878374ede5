"""A user task for one enterprise (``enterpriseCode``): offered to it alone, readable by the other parties.

A rectification reply is the notice owner's to give: another party of the project must not
find it in its inbox, nor claim it and so block the owner.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import Actor, BpmnFile, Forbidden, ModelInvalid, Scope, ScriptFailed
from engine.case_view import open_tasks_of_case
from engine.inbox import InboxTab, inbox
from engine.queries import TaskFilter, list_tasks
from engine.tasks import get_task_for
from storage import Case, Project, ProjectParty, Task
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv


def _model(key: str, enterprise: str | None) -> bytes:
    return bpmn.process(key, '<bpmn:startEvent id="s"/>' + bpmn.user_task("reply", "整改回复", enterprise=enterprise)
                        + '<bpmn:endEvent id="e"/>' + bpmn.flow("f1", "s", "reply") + bpmn.flow("f2", "reply", "e"),
                        lanes={"enterprise": ["reply"]})


ADDRESSED = _model("addressed", "owner")
UNADDRESSED = _model("unaddressed", None)


@pytest.fixture
def parties(env: EngineEnv) -> dict[str, object]:
    """A project whose contractor is E1 and builder E2, and a user of each (plus an outsider)."""
    env.deploy(ADDRESSED, UNADDRESSED)
    with env.sessions.begin() as s:
        project = Project(code="P1", name="海曙区文化中心", district="海曙区")
        project.parties = [ProjectParty(enterprise_code="E1", party_role="contractor"),
                           ProjectParty(enterprise_code="E2", party_role="builder")]
        s.add(project)
        s.flush()
        project_id = project.id
    return {"project": project_id,
            "contractor": env.user("contractor", Scope("enterprise", None, "E1")),
            "builder": env.user("builder", Scope("enterprise", None, "E2")),
            "outsider": env.user("outsider", Scope("enterprise", None, "E9"))}


def offered(env: EngineEnv, actor: Actor) -> set[int]:
    """The task ids offered to ``actor``, asserting that every view of the rule agrees."""
    now = env.clock.now()
    with env.sessions() as s:
        fast = {r.task.id for r in inbox(s, actor, InboxTab.ROLES, TaskFilter(), now, per_page=100).rows}
        listed = {t.id for t in list_tasks(s, actor, TaskFilter(), now, per_page=100).items}
        on_case_pages = {t.id for case_id in s.scalars(select(Case.id)) for t in open_tasks_of_case(s, actor, case_id)}
    assert fast == listed == on_case_pages
    return fast


def the_task(env: EngineEnv, case_id: int) -> Task:
    with env.sessions() as s:
        return s.scalars(select(Task).where(Task.case_id == case_id)).one()


def test_a_task_for_one_enterprise_is_offered_to_it_alone(env: EngineEnv, parties) -> None:  # type: ignore[no-untyped-def]
    case_id = env.start("addressed", {"owner": "E1"}, project_id=parties["project"])
    task = the_task(env, case_id)
    assert task.for_enterprise == "E1" and task.enterprise_code is None  # staff started the case
    assert offered(env, parties["contractor"]) == {task.id}
    assert offered(env, parties["builder"]) == set() and offered(env, parties["outsider"]) == set()
    with env.sessions.begin() as s:
        # The builder, a party of the project, still reads the task (not workable) but may not claim it.
        scope = inbox(s, parties["builder"], InboxTab.SCOPE, TaskFilter(), env.clock.now()).rows
        assert [(r.task.id, r.workable) for r in scope] == [(task.id, False)]
        assert get_task_for(s, task.id, parties["builder"], to_work=False).id == task.id
        with pytest.raises(Forbidden):
            env.engine.claim(s, task.id, parties["builder"])
    with env.sessions.begin() as s:
        with pytest.raises(Forbidden):
            env.engine.complete(s, task.id, {}, parties["builder"])
    assert the_task(env, case_id).state == "open"
    with env.sessions.begin() as s:
        env.engine.claim(s, task.id, parties["contractor"])
        env.engine.complete(s, task.id, {}, parties["contractor"])
    assert the_task(env, case_id).state == "completed"


def test_without_one_the_case_scope_decides(env: EngineEnv, parties) -> None:  # type: ignore[no-untyped-def]
    by_staff = the_task(env, env.start("unaddressed", project_id=parties["project"])).id
    by_nothing = the_task(env, env.start("addressed", {"owner": None}, project_id=parties["project"])).id
    # Filed by the builder: its own task, and the other parties' too (a supervising engineer
    # verifies what the contractor filed), as before enterpriseCode existed.
    filed = the_task(env, env.start("unaddressed", project_id=parties["project"], actor=parties["builder"]))
    assert filed.enterprise_code == "E2" and filed.for_enterprise is None
    assert offered(env, parties["contractor"]) == {by_staff, by_nothing, filed.id}
    assert offered(env, parties["builder"]) == {by_staff, by_nothing, filed.id}
    assert offered(env, parties["outsider"]) == set()
    # Filed by the builder and for the contractor: the contractor's alone, the builder reads it.
    for_contractor = the_task(env, env.start("addressed", {"owner": "E1"}, project_id=parties["project"],
                                             actor=parties["builder"]))
    assert (for_contractor.enterprise_code, for_contractor.for_enterprise) == ("E2", "E1")
    assert for_contractor.id in offered(env, parties["contractor"])
    assert for_contractor.id not in offered(env, parties["builder"])
    with env.sessions() as s:
        assert get_task_for(s, for_contractor.id, parties["builder"], to_work=False).id == for_contractor.id


@pytest.mark.parametrize("owner", [42, ["E1"], "E" * 19])
def test_a_bad_enterprise_code_fails_the_step_and_keeps_nothing(env: EngineEnv, parties, owner) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScriptFailed) as failed:
        env.start("addressed", {"owner": owner}, project_id=parties["project"])
    assert "enterpriseCode of reply" in str(failed.value) and failed.value.details["element_id"] == "reply"
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 0
        assert s.scalar(select(func.count()).select_from(Task)) == 0


def test_deploy_reports_a_bad_expression_and_a_task_outside_the_enterprise_lane(env: EngineEnv) -> None:
    model = bpmn.process("misaddressed", '<bpmn:startEvent id="s"/>'
                         + bpmn.user_task("broken", enterprise="owner[")
                         + bpmn.user_task("inspect", enterprise="owner") + '<bpmn:endEvent id="e"/>'
                         + bpmn.flow("f1", "s", "broken") + bpmn.flow("f2", "broken", "inspect")
                         + bpmn.flow("f3", "inspect", "e"),
                         lanes={"enterprise": ["broken"], "inspector": ["inspect"]})
    with pytest.raises(ModelInvalid) as err, env.sessions.begin() as s:
        env.engine.deploy(s, [BpmnFile("misaddressed.bpmn", model)], env.admin)
    problems = {p["element_id"]: p["message"] for p in err.value.details}
    assert set(problems) == {"broken", "inspect"}, problems
    assert problems["broken"].startswith("enterprise expression (enterpriseCode)")
    assert "enterprise' lane" in problems["inspect"]
    assert all(p["line"] for p in err.value.details)
