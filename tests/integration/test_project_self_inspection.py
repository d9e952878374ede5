"""Weekly self-inspection and its rectification rounds (workflows/project/self_inspection.py)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine import FieldErrors, Forbidden, NotFound
from storage import Case, Document, ProcessInstance, ProjectRecord, SelfInspection, SelfRectification
from storage.docx_render import docx_text
from tests.fixtures.project_duties import HAISHU, TODAY

KEY = "project_self_inspection"


def inspection_form(**overrides):
    form = {"inspected_on": TODAY.isoformat(), "party": "contractor", "inspector": "王安全",
            "items": ["edge_protection", "temporary_power"]}
    form.update(overrides)
    return form


def test_an_inspection_without_findings_closes_at_once(duties):
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(), duties.acme)
    (inspection,) = duties.rows(SelfInspection)
    assert inspection.status == "passed" and inspection.rectify_by is None and inspection.findings == []
    assert [(r.kind, r.occurred_on) for r in duties.rows(ProjectRecord)] == [("self_inspection", TODAY)]
    assert duties.case(case_id).status == "completed"


def test_findings_loop_through_rounds_until_verified(duties):
    case_id = duties.start(KEY, duties.acme)
    photo = duties.upload(case_id, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(
        findings=["2#楼四层临边防护缺失", "配电箱未加锁"], hazard_level="major", rectify_by="2026-03-05",
        document_ids=[photo]), duties.acme)
    (inspection,) = duties.rows(SelfInspection)
    assert inspection.status == "rectifying" and inspection.rectify_by == date(2026, 3, 5)
    # The inspection record is rendered and linked to the case.
    (record,) = duties.rows(Document, kind="self_inspection_record")
    assert record.case_id == case_id and record.filename == "日常检查记录-P1-2026-03-02.docx"
    with duties.sessions() as s:
        text = docx_text(duties.documents.read(s, record.id)[1])
    for expected in ("日常检查记录", "海曙安置房工程", "临边洞口防护、施工临时用电", "重大隐患", "2026年3月5日",
                     "1. 2#楼四层临边防护缺失", "2. 配电箱未加锁", "2026年3月2日"):
        assert expected in text
    # Round 1 is open with its owner (the case's project parties) and its due date.
    rectify = duties.task(case_id, "rectify")
    assert rectify.due_at == datetime(2026, 3, 5, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
    assert rectify.data["rectification"]["findings"] == ["2#楼四层临边防护缺失", "配电箱未加锁"]
    evidence = duties.upload(case_id, duties.acme, "after.png")
    duties.complete(case_id, "rectify", {"measures": "已补设防护栏杆", "rectified_on": "2026-03-02",
                                         "evidence_document_ids": [evidence]}, duties.acme)
    # The supervising engineer verifies and rejects: a new deadline, round 2.
    duties.complete(case_id, "verify", {"verdict": "rejected", "verifier": "李监理", "comment": "配电箱仍未加锁",
                                        "next_rectify_by": "2026-03-06"}, duties.watch)
    assert duties.rows(SelfInspection)[0].rectify_by == date(2026, 3, 6)
    round_two = duties.task(case_id, "rectify")
    assert round_two.due_at == datetime(2026, 3, 6, 15, 59, 59, tzinfo=timezone.utc)
    duties.clock.advance(timedelta(days=1))
    duties.complete(case_id, "rectify", {"measures": "配电箱已加锁", "rectified_on": "2026-03-03",
                                         "evidence_document_ids": [evidence]}, duties.acme)
    duties.complete(case_id, "verify", {"verdict": "accepted", "verifier": "李监理"}, duties.watch)

    (inspection,) = duties.rows(SelfInspection)
    assert inspection.status == "closed" and inspection.rounds == 2 and inspection.closed_at is not None
    rounds = duties.rows(SelfRectification)
    assert [(r.round, r.due_on, r.verdict, r.submitted_by, r.verified_by) for r in rounds] == [
        (1, date(2026, 3, 5), "rejected", "acme", "watch"), (2, date(2026, 3, 6), "accepted", "acme", "watch")]
    assert rounds[0].evidence_document_ids == [evidence]
    assert duties.open_tasks(case_id) == [] and duties.case(case_id).status == "completed"
    # One short instance per round: the inspection's and one for each of the two rounds.
    assert [i.status for i in duties.rows(ProcessInstance, case_id=case_id)] == ["completed"] * 3
    assert len(duties.rows(ProjectRecord, kind="self_inspection")) == 1


def test_default_deadline_runs_from_today(duties):
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(inspected_on="2026-02-20", findings=["材料堆放混乱"]),
                    duties.acme)
    # 7 days (SELF_RECTIFICATION_DEADLINE_DAYS) from today, not from an inspection entered late.
    assert duties.rows(SelfInspection)[0].rectify_by == TODAY + timedelta(days=7)


def test_bad_inspections_are_refused_field_by_field(duties):
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "self_inspect", {"party": "contractor", "items": []}, duties.acme)
    assert set(err.value.errors) == {"inspected_on", "inspector", "items"}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "self_inspect", inspection_form(findings=["a"], rectify_by="2026-03-01",
                                                                 inspected_on="2026-02-27"), duties.acme)
    assert err.value.errors == {"rectify_by": [
        "The deadline 2026-03-01 has already passed (today is 2026-03-02)."]}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "self_inspect", inspection_form(inspected_on="2026-03-09"), duties.acme)
    assert list(err.value.errors) == ["inspected_on"]
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "self_inspect", inspection_form(rectify_by="2026-03-09"), duties.acme)
    assert err.value.errors == {"rectify_by": ["A rectification deadline needs findings to rectify."]}
    assert duties.rows(SelfInspection) == [] and duties.rows(ProjectRecord) == []


def test_bad_rectification_replies_and_verifications_are_refused(duties):
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(findings=["脚手架连墙件缺失"]), duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "rectify", {"measures": "已整改", "rectified_on": "2026-03-04"}, duties.acme)
    assert set(err.value.errors) == {"evidence_document_ids"}  # evidence is required
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "rectify", {"measures": "已整改", "rectified_on": "2026-03-04",
                                             "evidence_document_ids": [12345]}, duties.acme)
    assert set(err.value.errors) == {"rectified_on", "evidence_document_ids"}
    evidence = duties.upload(case_id, duties.acme)
    duties.complete(case_id, "rectify", {"measures": "已整改", "rectified_on": "2026-03-02",
                                         "evidence_document_ids": [evidence]}, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "verify", {"verdict": "rejected", "verifier": "李监理"}, duties.watch)
    assert set(err.value.errors) == {"comment", "next_rectify_by"}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "verify", {"verdict": "rejected", "verifier": "李监理", "comment": "未整改",
                                            "next_rectify_by": "2026-03-01"}, duties.watch)
    assert list(err.value.errors) == ["next_rectify_by"]
    (round_one,) = duties.rows(SelfRectification)
    assert round_one.verdict is None and duties.rows(SelfInspection)[0].rectify_by == TODAY + timedelta(days=7)


def test_other_enterprises_cannot_work_the_rounds(duties):
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(findings=["塔吊限位失灵"]), duties.acme)
    with pytest.raises(NotFound):
        duties.complete(case_id, "rectify", {"measures": "x", "rectified_on": "2026-03-02",
                                             "evidence_document_ids": [1]}, duties.other)


def test_a_round_cannot_be_started_for_an_inspection_of_another_case(duties):
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(findings=["基坑临边无防护"]), duties.acme)
    (inspection,) = duties.rows(SelfInspection)
    with pytest.raises(NotFound):
        duties.start("project_self_rectification", duties.acme, data={"inspection_id": inspection.id, "round": 2})
    assert len(duties.rows(Case)) == 1  # the refused start left no case behind
    assert len(duties.rows(SelfRectification)) == 1


def _with_findings(duties, rectify_by: str = "2026-03-05") -> int:
    case_id = duties.start(KEY, duties.acme)
    duties.complete(case_id, "self_inspect", inspection_form(findings=["配电箱未加锁"], rectify_by=rectify_by),
                    duties.acme)
    return case_id


def _overdue(duties, until: datetime) -> int:
    """Move the clock to ``until`` and fire the timers due (as the worker does)."""
    duties.clock.set(until)
    return duties.engine.fire_due_timers(duties.sessions)


def test_an_overdue_rectification_is_reminded_then_answered_late(duties):
    case_id = _with_findings(duties)
    # The deadline is 5 March, end of day in Ningbo: nothing happens a minute before it.
    assert _overdue(duties, datetime(2026, 3, 5, 15, 58, tzinfo=timezone.utc)) == 0
    assert _overdue(duties, datetime(2026, 3, 5, 16, 1, tzinfo=timezone.utc)) == 1
    late = duties.task(case_id, "rectify_late")
    assert [t.bpmn_id for t in duties.open_tasks(case_id)] == ["rectify_late"]  # the first reply task is gone
    assert late.due_at == duties.clock.now() + timedelta(days=3)  # SELF_RECTIFICATION_GRACE_DAYS
    (row,) = duties.rows(SelfRectification)
    assert row.reminded_at == duties.clock.now() and row.escalated_at is None
    evidence = duties.upload(case_id, duties.acme, "after.png")
    duties.complete(case_id, "rectify_late", {"measures": "配电箱已加锁", "rectified_on": "2026-03-06",
                                              "evidence_document_ids": [evidence]}, duties.acme)
    duties.complete(case_id, "verify", {"verdict": "accepted", "verifier": "李监理"}, duties.watch)
    (inspection,) = duties.rows(SelfInspection)
    assert inspection.status == "closed" and duties.case(case_id).status == "completed"


def test_still_overdue_after_the_reminder_goes_to_the_district_admin(duties):
    case_id = _with_findings(duties)
    _overdue(duties, datetime(2026, 3, 5, 16, 1, tzinfo=timezone.utc))
    assert _overdue(duties, duties.clock.now() + timedelta(days=3, minutes=1)) == 1
    escalate = duties.task(case_id, "escalate")
    assert escalate.role == "district_admin" and escalate.district == HAISHU
    assert escalate.due_at == duties.clock.now() + timedelta(days=3)  # SELF_RECTIFICATION_ESCALATION_DAYS
    with duties.sessions.begin() as s, pytest.raises(NotFound):
        duties.engine.claim(s, escalate.id, duties.dadmin_jb)  # another district's admin does not see it
    with duties.sessions.begin() as s, pytest.raises(Forbidden):
        duties.engine.claim(s, escalate.id, duties.acme)  # the enterprise reads it but does not decide
    # A new deadline already past is refused, and nothing changes.
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "escalate", {"decision": "order_rectification", "reasons": "催告后仍未整改",
                                              "new_deadline": "2026-03-08"}, duties.dadmin)
    assert set(err.value.errors) == {"new_deadline"} and duties.task(case_id, "escalate").id == escalate.id
    duties.complete(case_id, "escalate", {"decision": "order_rectification", "reasons": "催告后仍未整改",
                                          "new_deadline": "2026-03-16"}, duties.dadmin)
    first, second = duties.rows(SelfRectification)
    assert (first.escalation, first.escalated_by, first.submitted_at) == ("order_rectification", "dadmin", None)
    assert (second.round, second.due_on) == (2, date(2026, 3, 16))
    assert duties.task(case_id, "rectify").due_at == datetime(2026, 3, 16, 15, 59, 59, tzinfo=timezone.utc)
    assert duties.rows(SelfInspection)[0].status == "rectifying"
