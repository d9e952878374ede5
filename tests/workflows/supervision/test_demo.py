"""``workflows.supervision.demo``: cases in every state, replayed through the engine, some overdue."""
from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from engine import SYSTEM, FixedClock
from storage import (
    Case, Document, Enterprise, Finding, Project, ProjectParty, RectificationNotice, Reminder, Task, User,
)
from storage.users import create_user
from web.auth.principal import actor_for
from web.services import Services
from workflows import DemoContext, bpmn_files
from workflows.supervision import FAMILY
from workflows.supervision.demo import HAISHU_CASES, JIANGBEI_CASES, seed_demo

from .driver import credit_code

DEMO_USERS = {
    "district_admin_haishu": [("district_admin", "海曙区", None)],
    "inspector_haishu": [("inspector", "海曙区", None)],
    "inspector_jiangbei": [("inspector", "江北区", None)],
}


@pytest.fixture
def demo(services: Services, clock: FixedClock) -> DemoContext:
    """The demo context `oversite demo` builds, on demo projects like the reference family's."""
    services.engine.clock = clock  # what create_app does with CLOCK; made explicit for the test
    with services.session_factory.begin() as session:
        for n, district in enumerate(["海曙区"] * len(HAISHU_CASES) + ["江北区"] * len(JIANGBEI_CASES)):
            builder, contractor = credit_code(f"D{n:06d}B"), credit_code(f"D{n % 3:06d}C")
            session.add_all([Enterprise(code=builder, name=f"演示置业{n}有限公司")])
            if n < 3:
                session.add(Enterprise(code=contractor, name=f"演示建设{n}有限公司"))
            session.add(Project(code=f"NB2025{n:04d}", name=f"演示项目{n}号", district=district,
                                supervision_start=date(2025, 6, 1), construction_start=date(2025, 6, 1),
                                parties=[ProjectParty(enterprise_code=builder, party_role="builder"),
                                         ProjectParty(enterprise_code=contractor, party_role="contractor")]))
    ctx = DemoContext(session_factory=services.session_factory, engine=services.engine, clock=clock,
                      config=services.config, users={}, random=random.Random(1), add_user=lambda *a: None)

    def add_user(username: str, display: str, roles: list[tuple[str, str | None, str | None]]):  # type: ignore[no-untyped-def]
        with services.session_factory.begin() as session:
            ctx.users[username] = actor_for(create_user(session, username, "demo-password", roles,
                                                        display_name=display), None)
        return ctx.users[username]

    ctx.add_user = add_user
    for name, roles in DEMO_USERS.items():
        add_user(name, name, roles)
    add_user("enterprise_a", "演示建设0", [("enterprise", None, credit_code("D000000C"))])
    with services.session_factory.begin() as session:  # as `oversite init` does
        services.engine.deploy(session, bpmn_files([FAMILY]), SYSTEM)
    return ctx


def test_demo_cases_cover_every_state_and_some_are_overdue(demo: DemoContext, services: Services,
                                                           clock: FixedClock) -> None:
    seed_demo(demo)
    assert services.engine.clock is clock, "the replay gives the engine its clock back"
    now = clock.now()
    with services.session_factory() as session:
        cases = Counter(session.scalars(select(Case.status).where(Case.process_key == "supervision_case")))
        assert cases == Counter(active=len(HAISHU_CASES) + len(JIANGBEI_CASES) - 2, completed=2)
        open_tasks = session.execute(select(Task.bpmn_id, Task.due_at, Task.role).where(
            Task.state.in_(("open", "claimed")))).all()
        steps = {bpmn_id for bpmn_id, _, _ in open_tasks}
        assert steps >= {"assign_inspectors", "briefing", "record_inspection", "reply", "reply_late", "escalate",
                         "review", "notify_acceptance", "supervise_acceptance", "file_acceptance"}
        overdue = {bpmn_id for bpmn_id, due, _ in open_tasks if due is not None and due < now}
        assert {"escalate", "review", "briefing", "supervise_acceptance", "file_acceptance"} <= overdue
        assert all(due is not None for _, due, _ in open_tasks), "every open task has a due date"
        notices = Counter(session.scalars(select(RectificationNotice.status)))
        assert notices["open"] >= 7 and notices["closed"] >= 1
        assert session.scalar(select(func.count()).select_from(Finding).where(
            Finding.status == "open", Finding.owner.is_(None))) == 0
        kinds = set(session.scalars(select(Document.kind)))
        assert {"briefing_record", "supervision_record", "rectification_notice", "stop_work_notice",
                "review_record", "stop_work_order", "acceptance_report"} <= kinds
        subjects = set(session.scalars(select(Reminder.subject)))
        assert subjects == {"rectification_reply", "acceptance_report", "acceptance_filing"}
        assert session.scalar(select(User.id).where(User.username == "district_admin_jiangbei")) is not None

    seed_demo(demo)  # a second run changes nothing
    with services.session_factory() as session:
        assert Counter(session.scalars(select(Case.status).where(Case.process_key == "supervision_case"))) == cases


def test_demo_skips_a_district_without_projects(services: Services, clock: FixedClock) -> None:
    services.engine.clock = clock
    users: dict = {}
    ctx = DemoContext(session_factory=services.session_factory, engine=services.engine, clock=clock,
                      config=services.config, users=users, random=random.Random(1),
                      add_user=lambda name, display, roles: users.setdefault(name, None))
    seed_demo(ctx)  # no staff, no projects: nothing to replay, nothing fails
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
