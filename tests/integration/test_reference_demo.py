"""The reference family's demo data: districts, enterprises, projects, people, history, users."""
from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, FixedClock, Scope
from storage import District, Enterprise, Project, ProjectParty, ProjectRecord
from storage.people import Person, ProjectPerson
from web.config import DEFAULTS, NINGBO_DISTRICTS
from workflows import FAMILIES, DemoContext
from workflows.reference import FAMILY
from workflows.reference.credit_code import is_valid_credit_code
from workflows.reports import build_report

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def seed(sessions: sessionmaker[Session]) -> list[tuple[str, list[tuple[str, str | None, str | None]]]]:
    added: list[tuple[str, list[tuple[str, str | None, str | None]]]] = []

    def add_user(username: str, display_name: str, roles: list[tuple[str, str | None, str | None]]) -> Actor:
        added.append((username, roles))
        return Actor(username, None, tuple(Scope(*r) for r in roles))

    ctx = DemoContext(session_factory=sessions, engine=None, clock=FixedClock(NOW), config=DEFAULTS,  # type: ignore[arg-type]
                      users={"inspector_haishu": Actor("inspector_haishu", None, ())}, random=random.Random(20221016),
                      add_user=add_user)
    FAMILY.seed_demo(ctx)  # type: ignore[misc]
    return added


def snapshot(sessions: sessionmaker[Session]) -> list[tuple[object, ...]]:
    with sessions() as s:
        return [tuple(r) for r in s.execute(select(Project.code, Project.name, Project.district, Project.address,
                                                   Project.floor_area_m2, Project.supervision_start,
                                                   Project.construction_end).order_by(Project.code))]


def test_reference_is_the_first_family() -> None:
    assert FAMILIES[0] is FAMILY and FAMILY.name == "reference"
    assert list(FAMILY.bpmn_dir.glob("*.bpmn")) == []


def test_demo_city(session_factory: sessionmaker[Session]) -> None:
    users = seed(session_factory)
    with session_factory() as s:
        assert list(s.scalars(select(District.name).order_by(District.position))) == NINGBO_DISTRICTS
        codes = list(s.scalars(select(Enterprise.code)))
        assert 35 <= len(codes) <= 45 and all(is_valid_credit_code(c) for c in codes)
        assert len(set(s.scalars(select(Enterprise.name)))) == len(codes)
        by_district = Counter(s.scalars(select(Project.district)))
        assert sum(by_district.values()) == 300 and set(by_district) == set(NINGBO_DISTRICTS)
        assert s.scalar(select(func.count()).select_from(ProjectParty)) == 900
        assert set(s.scalars(select(ProjectParty.enterprise_code))) <= set(codes)
        assert s.scalar(select(func.count()).select_from(ProjectRecord)) > 1000
        assert s.scalar(select(func.count()).select_from(Person).where(Person.kind == "inspector")) == 39
        assert s.scalar(select(func.count()).select_from(ProjectPerson)) == 600
        contractor_a = users[0][1][0][2]
        assert s.scalar(select(func.count()).select_from(ProjectParty).where(
            ProjectParty.enterprise_code == contractor_a)) >= 5
        report = build_report(s, "supervision-usage", NOW.date(), NINGBO_DISTRICTS)
        total = report.rows[-1]
        assert int(total[1]) > 150 and total[4].endswith("%")
    assert [u for u, _ in users] == ["enterprise_a", "enterprise_b"]
    assert all(roles[0][0] == "enterprise" and is_valid_credit_code(roles[0][2] or "") for _, roles in users)


def test_the_demo_is_deterministic_and_seeds_once(session_factory: sessionmaker[Session]) -> None:
    seed(session_factory)
    first = snapshot(session_factory)
    assert seed(session_factory) == []  # already seeded: nothing added, no users
    assert snapshot(session_factory) == first
    with session_factory.begin() as s:
        for model in (ProjectRecord, ProjectPerson, Person, ProjectParty, Project, Enterprise):
            s.execute(model.__table__.delete())
    seed(session_factory)
    assert snapshot(session_factory) == first
