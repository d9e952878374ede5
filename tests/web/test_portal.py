"""The enterprise portal: its projects, obligations, forms to file, history; only its own data."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import FixedClock
from storage import Case, Task
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in, page_csrf
from web.services import Services


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def test_the_portal_shows_the_enterprises_own_things(app, world: World) -> None:  # type: ignore[no-untyped-def]
    page = logged_in(app, "contractor").get("/portal").get_data(as_text=True)
    assert "宁波建工集团有限公司" in page and "海曙区文化中心工程" in page and "施工单位" in page
    assert "江北区学校扩建工程" not in page
    assert '<a class="obligation-title"' in page and ">整改回复</a>" in page  # its open obligation
    assert "施工日志" in page and "开始填报" in page  # its start event is in the enterprise lane
    assert "日常监督检查" not in page  # an inspector's process is not offered
    other = logged_in(app, "stranger").get("/portal").get_data(as_text=True)
    assert "整改回复" not in other and "海曙区文化中心工程" not in other and "江北区学校扩建工程" in other


def test_only_enterprise_users_get_the_portal(app, world: World) -> None:  # type: ignore[no-untyped-def]
    response = logged_in(app, "inspector").get("/portal")
    assert response.status_code == 403 and "无权访问" in response.get_data(as_text=True)
    assert app.test_client().get("/portal").status_code == 302  # to the login page


def test_filing_a_form_starts_a_case_and_opens_its_first_task(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "contractor")
    token = page_csrf(client, "/portal")
    response = client.post("/portal/start", data={"csrf_token": token, "process_key": "ui_daily_log",
                                                  "project_id": str(world.project_id)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/tasks/")
    with services.session_factory() as session:
        case = session.scalars(select(Case).where(Case.process_key == "ui_daily_log")).one()
        task = session.scalars(select(Task).where(Task.case_id == case.id)).one()
    assert case.project_id == world.project_id and case.created_by == "contractor"
    assert response.headers["Location"] == f"/tasks/{task.id}"
    client.post(f"/tasks/{task.id}", data={"csrf_token": token, "work": "三层楼板浇筑"})
    page = client.get("/portal").get_data(as_text=True)
    assert "填写施工日志" in page and "李施工" in page  # the history, by display name


def test_filing_is_limited_to_startable_processes_and_own_projects(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "contractor")
    token = page_csrf(client, "/portal")
    refused = [
        {"process_key": "ui_inspection", "project_id": str(world.project_id)},   # an inspector's process
        {"process_key": "ui_daily_log", "project_id": str(world.other_project_id)},  # not its project
    ]
    for data in refused:
        assert client.post("/portal/start", data={"csrf_token": token, **data}).status_code == 403
    assert client.post("/portal/start", data={"csrf_token": token}).status_code == 400
    assert client.post("/portal/start", data={"csrf_token": token, "process_key": "ui_daily_log",
                                              "project_id": "x"}).status_code == 400
    with services.session_factory() as session:
        assert session.scalars(select(Case).where(Case.process_key == "ui_daily_log")).all() == []
