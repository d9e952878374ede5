"""``/api/v1/signals`` and ``/api/v1/messages``: deliver to the right waiting instances only."""
from __future__ import annotations

from typing import Any

import pytest

from engine import FixedClock

from .engine_api import Api, alarm_wait, engine_config, lab_result_wait


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return engine_config(app_config, clock)


@pytest.fixture
def alarms(api: Api) -> str:
    api.deployed(alarm_wait())
    return "alarm_wait"


@pytest.fixture
def lab(api: Api) -> str:
    api.deployed(lab_result_wait())
    return "lab_result"


def signal(api: Api, body: dict[str, Any], who: str | None = "owner") -> Any:
    return api.post(who, "/signals", json=body)


def message(api: Api, body: dict[str, Any], who: str | None = "owner") -> Any:
    return api.post(who, "/messages", json=body)


def bpmn_ids(api: Api, case_id: int) -> list[str]:
    return [t["bpmn_id"] for t in api.tasks("admin", case_id=case_id)]


# -- signals ----------------------------------------------------------------------------

def test_a_signal_scoped_to_a_case_reaches_only_its_instance(api: Api, alarms: str) -> None:
    first = api.started(alarms)
    second = api.started(alarms)
    assert bpmn_ids(api, first["id"]) == [] and bpmn_ids(api, second["id"]) == []
    response = signal(api, {"name": "device_alarm", "case_id": second["id"], "payload": {"device": "crane-7"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered": [second["instance_id"]]}
    (task,) = api.tasks("admin", case_id=second["id"])
    assert task["bpmn_id"] == "handle"
    assert api.get("admin", f"/tasks/{task['id']}").get_json()["data"]["alarm"] == {"device": "crane-7"}
    assert bpmn_ids(api, first["id"]) == []
    history = api.get("admin", f"/cases/{second['id']}/history").get_json()
    delivered = next(e for e in history if e["action"] == "signal.delivered")
    assert delivered["actor"] == "owner" and delivered["data"]["name"] == "device_alarm"
    assert delivered["instance_id"] == second["instance_id"]
    assert not any(e["action"] == "signal.delivered" for e in api.get("admin", f"/cases/{first['id']}/history")
                   .get_json())
    again = signal(api, {"name": "device_alarm", "case_id": second["id"]})
    assert again.status_code == 200 and again.get_json() == {"delivered": []}  # it no longer waits


def test_a_signal_scoped_to_a_project_and_unscoped(api: Api, alarms: str, projects: dict[str, int]) -> None:
    acme = api.started(alarms, project_id=projects["acme"])
    other = api.started(alarms, project_id=projects["other"])
    free = api.started(alarms)
    scoped = signal(api, {"name": "device_alarm", "project_id": projects["other"]})
    assert scoped.status_code == 200 and scoped.get_json() == {"delivered": [other["instance_id"]]}
    assert bpmn_ids(api, other["id"]) == ["handle"] and bpmn_ids(api, acme["id"]) == []
    everyone = signal(api, {"name": "device_alarm", "payload": {"level": 2}}, who="admin")
    assert everyone.status_code == 200
    assert sorted(everyone.get_json()["delivered"]) == sorted([acme["instance_id"], free["instance_id"]])
    assert bpmn_ids(api, acme["id"]) == ["handle"] and bpmn_ids(api, free["id"]) == ["handle"]


def test_no_waiter_delivers_to_nobody(api: Api, alarms: str) -> None:
    case = api.started(alarms)
    other_name = signal(api, {"name": "nobody_listens", "payload": {"x": 1}})
    assert other_name.status_code == 200 and other_name.get_json() == {"delivered": []}
    wrong_case = signal(api, {"name": "device_alarm", "case_id": 999999})
    assert wrong_case.status_code == 200 and wrong_case.get_json() == {"delivered": []}
    assert bpmn_ids(api, case["id"]) == []


def test_a_suspended_or_cancelled_instance_catches_nothing(api: Api, alarms: str) -> None:
    paused = api.started(alarms)
    gone = api.started(alarms)
    running = api.started(alarms)
    assert api.post("admin", f"/cases/{paused['id']}/suspend", json={"reason": "停工"}).status_code == 200
    assert api.post("admin", f"/cases/{gone['id']}/cancel", json={"reason": "撤销"}).status_code == 200
    response = signal(api, {"name": "device_alarm"})
    assert response.status_code == 200 and response.get_json() == {"delivered": [running["instance_id"]]}
    assert api.post("admin", f"/cases/{paused['id']}/resume", json={"reason": "复工"}).status_code == 200
    later = signal(api, {"name": "device_alarm"})
    assert later.get_json() == {"delivered": [paused["instance_id"]]}


@pytest.mark.parametrize(("body", "fields"), [
    ({"payload": {}}, {"name"}),
    ({"name": ""}, {"name"}),
    ({"name": "x" * 201}, {"name"}),
    ({"name": "device_alarm", "payload": ["not", "an", "object"]}, {"payload"}),
    ({"name": "device_alarm", "case_id": "x", "project_id": "y"}, {"case_id", "project_id"}),
])
def test_bad_signal_bodies_are_400_field_by_field(api: Api, alarms: str, body: dict[str, Any],
                                                  fields: set[str]) -> None:
    case = api.started(alarms)
    response = signal(api, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "validation_error" and set(response.get_json()["details"]) == fields
    assert bpmn_ids(api, case["id"]) == []


# -- messages ---------------------------------------------------------------------------

def test_a_message_reaches_the_correlated_instance(api: Api, lab: str) -> None:
    first = api.started(lab, data={"project_code": "NB-001"})
    second = api.started(lab, data={"project_code": "NB-002"})
    response = message(api, {"name": "test_result", "correlation": {"project_code": "NB-002"},
                              "payload": {"project_code": "NB-002", "strength": "C30"}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered": [second["instance_id"]]}
    (task,) = api.tasks("admin", case_id=second["id"])
    assert task["bpmn_id"] == "read"
    assert api.get("admin", f"/tasks/{task['id']}").get_json()["data"]["result"]["strength"] == "C30"
    assert bpmn_ids(api, first["id"]) == []
    history = api.get("admin", f"/cases/{second['id']}/history").get_json()
    entry = next(e for e in history if e["action"] == "message.delivered")
    assert entry["actor"] == "owner" and entry["data"]["correlation"] == {"project_code": "NB-002"}


def test_a_mis_correlated_message_is_409_not_delivered(api: Api, lab: str) -> None:
    first = api.started(lab, data={"project_code": "NB-001"})
    response = message(api, {"name": "test_result", "correlation": {"project_code": "NB-999"},
                              "payload": {"strength": "C30"}})
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "not_delivered" and "NB-999" in body["message"]
    assert body["details"] == {"name": "test_result", "correlation": {"project_code": "NB-999"}}
    unknown = message(api, {"name": "nobody_waits", "correlation": {"project_code": "NB-001"}})
    assert unknown.status_code == 409 and unknown.get_json()["error"] == "not_delivered"
    assert bpmn_ids(api, first["id"]) == []
    history = api.get("admin", f"/cases/{first['id']}/history").get_json()
    assert not any(e["action"] == "message.delivered" for e in history)
    right = message(api, {"name": "test_result", "correlation": {"project_code": "NB-001"}})
    assert right.status_code == 200 and right.get_json() == {"delivered": [first["instance_id"]]}


@pytest.mark.parametrize(("body", "fields"), [
    ({"correlation": {"project_code": "NB-001"}}, {"name"}),
    ({"name": "", "correlation": {}}, {"name"}),
    ({"name": "test_result", "correlation": ["NB-001"]}, {"correlation"}),
    ({"name": "test_result", "correlation": {"project_code": "NB-001"}, "payload": "C30"}, {"payload"}),
])
def test_bad_message_bodies_are_400_field_by_field(api: Api, lab: str, body: dict[str, Any],
                                                   fields: set[str]) -> None:
    case = api.started(lab, data={"project_code": "NB-001"})
    response = message(api, body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "validation_error" and set(response.get_json()["details"]) == fields
    assert bpmn_ids(api, case["id"]) == []


# -- who may send -----------------------------------------------------------------------

@pytest.mark.parametrize("who", ["acme", "aud"])
def test_enterprises_and_auditors_may_not_send_events(api: Api, alarms: str, lab: str, who: str) -> None:
    waiting = api.started(alarms)
    correlated = api.started(lab, data={"project_code": "NB-001"})
    refused = signal(api, {"name": "device_alarm", "case_id": waiting["id"]}, who=who)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    refused = message(api, {"name": "test_result", "correlation": {"project_code": "NB-001"}}, who=who)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert bpmn_ids(api, waiting["id"]) == [] and bpmn_ids(api, correlated["id"]) == []


def test_no_token_is_401(api: Api, alarms: str) -> None:
    waiting = api.started(alarms)
    for response in (signal(api, {"name": "device_alarm"}, who=None),
                     message(api, {"name": "test_result", "correlation": {}}, who=None)):
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert bpmn_ids(api, waiting["id"]) == []


@pytest.mark.parametrize("who", ["admin", "owner", "dadmin", "insp"])
def test_other_sender_roles(api: Api, alarms: str, projects: dict[str, int], who: str) -> None:
    waiting = api.started(alarms, project_id=projects["acme"])  # in 海曙区
    response = signal(api, {"name": "device_alarm", "case_id": waiting["id"]}, who=who)
    assert response.status_code == 200 and response.get_json() == {"delivered": [waiting["instance_id"]]}


def test_events_never_reach_cases_the_sender_may_not_read(api: Api, alarms: str, lab: str,
                                                          projects: dict[str, int]) -> None:
    haishu = api.started(alarms, project_id=projects["acme"])
    jiangbei_inspector_signal = signal(api, {"name": "device_alarm", "case_id": haishu["id"]}, who="insp_jb")
    assert jiangbei_inspector_signal.status_code == 200
    assert jiangbei_inspector_signal.get_json() == {"delivered": []}
    assert bpmn_ids(api, haishu["id"]) == []
    api.started(lab, data={"project_code": "NB-7"}, project_id=projects["acme"])
    refused = message(api, {"name": "test_result", "correlation": {"project_code": "NB-7"}}, who="insp_jb")
    assert refused.status_code == 409 and refused.get_json()["error"] == "not_delivered"


def test_openapi_lists_the_event_paths_and_every_engine_contract_path(api: Api) -> None:
    paths = api.get(None, "/openapi.json").get_json()["paths"]
    for path in ("/api/v1/signals", "/api/v1/messages"):
        assert "requestBody" in paths[path]["post"], path
    contract = {
        "/api/v1/auth/tokens": "post", "/api/v1/health": "get",
        "/api/v1/process-models": "get", "/api/v1/process-models/{key}": "get",
        "/api/v1/process-models/{key}/bpmn": "get",
        "/api/v1/cases": "post", "/api/v1/cases/{case_id}": "get", "/api/v1/cases/{case_id}/history": "get",
        "/api/v1/cases/{case_id}/documents": "get", "/api/v1/cases/{case_id}/cancel": "post",
        "/api/v1/tasks": "get", "/api/v1/tasks/{task_id}": "get", "/api/v1/tasks/{task_id}/claim": "post",
        "/api/v1/tasks/{task_id}/unclaim": "post", "/api/v1/tasks/{task_id}/complete": "post",
        "/api/v1/signals": "post", "/api/v1/messages": "post",
        "/api/v1/documents": "post", "/api/v1/documents/{document_id}": "get",
        "/api/v1/audit/verify": "get",
    }
    missing = {path: verb for path, verb in contract.items() if verb not in paths.get(path, {})}
    assert missing == {}
    assert "post" in paths["/api/v1/process-models"] and "get" in paths["/api/v1/cases"]
