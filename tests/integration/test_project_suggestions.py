"""Suggestions: submitted by anyone, answered by the district's staff (workflows/project/suggestions.py)."""
from __future__ import annotations

import pytest

from engine import FieldErrors, Forbidden, NotFound
from storage import Case, Suggestion

KEY = "project_suggestion"


def test_a_suggestion_on_a_project_goes_to_its_district_and_the_answer_comes_back(duties):
    case_id = duties.start(KEY, duties.acme, data={"category": "system", "title": "日志支持批量上传照片",
                                                   "content": "现场照片较多，希望一次上传多张。", "contact": "13800000000"})
    (row,) = duties.rows(Suggestion)
    assert (row.district, row.submitted_by, row.status, row.project_id) == (
        "海曙区", "acme", "submitted", duties.projects["p1"])
    task = duties.task(case_id, "answer_suggestion")
    assert task.role == "district_admin" and task.district == "海曙区"
    with pytest.raises(NotFound):
        duties.complete(case_id, "answer_suggestion", {"answer": "好的"}, duties.dadmin_jb)
    with pytest.raises(FieldErrors):
        duties.complete(case_id, "answer_suggestion", {"answer": " "}, duties.dadmin)
    duties.complete(case_id, "answer_suggestion", {"answer": "已列入下一版本计划。"}, duties.dadmin)
    (row,) = duties.rows(Suggestion)
    assert (row.status, row.answer, row.answered_by) == ("answered", "已列入下一版本计划。", "dadmin")
    case = duties.case(case_id)
    assert case.status == "completed" and case.data["answer"] == "已列入下一版本计划。"
    assert case.title == "意见建议 · 日志支持批量上传照片"


def test_a_general_suggestion_names_its_district(duties):
    case_id = duties.start(KEY, duties.inspector, project=None,
                           data={"title": "建议增加节假日提醒", "content": "节前提醒企业做好停工安全检查。",
                                 "district": "海曙区"})
    assert duties.case(case_id).district == "海曙区"
    assert duties.task(case_id, "answer_suggestion").district == "海曙区"
    duties.complete(case_id, "answer_suggestion", {"answer": "采纳。"}, duties.dadmin)
    assert duties.rows(Suggestion)[0].category == "other"


def test_bad_suggestions_are_refused_before_anything_is_stored(duties):
    with pytest.raises(FieldErrors) as err:
        duties.start(KEY, duties.acme, data={"title": "", "category": "gossip"})
    assert set(err.value.errors) == {"title", "content", "category"}
    with pytest.raises(FieldErrors) as err:
        duties.start(KEY, duties.acme, project=None, data={"title": "t", "content": "c"})
    assert list(err.value.errors) == ["district"]
    with pytest.raises(FieldErrors) as err:
        duties.start(KEY, duties.acme, project=None, data={"title": "t", "content": "c", "district": "火星区"})
    assert "Unknown district" in err.value.errors["district"][0]
    assert duties.rows(Suggestion) == [] and duties.rows(Case) == []


def test_the_submitter_cannot_answer_its_own_suggestion(duties):
    case_id = duties.start(KEY, duties.acme, data={"title": "t", "content": "c"})
    with pytest.raises(Forbidden):
        duties.complete(case_id, "answer_suggestion", {"answer": "自问自答"}, duties.acme)
    assert duties.rows(Suggestion)[0].status == "submitted"
