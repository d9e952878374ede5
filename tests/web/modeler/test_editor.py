"""What the editor offers: choices from the registries and a descriptor for every extension."""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask
from lxml import etree

from storage import ROLES
from web.modeler import editor
from web.navigation import role_label
from web.services import Services

ROOT = Path(__file__).resolve().parents[3]
DESCRIPTOR = ROOT / "web" / "static" / "models" / "spiffworkflow.json"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# Extension elements SpiffWorkflow 3.2 reads (spiff/parser) and model_check relies on.
ENGINE_TAGS = {"properties", "property", "serviceTaskOperator", "parameters", "parameter", "variableName",
               "messageVariable", "messagePayload", "processVariableCorrelation", "preScript", "postScript",
               "calledDecisionId", "unitTests", "unitTest", "taskMetadataValues", "taskMetadataValue"}


def descriptor_tags() -> set[str]:
    data = json.loads(DESCRIPTOR.read_text())
    assert data["uri"] == SPIFF_NS and data["prefix"] == "spiffworkflow"
    assert data["xml"] == {"tagAlias": "lowerCase"}
    return {t["name"][0].lower() + t["name"][1:] for t in data["types"]}


def test_descriptor_covers_every_extension_the_engine_reads() -> None:
    assert ENGINE_TAGS <= descriptor_tags()


def test_descriptor_covers_every_extension_in_shipped_and_reference_models() -> None:
    # A spiffworkflow element the descriptor does not know would be dropped by the modeler.
    # Child elements with text only (propertyId, expression…) are properties, not types.
    children = {"propertyId", "expression", "inputJson", "expectedOutputJson"}
    paths = [*ROOT.glob("workflows/**/*.bpmn"), *(ROOT.parent / "shared" / "reference").glob("*.bpmn")]
    used: set[str] = set()
    for path in paths:
        for node in etree.parse(str(path)).iter(f"{{{SPIFF_NS}}}*"):
            used.add(etree.QName(node).localname)
    assert used - children <= descriptor_tags(), sorted(used - children - descriptor_tags())


def test_new_diagram_has_a_fresh_valid_key() -> None:
    first, xml = editor.new_diagram()
    second, _ = editor.new_diagram()
    assert first != second and re.fullmatch(r"process_[0-9a-f]{6}", first)
    root = etree.fromstring(xml.encode())
    (process,) = root.findall("{http://www.omg.org/spec/BPMN/20100524/MODEL}process")
    assert process.get("id") == first and process.get("isExecutable") == "true"


def test_choices_come_from_the_registries(app: Flask, services: Services) -> None:
    with app.test_request_context("/?lang=zh_CN"):
        roles = editor.role_choices()
        inspector = f"{role_label('inspector')} (inspector)"
        operations = editor.operation_choices(services.registries.services)
        forms = editor.form_choices(services.registries.forms)
    assert [r.value for r in roles] == list(ROLES)
    assert roles[ROLES.index("inspector")].label == inspector and not inspector.startswith("Inspector")
    assert [o.value for o in operations] == [op.name for op in services.registries.services]
    start = next(o for o in operations if o.value == "case.start_process")
    assert start.description.startswith("Start another instance")
    assert [f.value for f in forms] == [f.key for f in services.registries.forms]
