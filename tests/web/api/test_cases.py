"""``/api/v1/cases``: start, list, read, history, documents, cancel, suspend, resume, scoping."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine import FixedClock
from tests.fixtures import bpmn
from tests.fixtures.samples import png_bytes

from .engine_api import ACME, HAISHU, JIANGBEI, START, Api, engine_config, inspection


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return engine_config(app_config, clock)


@pytest.fixture
def model(api: Api) -> str:
    api.deployed(inspection(name="监督检查"))
    return "inspection"


def case_ids(api: Api, who: str, **query: Any) -> list[int]:
    response = api.get(who, "/cases", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [c["id"] for c in response.get_json()["items"]]


def count_cases(api: Api) -> int:
    response = api.get("admin", "/cases")
    assert response.status_code == 200
    return response.get_json()["total"]  # type: ignore[no-any-return]


# -- start ------------------------------------------------------------------------------

def test_start_is_201_with_id_instance_and_status(api: Api, model: str) -> None:
    response = api.start(model, data={"site": "宁波中心"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "instance_id", "status"}
    assert body["status"] == "active" and body["id"] > 0 and body["instance_id"] > 0
    detail = api.get("admin", f"/cases/{body['id']}").get_json()
    assert detail["process_key"] == model and detail["title"] == "监督检查" and detail["created_by"] == "admin"
    assert detail["project_id"] is None and detail["created_at"] == START.isoformat()
    (task,) = api.tasks("admin", case_id=body["id"])
    assert task["bpmn_id"] == "inspect" and task["instance_id"] == body["instance_id"]
    detail = api.get("admin", f"/tasks/{task['id']}").get_json()
    assert detail["data"]["site"] == "宁波中心" and detail["data"]["case_id"] == body["id"]


def test_start_takes_a_title(api: Api, model: str) -> None:
    response = api.post("admin", "/cases", json={"process_key": model, "title": "海曙区 2026 第一次检查"})
    assert response.status_code == 201
    assert api.get("admin", f"/cases/{response.get_json()['id']}").get_json()["title"] == "海曙区 2026 第一次检查"


def test_unknown_process_key_is_404(api: Api, model: str) -> None:
    response = api.start("no_such_model")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "not_found" and "no_such_model" in body["message"]
    assert count_cases(api) == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"data": {}}, {"process_key"}),
    ({"process_key": "inspection", "data": ["not", "an", "object"]}, {"data"}),
    ({"process_key": "inspection", "data": "text"}, {"data"}),
    ({"process_key": "inspection", "project_id": "1"}, {"project_id"}),
    ({"process_key": "inspection", "project_id": 1.5}, {"project_id"}),
    ({"process_key": "", "data": 3, "project_id": "x"}, {"process_key", "data", "project_id"}),
    ({"process_key": "inspection", "title": "x" * 301}, {"title"}),
    ({"process_key": "inspection", "surprise": True}, {"surprise"}),
])
def test_bad_body_is_400_field_by_field(api: Api, model: str, body: dict[str, Any], fields: set[str]) -> None:
    response = api.post("admin", "/cases", json=body)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "validation_error"
    assert set(response.get_json()["details"]) == fields
    assert count_cases(api) == 0


def test_not_json_and_unknown_project(api: Api, model: str) -> None:
    form = api.post("admin", "/cases", data={"process_key": model})
    assert form.status_code == 415 and form.get_json()["error"] == "unsupported_media_type"
    broken = api.post("admin", "/cases", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"] == "bad_request"
    unknown = api.start(model, project_id=424242)
    assert unknown.status_code == 400 and set(unknown.get_json()["details"]) == {"project_id"}
    assert count_cases(api) == 0


def test_no_token_is_401_and_auditors_do_not_start(api: Api, model: str) -> None:
    anonymous = api.start(model, who=None)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    auditor = api.start(model, who="aud")
    assert auditor.status_code == 403 and auditor.get_json()["error"] == "forbidden"
    for path in ("/cases", "/cases/1", "/cases/1/history", "/cases/1/documents"):
        assert api.get(None, path).status_code == 401, path
    assert api.post(None, "/cases/1/cancel", json={"reason": "x"}).status_code == 401
    assert count_cases(api) == 0


# -- list and read ----------------------------------------------------------------------

def test_list_filters_and_paginates(api: Api, model: str, projects: dict[str, int]) -> None:
    api.deployed(bpmn.sequence("daily_log", ["write"]))
    a = api.started(model, project_id=projects["acme"])["id"]
    b = api.started(model, project_id=projects["bare"])["id"]
    c = api.started("daily_log", project_id=projects["acme"])["id"]
    d = api.started(model)["id"]
    assert api.post("admin", f"/cases/{d}/cancel", json={"reason": "重复立案"}).status_code == 200

    assert case_ids(api, "admin") == [d, c, b, a]  # newest first
    assert case_ids(api, "admin", process_key="daily_log") == [c]
    assert case_ids(api, "admin", status="cancelled") == [d]
    assert case_ids(api, "admin", status="active", process_key=model) == [b, a]
    assert case_ids(api, "admin", project_id=projects["acme"]) == [c, a]
    assert case_ids(api, "admin", project_id=projects["acme"], process_key=model) == [a]
    assert case_ids(api, "admin", process_key="nothing") == []

    page = api.get("admin", "/cases", query_string={"per_page": 3, "page": 2}).get_json()
    assert page["total"] == 4 and page["page"] == 2 and page["per_page"] == 3
    assert [c["id"] for c in page["items"]] == [a]
    item = api.get("admin", "/cases", query_string={"project_id": projects["acme"], "per_page": 1}).get_json()
    assert item["total"] == 2 and len(item["items"]) == 1
    assert item["items"][0]["district"] == HAISHU and item["items"][0]["status"] == "active"


@pytest.mark.parametrize("query", [{"status": "bogus"}, {"page": 0}, {"per_page": 500}, {"project_id": "x"}])
def test_bad_list_arguments_are_400(api: Api, query: dict[str, Any]) -> None:
    response = api.get("admin", "/cases", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "validation_error" and set(response.get_json()["details"]) == set(query)


def test_case_detail_lists_its_instances(api: Api, model: str, projects: dict[str, int]) -> None:
    started = api.started(model, project_id=projects["acme"])
    response = api.get("insp", f"/cases/{started['id']}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == started["id"] and body["instance_id"] == started["instance_id"]
    assert body["project_id"] == projects["acme"] and body["district"] == HAISHU
    (instance,) = body["instances"]
    assert instance["id"] == started["instance_id"] and instance["process_key"] == model
    assert instance["version"] == 1 and instance["status"] == "running" and instance["parent_id"] is None
    assert instance["task_count"] > 0 and instance["completed_at"] is None
    missing = api.get("admin", "/cases/999999")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"


def test_history_is_ordered_and_names_who_did_what(api: Api, model: str, clock: FixedClock,
                                                    projects: dict[str, int]) -> None:
    from datetime import timedelta

    started = api.started(model, project_id=projects["acme"], data={"site": "宁波中心"})
    task = api.open_task(started["id"])
    clock.advance(timedelta(hours=2))
    done = api.complete("insp", task["id"], {"passed": True, "inspected_on": "2026-03-02"})
    assert done.status_code == 200, done.get_json()

    response = api.get("insp", f"/cases/{started['id']}/history")
    assert response.status_code == 200
    history = response.get_json()
    actions = [e["action"] for e in history]
    assert actions[:3] == ["case.started", "instance.started", "task.completed"]
    assert [e["seq"] for e in history] == sorted(e["seq"] for e in history)
    for entry in history:
        assert {"at", "actor", "role", "action", "task", "data"} <= set(entry)
    case_started, instance_started, completed = history[:3]
    assert case_started["actor"] == "admin" and case_started["role"] == "admin"
    assert case_started["at"] == START.isoformat() and case_started["task"] is None
    assert case_started["data"]["process_key"] == model and case_started["data"]["project_id"] == projects["acme"]
    assert instance_started["instance_id"] == started["instance_id"]
    assert instance_started["data"]["data"]["site"] == "宁波中心"
    assert completed["actor"] == "insp" and completed["role"] == "inspector"
    assert completed["task"] == "现场检查" and completed["task_id"] == task["id"]
    assert completed["at"] == (START + timedelta(hours=2)).isoformat()
    assert completed["data"]["data"] == {"passed": True, "inspected_on": "2026-03-02", "severity": "minor"}


def test_documents_of_a_case(api: Api, model: str, projects: dict[str, int]) -> None:
    case_id = api.started(model, project_id=projects["acme"])["id"]
    other_case = api.started(model, project_id=projects["acme"])["id"]
    assert api.get("acme", f"/cases/{case_id}/documents").get_json() == []
    uploaded = api.upload("acme", "/documents", png_bytes(), "现场.png", case_id=str(case_id), kind="site_photo")
    assert uploaded.status_code == 201, uploaded.get_json()
    response = api.get("insp", f"/cases/{case_id}/documents")
    assert response.status_code == 200
    (document,) = response.get_json()
    assert document["id"] == uploaded.get_json()["id"] and document["filename"] == "现场.png"
    assert document["kind"] == "site_photo" and document["author"] == "acme"
    assert document["content_type"] == "image/png" and document["case_id"] == case_id
    assert api.get("insp", f"/cases/{other_case}/documents").get_json() == []
    history = api.get("insp", f"/cases/{case_id}/history").get_json()
    upload_entry = next(e for e in history if e["action"] == "document.upload")
    assert upload_entry["actor"] == "acme" and upload_entry["data"]["document_id"] == document["id"]


# -- cancel, suspend, resume ------------------------------------------------------------

def test_cancel_by_admin_withdraws_open_tasks(api: Api, model: str, projects: dict[str, int]) -> None:
    case_id = api.started(model, project_id=projects["acme"])["id"]
    task = api.open_task(case_id)
    response = api.post("admin", f"/cases/{case_id}/cancel", json={"reason": "项目终止"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == case_id and body["status"] == "cancelled" and body["closed_at"] == START.isoformat()
    assert api.tasks("admin", case_id=case_id) == []
    assert [t["id"] for t in api.tasks("admin", case_id=case_id, state="cancelled")] == [task["id"]]
    instances = api.get("admin", f"/cases/{case_id}").get_json()["instances"]
    assert [(i["status"], i["status_reason"]) for i in instances] == [("cancelled", "项目终止")]
    history = api.get("admin", f"/cases/{case_id}/history").get_json()
    assert history[-1]["action"] == "case.cancelled" and history[-1]["data"] == {"reason": "项目终止"}
    late = api.complete("insp", task["id"], {"passed": True, "inspected_on": "2026-03-02"})
    assert late.status_code == 409 and late.get_json()["error"] == "conflict"


def test_cancel_needs_a_manager_a_reason_and_an_open_case(api: Api, model: str, projects: dict[str, int]) -> None:
    case_id = api.started(model, project_id=projects["acme"])["id"]
    inspector = api.post("insp", f"/cases/{case_id}/cancel", json={"reason": "不想查了"})
    assert inspector.status_code == 403 and inspector.get_json()["error"] == "forbidden"
    enterprise = api.post("acme", f"/cases/{case_id}/cancel", json={"reason": "不想被查"})
    assert enterprise.status_code == 403
    outsider = api.post("other", f"/cases/{case_id}/cancel", json={"reason": "x"})
    assert outsider.status_code == 404
    for body in ({}, {"reason": ""}, {"reason": None}, {"reason": "x" * 2001}):
        refused = api.post("admin", f"/cases/{case_id}/cancel", json=body)
        assert refused.status_code == 400, body
        assert set(refused.get_json()["details"]) == {"reason"}
    blank = api.post("admin", f"/cases/{case_id}/cancel", json={"reason": "   "})
    assert blank.status_code == 400 and set(blank.get_json()["details"]) == {"reason"}
    assert api.get("admin", f"/cases/{case_id}").get_json()["status"] == "active"

    by_district_admin = api.post("dadmin", f"/cases/{case_id}/cancel", json={"reason": "项目终止"})
    assert by_district_admin.status_code == 200 and by_district_admin.get_json()["status"] == "cancelled"
    again = api.post("admin", f"/cases/{case_id}/cancel", json={"reason": "再次取消"})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert "cancelled" in again.get_json()["message"]
    missing = api.post("admin", "/cases/999999/cancel", json={"reason": "x"})
    assert missing.status_code == 404


def test_a_district_admin_manages_only_its_district(api: Api, model: str, projects: dict[str, int]) -> None:
    theirs = api.started(model, project_id=projects["other"])["id"]
    response = api.post("dadmin", f"/cases/{theirs}/cancel", json={"reason": "x"})
    assert response.status_code == 404
    assert api.get("admin", f"/cases/{theirs}").get_json()["status"] == "active"


def test_suspend_then_resume(api: Api, model: str) -> None:
    started = api.started(model)
    case_id, instance_id = started["id"], started["instance_id"]
    task = api.open_task(case_id)
    suspended = api.post("admin", f"/cases/{case_id}/suspend", json={"reason": "材料核查中"})
    assert suspended.status_code == 200, suspended.get_json()
    (instance,) = suspended.get_json()["instances"]
    assert instance["id"] == instance_id and instance["status"] == "suspended"
    assert instance["status_reason"] == "材料核查中"
    blocked = api.complete("admin", task["id"], {"passed": True, "inspected_on": "2026-03-02"})
    assert blocked.status_code == 409 and "suspended" in blocked.get_json()["message"]
    twice = api.post("admin", f"/cases/{case_id}/suspend", json={"reason": "again", "instance_id": instance_id})
    assert twice.status_code == 409

    resumed = api.post("admin", f"/cases/{case_id}/resume", json={"reason": "核查完毕"})
    assert resumed.status_code == 200
    assert [(i["status"], i["status_reason"]) for i in resumed.get_json()["instances"]] == [("running", None)]
    done = api.complete("admin", task["id"], {"passed": True, "inspected_on": "2026-03-02"})
    assert done.status_code == 200
    actions = [e["action"] for e in api.get("admin", f"/cases/{case_id}/history").get_json()]
    assert actions.index("instance.suspended") < actions.index("instance.resumed") < actions.index("task.completed")


def test_suspend_and_resume_refusals(api: Api, model: str, projects: dict[str, int]) -> None:
    case_id = api.started(model, project_id=projects["acme"])["id"]
    other = api.started(model)
    no_reason = api.post("admin", f"/cases/{case_id}/suspend", json={})
    assert no_reason.status_code == 400 and set(no_reason.get_json()["details"]) == {"reason"}
    foreign = api.post("admin", f"/cases/{case_id}/suspend",
                       json={"reason": "x", "instance_id": other["instance_id"]})
    assert foreign.status_code == 404 and foreign.get_json()["error"] == "not_found"
    inspector = api.post("insp", f"/cases/{case_id}/suspend", json={"reason": "x"})
    assert inspector.status_code == 403
    not_suspended = api.post("admin", f"/cases/{case_id}/resume",
                             json={"reason": "x", "instance_id": api.get("admin", f"/cases/{case_id}")
                                   .get_json()["instance_id"]})
    assert not_suspended.status_code == 409
    statuses = {i["status"] for i in api.get("admin", f"/cases/{case_id}").get_json()["instances"]}
    assert statuses == {"running"}


# -- scoping ----------------------------------------------------------------------------

def test_an_enterprise_starts_cases_only_on_its_own_projects(api: Api, model: str,
                                                             projects: dict[str, int]) -> None:
    ours = api.start(model, who="acme", project_id=projects["acme"])
    assert ours.status_code == 201, ours.get_json()
    detail = api.get("acme", f"/cases/{ours.get_json()['id']}").get_json()
    assert detail["enterprise_code"] == ACME and detail["district"] == HAISHU and detail["created_by"] == "acme"
    for project in ("other", "bare"):
        refused = api.start(model, who="acme", project_id=projects[project])
        assert refused.status_code == 403, project
        assert refused.get_json()["error"] == "forbidden"
    assert count_cases(api) == 1


def test_an_inspector_starts_cases_only_in_its_district(api: Api, model: str, projects: dict[str, int]) -> None:
    assert api.start(model, who="insp", project_id=projects["bare"]).status_code == 201
    refused = api.start(model, who="insp", project_id=projects["other"])
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert count_cases(api) == 1


def test_another_enterprises_case_is_invisible(api: Api, model: str, projects: dict[str, int]) -> None:
    ours = api.started(model, who="acme", project_id=projects["acme"])["id"]
    theirs = api.started(model, who="other", project_id=projects["other"])["id"]
    assert case_ids(api, "acme") == [ours]
    assert case_ids(api, "other") == [theirs]
    for path in (f"/cases/{theirs}", f"/cases/{theirs}/history", f"/cases/{theirs}/documents"):
        response = api.get("acme", path)
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "not_found"
        assert "宁波" not in response.get_data(as_text=True) and "江北" not in response.get_data(as_text=True)
    assert api.get("acme", f"/cases/{ours}").status_code == 200


def test_an_enterprise_reads_cases_of_projects_it_is_party_to(api: Api, model: str,
                                                              projects: dict[str, int]) -> None:
    by_bureau = api.started(model, project_id=projects["acme"])["id"]  # filed by the admin
    assert case_ids(api, "acme") == [by_bureau]
    assert api.get("acme", f"/cases/{by_bureau}/history").status_code == 200
    assert case_ids(api, "other") == []


def test_inspectors_see_only_their_districts_cases(api: Api, model: str, projects: dict[str, int]) -> None:
    haishu = [api.started(model, project_id=projects[p])["id"] for p in ("acme", "bare")]
    jiangbei = api.started(model, project_id=projects["other"])["id"]
    unscoped = api.started(model)["id"]
    assert sorted(case_ids(api, "insp")) == sorted(haishu)
    listed = api.get("insp", "/cases").get_json()
    assert listed["total"] == 2 and {c["district"] for c in listed["items"]} == {HAISHU}
    assert case_ids(api, "insp_jb") == [jiangbei]
    assert api.get("insp", f"/cases/{jiangbei}").status_code == 404
    assert api.get("insp_jb", f"/cases/{haishu[0]}").status_code == 404
    assert api.get("insp", f"/cases/{unscoped}").status_code == 404
    assert api.get("insp_jb", "/cases").get_json()["items"][0]["district"] == JIANGBEI
    assert sorted(case_ids(api, "aud")) == sorted([*haishu, jiangbei, unscoped])


def test_openapi_lists_the_case_paths(api: Api) -> None:
    paths = api.get(None, "/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/cases"])
    query = {p["name"] for p in paths["/api/v1/cases"]["get"]["parameters"] if p["in"] == "query"}
    assert {"process_key", "status", "project_id", "page", "per_page"} <= query
    for path in ("/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/history", "/api/v1/cases/{case_id}/documents"):
        assert "get" in paths[path], path
    for path in ("/api/v1/cases/{case_id}/cancel", "/api/v1/cases/{case_id}/suspend",
                 "/api/v1/cases/{case_id}/resume"):
        assert "post" in paths[path], path
    assert "201" in paths["/api/v1/cases"]["post"]["responses"]


def test_resume_retries_an_instance_a_failed_timer_set_aside(api: Api, services, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    inner = ('<bpmn:startEvent id="start"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
             '<bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
             '<bpmn:scriptTask id="divide"><bpmn:script>ratio = 1 / zero</bpmn:script></bpmn:scriptTask>'
             '<bpmn:endEvent id="end"/>' + bpmn.flow("f0", "start", "wait") + bpmn.flow("f1", "wait", "divide")
             + bpmn.flow("f2", "divide", "end"))
    api.deployed(bpmn.process("timed", inner))
    case_id = api.started("timed", data={"zero": 0})["id"]
    clock.advance(timedelta(days=2))
    assert services.engine.fire_due_timers(services.session_factory) == 0
    (failed,) = api.get("admin", f"/cases/{case_id}").get_json()["instances"]
    assert failed["status"] == "error" and "division by zero" in failed["status_reason"]
    resumed = api.post("admin", f"/cases/{case_id}/resume", json={"reason": "脚本已修正，重试"})
    assert resumed.status_code == 200, resumed.get_json()
    assert [(i["status"], i["status_reason"]) for i in resumed.get_json()["instances"]] == [("running", None)]
    actions = [e["action"] for e in api.get("admin", f"/cases/{case_id}/history").get_json()]
    assert actions.index("instance.failed") < actions.index("instance.resumed")
