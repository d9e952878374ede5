"""engine.portal: an enterprise's projects and what its users filed, nothing of others."""
from __future__ import annotations

from sqlalchemy import select

from engine import Actor, Scope
from engine.portal import enterprise_codes, enterprise_projects, enterprises, submissions
from storage import Enterprise, Project, ProjectParty, Task
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv

MODEL = bpmn.process("pt_log", '<bpmn:startEvent id="s"/>' + bpmn.user_task("fill", "填写日志") + '<bpmn:endEvent id="e"/>'
                     + bpmn.flow("f1", "s", "fill") + bpmn.flow("f2", "fill", "e"), lanes={"enterprise": ["s", "fill"]})


def test_projects_and_submissions(env: EngineEnv) -> None:
    env.deploy(MODEL)
    with env.sessions.begin() as s:
        s.add_all([Enterprise(code="E1", name="甲公司"), Enterprise(code="E2", name="乙公司")])
        mine = Project(code="P1", name="甲项目", district="海曙区")
        mine.parties = [ProjectParty(enterprise_code="E1", party_role="contractor"),
                        ProjectParty(enterprise_code="E1", party_role="builder")]
        theirs = Project(code="P2", name="乙项目", district="江北区")
        theirs.parties = [ProjectParty(enterprise_code="E2", party_role="contractor")]
        s.add_all([mine, theirs])
        s.flush()
        mine_id = mine.id
    worker = env.user("worker", Scope("enterprise", None, "E1"))
    other = env.user("other", Scope("enterprise", None, "E2"))
    case = env.start("pt_log", actor=worker, project_id=mine_id, title="日志")
    env.start("pt_log", actor=other, title="别人的日志")
    with env.sessions.begin() as s:
        task_id = s.scalar(select(Task.id).where(Task.case_id == case))
        env.engine.complete(s, task_id, {}, worker)
    assert enterprise_codes(Actor("x", None, (Scope("enterprise", None, "E1"), Scope("enterprise", None, "E1"),
                                              Scope("inspector", "海曙区")))) == ["E1"]
    with env.sessions() as s:
        assert [e.name for e in enterprises(s, ["E1", "E9"])] == ["甲公司"]
        projects = enterprise_projects(s, ["E1"])
        assert [(p.project.code, sorted(p.party_roles)) for p in projects] == [("P1", ["builder", "contractor"])]
        assert enterprise_projects(s, []) == []
        filed = submissions(s, ["E1"])
        assert [(f.kind, f.title, f.project_name, f.by) for f in filed] == [
            ("task", "填写日志", "甲项目", "worker"), ("case", "日志", "甲项目", "worker")]
        assert [f.title for f in submissions(s, ["E2"])] == ["别人的日志"]
        assert submissions(s, []) == []
