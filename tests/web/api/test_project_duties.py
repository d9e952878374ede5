"""Project duties over HTTP: filing through cases and tasks, and ``/api/v1/project-duties`` (web/api/project_duties.py)."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import Actor, FixedClock, Scope
from storage import DailyLog, Project, ProjectParty
from tests.fixtures.project_duties import ACME, BUILDER, OTHER, START, TODAY, WATCH, deploy_family
from tests.fixtures.samples import png_bytes
from tests.fixtures.web import MakeUser, bearer
from web.services import Services

API = "/api/v1"
USERS = {
    "acme": ("enterprise", None, ACME),
    "watch": ("enterprise", None, WATCH),
    "other": ("enterprise", None, OTHER),
    "dadmin": ("district_admin", "海曙区", None),
    "insp_jb": ("inspector", "江北区", None),
    "admin": ("admin", None, None),
}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return {**app_config, "CLOCK": clock}


@pytest.fixture
def projects(services: Services) -> dict[str, int]:
    with services.session_factory.begin() as s:
        made = {}
        for key, district, contractor in (("p1", "海曙区", ACME), ("p2", "江北区", OTHER)):
            project = Project(code=key.upper(), name=f"{district}项目", district=district,
                              floor_area_m2=Decimal("1000"), supervision_start=TODAY - timedelta(days=200),
                              construction_start=TODAY - timedelta(days=180), created_at=START,
                              parties=[ProjectParty(enterprise_code=BUILDER, party_role="builder"),
                                       ProjectParty(enterprise_code=contractor, party_role="contractor"),
                                       ProjectParty(enterprise_code=WATCH, party_role="supervisor")])
            s.add(project)
            s.flush()
            made[key] = project.id
    deploy_family(services.engine, services.session_factory, Actor("admin", None, (Scope("admin"),)))
    return made


class Caller:
    def __init__(self, client: FlaskClient, token: Callable[[str], str]) -> None:
        self.client, self._token, self._tokens = client, token, {}

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        if who not in self._tokens:
            self._tokens[who] = self._token(who)
        return bearer(self._tokens[who])

    def get(self, who: str | None, path: str, **query: Any) -> Any:
        return self.client.get(API + path, headers=self.headers(who), query_string=query)

    def post(self, who: str, path: str, **kwargs: Any) -> Any:
        return self.client.post(API + path, headers=self.headers(who), **kwargs)

    def start(self, who: str, key: str, project_id: int | None, data: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"process_key": key, "data": data or {}}
        if project_id is not None:
            body["project_id"] = project_id
        return self.post(who, "/cases", json=body)

    def task_id(self, who: str, case_id: int) -> int:
        response = self.get(who, "/tasks", case_id=case_id)
        assert response.status_code == 200, response.get_json()
        (task,) = response.get_json()["items"]
        return task["id"]  # type: ignore[no-any-return]

    def complete(self, who: str, task_id: int, data: dict[str, Any]) -> Any:
        return self.post(who, f"/tasks/{task_id}/complete", json={"data": data})


@pytest.fixture
def api(client: FlaskClient, make_user: MakeUser, make_token: Callable[[str], str]) -> Caller:
    def token(who: str) -> str:
        make_user(who, roles=[USERS[who]])
        return make_token(who)

    return Caller(client, token)


def log_data(**overrides: Any) -> dict[str, Any]:
    return {"log_date": TODAY.isoformat(), "party": "contractor", "weather": "cloudy", "workers_on_site": 35,
            "work_content": "主体结构二层砌筑", **overrides}


def test_a_daily_log_through_the_api_and_its_bad_inputs(api, projects, services):
    started = api.start("acme", "project_daily_log", projects["p1"])
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    upload = api.post("acme", "/documents", data={"file": (io.BytesIO(png_bytes(3, 3)), "site.png"),
                                                  "case_id": str(case_id), "kind": "daily_log_photo"},
                      content_type="multipart/form-data")
    assert upload.status_code == 201, upload.get_json()
    task_id = api.task_id("acme", case_id)
    future = api.complete("acme", task_id, log_data(log_date="2026-03-03"))
    assert future.status_code == 400
    assert future.get_json()["details"] == {"log_date": ["2026-03-03 is in the future (today is 2026-03-02)."]}
    missing = api.complete("acme", task_id, {"party": "contractor"})
    assert missing.status_code == 400 and {"log_date", "weather", "work_content"} <= set(missing.get_json()["details"])
    assert api.complete("other", task_id, log_data()).status_code == 404  # not its project
    done = api.complete("acme", task_id, log_data(document_ids=[upload.get_json()["id"]]))
    assert done.status_code == 200, done.get_json()

    again_case = api.start("acme", "project_daily_log", projects["p1"]).get_json()["id"]
    twice = api.complete("acme", api.task_id("acme", again_case), log_data())
    assert twice.status_code == 400 and "already filed" in twice.get_json()["details"]["log_date"][0]
    with services.session_factory() as s:  # nothing partial from the refused submissions
        assert len(s.scalars(select(DailyLog.id)).all()) == 1


def test_an_enterprise_cannot_start_duties_on_another_enterprises_project(api, projects):
    response = api.start("other", "project_daily_log", projects["p1"])
    assert response.status_code == 403


def test_missing_logs_are_listed_for_the_district(api, projects, services, clock):
    job = services.registries.jobs.get("project.daily_log_check")
    job.func(services.session_factory, FixedClock(datetime(2026, 3, 3, 1, 30, tzinfo=timezone(timedelta(hours=8)))))
    body = api.get("dadmin", "/project-duties/missing-logs", date="2026-03-02").get_json()
    assert body["total"] == 2
    assert [(i["project_code"], i["party"], i["party_label"], i["enterprise_code"]) for i in body["items"]] == [
        ("P1", "contractor", "施工单位", ACME), ("P1", "supervisor", "监理单位", WATCH)]
    # Still outstanding: both parties on the six working days the run looked at (24 Feb – 2 Mar).
    outstanding = api.get("dadmin", "/project-duties/missing-logs", per_page=5).get_json()
    assert outstanding["total"] == 12 and len(outstanding["items"]) == 5
    assert outstanding["items"][0]["log_date"] == "2026-03-02"  # newest first
    assert api.get("dadmin", "/project-duties/missing-logs", date="2026-03-01").get_json()["total"] == 0
    assert api.get("insp_jb", "/project-duties/missing-logs").get_json()["total"] == 12  # 江北区's own
    assert api.get("admin", "/project-duties/missing-logs").get_json()["total"] == 24
    assert api.get("dadmin", "/project-duties/missing-logs", district="江北区").status_code == 403
    assert api.get("acme", "/project-duties/missing-logs").status_code == 403
    assert api.get(None, "/project-duties/missing-logs").status_code == 401
    bad = api.get("dadmin", "/project-duties/missing-logs", date="yesterday")
    assert bad.status_code == 400 and "date" in bad.get_json()["details"]
    # A late log shows as resolved on that day and leaves the outstanding list.
    case_id = api.start("acme", "project_daily_log", projects["p1"]).get_json()["id"]
    assert api.complete("acme", api.task_id("acme", case_id), log_data()).status_code == 200
    items = api.get("dadmin", "/project-duties/missing-logs", date="2026-03-02").get_json()["items"]
    assert [i["resolved_case_id"] for i in items] == [case_id, None]
    assert api.get("dadmin", "/project-duties/missing-logs").get_json()["total"] == 11


def test_self_inspection_gaps_are_listed_per_week(api, projects, services):
    job = services.registries.jobs.get("project.self_inspection_check")
    job.func(services.session_factory, FixedClock(datetime(2026, 3, 9, 2, 0, tzinfo=timezone(timedelta(hours=8)))))
    body = api.get("dadmin", "/project-duties/self-inspection-gaps", week="2026-03-02").get_json()
    assert [(i["project_code"], i["week_start"], i["week_end"], i["inspections"]) for i in body["items"]] == [
        ("P1", "2026-03-02", "2026-03-08", 0)]
    assert api.get("admin", "/project-duties/self-inspection-gaps").get_json()["total"] == 2
    assert api.get("watch", "/project-duties/self-inspection-gaps").status_code == 403


def test_the_submitter_reads_the_answer_to_its_suggestion(api, projects):
    started = api.start("acme", "project_suggestion", None,
                        {"title": "希望增加移动端", "content": "现场人员用手机填报更方便。", "district": "海曙区",
                         "category": "system"})
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    mine = api.get("acme", "/project-duties/suggestions").get_json()
    assert [(s["title"], s["status"], s["answer"]) for s in mine["items"]] == [("希望增加移动端", "submitted", None)]
    assert api.get("other", "/project-duties/suggestions").get_json()["total"] == 0
    assert api.get("dadmin", "/project-duties/suggestions", status="submitted").get_json()["total"] == 1
    assert api.complete("dadmin", api.task_id("dadmin", case_id), {"answer": "移动端正在开发。"}).status_code == 200
    (answered,) = api.get("acme", "/project-duties/suggestions").get_json()["items"]
    assert (answered["status"], answered["answer"], answered["answered_by"]) == ("answered", "移动端正在开发。", "dadmin")
    assert api.get("acme", f"/cases/{case_id}").get_json()["data"]["answer"] == "移动端正在开发。"
    refused = api.start("acme", "project_suggestion", None, {"content": "没有标题"})
    assert refused.status_code == 400 and set(refused.get_json()["details"]) == {"title"}
    assert api.get("acme", "/project-duties/suggestions").get_json()["total"] == 1
