"""The project-duty demo data (workflows/project/demo.py, demo_live.py) on top of the reference demo."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from engine import FixedClock, ProcessEngine
from engine.queries import TaskFilter, task_query
from storage import (
    Case,
    DailyLog,
    MissingDailyLog,
    ProjectInitialization,
    ProjectRecord,
    SelfInspection,
    SelfInspectionGap,
    StageAcceptance,
    Suggestion,
    Task,
)
from storage.documents import DocumentStore, LocalDirectoryBackend
from storage.users import create_user
from tests.fixtures.project_duties import START, deploy_family
from web.auth.principal import actor_for
from web.cli.demo import DEMO_USERS
from web.config import DEFAULTS
from workflows import DemoContext, build_registries
from workflows.project import FAMILY as PROJECT
from workflows.project.demo import seed_demo
from workflows.reference import FAMILY as REFERENCE


@pytest.fixture
def demo(session_factory, tmp_path):
    clock = FixedClock(START)
    registries = build_registries(DEFAULTS, [REFERENCE, PROJECT])
    engine = ProcessEngine(clock=clock, services=registries.services, forms=registries.forms,
                           ports={"documents": DocumentStore(LocalDirectoryBackend(tmp_path / "docs"))})

    def add_user(username, display_name, roles):
        with session_factory.begin() as s:
            actor = actor_for(create_user(s, username, "demo-password-1", roles, display_name=display_name), None)
        ctx.users[username] = actor
        return actor

    ctx = DemoContext(session_factory=session_factory, engine=engine, clock=clock, config=DEFAULTS, users={},
                      random=random.Random(7), add_user=add_user)
    for username, roles in DEMO_USERS.items():
        add_user(username, username, roles)
    deploy_family(engine, session_factory, ctx.users["demo_admin"])
    REFERENCE.seed_demo(ctx)
    return ctx


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_gives_history_gaps_and_work_in_the_inboxes(demo):
    seed_demo(demo)
    a, dadmin = demo.users["enterprise_a"], demo.users["district_admin_haishu"]
    with demo.session_factory() as s:
        assert count(s, DailyLog) > 1000 and count(s, MissingDailyLog) > 50
        assert count(s, MissingDailyLog, MissingDailyLog.resolved_at.is_not(None)) == 1  # one late log
        assert count(s, SelfInspection) > 200 and count(s, SelfInspectionGap) > 20
        assert count(s, SelfInspection, SelfInspection.status == "rectifying") == 3
        assert count(s, StageAcceptance) > 10
        assert count(s, ProjectInitialization, ProjectInitialization.status == "acknowledged") > 150
        assert count(s, ProjectInitialization, ProjectInitialization.status == "submitted") == 1
        assert count(s, ProjectInitialization, ProjectInitialization.status == "returned") == 1
        assert count(s, Suggestion) == 4 and count(s, Suggestion, Suggestion.status == "answered") == 1
        assert count(s, ProjectRecord, ProjectRecord.source == "case", ProjectRecord.kind == "daily_log") > 1000
        open_tasks = dict(s.execute(select(Task.bpmn_id, func.count()).where(Task.state == "open")
                                    .group_by(Task.bpmn_id)).all())
    assert open_tasks["rectify"] == 2 and open_tasks["verify"] == 1 and open_tasks["write_daily_log"] == 1
    assert open_tasks["review_initialization"] == 1 and open_tasks["submit_initialization"] == 1
    assert open_tasks["answer_suggestion"] == 3 and open_tasks["record_acceptance"] == 1
    with demo.session_factory() as s:  # the work is in the right inboxes
        inbox = {who: sorted(t.bpmn_id for t in s.scalars(task_query(actor, TaskFilter(), START)))
                 for who, actor in (("a", a), ("dadmin", dadmin))}
    assert {"rectify", "verify", "write_daily_log", "submit_initialization", "record_acceptance"} <= set(inbox["a"])
    assert {"review_initialization", "answer_suggestion"} <= set(inbox["dadmin"])
    with demo.session_factory() as s:
        cases = count(s, Case)
    seed_demo(demo)  # a second run changes nothing
    with demo.session_factory() as s:
        assert count(s, Case) == cases and count(s, Suggestion) == 4
