"""The project-duty forms on their own: labels, choices and the rules the data alone decide."""
from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from engine import FieldErrors
from forms import FormRegistry
from workflows.project.forms import (
    FORMS,
    DailyLogForm,
    SelfInspectionForm,
    SelfRectificationReviewForm,
    SuggestionForm,
    load_form,
)


def test_every_form_registers_and_describes_its_fields_in_chinese():
    registry = FormRegistry()
    for key, (schema, title, title_en) in FORMS.items():
        registry.register(key, schema, title, title_en)
        described = registry.json_schema(key)
        assert described["title"] == title
        for name, prop in described["properties"].items():
            assert prop.get("title"), f"{key}.{name} has no label"
    log = registry.json_schema("project.daily_log")["properties"]
    assert log["party"]["x-choices"] == {"contractor": "施工单位", "supervisor": "监理单位"}
    assert log["document_ids"]["x-widget"] == "file"


def test_a_daily_log_loads_typed_and_trimmed():
    loaded = DailyLogForm().load({"log_date": "2026-03-02", "party": "supervisor", "weather": "rain",
                                  "workers_on_site": 0, "work_content": "  旁站  "})
    assert loaded["log_date"] == date(2026, 3, 2) and loaded["work_content"] == "旁站"
    assert loaded["document_ids"] == [] and loaded["issues"] == ""


@pytest.mark.parametrize(("data", "field"), [
    ({"workers_on_site": "12"}, "workers_on_site"),      # strict: a number, not text
    ({"workers_on_site": 1.5}, "workers_on_site"),
    ({"document_ids": [0]}, "document_ids"),
    ({"document_ids": list(range(1, 52))}, "document_ids"),
    ({"work_content": "x" * 2001}, "work_content"),
    ({"log_date": "02/03/2026"}, "log_date"),
])
def test_daily_log_bad_values(data, field):
    base = {"log_date": "2026-03-02", "party": "contractor", "weather": "sunny", "workers_on_site": 3,
            "work_content": "施工"}
    with pytest.raises(ValidationError) as err:
        DailyLogForm().load({**base, **data})
    assert field in err.value.messages


def test_blank_findings_are_refused():
    with pytest.raises(ValidationError) as err:
        SelfInspectionForm().load({"inspected_on": "2026-03-02", "party": "contractor", "inspector": "王",
                                   "items": ["rebar"], "findings": ["钢筋间距超差", "  "]})
    assert err.value.messages == {"findings": {1: ["Must not be blank."]}}


def test_an_accepted_verification_needs_no_new_deadline():
    loaded = SelfRectificationReviewForm().load({"verdict": "accepted", "verifier": "李"})
    assert loaded["next_rectify_by"] is None and loaded["comment"] == ""


def test_load_form_ignores_other_task_data_and_reports_field_errors():
    data = {"title": "标题", "content": "内容", "case_id": 3, "project_id": 7, "round": 1}
    assert load_form(SuggestionForm, data)["title"] == "标题"
    with pytest.raises(FieldErrors) as err:
        load_form(SuggestionForm, {"case_id": 3})
    assert set(err.value.errors) == {"title", "content"}
