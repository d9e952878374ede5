"""Stage acceptances (workflows/project/acceptance.py)."""
from __future__ import annotations

import pytest

from engine import FieldErrors, Forbidden, NotFound
from storage import ProjectRecord, StageAcceptance
from tests.fixtures.project_duties import TODAY

KEY = "project_acceptance"


def acceptance_form(**overrides):
    form = {"stage": "main_structure", "accepted_on": "2026-02-27",
            "participant_units": ["builder", "contractor", "supervisor", "designer"],
            "participants": ["张建设", "陈建国", "李监理", "赵设计"], "result": "passed", "remarks": "同意验收"}
    form.update(overrides)
    return form


def test_a_stage_acceptance_is_recorded_with_its_documents(duties):
    case_id = duties.start(KEY, duties.acme)
    record = duties.upload(case_id, duties.acme, "record.png")
    duties.complete(case_id, "record_acceptance", acceptance_form(document_ids=[record]), duties.acme)
    (row,) = duties.rows(StageAcceptance)
    assert (row.stage, str(row.accepted_on), row.result, row.document_ids, row.recorded_by) == (
        "main_structure", "2026-02-27", "passed", [record], "acme")
    assert row.participants == ["张建设", "陈建国", "李监理", "赵设计"]
    assert [(r.kind, str(r.occurred_on)) for r in duties.rows(ProjectRecord)] == [("acceptance", "2026-02-27")]
    assert duties.case(case_id).title == "工程验收 · 海曙安置房工程 · 主体结构分部验收"


def test_a_failed_stage_may_be_held_again_but_a_passed_one_only_once(duties):
    first = duties.start(KEY, duties.acme)
    duties.complete(first, "record_acceptance", acceptance_form(result="failed", remarks="混凝土强度不足"), duties.acme)
    second = duties.start(KEY, duties.watch)
    duties.complete(second, "record_acceptance", acceptance_form(accepted_on=TODAY.isoformat()), duties.watch)
    third = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(third, "record_acceptance", acceptance_form(accepted_on=TODAY.isoformat()), duties.acme)
    assert err.value.errors == {"stage": ["The stage 主体结构分部验收 was already accepted on 2026-03-02."]}
    assert [r.result for r in duties.rows(StageAcceptance)] == ["failed", "passed"]
    assert len(duties.rows(ProjectRecord, kind="acceptance")) == 2


def test_bad_acceptances_are_refused(duties):
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "record_acceptance", acceptance_form(
            stage="roof", participants=["一个人"], result="ok", participant_units=["builder", "alien"]), duties.acme)
    assert set(err.value.errors) == {"stage", "participants", "result", "participant_units"}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "record_acceptance", acceptance_form(participant_units=["builder", "designer"]),
                        duties.acme)
    assert "missing: 施工单位、监理单位" in err.value.errors["participant_units"][0]
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "record_acceptance", acceptance_form(accepted_on="2026-03-10"), duties.acme)
    assert list(err.value.errors) == ["accepted_on"]
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "record_acceptance", {}, duties.acme)
    assert set(err.value.errors) == {"stage", "accepted_on", "participant_units", "participants", "result"}
    assert duties.rows(StageAcceptance) == [] and duties.rows(ProjectRecord) == []


def test_only_the_projects_parties_record_acceptances(duties):
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(NotFound):
        duties.complete(case_id, "record_acceptance", acceptance_form(), duties.other)
    with pytest.raises(Forbidden):  # a district admin reads the case but the task is the enterprise's
        duties.complete(case_id, "record_acceptance", acceptance_form(), duties.dadmin)
    assert duties.rows(StageAcceptance) == []
