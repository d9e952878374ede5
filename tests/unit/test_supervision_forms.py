"""``workflows.supervision.forms``: what the schemas alone refuse, and their Chinese labels."""
from __future__ import annotations

from typing import Any

import pytest
from marshmallow import ValidationError

from forms import FormRegistry
from workflows.supervision.forms import FORMS, register_forms


@pytest.fixture
def registry() -> FormRegistry:
    forms = FormRegistry()
    register_forms(forms, min_inspectors=3)
    return forms


def load(registry: FormRegistry, key: str, data: dict[str, Any]) -> dict[str, Any]:
    schema = registry.schema(key)
    assert schema is not None
    return schema.load(data)  # type: ignore[no-any-return]


def errors(registry: FormRegistry, key: str, data: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as exc:
        load(registry, key, data)
    return exc.value.messages  # type: ignore[return-value]


def test_every_form_is_registered_with_chinese_labels(registry: FormRegistry) -> None:
    assert sorted(f.key for f in registry) == sorted(FORMS)
    for key in FORMS:
        schema = registry.json_schema(key)
        assert schema is not None
        for name, prop in schema["properties"].items():
            assert prop.get("title") and not prop["title"].isascii(), f"{key}.{name} has no Chinese label"


def test_the_configured_team_size_is_bound_in(registry: FormRegistry) -> None:
    data = {"inspectors": ["a", "b"], "briefing_on": "2026-03-04"}
    assert errors(registry, "supervision.assignment", data) == {
        "inspectors": ["At least 3 different inspectors are required."]}
    assert load(registry, "supervision.assignment", {**data, "inspectors": ["a", "b", "c"]})["lead_inspector"] == ""


def test_choices_are_enumerations_with_labels(registry: FormRegistry) -> None:
    prop = registry.json_schema("supervision.review")["properties"]["result"]  # type: ignore[index]
    assert prop["enum"] == ["accepted", "rejected"] and prop["x-choices"]["accepted"].startswith("整改合格")


def test_document_fields_are_lists_of_ids(registry: FormRegistry) -> None:
    base = {"measures": "已整改", "completed_on": "2026-03-02"}
    assert "evidence" in errors(registry, "supervision.rectification_reply", {**base, "evidence": ["abc"]})
    assert "evidence" in errors(registry, "supervision.rectification_reply", {**base, "evidence": [0]})
    assert "evidence" in errors(registry, "supervision.rectification_reply", {**base, "evidence": "5"})
    assert load(registry, "supervision.rectification_reply", {**base, "evidence": [5, 6]})["evidence"] == [5, 6]


def test_blank_required_text_is_missing(registry: FormRegistry) -> None:
    messages = errors(registry, "supervision.escalation", {"decision": "stop_work", "reasons": "   ",
                                                           "new_deadline": "2026-03-20"})
    assert messages == {"reasons": ["Must not be blank."]}


def test_a_new_deadline_only_for_a_rejected_review(registry: FormRegistry) -> None:
    data = {"reviewed_on": "2026-03-02", "result": "accepted", "opinion": "合格", "next_deadline": "2026-03-20"}
    assert "next_deadline" in errors(registry, "supervision.review", data)
