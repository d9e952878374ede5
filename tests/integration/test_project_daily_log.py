"""Daily work logs end to end on the shipped models (workflows/project/daily_log.py)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine import FieldErrors, Forbidden, NotFound
from storage import DailyLog, MissingDailyLog, ProjectRecord
from tests.fixtures.project_duties import ACME, TODAY

KEY = "project_daily_log"


def log_form(**overrides):
    form = {"log_date": TODAY.isoformat(), "party": "contractor", "weather": "sunny", "workers_on_site": 42,
            "work_content": "3#楼六层梁板钢筋绑扎", "quality_safety": "临边防护到位"}
    form.update(overrides)
    return form


def file_log(duties, actor, **overrides):
    case_id = duties.start(KEY, actor)
    duties.complete(case_id, "write_daily_log", log_form(**overrides), actor)
    return case_id


def test_contractor_and_supervisor_each_file_one_log_a_day(duties):
    photo_case = duties.start(KEY, duties.acme)
    photo = duties.upload(photo_case, duties.acme)
    duties.complete(photo_case, "write_daily_log", log_form(document_ids=[photo]), duties.acme)
    file_log(duties, duties.watch, party="supervisor", work_content="旁站监理：六层梁板混凝土浇筑")

    logs = duties.rows(DailyLog)
    assert [(log.party, log.log_date, log.enterprise_code) for log in logs] == [
        ("contractor", TODAY, ACME), ("supervisor", TODAY, logs[1].enterprise_code)]
    assert logs[0].document_ids == [photo] and logs[0].filed_by == "acme" and logs[0].case_id == photo_case
    records = duties.rows(ProjectRecord, kind="daily_log")
    assert [(r.occurred_on, r.source, r.case_id) for r in records] == [
        (TODAY, "case", photo_case), (TODAY, "case", logs[1].case_id)]
    case = duties.case(photo_case)
    assert case.status == "completed" and case.title == f"工作日志 · 海曙安置房工程 · {TODAY} · 施工单位"


def test_a_second_log_for_the_same_day_and_party_is_a_field_error_and_stores_nothing(duties):
    file_log(duties, duties.acme)
    again = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(again, "write_daily_log", log_form(work_content="重复"), duties.acme)
    assert "already filed its daily log for 2026-03-02" in err.value.errors["log_date"][0]
    assert len(duties.rows(DailyLog)) == 1 and len(duties.rows(ProjectRecord)) == 1
    assert [t.bpmn_id for t in duties.open_tasks(again)] == ["write_daily_log"]  # still waiting, unchanged
    # Another day is fine, and so is the same day for the other party.
    duties.complete(again, "write_daily_log", log_form(log_date=(TODAY - timedelta(days=1)).isoformat()), duties.acme)
    file_log(duties, duties.watch, party="supervisor")
    assert len(duties.rows(DailyLog)) == 3


def test_a_log_dated_in_the_future_or_before_construction_is_refused(duties):
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "write_daily_log", log_form(log_date="2026-03-03"), duties.acme)
    assert err.value.errors == {"log_date": ["2026-03-03 is in the future (today is 2026-03-02)."]}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "write_daily_log", log_form(log_date="2025-06-30"), duties.acme)
    assert "before construction started (2025-07-01)" in err.value.errors["log_date"][0]
    assert duties.rows(DailyLog) == [] and duties.rows(ProjectRecord) == []


def test_today_is_the_local_day_not_the_utc_day(duties):
    # 2026-03-02 17:30 UTC is already 2026-03-03 01:30 in Shanghai: a log for the 3rd is fine then.
    duties.clock.advance(timedelta(hours=16, minutes=30))
    file_log(duties, duties.acme, log_date="2026-03-03")
    assert [log.log_date for log in duties.rows(DailyLog)] == [date(2026, 3, 3)]


def test_missing_and_bad_fields_are_reported_field_by_field(duties):
    case_id = duties.start(KEY, duties.acme)
    bad = {"log_date": "2026-02-30", "party": "builder", "workers_on_site": -1, "work_content": "   ",
           "document_ids": ["x"], "surprise": 1}
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "write_daily_log", bad, duties.acme)
    assert set(err.value.errors) == {"log_date", "party", "weather", "workers_on_site", "work_content",
                                     "document_ids", "surprise"}
    assert err.value.errors["weather"] == ["Missing data for required field."]
    assert err.value.errors["work_content"] == ["Must not be blank."]
    assert duties.rows(DailyLog) == []


def test_documents_must_belong_to_the_case(duties):
    elsewhere = duties.start(KEY, duties.acme)
    foreign = duties.upload(elsewhere, duties.acme)
    case_id = duties.start(KEY, duties.acme)
    with pytest.raises(FieldErrors) as err:
        duties.complete(case_id, "write_daily_log", log_form(document_ids=[foreign, 999]), duties.acme)
    assert err.value.errors["document_ids"] == [
        f"Documents {foreign}, 999 were not uploaded to case {case_id}: upload the files to this case first."]


def test_only_the_party_itself_files_its_log(duties):
    # The supervising engineer cannot file the contractor's log.
    case_id = duties.start(KEY, duties.watch)
    with pytest.raises(Forbidden):
        duties.complete(case_id, "write_daily_log", log_form(party="contractor"), duties.watch)
    # An enterprise that is no party of the project does not even see the task.
    with pytest.raises(NotFound):
        duties.complete(case_id, "write_daily_log", log_form(), duties.other)
    # Nor can it file on its own case started for someone else's project.
    own = duties.start(KEY, duties.other)
    with pytest.raises(Forbidden):
        duties.complete(own, "write_daily_log", log_form(), duties.other)
    assert duties.rows(DailyLog) == []


def test_spoofed_project_in_the_start_data_is_ignored(duties):
    # The case's project decides, not a project_id slipped into the start data.
    case_id = duties.start(KEY, duties.acme, data={"project_id": duties.projects["p2"]})
    duties.complete(case_id, "write_daily_log", log_form(), duties.acme)
    assert [log.project_id for log in duties.rows(DailyLog)] == [duties.projects["p1"]]


def test_a_late_log_resolves_the_missing_log_the_district_saw(duties):
    yesterday = TODAY - timedelta(days=3)  # Friday 2026-02-27
    with duties.sessions.begin() as s:
        s.add(MissingDailyLog(project_id=duties.projects["p1"], district="海曙区", party="contractor",
                              log_date=yesterday, enterprise_code=ACME, detected_at=duties.clock.now()))
    case_id = file_log(duties, duties.acme, log_date=yesterday.isoformat())
    (missing,) = duties.rows(MissingDailyLog)
    assert missing.resolved_case_id == case_id and missing.resolved_at == duties.clock.now()
    (task_case,) = [duties.case(case_id)]
    assert task_case.status == "completed"
