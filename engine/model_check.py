"""Checks of a BPMN model that SpiffWorkflow does not make, reporting every problem at once.

Each problem names the element id and source line so the editor can select the element.
"""
from __future__ import annotations

from collections.abc import Container, Iterable

from lxml import etree

from storage import ProcessDefinition, Task, WaitingEvent

from . import expressions
from .bpmn_xml import NSMAP, element_id
from .errors import Problem

FORM_KEY_PROPERTY = "formKey"
DUE_PROPERTY = "dueIn"
ENTERPRISE_PROPERTY = "enterpriseCode"  # the one enterprise a task is for (engine.projection.task_enterprise)
ENTERPRISE_ROLE = "enterprise"


def _xpath(root: etree._Element, path: str) -> list[etree._Element]:
    return root.xpath(path, namespaces=NSMAP)  # type: ignore[no-any-return]


def _expr_problems(node: etree._Element, source: str | None, what: str, filename: str,
                   script: bool = False) -> list[Problem]:
    if source is None or not source.strip():
        return [Problem(f"{what} is empty", element_id(node), node.sourceline, filename)]
    found = (expressions.check_script if script else expressions.check_expression)(source)
    problems = []
    for err in found:
        line = node.sourceline
        if script and err.line is not None and line is not None:
            line = line + err.line - 1
        problems.append(Problem(f"{what}: {err.message}", element_id(node), line, filename))
    return problems


def _properties(task: etree._Element) -> dict[str, etree._Element]:
    return {
        p.get("name"): p
        for p in _xpath(task, "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property")
    }


def check_model(
    root: etree._Element,
    filename: str,
    *,
    forms: Container[str],
    operations: Container[str],
    roles: Container[str],
) -> list[Problem]:
    """All Oversite-specific problems of one parsed BPMN file."""
    problems: list[Problem] = []
    if not _xpath(root, "./bpmn:process[@isExecutable='true']"):
        problems.append(Problem("no executable process (set isExecutable=\"true\")",
                                element_id(root), root.sourceline, filename))
    problems += _check_expressions(root, filename)
    problems += _check_user_tasks(root, filename, forms)
    problems += _check_service_tasks(root, filename, operations)
    problems += _check_lanes(root, filename, roles)
    problems += _check_gateways(root, filename)
    problems += _check_lengths(root, filename)
    return problems


def _check_expressions(root: etree._Element, filename: str) -> list[Problem]:
    problems: list[Problem] = []
    for node in _xpath(root, "//bpmn:sequenceFlow/bpmn:conditionExpression"):
        problems += _expr_problems(node, node.text, "condition", filename)
    for node in _xpath(root, "//bpmn:scriptTask"):
        script = _xpath(node, "./bpmn:script")
        problems += _expr_problems(script[0] if script else node,
                                   script[0].text if script else None, "script", filename, script=True)
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in _xpath(root, f"//bpmn:timerEventDefinition/bpmn:{tag}"):
            problems += _expr_problems(node, node.text, "timer expression", filename)
    for node in _xpath(root, "//spiffworkflow:processVariableCorrelation/spiffworkflow:expression"):
        problems += _expr_problems(node, node.text, "correlation expression", filename)
    for node in _xpath(root, "//bpmn:correlationPropertyRetrievalExpression/bpmn:formalExpression"):
        problems += _expr_problems(node, node.text, "correlation retrieval expression", filename)
    for tag in ("preScript", "postScript"):
        for node in _xpath(root, f"//spiffworkflow:{tag}"):
            if node.text and node.text.strip():
                problems += _expr_problems(node, node.text, tag, filename, script=True)
    return problems


def _check_user_tasks(root: etree._Element, filename: str, forms: Container[str]) -> list[Problem]:
    problems: list[Problem] = []
    for task in _xpath(root, "//bpmn:userTask"):
        props = _properties(task)
        form = props.get(FORM_KEY_PROPERTY)
        if form is not None and form.get("value") not in forms:
            problems.append(Problem(f"user task uses unknown form key {form.get('value')!r}",
                                    task.get("id"), form.sourceline, filename))
        due = props.get(DUE_PROPERTY)
        if due is not None:
            problems += _expr_problems(due, due.get("value"), "due expression (dueIn)", filename)
        addressed = props.get(ENTERPRISE_PROPERTY)
        if addressed is not None:
            problems += _expr_problems(addressed, addressed.get("value"),
                                       f"enterprise expression ({ENTERPRISE_PROPERTY})", filename)
            lanes = [(lane.get("name") or "").strip()
                     for lane in _xpath(root, "//bpmn:lane") if task.get("id") in _lane_members(lane)]
            if set(lanes) != {ENTERPRISE_ROLE}:
                problems.append(Problem(
                    f"{ENTERPRISE_PROPERTY} gives the task to one enterprise: put the task in the "
                    f"{ENTERPRISE_ROLE!r} lane", task.get("id"), addressed.sourceline, filename))
    return problems


def _lane_members(lane: etree._Element) -> set[str]:
    return {(ref.text or "").strip() for ref in _xpath(lane, "./bpmn:flowNodeRef")}


def _check_service_tasks(root: etree._Element, filename: str, operations: Container[str]) -> list[Problem]:
    problems: list[Problem] = []
    for task in _xpath(root, "//bpmn:serviceTask"):
        ops = _xpath(task, "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator")
        if not ops:
            problems.append(Problem("service task names no operation (spiffworkflow:serviceTaskOperator)",
                                    task.get("id"), task.sourceline, filename))
            continue
        name = ops[0].get("id")
        if name not in operations:
            problems.append(Problem(f"service task names unregistered operation {name!r}",
                                    task.get("id"), ops[0].sourceline, filename))
        for param in _xpath(ops[0], ".//spiffworkflow:parameter"):
            problems += _expr_problems(param, param.get("value"),
                                       f"parameter {param.get('id')!r}", filename)
    return problems


def _check_lanes(root: etree._Element, filename: str, roles: Container[str]) -> list[Problem]:
    problems: list[Problem] = []
    for lane in _xpath(root, "//bpmn:lane"):
        name = (lane.get("name") or "").strip()
        if name not in roles:
            problems.append(Problem(
                f"lane {name!r} is not a role (lanes name the role that works their tasks)",
                lane.get("id"), lane.sourceline, filename))
    return problems


def _check_gateways(root: etree._Element, filename: str) -> list[Problem]:
    problems: list[Problem] = []
    flows = {f.get("id"): f for f in _xpath(root, "//bpmn:sequenceFlow")}
    for gw in _xpath(root, "//bpmn:exclusiveGateway | //bpmn:inclusiveGateway"):
        outgoing = [f for f in flows.values() if f.get("sourceRef") == gw.get("id")]
        if len(outgoing) < 2:
            continue
        default = gw.get("default")
        for flow in outgoing:
            if flow.get("id") != default and not _xpath(flow, "./bpmn:conditionExpression"):
                problems.append(Problem(
                    "an outgoing flow of a branching gateway needs a condition or must be the default",
                    flow.get("id"), flow.sourceline, filename))
    return problems


def _width(column: object) -> int:
    return column.type.length  # type: ignore[attr-defined, no-any-return]


# Text a step copies from the model into the inbox and the event index (``engine.projection``)
# must fit those columns: PostgreSQL refuses a longer value (SQLite stores it whole), which
# failed the step instead of the deployment.
_LENGTH_CHECKS: tuple[tuple[str, str, str, int], ...] = (
    ("./bpmn:process", "id", "process id", _width(ProcessDefinition.__table__.c.key)),
    ("./bpmn:process", "name", "process name", _width(ProcessDefinition.__table__.c.name)),
    ("./bpmn:process//*[@id]", "id", "element id", _width(Task.__table__.c.bpmn_id)),
    ("//bpmn:userTask | //bpmn:manualTask", "name", "task name", _width(Task.__table__.c.name)),
    ("//bpmn:signal", "name", "signal name", _width(WaitingEvent.__table__.c.name)),
    ("//bpmn:message", "name", "message name", _width(WaitingEvent.__table__.c.name)),
    ("//bpmn:intermediateCatchEvent | //bpmn:boundaryEvent | //bpmn:startEvent", "name", "event name",
     _width(WaitingEvent.__table__.c.name)),
)


def _check_lengths(root: etree._Element, filename: str) -> list[Problem]:
    problems: list[Problem] = []
    for path, attribute, what, limit in _LENGTH_CHECKS:
        for node in _xpath(root, path):
            value = node.get(attribute) or ""
            if len(value) > limit:
                problems.append(Problem(f"{what} is longer than {limit} characters: {value[:40]}…",
                                        element_id(node), node.sourceline, filename))
    return problems


def called_elements(root: etree._Element) -> set[str]:
    return {n.get("calledElement") for n in _xpath(root, "//bpmn:callActivity") if n.get("calledElement")}


def process_ids(root: etree._Element, executable_only: bool = True) -> list[str]:
    path = "./bpmn:process[@isExecutable='true']" if executable_only else "./bpmn:process"
    return [p.get("id") for p in _xpath(root, path)]


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple[object, ...]] = set()
    out = []
    for p in problems:
        key = (p.file, p.element_id, p.line, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
