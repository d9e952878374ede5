"""engine.case_view: rounds and diagram marks, the auditors' case search, submitted values."""
from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine import Actor, Scope
from engine.case_view import (
    CaseSearch,
    case_rounds,
    display_names,
    marks_for,
    project_summary,
    search_cases,
    submitted_by_task,
    submitted_values,
)
from storage import Enterprise, Project, ProjectParty, Task
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv

SHANGHAI = ZoneInfo("Asia/Shanghai")
MODEL = bpmn.sequence("cv_p", ["one", "two"], lanes={"inspector": ["one", "two"]})
AUDITOR = Actor("aud", None, (Scope("auditor"),))


@pytest.fixture
def cases(env: EngineEnv) -> dict[str, int]:
    env.deploy(MODEL)
    with env.sessions.begin() as s:
        s.add(Enterprise(code="E1", name="宁波建工"))
        p1 = Project(code="HS-1", name="海曙文化中心", district="海曙区")
        p1.parties = [ProjectParty(enterprise_code="E1", party_role="contractor")]
        p2 = Project(code="JB-2", name="江北学校", district="江北区")
        s.add_all([p1, p2])
        s.flush()
        ids = {"p1": p1.id, "p2": p2.id}
    first = env.start("cv_p", project_id=ids["p1"], title="甲")
    env.clock.advance(timedelta(days=1))  # 2026-03-03 09:00 in Shanghai
    second = env.start("cv_p", project_id=ids["p2"], title="乙")
    return {"first": first, "second": second, **ids}


def test_search(env: EngineEnv, cases: dict[str, int]) -> None:
    def titles(**kw: object) -> list[str]:
        with env.sessions() as s:
            return [r.case.title or "" for r in search_cases(s, AUDITOR, CaseSearch(**kw), SHANGHAI).items]  # type: ignore[arg-type]

    assert titles() == ["乙", "甲"]  # newest first
    assert titles(project="文化") == ["甲"] and titles(project="jb-") == ["乙"]
    assert titles(enterprise="建工") == ["甲"] and titles(enterprise="E1") == ["甲"] and titles(enterprise="x") == []
    assert titles(process_key="cv_p", status="active") == ["乙", "甲"]
    assert titles(created_from=date(2026, 3, 3)) == ["乙"]
    assert titles(created_to=date(2026, 3, 2)) == ["甲"]
    assert titles(created_from=date(2026, 3, 4)) == []
    inspector = Actor("i", None, (Scope("inspector", "海曙区"),))
    with env.sessions() as s:
        assert [r.case.title for r in search_cases(s, inspector, CaseSearch(), SHANGHAI).items] == ["甲"]
        found = search_cases(s, AUDITOR, CaseSearch(project="文化"), SHANGHAI).items[0]
        assert (found.project_name, found.project_code) == ("海曙文化中心", "HS-1")


def test_rounds_marks_and_submissions(env: EngineEnv, cases: dict[str, int]) -> None:
    with env.sessions.begin() as s:
        task_id = s.scalar(select(Task.id).where(Task.case_id == cases["first"], Task.bpmn_id == "one"))
        env.engine.complete(s, task_id, {"note": "好"}, env.admin)
    with env.sessions() as s:
        rounds = case_rounds(s, cases["first"])
        assert len(rounds) == 1 and rounds[0].process_key == "cv_p" and rounds[0].version == 1
        assert (rounds[0].marks.completed, rounds[0].marks.active) == (["one"], ["two"])
        assert submitted_values(s, task_id) == {"note": "好"}
        assert submitted_by_task(s, cases["first"]) == {task_id: {"note": "好"}}
        summary = project_summary(s, cases["p1"])
        assert summary is not None and [(p.role, p.enterprise_name) for p in summary.parties] == [("contractor", "宁波建工")]
        assert project_summary(s, None) is None
        assert display_names(s, {"admin", "nobody"}) == {"admin": "admin", "nobody": "nobody"}


def test_marks_take_the_latest_state_of_a_repeated_step() -> None:
    tasks = [Task(id=1, bpmn_id="a", state="completed"), Task(id=2, bpmn_id="a", state="open"),
             Task(id=3, bpmn_id="b", state="cancelled")]
    marks = marks_for(tasks)
    assert (marks.completed, marks.active, marks.cancelled) == ([], ["a"], ["b"])
