"""Project initialization: submit, district review, apply (workflows/project/initialization.py)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine import Conflict, FieldErrors, Forbidden, NotFound
from storage import AuditEvent, Enterprise, Person, Project, ProjectInitialization, ProjectParty, ProjectPerson
from storage import ProjectRecord
from tests.fixtures.project_duties import ACME, BUILDER, TODAY, WATCH
from workflows.reference.credit_code import make_credit_code

KEY = "project_initialization"
NEW_SUPERVISOR = make_credit_code("91330203NEWJL001X")


def init_form(**overrides):
    form = {
        "address": "宁波市海曙区望春街道民安路88号", "floor_area_m2": "15820.50", "contract_value_cny": "48800000",
        "construction_start": "2025-07-01", "construction_end": "2027-06-30",
        "builder_code": BUILDER, "builder_name": "海曙城投置业有限公司",
        "contractor_code": ACME, "contractor_name": "浙江艾克米建设集团有限公司",
        "supervisor_code": NEW_SUPERVISOR, "supervisor_name": "宁波新监工程监理有限公司",
        "project_manager": "陈建国", "project_manager_cert": "浙1332015201601234",
        "safety_officer": "王安全", "safety_officer_cert": "浙建安C(2019)0012345",
        "chief_supervisor": "李监理", "chief_supervisor_cert": "33012345",
    }
    form.update(overrides)
    return form


def submit(duties, actor=None, **overrides):
    case_id = duties.start(KEY, actor or duties.acme)
    duties.complete(case_id, "submit_initialization", init_form(**overrides), actor or duties.acme)
    return case_id


def test_acknowledged_initialization_updates_the_project_and_counts(duties):
    case_id = submit(duties)
    (row,) = duties.rows(ProjectInitialization)
    assert row.status == "submitted" and row.round == 1 and row.enterprise_code == ACME
    # Nothing applied before the district confirms.
    with duties.sessions() as s:
        assert s.get(Project, duties.projects["p1"]).floor_area_m2 == Decimal("12000.00")
    duties.complete(case_id, "review_initialization", {"decision": "acknowledged"}, duties.dadmin)

    with duties.sessions() as s:
        project = s.get(Project, duties.projects["p1"])
        assert (project.address, project.floor_area_m2, project.contract_value_cny, project.construction_end) == (
            "宁波市海曙区望春街道民安路88号", Decimal("15820.50"), Decimal("48800000.00"), date(2027, 6, 30))
        parties = {p.party_role: p.enterprise_code for p in
                   s.scalars(select(ProjectParty).where(ProjectParty.project_id == project.id))}
        assert parties == {"builder": BUILDER, "contractor": ACME, "supervisor": NEW_SUPERVISOR}
        assert s.scalars(select(Enterprise.name).where(Enterprise.code == NEW_SUPERVISOR)).one() == "宁波新监工程监理有限公司"
        positions = dict(s.execute(select(ProjectPerson.position, Person.name)
                                   .join(Person, Person.id == ProjectPerson.person_id)
                                   .where(ProjectPerson.project_id == project.id)).all())
        assert positions == {"project_manager": "陈建国", "safety_officer": "王安全", "chief_supervisor": "李监理"}
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "project.initialized")).one()
        assert audit.actor == "dadmin" and audit.data["before"]["floor_area_m2"] == "12000.00"
    assert [(r.kind, r.occurred_on, r.case_id) for r in duties.rows(ProjectRecord)] == [
        ("initialization", TODAY, case_id)]
    assert duties.rows(ProjectInitialization)[0].status == "acknowledged"
    assert duties.case(case_id).status == "completed"


def test_a_returned_submission_starts_a_prefilled_next_round(duties):
    case_id = submit(duties)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "review_initialization", {"decision": "returned"}, duties.dadmin)
    assert list(err.value.errors) == ["comment"]
    duties.complete(case_id, "review_initialization", {"decision": "returned", "comment": "总监证书号有误"},
                    duties.dadmin)
    task = duties.task(case_id, "submit_initialization")
    assert task.data["returned_comment"] == "总监证书号有误" and task.data["chief_supervisor_cert"] == "33012345"
    assert duties.rows(ProjectRecord) == []  # not initialized yet
    duties.complete(case_id, "submit_initialization", init_form(chief_supervisor_cert="33054321"), duties.acme)
    duties.complete(case_id, "review_initialization", {"decision": "acknowledged"}, duties.dadmin)
    rows = duties.rows(ProjectInitialization)
    assert [(r.round, r.status) for r in rows] == [(1, "returned"), (2, "acknowledged")]
    assert len(duties.rows(ProjectRecord, kind="initialization")) == 1
    assert duties.case(case_id).status == "completed"


def test_bad_submissions_are_refused_and_store_nothing(duties):
    case_id = duties.start(KEY, duties.acme)
    bad = init_form(floor_area_m2="-5", builder_code=BUILDER + "1", contractor_code="91330203acme0001x5",
                    construction_end="2025-01-01", supervisor_code=ACME)
    del bad["project_manager"]
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "submit_initialization", bad, duties.acme)
    assert set(err.value.errors) == {"floor_area_m2", "builder_code", "contractor_code", "project_manager"}
    assert "18 characters" in err.value.errors["builder_code"][0]
    assert "lower-case" in err.value.errors["contractor_code"][0]
    with pytest.raises(FieldErrors) as err:  # the schema-wide rules run once the fields are fine
        duties.complete(case_id, "submit_initialization", init_form(construction_end="2025-01-01"), duties.acme)
    assert list(err.value.errors) == ["construction_end"]
    wrong_check = init_form(supervisor_code=NEW_SUPERVISOR[:-1] + ("0" if NEW_SUPERVISOR[-1] != "0" else "1"))
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "submit_initialization", wrong_check, duties.acme)
    assert "wrong check character" in err.value.errors["supervisor_code"][0]
    assert duties.rows(ProjectInitialization) == []


def test_only_one_submission_waits_for_review(duties):
    submit(duties)
    second = duties.start(KEY, duties.watch)
    with pytest.raises(Conflict):
        duties.complete(second, "submit_initialization", init_form(), duties.watch)
    assert len(duties.rows(ProjectInitialization)) == 1


def test_other_enterprises_and_districts_stay_out(duties):
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(NotFound):  # not a party of p1: the task is invisible
        duties.complete(case_id, "submit_initialization", init_form(), duties.other)
    foreign = duties.start(KEY, duties.other)  # a case of its own on p1 still gets nowhere
    with pytest.raises(Forbidden):
        duties.complete(foreign, "submit_initialization", init_form(), duties.other)
    duties.complete(case_id, "submit_initialization", init_form(), duties.acme)
    with pytest.raises(NotFound):  # 江北区's district admin does not review 海曙区's projects
        duties.complete(case_id, "review_initialization", {"decision": "acknowledged"}, duties.dadmin_jb)
    with pytest.raises(Forbidden):  # the enterprise reads its case but does not review itself
        duties.complete(case_id, "review_initialization", {"decision": "acknowledged"}, duties.acme)
    assert duties.rows(ProjectInitialization)[0].status == "submitted"
    with duties.sessions() as s:  # nothing applied: p1's supervising engineer is unchanged
        assert s.scalars(select(ProjectParty.enterprise_code).where(
            ProjectParty.project_id == duties.projects["p1"], ProjectParty.party_role == "supervisor")).one() == WATCH
