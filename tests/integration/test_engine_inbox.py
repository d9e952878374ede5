"""engine.inbox: the three views, their access rules, filters, order, paging and capped counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from engine import Actor, Scope
from engine.inbox import InboxTab, branches, inbox, inbox_counts
from engine.queries import TaskFilter, list_tasks
from storage import Project, ProjectParty, Task
from tests.fixtures import bpmn
from tests.fixtures.engine import EngineEnv

MODEL = bpmn.process("inbox_p", '<bpmn:startEvent id="s"/>' + bpmn.user_task("a", "甲", due="2")
                     + bpmn.user_task("b", "乙") + '<bpmn:endEvent id="e"/>'
                     + bpmn.flow("f1", "s", "a") + bpmn.flow("f2", "s", "b") + bpmn.flow("f3", "a", "e")
                     + bpmn.flow("f4", "b", "e"),
                     lanes={"inspector": ["a"], "enterprise": ["b"]})
UNLANED = bpmn.sequence("inbox_free", ["only"])


@pytest.fixture
def seeded(env: EngineEnv) -> dict[str, object]:
    env.deploy(MODEL, UNLANED)
    with env.sessions.begin() as s:
        haishu = Project(code="P1", name="海曙区文化中心", district="海曙区")
        haishu.parties = [ProjectParty(enterprise_code="E1", party_role="contractor")]
        jiangbei = Project(code="P2", name="江北区学校", district="江北区")
        s.add_all([haishu, jiangbei])
        s.flush()
        ids = {"haishu": haishu.id, "jiangbei": jiangbei.id}
    inspector = env.user("insp", Scope("inspector", "海曙区"))
    other = env.user("insp2", Scope("inspector", "海曙区"))
    contractor = env.user("contractor", Scope("enterprise", None, "E1"))
    cases = {
        "h1": env.start("inbox_p", project_id=ids["haishu"], title="海曙一"),
        "h2": env.start("inbox_p", project_id=ids["haishu"], title="海曙二"),
        "j1": env.start("inbox_p", project_id=ids["jiangbei"], title="江北一"),
        "free": env.start("inbox_free", project_id=ids["haishu"], title="无泳道"),
    }
    return {"inspector": inspector, "other": other, "contractor": contractor, "cases": cases, **ids}


def titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{r.case_title}/{r.task.bpmn_id}" for r in page.rows]


def test_roles_view_is_the_engine_rule_of_workable_tasks(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    now = env.clock.now()
    for who in ("inspector", "contractor"):
        actor = seeded[who]
        with env.sessions() as s:
            fast = {r.task.id for r in inbox(s, actor, InboxTab.ROLES, TaskFilter(), now, per_page=100).rows}
            reference = {t.id for t in list_tasks(s, actor, TaskFilter(), now, per_page=200).items}
        assert fast == reference and fast


def test_views_for_an_inspector(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    inspector = seeded["inspector"]
    now = env.clock.now()
    with env.sessions() as s:
        roles = inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now)
        scope = inbox(s, inspector, InboxTab.SCOPE, TaskFilter(), now)
        mine = inbox(s, inspector, InboxTab.MINE, TaskFilter(), now)
    # dated tasks first (due order), then the undated ones; another district never appears
    assert titles(roles) == ["海曙一/a", "海曙二/a", "无泳道/only"]
    assert set(titles(scope)) == {"海曙一/a", "海曙一/b", "海曙二/a", "海曙二/b", "无泳道/only"}
    assert [r.workable for r in scope.rows if r.task.bpmn_id == "b"] == [False, False]
    assert mine.rows == [] and mine.total == 0


def test_claimed_tasks_move_to_their_assignee(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    inspector, other = seeded["inspector"], seeded["other"]
    now = env.clock.now()
    with env.sessions.begin() as s:
        first = inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now).rows[0].task.id
        env.engine.claim(s, first, inspector)
    with env.sessions() as s:
        assert [r.task.id for r in inbox(s, inspector, InboxTab.MINE, TaskFilter(), now).rows] == [first]
        assert first in {r.task.id for r in inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now).rows}
        assert first not in {r.task.id for r in inbox(s, other, InboxTab.ROLES, TaskFilter(), now).rows}
        claimed = [r for r in inbox(s, other, InboxTab.SCOPE, TaskFilter(), now).rows if r.task.id == first]
        assert claimed[0].assignee == "insp" and claimed[0].claimed
        counts = inbox_counts(s, inspector, now)
        assert (counts.mine, counts.offered) == (1, 3)
        assert inbox_counts(s, other, now).offered == 2


def test_enterprise_sees_its_projects_tasks(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    contractor = seeded["contractor"]
    with env.sessions() as s:
        page = inbox(s, contractor, InboxTab.ROLES, TaskFilter(), env.clock.now())
    assert sorted(titles(page)) == ["无泳道/only", "海曙一/b", "海曙二/b"]
    stranger = Actor("nobody", None, (Scope("enterprise", None, "E9"),))
    auditor = Actor("audit", None, (Scope("auditor"),))
    with env.sessions() as s:
        assert inbox(s, stranger, InboxTab.ROLES, TaskFilter(), env.clock.now()).total == 0
        assert inbox(s, auditor, InboxTab.ROLES, TaskFilter(), env.clock.now()).total == 0  # reads, never works
        assert inbox(s, auditor, InboxTab.SCOPE, TaskFilter(), env.clock.now()).total == 7


def test_filters(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    inspector = seeded["inspector"]
    now = env.clock.now()

    def names(**kw: object) -> list[str]:
        with env.sessions() as s:
            return titles(inbox(s, inspector, InboxTab.SCOPE, TaskFilter(**kw), now))  # type: ignore[arg-type]

    assert set(names(project_name="文化")) == {"海曙一/a", "海曙一/b", "海曙二/a", "海曙二/b", "无泳道/only"}
    assert names(project_name="p1") != [] and names(project_name="学校") == []
    assert names(project_name="100%") == [] and names(project_name="_") == []
    assert set(names(process_key="inbox_free")) == {"无泳道/only"}
    assert names(district="江北区") == []
    assert names(due_within_days=1) == [] and len(names(due_within_days=2)) == 2
    assert names(overdue=True) == []
    env.clock.advance(timedelta(days=3))
    with env.sessions() as s:
        late = titles(inbox(s, inspector, InboxTab.SCOPE, TaskFilter(overdue=True), env.clock.now()))
    assert late == ["海曙一/a", "海曙二/a"]


def test_sort_pages_and_capped_count(env: EngineEnv, seeded) -> None:  # type: ignore[no-untyped-def]
    inspector = seeded["inspector"]
    now = env.clock.now()
    with env.sessions.begin() as s:  # distinct due dates make the order observable
        for i, key in enumerate(("h1", "h2")):
            s.execute(update(Task).where(Task.case_id == seeded["cases"][key], Task.bpmn_id == "a")
                      .values(due_at=now + timedelta(days=5 - i)))
    with env.sessions() as s:
        soonest = titles(inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now))
        latest = titles(inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now, sort="-due"))
        first = inbox(s, inspector, InboxTab.SCOPE, TaskFilter(), now, per_page=2, page=1)
        last = inbox(s, inspector, InboxTab.SCOPE, TaskFilter(), now, per_page=2, page=99)
        capped = inbox(s, inspector, InboxTab.SCOPE, TaskFilter(), now, count_cap=3)
        with pytest.raises(ValueError, match="sort"):
            inbox(s, inspector, InboxTab.ROLES, TaskFilter(), now, sort="name")
    assert soonest == ["海曙二/a", "海曙一/a", "无泳道/only"]
    assert latest == ["海曙一/a", "海曙二/a", "无泳道/only"]  # undated last either way
    assert (first.total, first.pages, len(first.rows), first.has_next) == (5, 3, 2, True)
    assert (last.page, len(last.rows), last.has_next) == (3, 1, False)
    assert (capped.total, capped.capped) == (3, True)


def test_branches_are_simple_alternatives() -> None:
    def sql(actor: Actor, tab: InboxTab) -> list[str]:
        return [str(b.compile(compile_kwargs={"literal_binds": True})) for b in branches(actor, tab)]

    admin = Actor("a", 1, (Scope("admin"),))
    assert sql(admin, InboxTab.SCOPE) == ["true"]
    assert sql(admin, InboxTab.ROLES) == ["task.state = 'open'", "task.assignee_id = 1"]
    overlapping = Actor("i", 2, (Scope("inspector", "海曙区"), Scope("inspector", "海曙区")))
    assert len(branches(overlapping, InboxTab.ROLES)) == 3  # repeats dropped
    assert branches(Actor("anon", None, ()), InboxTab.MINE) == []
