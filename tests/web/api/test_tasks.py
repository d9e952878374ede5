"""``/api/v1/tasks``: the inbox, one task with its form, claim, unclaim, complete, races, scoping."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.test import TestResponse

from engine import FixedClock
from tests.fixtures import bpmn

from .engine_api import FORM_KEY, HAISHU, START, Api, engine_config, inspection

GOOD = {"passed": True, "inspected_on": "2026-03-02"}


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return engine_config(app_config, clock)


@pytest.fixture
def model(api: Api) -> str:
    api.deployed(inspection(due="deadline"))
    return "inspection"


@pytest.fixture
def case(api: Api, model: str, projects: dict[str, int]) -> dict[str, Any]:
    """A case on ACME's project in 海曙区, waiting at 'inspect' (lane inspector, due in 3 days)."""
    return api.started(model, project_id=projects["acme"], data={"deadline": "P3D", "site": "宁波中心"})


def ids(tasks: list[dict[str, Any]]) -> list[int]:
    return [t["id"] for t in tasks]


def task_of(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    return api.open_task(case["id"])


def state_of(api: Api, task_id: int) -> dict[str, Any]:
    response = api.get("admin", f"/tasks/{task_id}")
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


# -- the inbox --------------------------------------------------------------------------

def test_default_list_is_the_open_tasks_the_caller_may_work_on(api: Api, case: dict[str, Any]) -> None:
    (task,) = api.tasks("insp")
    assert task["case_id"] == case["id"] and task["instance_id"] == case["instance_id"]
    assert task["bpmn_id"] == "inspect" and task["name"] == "现场检查" and task["role"] == "inspector"
    assert task["state"] == "open" and task["district"] == HAISHU and task["form_key"] == FORM_KEY
    assert task["process_key"] == "inspection" and task["assignee_id"] is None and task["overdue"] is False
    assert ids(api.tasks("admin")) == [task["id"]]
    assert api.tasks("acme") == []  # a party to the project, but not an inspector
    assert api.tasks("dadmin") == []  # the lane names another role
    assert api.tasks("aud") == []  # auditors never work tasks
    assert api.tasks("insp_jb") == []  # another district
    response = api.get("insp", "/tasks")
    assert response.get_json()["total"] == 1 and response.get_json()["page"] == 1


def test_a_task_without_lane_is_offered_within_the_case_scope(api: Api, case: dict[str, Any]) -> None:
    task = task_of(api, case)
    assert api.complete("insp", task["id"], GOOD).status_code == 200
    (archive,) = api.tasks("acme")
    assert archive["bpmn_id"] == "archive" and archive["role"] is None
    assert ids(api.tasks("insp")) == [archive["id"]]
    assert api.tasks("other") == [] and api.tasks("insp_jb") == []


def test_filters_case_process_project_and_state(api: Api, model: str, projects: dict[str, int]) -> None:
    api.deployed(inspection("daily_log", form=None))
    a = api.started(model, project_id=projects["acme"], data={"deadline": 3})
    b = api.started(model, project_id=projects["bare"], data={"deadline": 3})
    c = api.started("daily_log", project_id=projects["acme"])
    ta, tb, tc = (task_of(api, x)["id"] for x in (a, b, c))
    assert sorted(ids(api.tasks("insp"))) == sorted([ta, tb, tc])
    assert ids(api.tasks("insp", case_id=b["id"])) == [tb]
    assert ids(api.tasks("insp", process_key="daily_log")) == [tc]
    assert sorted(ids(api.tasks("insp", project_id=projects["acme"]))) == sorted([ta, tc])
    assert ids(api.tasks("insp", project_id=projects["acme"], process_key=model)) == [ta]
    assert api.tasks("insp", project_id=projects["other"]) == []

    assert api.complete("insp", ta, GOOD).status_code == 200
    completed = api.tasks("insp", state="completed")
    assert ids(completed) == [ta] and completed[0]["completed_by"] == "insp"
    assert completed[0]["completed_at"] == START.isoformat() and completed[0]["overdue"] is False
    assert ta not in ids(api.tasks("insp"))
    assert ids(api.tasks("aud", state="completed")) == [ta]  # auditors read every task

    page = api.get("insp", "/tasks", query_string={"per_page": 2, "page": 2}).get_json()
    assert page["total"] == 3 and page["per_page"] == 2 and len(page["items"]) == 1


def test_overdue_follows_due_in_and_the_injected_clock(api: Api, case: dict[str, Any], clock: FixedClock,
                                                       model: str) -> None:
    no_due = api.started(model, data={"deadline": None})  # dueIn evaluates to nothing: no due date
    task = task_of(api, case)
    assert task["due_at"] == (START + timedelta(days=3)).isoformat()
    assert api.tasks("insp", overdue="true") == []
    clock.advance(timedelta(days=3, minutes=1))
    (late,) = api.tasks("insp", overdue="true")
    assert late["id"] == task["id"] and late["overdue"] is True
    assert {t["id"]: t["overdue"] for t in api.tasks("admin")}[task_of(api, no_due)["id"]] is False
    assert state_of(api, task["id"])["overdue"] is True
    assert api.complete("insp", task["id"], GOOD).status_code == 200
    assert api.tasks("insp", overdue="true") == []
    assert api.tasks("insp", state="completed")[0]["overdue"] is False


@pytest.mark.parametrize("data", [{}, {"deadline": "next week"}, {"deadline": [3]}, {"deadline": 1e300}])
def test_a_bad_due_in_value_fails_the_step_cleanly(api: Api, model: str, data: dict[str, Any]) -> None:
    response = api.start(model, data=data)
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"] == "script_failed" and body["details"]["element_id"] == "inspect"
    assert "dueIn" in body["message"]
    assert api.get("admin", "/cases").get_json()["total"] == 0 and api.tasks("admin") == []


@pytest.mark.parametrize("query", [{"state": "bogus"}, {"assignee": "you"}, {"overdue": "maybe"},
                                   {"case_id": "x"}, {"per_page": 0}])
def test_bad_list_arguments_are_400(api: Api, query: dict[str, Any]) -> None:
    response = api.get("insp", "/tasks", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"] == "validation_error" and set(response.get_json()["details"]) == set(query)


def test_no_token_is_401(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    for response in (api.get(None, "/tasks"), api.get(None, f"/tasks/{task_id}"),
                     api.post(None, f"/tasks/{task_id}/claim"), api.post(None, f"/tasks/{task_id}/unclaim"),
                     api.complete(None, task_id, GOOD)):
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    assert state_of(api, task_id)["state"] == "open"


# -- one task ---------------------------------------------------------------------------

def test_task_detail_has_the_form_as_json_schema_and_the_data(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    response = api.get("insp", f"/tasks/{task_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == task_id and body["form_key"] == FORM_KEY and body["state"] == "open"
    form = body["form"]
    assert form["type"] == "object" and form["title"] == "监督检查"
    assert set(form["properties"]) == {"passed", "inspected_on", "severity"}
    assert form["properties"]["passed"]["type"] == "boolean" and form["properties"]["passed"]["title"] == "是否合格"
    assert form["properties"]["inspected_on"]["format"] == "date"
    assert form["properties"]["severity"]["enum"] == ["minor", "serious"]
    assert sorted(form["required"]) == ["inspected_on", "passed"]
    assert body["data"]["site"] == "宁波中心" and body["data"]["case_id"] == case["id"]


def test_a_formless_task_has_no_form(api: Api, projects: dict[str, int]) -> None:
    api.deployed(bpmn.sequence("plain", ["note"]))
    case = api.started("plain", data={"n": 1})
    body = api.get("admin", f"/tasks/{task_of(api, case)['id']}").get_json()
    assert body["form"] is None and body["form_key"] is None and body["data"]["n"] == 1


def test_unknown_task_is_404(api: Api) -> None:
    for response in (api.get("admin", "/tasks/999999"), api.post("admin", "/tasks/999999/claim"),
                     api.complete("admin", 999999, GOOD)):
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"


# -- claim and unclaim ------------------------------------------------------------------

def test_claim_is_exclusive_until_unclaimed(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    claimed = api.post("insp", f"/tasks/{task_id}/claim")
    assert claimed.status_code == 200, claimed.get_json()
    assert claimed.get_json()["state"] == "claimed" and claimed.get_json()["assignee_id"] == api.user_id("insp")
    assert ids(api.tasks("insp", assignee="me")) == [task_id]
    assert ids(api.tasks("insp", state="claimed")) == [task_id]
    assert api.tasks("insp2", assignee="me") == []
    assert api.tasks("insp2") == []  # no longer offered to the other inspector

    taken = api.post("insp2", f"/tasks/{task_id}/claim")
    assert taken.status_code == 409 and taken.get_json()["error"] == "conflict"
    not_theirs = api.complete("insp2", task_id, GOOD)
    assert not_theirs.status_code == 409 and "claimed" in not_theirs.get_json()["message"]
    stolen = api.post("insp2", f"/tasks/{task_id}/unclaim")
    assert stolen.status_code == 403 and stolen.get_json()["error"] == "forbidden"
    again = api.post("insp", f"/tasks/{task_id}/claim")
    assert again.status_code == 409
    assert state_of(api, task_id)["assignee_id"] == api.user_id("insp")

    released = api.post("insp", f"/tasks/{task_id}/unclaim")
    assert released.status_code == 200
    assert released.get_json()["state"] == "open" and released.get_json()["assignee_id"] is None
    twice = api.post("insp", f"/tasks/{task_id}/unclaim")
    assert twice.status_code == 409
    assert ids(api.tasks("insp2")) == [task_id]
    assert api.post("insp2", f"/tasks/{task_id}/claim").status_code == 200
    done = api.complete("insp2", task_id, GOOD)
    assert done.status_code == 200 and done.get_json()["completed_by"] == "insp2"
    actions = [e["action"] for e in api.get("admin", f"/cases/{case['id']}/history").get_json()]
    assert actions.count("task.claimed") == 2 and actions.count("task.unclaimed") == 1


def test_a_district_admin_may_release_a_claim(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    assert api.post("insp", f"/tasks/{task_id}/claim").status_code == 200
    released = api.post("dadmin", f"/tasks/{task_id}/unclaim")
    assert released.status_code == 200 and released.get_json()["state"] == "open"


def test_claim_needs_the_lane_role_in_scope(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    party = api.post("acme", f"/tasks/{task_id}/claim")
    assert party.status_code == 403 and party.get_json()["error"] == "forbidden"  # reads it, may not work it
    for outsider in ("other", "insp_jb"):
        response = api.post(outsider, f"/tasks/{task_id}/claim")
        assert response.status_code == 404, outsider
    auditor = api.post("aud", f"/tasks/{task_id}/claim")
    assert auditor.status_code == 403
    assert state_of(api, task_id)["state"] == "open"


# -- complete ---------------------------------------------------------------------------

def test_complete_moves_the_case_on(api: Api, case: dict[str, Any], clock: FixedClock) -> None:
    task_id = task_of(api, case)["id"]
    clock.advance(timedelta(hours=1))
    response = api.complete("insp", task_id, {**GOOD, "severity": "serious"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["id"] == task_id and body["state"] == "completed" and body["completed_by"] == "insp"
    assert body["completed_at"] == (START + timedelta(hours=1)).isoformat()
    assert body["assignee_id"] == api.user_id("insp")
    (archive,) = api.tasks("admin", case_id=case["id"])
    assert archive["bpmn_id"] == "archive"
    data = api.get("admin", f"/tasks/{archive['id']}").get_json()["data"]
    assert data["passed"] is True and data["inspected_on"] == "2026-03-02" and data["severity"] == "serious"
    assert api.complete("acme", archive["id"], {"note": "已归档"}).status_code == 200
    assert api.get("admin", f"/cases/{case['id']}").get_json()["status"] == "completed"


def test_form_errors_are_400_field_by_field_and_the_task_stays_open(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    response = api.complete("insp", task_id, {"passed": "perhaps", "severity": "catastrophic", "extra": 1})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {"passed", "inspected_on", "severity", "extra"}
    assert all(isinstance(v, list) and v for v in body["details"].values())
    for bad in ({"passed": True, "inspected_on": "not a date"}, {"passed": True}):
        refused = api.complete("insp", task_id, bad)
        assert refused.status_code == 400 and refused.get_json()["error"] == "validation_error", bad
    assert state_of(api, task_id)["state"] == "open"
    assert ids(api.tasks("insp", case_id=case["id"])) == [task_id]
    actions = [e["action"] for e in api.get("admin", f"/cases/{case['id']}/history").get_json()]
    assert "task.completed" not in actions
    assert api.complete("insp", task_id, GOOD).status_code == 200


@pytest.mark.parametrize("data", [["a", "list"], "text", 42])
def test_data_that_is_not_an_object_is_400(api: Api, case: dict[str, Any], data: Any) -> None:
    task_id = task_of(api, case)["id"]
    response = api.complete("insp", task_id, data)
    assert response.status_code == 400 and set(response.get_json()["details"]) == {"data"}
    assert state_of(api, task_id)["state"] == "open"


def test_a_formless_task_takes_only_plain_values(api: Api) -> None:
    api.deployed(bpmn.sequence("plain", ["note"]))
    task_id = task_of(api, api.started("plain"))["id"]
    response = api.complete("admin", task_id, {"ok": True, "nested": {"x": 1}, "_private": 1, "rows": [{"a": 1}]})
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"nested", "_private", "rows"}
    assert state_of(api, task_id)["state"] == "open"
    assert api.complete("admin", task_id, {"ok": True, "tags": ["a", 1, None]}).status_code == 200


def test_completing_twice_is_409_and_state_stays(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    assert api.complete("insp", task_id, GOOD).status_code == 200
    again = api.complete("insp", task_id, {**GOOD, "passed": False})
    assert again.status_code == 409
    assert again.get_json()["error"] == "conflict" and "completed" in again.get_json()["message"]
    (archive,) = api.tasks("admin", case_id=case["id"])
    assert archive["bpmn_id"] == "archive"
    assert api.get("admin", f"/tasks/{archive['id']}").get_json()["data"]["passed"] is True
    assert api.post("insp", f"/tasks/{task_id}/claim").status_code == 409


def test_concurrent_completions_exactly_one_wins(api: Api, app, case: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    task_id = task_of(api, case)["id"]
    callers = [api.with_client(app.test_client()) for _ in range(2)]
    for caller in callers:
        caller.token("insp")
        caller.token("insp2")
    barrier = threading.Barrier(2)
    responses: list[TestResponse] = []
    lock = threading.Lock()

    def complete(caller: Api, who: str, passed: bool) -> None:
        barrier.wait(10)
        response = caller.complete(who, task_id, {**GOOD, "passed": passed})
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=complete, args=(callers[0], "insp", True)),
               threading.Thread(target=complete, args=(callers[1], "insp2", False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status_code for r in responses) == [200, 409], [r.get_json() for r in responses]
    winner = next(r.get_json() for r in responses if r.status_code == 200)
    loser = next(r.get_json() for r in responses if r.status_code == 409)
    assert loser["error"] == "conflict"
    (archive,) = api.tasks("admin", case_id=case["id"])
    data = api.get("admin", f"/tasks/{archive['id']}").get_json()["data"]
    assert data["passed"] is (winner["completed_by"] == "insp")
    history = api.get("admin", f"/cases/{case['id']}/history").get_json()
    assert [e["actor"] for e in history if e["action"] == "task.completed"] == [winner["completed_by"]]


# -- scoping ----------------------------------------------------------------------------

def test_inspectors_see_only_their_districts_tasks(api: Api, model: str, projects: dict[str, int]) -> None:
    haishu = task_of(api, api.started(model, project_id=projects["bare"], data={"deadline": 3}))["id"]
    jiangbei = task_of(api, api.started(model, project_id=projects["other"], data={"deadline": 3}))["id"]
    assert ids(api.tasks("insp")) == [haishu]
    assert ids(api.tasks("insp_jb")) == [jiangbei]
    assert sorted(ids(api.tasks("admin"))) == sorted([haishu, jiangbei])
    assert api.get("insp", f"/tasks/{jiangbei}").status_code == 404
    assert api.complete("insp", jiangbei, GOOD).status_code == 404
    assert api.complete("insp_jb", jiangbei, GOOD).status_code == 200


def test_another_enterprises_task_is_invisible(api: Api, model: str, projects: dict[str, int]) -> None:
    api.deployed(bpmn.sequence("filing", ["fill"]))
    ours = task_of(api, api.started("filing", who="acme", project_id=projects["acme"]))["id"]
    theirs = task_of(api, api.started("filing", who="other", project_id=projects["other"]))["id"]
    assert ids(api.tasks("acme")) == [ours] and ids(api.tasks("other")) == [theirs]
    for response in (api.get("acme", f"/tasks/{theirs}"), api.post("acme", f"/tasks/{theirs}/claim"),
                     api.complete("acme", theirs, {"x": 1})):
        assert response.status_code == 404 and response.get_json()["error"] == "not_found"
        assert "fill" not in response.get_data(as_text=True)
    assert api.get("other", f"/tasks/{theirs}").get_json()["state"] == "open"
    assert api.get("acme", f"/tasks/{ours}").status_code == 200


def test_auditors_read_tasks_but_do_not_work_them(api: Api, case: dict[str, Any]) -> None:
    task_id = task_of(api, case)["id"]
    assert api.get("aud", f"/tasks/{task_id}").status_code == 200
    refused = api.complete("aud", task_id, GOOD)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert state_of(api, task_id)["state"] == "open"


def test_openapi_lists_the_task_paths(api: Api) -> None:
    paths = api.get(None, "/openapi.json").get_json()["paths"]
    query = {p["name"] for p in paths["/api/v1/tasks"]["get"]["parameters"] if p["in"] == "query"}
    assert {"state", "process_key", "case_id", "project_id", "assignee", "overdue", "page", "per_page"} <= query
    assert "get" in paths["/api/v1/tasks/{task_id}"]
    for verb in ("claim", "unclaim", "complete"):
        assert "post" in paths[f"/api/v1/tasks/{{task_id}}/{verb}"], verb
    assert "requestBody" in paths["/api/v1/tasks/{task_id}/complete"]["post"]
