"""Projects, enterprises and people: registration rules, scoped reads, dated status."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import Conflict, FieldErrors, Forbidden, NotFound
from engine.actor import Actor, Scope
from storage import Project, ProjectParty
from web.config import NINGBO_DISTRICTS as DISTRICTS
from workflows.reference.enterprises import list_enterprises, register_enterprise
from workflows.reference.people import assign_position, register_person
from workflows.reference.projects import ProjectFilter, get_project, list_projects, register_project
from workflows.reference.status import ProjectStatus, status_clause, status_on

NOW = datetime(2024, 5, 6, 2, 0, tzinfo=timezone.utc)
TODAY = date(2024, 5, 6)
ACME, OTHER = "91330100716105852F", "9144030071526726XG"
ADMIN = Actor("admin", 1, (Scope("admin"),))
HAISHU_ADMIN = Actor("da", 2, (Scope("district_admin", "海曙区"),))
HAISHU_INSPECTOR = Actor("insp", 3, (Scope("inspector", "海曙区"),))
ALL_INSPECTOR = Actor("chief", 4, (Scope("inspector"),))
ACME_USER = Actor("acme", 5, (Scope("enterprise", enterprise_code=ACME),))
EXPERT = Actor("expert", 6, (Scope("expert"),))
AUDITOR = Actor("auditor", 7, (Scope("auditor"),))


def project_values(code: str, district: str = "海曙区", **kw: object) -> dict[str, object]:
    return {"code": code, "name": f"项目{code}", "district": district, "floor_area_m2": Decimal("1000.5"),
            "contract_value_cny": Decimal("2000000"), "supervision_start": date(2024, 1, 1), **kw}


@pytest.fixture
def sessions(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    with session_factory.begin() as s:
        for code, name in ((ACME, "甬城建设"), (OTHER, "海天监理")):
            register_enterprise(s, ADMIN, {"code": code, "name": name, "kind": "contractor"}, districts=DISTRICTS,
                                now=NOW)
    return session_factory


def register(sessions: sessionmaker[Session], actor: Actor, values: dict[str, object],
             parties: list[tuple[str, str]] | None = None) -> int:
    with sessions.begin() as s:
        return register_project(s, actor, values, parties or [], districts=DISTRICTS, now=NOW).id


def test_register_a_project_with_its_parties(sessions: sessionmaker[Session]) -> None:
    pid = register(sessions, ADMIN, project_values("P1"), [("contractor", ACME), ("supervisor", OTHER)])
    with sessions() as s:
        project = get_project(s, ADMIN, pid)
        assert project.created_at == NOW and project.floor_area_m2 == Decimal("1000.50")
        assert {(p.party_role, p.enterprise_code) for p in project.parties} == {("contractor", ACME),
                                                                               ("supervisor", OTHER)}


def test_registration_errors_field_by_field(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(FieldErrors) as caught:
        register(sessions, ADMIN, project_values("P 1", "杭州市", floor_area_m2=Decimal("-1"),
                                                 supervision_end=date(2023, 12, 31)),
                 [("contractor", "914403001922038216"), ("architect", ACME), ("builder", "123")])
    errors = caught.value.errors
    assert set(errors) == {"code", "district", "floor_area_m2", "supervision_end", "parties"}
    assert "before supervision_start" in errors["supervision_end"][0]
    assert errors["parties"][0]["enterprise_code"] == ["no registered enterprise has the code 914403001922038216"]
    assert "unknown party role" in errors["parties"][1]["role"][0]
    assert "18 characters" in errors["parties"][2]["enterprise_code"][0]
    with sessions() as s:
        assert s.scalar(select(Project.id)) is None


def test_duplicate_codes_conflict(sessions: sessionmaker[Session]) -> None:
    register(sessions, ADMIN, project_values("P1"))
    with pytest.raises(Conflict):
        register(sessions, ADMIN, project_values("P1", "江北区"))
    with sessions.begin() as s, pytest.raises(Conflict):
        register_enterprise(s, ADMIN, {"code": ACME, "name": "again"}, districts=DISTRICTS, now=NOW)


def test_who_may_register(sessions: sessionmaker[Session]) -> None:
    assert register(sessions, HAISHU_ADMIN, project_values("P1"))
    for actor, district in ((HAISHU_ADMIN, "江北区"), (HAISHU_INSPECTOR, "海曙区"), (ACME_USER, "海曙区"),
                            (AUDITOR, "海曙区")):
        with pytest.raises(Forbidden):
            register(sessions, actor, project_values("P2", district))
    with sessions.begin() as s, pytest.raises(Forbidden):
        register_enterprise(s, HAISHU_INSPECTOR, {"code": "914403001922038216", "name": "x"}, districts=DISTRICTS,
                            now=NOW)


def test_enterprise_code_is_checked(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s, pytest.raises(FieldErrors) as caught:
        register_enterprise(s, ADMIN, {"code": "914403001922038217", "name": "", "district": "火星区"},
                            districts=DISTRICTS, now=NOW)
    assert set(caught.value.errors) == {"code", "name", "district"}


def test_reads_are_scoped(sessions: sessionmaker[Session]) -> None:
    ours = register(sessions, ADMIN, project_values("P-ACME"), [("contractor", ACME)])
    theirs = register(sessions, ADMIN, project_values("P-JB", "江北区"), [("contractor", OTHER)])
    register(sessions, ADMIN, project_values("P-HS"))

    def codes(actor: Actor, **kw: object) -> list[str]:
        with sessions() as s:
            page = list_projects(s, actor, ProjectFilter(**kw), today=TODAY)  # type: ignore[arg-type]
            assert page.total == len(page.items)
            return [p.code for p in page.items]

    assert codes(ADMIN) == codes(AUDITOR) == codes(ALL_INSPECTOR) == ["P-ACME", "P-HS", "P-JB"]
    assert codes(HAISHU_INSPECTOR) == codes(HAISHU_ADMIN) == ["P-ACME", "P-HS"]
    assert codes(ACME_USER) == ["P-ACME"]
    assert codes(EXPERT) == []
    assert codes(ADMIN, district="江北区") == ["P-JB"]
    assert codes(ADMIN, q="jb") == codes(ADMIN, q="JB") == ["P-JB"]
    assert codes(ADMIN, q="%") == []
    assert codes(ADMIN, enterprise_code=OTHER) == ["P-JB"]
    with sessions() as s:
        assert get_project(s, ACME_USER, ours).code == "P-ACME"
        with pytest.raises(NotFound):
            get_project(s, ACME_USER, theirs)
        with pytest.raises(NotFound):
            get_project(s, HAISHU_INSPECTOR, theirs)
        assert [e.code for e in list_enterprises(s, ACME_USER).items] == [ACME]
        assert list_enterprises(s, ADMIN).total == 2 and list_enterprises(s, EXPERT).total == 0
        assert [e.code for e in list_enterprises(s, HAISHU_INSPECTOR, q="海天").items] == [OTHER]


def test_pagination(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        s.add_all([Project(code=f"P{i:02d}", name=str(i), district="海曙区") for i in range(7)])
    with sessions() as s:
        page = list_projects(s, ADMIN, ProjectFilter(), today=TODAY, page=2, per_page=3)
        assert page.total == 7 and [p.code for p in page.items] == ["P03", "P04", "P05"]


DATES = [None, date(2024, 1, 1), date(2024, 3, 1), date(2024, 3, 2), date(2024, 6, 1)]


def test_status_in_sql_matches_status_in_python(sessions: sessionmaker[Session]) -> None:
    combos = [(a, b, c, d) for a in DATES for b in DATES for c in DATES[:3] for d in (None, date(2024, 3, 2))]
    with sessions.begin() as s:
        s.add_all([Project(code=f"S{i:04d}", name="s", district="海曙区", supervision_start=a, supervision_end=b,
                           construction_start=c, construction_end=d) for i, (a, b, c, d) in enumerate(combos)])
    with sessions() as s:
        projects = list(s.scalars(select(Project)))
        for day in (date(2023, 12, 31), date(2024, 3, 1), date(2024, 3, 2), date(2024, 7, 1)):
            for status in ProjectStatus:
                in_sql = set(s.scalars(select(Project.code).where(status_clause(status, day))))
                in_python = {p.code for p in projects if status_on(p, day).status is status}
                assert in_sql == in_python, (day, status)


def test_status_on_a_day() -> None:
    p = Project(supervision_start=date(2024, 1, 1), supervision_end=date(2024, 3, 1),
                construction_start=date(2024, 1, 10), construction_end=None)
    assert status_on(p, date(2023, 12, 31)).status is ProjectStatus.REGISTERED
    assert status_on(p, date(2024, 1, 1)).status is ProjectStatus.UNDER_SUPERVISION
    on = status_on(p, date(2024, 2, 1))
    assert (on.status, on.under_supervision, on.under_construction) == (ProjectStatus.UNDER_CONSTRUCTION, True, True)
    # Supervision ends on 2024-03-01 (the day itself no longer counts); construction goes on.
    assert status_on(p, date(2024, 3, 1)).under_supervision is False
    p.construction_end = date(2024, 3, 1)
    assert status_on(p, date(2024, 3, 1)).status is ProjectStatus.COMPLETED
    assert status_on(p, date(2024, 3, 1) - timedelta(days=1)).status is ProjectStatus.UNDER_CONSTRUCTION


def test_people(sessions: sessionmaker[Session]) -> None:
    pid = register(sessions, ADMIN, project_values("P1"), [("contractor", ACME)])
    with sessions.begin() as s:
        inspector = register_person(s, kind="inspector", identifier="JD0201", name="王伟", district="海曙区",
                                    districts=DISTRICTS, now=NOW)
        manager = register_person(s, kind="key_personnel", identifier="浙233000001", name="李娜",
                                  enterprise_code=ACME, districts=DISTRICTS, now=NOW)
        link = assign_position(s, pid, manager.id, "project_manager")
        assert assign_position(s, pid, manager.id, "project_manager").id == link.id
        assert inspector.id != manager.id
        with pytest.raises(FieldErrors):
            assign_position(s, pid, manager.id, "boss")
    with sessions.begin() as s:
        with pytest.raises(FieldErrors) as caught:
            register_person(s, kind="inspector", identifier="", name="x", district="火星区", districts=DISTRICTS,
                            now=NOW)
        assert set(caught.value.errors) == {"identifier", "district"}
        with pytest.raises(FieldErrors):
            register_person(s, kind="key_personnel", identifier="Z1", name="x", enterprise_code="bad",
                            districts=DISTRICTS, now=NOW)
        with pytest.raises(Conflict):
            register_person(s, kind="inspector", identifier="JD0201", name="又一个", district="海曙区",
                            districts=DISTRICTS, now=NOW)
    with sessions() as s:
        assert s.scalar(select(ProjectParty.enterprise_code).where(ProjectParty.project_id == pid)) == ACME
