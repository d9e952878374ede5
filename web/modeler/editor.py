"""What the model pages hand to the browser: choices for the properties panel, texts, a new diagram.

The properties panel is rendered on the server (labels and choices come from the registries
and the role list, translated like every other page); the hand-written modules under
``static/models/`` only bind it to the selected BPMN element. Strings those modules show by
themselves (status lines, counts) travel in one JSON block, already translated.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_babel import gettext as _

from engine import ServiceRegistry
from forms import FormRegistry
from storage import ROLES

from ..navigation import role_label

# Parameter types SpiffWorkflow records on spiffworkflow:parameter (the engine passes the
# evaluated value whatever the type says; the type documents the intent).
PARAMETER_TYPES = ("any", "str", "int", "float", "bool", "dict", "list")
TIMER_KINDS = ("timeDuration", "timeDate", "timeCycle")
NEW_KEY_PREFIX = "process_"

NEW_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_{key}" targetNamespace="http://oversite/bpmn/{key}">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{key}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    description: str = ""


def new_diagram() -> tuple[str, str]:
    """A fresh diagram (one start event) and its process key, random so it clashes with none."""
    key = NEW_KEY_PREFIX + secrets.token_hex(3)
    return key, NEW_DIAGRAM.format(key=key)


def role_choices() -> list[Choice]:
    """Lane names are role codes (``engine.model_check``): offer every role, labelled."""
    return [Choice(role, f"{role_label(role)} ({role})") for role in ROLES]


def form_choices(forms: FormRegistry) -> list[Choice]:
    return [Choice(f.key, f"{f.title} ({f.key})") for f in forms]


def operation_choices(services: ServiceRegistry) -> list[Choice]:
    return [Choice(op.name, op.name, op.description.splitlines()[0] if op.description else "") for op in services]


def element_type_labels() -> dict[str, str]:
    """Names of the BPMN element types a process owner meets, for the panel's heading."""
    return {
        "bpmn:Process": _("Process"), "bpmn:Collaboration": _("Collaboration"),
        "bpmn:Participant": _("Pool"), "bpmn:Lane": _("Lane"),
        "bpmn:Task": _("Task"), "bpmn:UserTask": _("User task"), "bpmn:ServiceTask": _("Service task"),
        "bpmn:ScriptTask": _("Script task"), "bpmn:ManualTask": _("Manual task"),
        "bpmn:CallActivity": _("Call activity"), "bpmn:SubProcess": _("Subprocess"),
        "bpmn:StartEvent": _("Start event"), "bpmn:EndEvent": _("End event"),
        "bpmn:IntermediateCatchEvent": _("Intermediate catch event"),
        "bpmn:IntermediateThrowEvent": _("Intermediate throw event"),
        "bpmn:BoundaryEvent": _("Boundary event"),
        "bpmn:ExclusiveGateway": _("Exclusive gateway"), "bpmn:ParallelGateway": _("Parallel gateway"),
        "bpmn:InclusiveGateway": _("Inclusive gateway"), "bpmn:EventBasedGateway": _("Event-based gateway"),
        "bpmn:SequenceFlow": _("Sequence flow"), "bpmn:Message": _("Message"), "bpmn:Signal": _("Signal"),
        "bpmn:CorrelationProperty": _("Correlation property"),
        "bpmn:TextAnnotation": _("Text annotation"), "bpmn:DataObjectReference": _("Data object"),
    }


def editor_messages() -> dict[str, str]:
    """Texts the editor module shows; ``{name}`` placeholders are filled in the browser."""
    return {
        "validating": _("Checking the model…"),
        "valid": _("No problems found: the model can be deployed."),
        "problems": _("%(count)s problem(s) found.", count="{count}"),
        "deploying": _("Deploying…"),
        "deployed": _("Deployed: %(key)s version %(version)s.", key="{key}", version="{version}"),
        "unchanged": _("Nothing to deploy: %(key)s version %(version)s is identical.", key="{key}",
                       version="{version}"),
        "refused": _("Not deployed: fix the problems listed."),
        "failed": _("The request failed (%(status)s): %(message)s", status="{status}", message="{message}"),
        "importFailed": _("The diagram cannot be shown: %(message)s", message="{message}"),
        "importWarnings": _("Parts of this file were not understood and will be dropped when it is saved: "
                            "%(details)s", details="{details}"),
        "line": _("line %(line)s", line="{line}"),
        "notInDiagram": _("(not drawn in the diagram)"),
        "notARole": _("%(name)s (not a role)", name="{name}"),
        "unknownChoice": _("%(name)s (not registered)", name="{name}"),
        "unsaved": _("The changes are not deployed yet."),
        "openVersion": _("Open the new version"),
        "noElement": _("(no name)"),
    }


def diff_messages() -> dict[str, str]:
    return {
        "loading": _("Comparing…"),
        "none": _("The two versions have the same elements."),
        "empty": _("(empty)"),
        "layoutOnly": _("moved or resized"),
        "loadFailed": _("The diagram cannot be shown: %(message)s", message="{message}"),
        "changedDetail": _("changed"),
    }
