"""A process owner edits a diagram in the modeler and deploys version 2 (issue 4, item 5).

A case started on version 1 finishes on version 1 while a case started afterwards runs on
version 2; an invalid edit shows the problem list and deploys nothing; the diff page lists
the change; every page is saved under tests/e2e/screenshots/ for review.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields
from playwright.sync_api import Page, expect

from engine import Actor, Scope
from tests.fixtures.e2e import LiveServer, PageProblems, log_in, screenshot
from workflows import ProcessFamily, Registries

pytestmark = pytest.mark.e2e


KEY = "site_check"
ADMIN = Actor("e2e-admin", None, (Scope("admin"),))


class CheckForm(Schema):
    note = fields.String(load_default="", metadata={"label": "说明"})


def _register(registries: Registries) -> None:
    registries.forms.register("e2emodel.check", CheckForm, "现场检查")
    registries.forms.register("e2emodel.review", CheckForm, "结果复核")


FAMILY = ProcessFamily("e2emodel", Path(__file__).parent / "no_bpmn_here", _register)

# Version 1: start → "Check site" (form e2emodel.check) → end, with its diagram (DI).
MODEL_V1 = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_{KEY}" targetNamespace="http://oversite.test">
  <bpmn:process id="{KEY}" name="Site check" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="check" name="Check site">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="e2emodel.check" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f_start_check" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f_check_end" sourceRef="check" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" bpmnElement="{KEY}">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="152" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="check_di" bpmnElement="check"><dc:Bounds x="240" y="80" width="100" height="80" /></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="402" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f_start_check_di" bpmnElement="f_start_check"><di:waypoint x="188" y="120" /><di:waypoint x="240" y="120" /></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f_check_end_di" bpmnElement="f_check_end"><di:waypoint x="340" y="120" /><di:waypoint x="402" y="120" /></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()

# Through the modeler's own API (dragging from the palette is impractical in a test): take
# the flow check → end apart, append a user task "review" after "check", connect it to the end.
ADD_REVIEW_TASK = """() => {
  const modeler = window.oversite.modeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const check = registry.get("check");
  const end = registry.get("end");
  modeling.removeConnection(registry.get("f_check_end"));
  modeling.moveShape(end, { x: 160, y: 0 });
  const review = modeling.appendShape(check, { type: "bpmn:UserTask" },
    { x: check.x + check.width + 110, y: check.y + check.height / 2 });
  modeling.updateProperties(review, { id: "review" });
  modeling.connect(review, end);
  return review.id;
}"""


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    return {**live_app_config, "EXTRA_FAMILIES": [*live_app_config.get("EXTRA_FAMILIES", ()), FAMILY]}


def api_json(page: Page, server: LiveServer, path: str) -> Any:
    response = page.request.get(f"{server.url}/api/v1{path}")
    assert response.ok, f"{path}: {response.status} {response.text()}"
    return response.json()


def case_tasks(page: Page, server: LiveServer, case_id: int, state: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api_json(page, server, f"/tasks?case_id={case_id}&state={state}")["items"]
    return items


def complete_open_task(server: LiveServer, page: Page, case_id: int) -> str:
    (task,) = case_tasks(page, server, case_id, "open")
    with server.session() as session:
        server.services.engine.complete(session, task["id"], {"note": "ok"}, ADMIN)
    return str(task["bpmn_id"])


def open_editor(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/models/{KEY}/edit")
    expect(page.locator("#model-editor[data-ready=true]")).to_be_attached()


def test_process_owner_edits_and_deploys_version_2(live_server: LiveServer, page: Page,
                                                   page_problems: PageProblems) -> None:
    server = live_server
    server.make_user("owner", [("process_owner", None, None)], display_name="流程负责人")
    assert server.deploy((f"{KEY}.bpmn", MODEL_V1), by="owner") == [1]
    old_case = server.start_case(KEY, by="owner", title="v1 case")
    page.on("dialog", lambda dialog: dialog.accept())  # "leave with undeployed changes?"

    log_in(page, server, "owner", next_path="/models")
    expect(page.locator("h1")).to_have_text("流程模型")
    expect(page.locator(".model-card")).to_contain_text(KEY)
    screenshot(page, "models_list")

    # --- edit: rename the task, add a reviewed step with a form and a due date ---------------
    open_editor(page, server)
    page.select_option("#element-picker", "check")
    expect(page.locator("#element-type")).to_contain_text("用户任务 · check")
    expect(page.locator("#prop-form")).to_have_value("e2emodel.check")
    page.locator("#prop-name").fill("Check site again")
    page.locator("#prop-name").press("Tab")
    assert page.evaluate(ADD_REVIEW_TASK) == "review"
    page.select_option("#element-picker", "review")
    expect(page.locator("#prop-id")).to_have_value("review")
    page.locator("#prop-name").fill("Review result")
    page.locator("#prop-name").press("Tab")
    page.select_option("#prop-form", "e2emodel.review")
    page.locator("#prop-due").fill("3")
    page.locator("#prop-due").press("Tab")

    page.get_by_role("button", name="校验").click()
    expect(page.locator("#model-status")).to_have_text("未发现问题，模型可以发布。")
    expect(page.locator("#problems")).to_be_hidden()
    screenshot(page, "model_editor", full_page=False)

    page.get_by_role("button", name="发布").click()
    expect(page.locator("#model-status")).to_contain_text(f"已发布：{KEY} 第 2 版。")
    screenshot(page, "model_deployed", full_page=False)

    model = api_json(page, server, f"/process-models/{KEY}")
    assert model["latest_version"] == 2
    xml = page.request.get(f"{server.url}/api/v1/process-models/{KEY}/bpmn?version=2").text()
    assert 'name="Check site again"' in xml and 'name="Review result"' in xml
    assert '<spiffworkflow:property name="formKey" value="e2emodel.review" />' in xml
    assert '<spiffworkflow:property name="dueIn" value="3" />' in xml
    assert '<spiffworkflow:property name="formKey" value="e2emodel.check" />' in xml  # kept as it was

    # --- the old case stays on version 1 and finishes there; a new case runs version 2 -----
    new_case = server.start_case(KEY, by="owner", title="v2 case")
    assert [i["version"] for i in api_json(page, server, f"/cases/{old_case}")["instances"]] == [1]
    assert [i["version"] for i in api_json(page, server, f"/cases/{new_case}")["instances"]] == [2]
    assert complete_open_task(server, page, old_case) == "check"
    assert case_tasks(page, server, old_case, "open") == []
    assert api_json(page, server, f"/cases/{old_case}")["status"] == "completed"
    assert complete_open_task(server, page, new_case) == "check"
    (review,) = case_tasks(page, server, new_case, "open")
    assert (review["bpmn_id"], review["name"], review["form_key"]) == ("review", "Review result", "e2emodel.review")
    assert review["due_at"] is not None
    assert complete_open_task(server, page, new_case) == "review"
    assert api_json(page, server, f"/cases/{new_case}")["status"] == "completed"

    # --- an invalid edit: the problem list, the element selected, nothing deployed ---------
    open_editor(page, server)
    page.select_option("#element-picker", "review")
    page.locator("#prop-due").fill("__import__('os')")
    page.locator("#prop-due").press("Tab")
    page.select_option("#element-picker", "start")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#model-status")).to_have_text("发现 1 个问题。")
    problem = page.locator("#problem-list button.problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("review")
    problem.click()
    expect(page.locator("#prop-id")).to_have_value("review")
    expect(page.locator("#element-picker")).to_have_value("review")
    expect(page.locator('[data-element-id="review"].has-problem')).to_be_attached()
    page.get_by_role("button", name="发布").click()
    expect(page.locator("#model-status")).to_have_text("未发布：请先修正所列问题。")
    expect(problem).to_have_count(1)
    screenshot(page, "model_editor_problems", full_page=False)
    assert api_json(page, server, f"/process-models/{KEY}")["latest_version"] == 2

    # --- the old version, read-only; the diff of the two versions -------------------------
    page.goto(f"{server.url}/models/{KEY}/versions/1")
    expect(page.locator("#canvas[data-ready=true]")).to_be_attached()
    expect(page.locator('#canvas [data-element-id="check"]')).to_be_attached()
    expect(page.locator('#canvas [data-element-id="review"]')).to_have_count(0)
    expect(page.locator(".djs-palette")).to_have_count(0)  # a viewer: no modeling palette
    screenshot(page, "model_version_1")

    page.goto(f"{server.url}/models/{KEY}/diff?a=1&b=2")
    expect(page.locator("#model-diff[data-ready=true]")).to_be_attached()
    expect(page.locator("#diff-added")).to_contain_text("Review result (review)")
    expect(page.locator("#diff-changed")).to_contain_text("Check site again (check)")
    expect(page.locator("#diff-changed")).to_contain_text("Check site → Check site again")
    expect(page.locator("#diff-removed")).to_contain_text("f_check_end")
    expect(page.locator('#canvas-b [data-element-id="review"].diff-added')).to_be_attached()
    expect(page.locator('#canvas-a [data-element-id="check"].diff-changed')).to_be_attached()
    screenshot(page, "model_diff")

    page.goto(f"{server.url}/models")
    expect(page.locator(".model-card form.compare")).to_be_visible()
    screenshot(page, "models_list_versions")

    # The refused deployment is the one failed request the browser reports (its 400 answer).
    refused = [e for e in page_problems.errors if "status of 400" in e]
    assert len(refused) == 1
    page_problems.errors = [e for e in page_problems.errors if e not in refused]
    page_problems.assert_none()


# A new diagram built through the modeler's API: a service task, a message catch event, a
# user task with a timer and a signal on its border, a gateway with a condition and a default,
# all inside a pool split into two lanes.
BUILD_NEW_DIAGRAM = """() => {
  const modeler = window.oversite.modeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const factory = modeler.get("elementFactory");
  const canvas = modeler.get("canvas");
  const named = (shape, id) => { modeling.updateProperties(shape, { id }); return shape; };
  const start = registry.get("StartEvent_1");
  const svc = named(modeling.appendShape(start, { type: "bpmn:ServiceTask" }, { x: 320, y: 178 }), "svc");
  const wait = named(modeling.appendShape(svc, { type: "bpmn:IntermediateCatchEvent",
    eventDefinitionType: "bpmn:MessageEventDefinition" }, { x: 460, y: 178 }), "wait_result");
  const approve = named(modeling.appendShape(wait, { type: "bpmn:UserTask" }, { x: 600, y: 178 }), "approve");
  const timer = named(modeling.createShape({ type: "bpmn:BoundaryEvent", eventDefinitionType: "bpmn:TimerEventDefinition" },
    { x: 600, y: 218 }, approve, { attach: true }), "deadline");
  named(modeling.appendShape(timer, { type: "bpmn:EndEvent" }, { x: 700, y: 320 }), "end_late");
  const alarm = named(modeling.createShape({ type: "bpmn:BoundaryEvent", eventDefinitionType: "bpmn:SignalEventDefinition" },
    { x: 630, y: 138 }, approve, { attach: true }), "alarm");
  named(modeling.appendShape(alarm, { type: "bpmn:EndEvent" }, { x: 700, y: 60 }), "end_alarm");
  const gw = named(modeling.appendShape(approve, { type: "bpmn:ExclusiveGateway" }, { x: 760, y: 178 }), "gw");
  const done = named(modeling.appendShape(gw, { type: "bpmn:EndEvent" }, { x: 860, y: 178 }), "end_ok");
  const redo = named(modeling.appendShape(gw, { type: "bpmn:EndEvent" }, { x: 860, y: 280 }), "end_redo");
  named(done.incoming[0], "flow_ok");
  named(redo.incoming[0], "flow_redo");
  const pool = modeling.createShape(factory.createParticipantShape(), { x: 520, y: 200 }, canvas.getRootElement());
  modeling.splitLane(pool, 2);
  const lanes = registry.filter((e) => e.type === "bpmn:Lane").sort((a, b) => a.y - b.y);
  named(lanes[0], "lane_top");
  named(lanes[1], "lane_bottom");
  return registry.filter((e) => e.type !== "label").map((e) => e.id).sort();
}"""


def fill(page: Page, selector: str, value: str) -> None:
    page.locator(selector).fill(value)
    page.locator(selector).press("Tab")


def test_properties_panel_writes_the_oversite_extensions(live_server: LiveServer, page: Page,
                                                        page_problems: PageProblems) -> None:
    server = live_server
    server.make_user("owner", [("process_owner", None, None)])
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, server, "owner", next_path="/models/new")
    expect(page.locator("#model-editor[data-ready=true]")).to_be_attached()
    fill(page, "#prop-key", "panel_demo")
    fill(page, "#prop-name", "面板演示")
    ids = page.evaluate(BUILD_NEW_DIAGRAM)
    assert {"svc", "wait_result", "approve", "deadline", "alarm", "gw", "flow_ok", "lane_top"} <= set(ids)

    page.select_option("#element-picker", "lane_top")
    expect(page.locator("#prop-role")).to_be_visible()
    page.select_option("#prop-role", "inspector")
    page.select_option("#element-picker", "lane_bottom")
    page.select_option("#prop-role", "district_admin")

    page.select_option("#element-picker", "svc")
    page.select_option("#prop-operation", "case.set_data")
    expect(page.locator("#prop-operation-help")).to_contain_text("Merge")
    fill(page, "#prop-result", "saved")
    page.get_by_role("button", name="添加参数").click()
    fill(page, "#prop-parameters tbody tr:last-child [data-param=id]", "status")
    page.select_option("#prop-parameters tbody tr:last-child [data-param=type]", "str")
    fill(page, "#prop-parameters tbody tr:last-child [data-param=value]", '"open"')

    page.select_option("#element-picker", "wait_result")
    fill(page, "#prop-message-name", "inspection_result")
    fill(page, "#prop-message-variable", "result")
    fill(page, "#prop-correlation-property", "project_code")
    fill(page, "#prop-correlation-expression", "project_code")

    page.select_option("#element-picker", "approve")
    page.select_option("#prop-form", "e2emodel.check")
    fill(page, "#prop-due", "2")
    # A task for one enterprise belongs in the enterprise lane: validation says so, naming the task.
    fill(page, "#prop-enterprise", "owner")
    page.get_by_role("button", name="校验").click()
    expect(page.locator("#problem-list")).to_contain_text("enterpriseCode")
    expect(page.locator("#problem-list")).to_contain_text("approve")
    page.select_option("#element-picker", "approve")
    expect(page.locator("#prop-enterprise")).to_have_value("owner")
    fill(page, "#prop-enterprise", "")
    page.select_option("#element-picker", "deadline")
    page.select_option("#prop-timer-kind", "timeDuration")
    fill(page, "#prop-timer-expression", '"P7D"')
    page.select_option("#element-picker", "alarm")
    fill(page, "#prop-signal-name", "device_alarm")
    fill(page, "#prop-signal-variable", "alarm")
    page.select_option("#element-picker", "flow_ok")
    fill(page, "#prop-condition", "result['passed'] == True")
    page.select_option("#element-picker", "flow_redo")
    page.locator("#prop-default").check()

    page.get_by_role("button", name="校验").click()
    expect(page.locator("#model-status")).to_contain_text("问题")  # validation answered, either way
    problems = page.locator("#problem-list").inner_text()
    assert not problems.strip(), problems  # name the problem if validation finds one
    expect(page.locator("#model-status")).to_have_text("未发现问题，模型可以发布。")
    screenshot(page, "model_new_panel", full_page=False)
    page.get_by_role("button", name="发布").click()
    expect(page.locator("#model-status")).to_contain_text("已发布：panel_demo 第 1 版。")
    assert page.evaluate("() => window.location.pathname") == "/models/panel_demo/edit"

    xml = page.request.get(f"{server.url}/api/v1/process-models/panel_demo/bpmn").text()
    for expected in (
        'processRef="panel_demo"', 'name="inspector"', 'name="district_admin"',
        '<spiffworkflow:serviceTaskOperator id="case.set_data" resultVariable="saved">',
        '<spiffworkflow:parameter id="status" type="str" value="&#34;open&#34;" />',
        '<spiffworkflow:messageVariable>result</spiffworkflow:messageVariable>',
        '<spiffworkflow:propertyId>project_code</spiffworkflow:propertyId>',
        '<bpmn:correlationProperty id="project_code" name="project_code">',
        '<spiffworkflow:variableName>alarm</spiffworkflow:variableName>',
        '<spiffworkflow:property name="formKey" value="e2emodel.check" />',
        '<spiffworkflow:property name="dueIn" value="2" />',
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P7D"</bpmn:timeDuration>',
        'default="flow_redo"',
    ):
        assert expected in xml, expected
    assert "enterpriseCode" not in xml  # cleared in the panel, gone from the model

    # Opened again, the panel reads back what it wrote.
    page.reload()
    expect(page.locator("#model-editor[data-ready=true]")).to_be_attached()
    expect(page.locator("#prop-key")).to_have_value("panel_demo")
    page.select_option("#element-picker", "svc")
    expect(page.locator("#prop-operation")).to_have_value("case.set_data")
    expect(page.locator("#prop-parameters tbody [data-param=id]")).to_have_value("status")
    page.select_option("#element-picker", "wait_result")
    expect(page.locator("#prop-correlation-property")).to_have_value("project_code")
    page.select_option("#element-picker", "deadline")
    expect(page.locator("#prop-timer-expression")).to_have_value('"P7D"')
    page.select_option("#element-picker", "alarm")
    expect(page.locator("#prop-signal-variable")).to_have_value("alarm")
    page.select_option("#element-picker", "lane_bottom")
    expect(page.locator("#prop-role")).to_have_value("district_admin")
    page_problems.assert_none()


# A model change re-renders the panel one frame later; text typed meanwhile in another field
# (not yet committed: that happens on "change") must survive it, parameter rows included.
CHANGE_MODEL_AND_WAIT_A_FRAME = """async () => {
  const modeler = window.oversite.modeler;
  const svc = modeler.get("elementRegistry").get("svc");
  modeler.get("modeling").updateProperties(svc, { name: "保存状态" });
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
}"""


def test_a_refresh_after_a_model_change_keeps_what_is_being_typed(live_server: LiveServer, page: Page,
                                                                   page_problems: PageProblems) -> None:
    server = live_server
    server.make_user("owner", [("process_owner", None, None)])
    log_in(page, server, "owner", next_path="/models/new")
    expect(page.locator("#model-editor[data-ready=true]")).to_be_attached()
    page.evaluate(BUILD_NEW_DIAGRAM)
    page.select_option("#element-picker", "svc")
    page.select_option("#prop-operation", "case.set_data")

    page.locator("#prop-result").fill("saved")  # typed, not committed yet
    page.evaluate(CHANGE_MODEL_AND_WAIT_A_FRAME)
    expect(page.locator("#prop-name")).to_have_value("保存状态")  # the panel did refresh
    expect(page.locator("#prop-result")).to_have_value("saved")
    page.locator("#prop-result").press("Tab")

    page.get_by_role("button", name="添加参数").click()
    page.locator("#prop-parameters tbody tr:last-child [data-param=id]").fill("status")
    page.evaluate(CHANGE_MODEL_AND_WAIT_A_FRAME)
    expect(page.locator("#prop-parameters tbody tr:last-child [data-param=id]")).to_have_value("status")
    page.locator("#prop-parameters tbody tr:last-child [data-param=id]").press("Tab")

    xml = page.evaluate("async () => (await window.oversite.modeler.saveXML()).xml")
    assert 'resultVariable="saved"' in xml
    assert '<spiffworkflow:parameter id="status"' in xml
