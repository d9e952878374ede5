"""The supervision family's shipped models: they deploy, and no step is without owner or due date."""
from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, ProcessEngine
from web.config import DEFAULTS
from workflows import bpmn_files, build_registries
from workflows.supervision import FAMILY

from .driver import START

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FILES = bpmn_files([FAMILY])
KEYS = {"supervision_case", "supervision_inspection", "rectification_round", "completion_acceptance"}


def test_the_family_ships_its_four_processes() -> None:
    roots = [etree.fromstring(f.data) for f in FILES]
    assert {p for r in roots for p in r.xpath("//bpmn:process/@id", namespaces=NS)} == KEYS


def test_the_models_deploy_with_the_registered_forms_and_operations(session_factory: sessionmaker[Session]) -> None:
    registries = build_registries(DEFAULTS)
    engine = ProcessEngine(clock=FixedClock(START), services=registries.services, forms=registries.forms)
    with session_factory() as session:
        assert engine.validate(session, FILES) == []


@pytest.mark.parametrize("model", FILES, ids=lambda f: f.filename)
def test_every_user_task_has_a_role_a_form_and_a_due_date(model) -> None:  # type: ignore[no-untyped-def]
    root = etree.fromstring(model.data)
    in_lanes = set(root.xpath("//bpmn:lane/bpmn:flowNodeRef/text()", namespaces=NS))
    for task in root.xpath("//bpmn:userTask", namespaces=NS):
        props = {p.get("name"): p.get("value") for p in task.xpath(".//spiffworkflow:property", namespaces=NS)}
        assert task.get("id") in in_lanes, f"{task.get('id')} has no lane"
        assert props.get("formKey", "").startswith("supervision."), f"{task.get('id')} has no form"
        assert props.get("dueIn"), f"{task.get('id')} has no due date"


@pytest.mark.parametrize("model", FILES, ids=lambda f: f.filename)
def test_timers_are_durations_on_the_engine_clock(model) -> None:  # type: ignore[no-untyped-def]
    root = etree.fromstring(model.data)
    assert not root.xpath("//bpmn:timeDate | //bpmn:timeCycle", namespaces=NS)
    for timer in root.xpath("//bpmn:timeDuration", namespaces=NS):
        assert "now()" in timer.text
