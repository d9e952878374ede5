"""The inbox page: views, filters, highlighting, pagination, claim and release (htmx and plain)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import FixedClock
from storage import AuditEvent, Task
from tests.fixtures.engine import START
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import csrf_token, logged_in, page_csrf
from web.services import Services

HTMX = {"HX-Request": "true"}


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def task_of(services: Services, case_id: int, bpmn_id: str) -> Task:
    with services.session_factory() as session:
        return session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id)).one()


def test_views_follow_role_and_district(app, world: World) -> None:  # type: ignore[no-untyped-def]
    inspector = logged_in(app, "inspector")
    page = inspector.get("/inbox").get_data(as_text=True)
    assert "文化中心日常监督" in page and "学校扩建日常监督" not in page  # another district
    assert "文化中心整改第1轮" not in page  # the enterprise's task is not offered to an inspector
    scope = inspector.get("/inbox?tab=scope").get_data(as_text=True)
    assert "文化中心整改第1轮" in scope and "学校扩建日常监督" not in scope
    mine = inspector.get("/inbox?tab=mine").get_data(as_text=True)
    assert "文化中心日常监督" not in mine and "暂无任务" in mine

    contractor = logged_in(app, "contractor")
    page = contractor.get("/inbox").get_data(as_text=True)
    assert "文化中心整改第1轮" in page and "文化中心日常监督" not in page
    stranger = logged_in(app, "stranger")
    assert "文化中心整改第1轮" not in stranger.get("/inbox").get_data(as_text=True)


def test_overdue_and_near_due_tasks_are_highlighted(app, world: World, ui_clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    inspector = logged_in(app, "inspector")
    assert "row-near" not in inspector.get("/inbox").get_data(as_text=True)
    ui_clock.set(START + timedelta(days=2))  # due in 1 day: near (INBOX_NEAR_DUE_DAYS = 2)
    page = inspector.get("/inbox").get_data(as_text=True)
    assert 'class="row-near"' in page and "即将到期" in page
    ui_clock.set(START + timedelta(days=4))
    page = inspector.get("/inbox").get_data(as_text=True)
    assert 'class="row-overdue"' in page and "已逾期" in page
    assert "文化中心日常监督" in inspector.get("/inbox?overdue=1").get_data(as_text=True)


def test_filters_narrow_the_list(app, world: World) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(app, "district_admin")
    inspector = logged_in(app, "inspector")
    assert "文化中心日常监督" in inspector.get("/inbox?q=文化中心").get_data(as_text=True)
    assert "文化中心日常监督" in inspector.get("/inbox?q=hs-2026").get_data(as_text=True)  # code, any case
    assert "文化中心日常监督" not in inspector.get("/inbox?q=学校").get_data(as_text=True)
    assert "文化中心日常监督" not in inspector.get("/inbox?q=%25").get_data(as_text=True)  # % is literal
    assert "文化中心日常监督" in inspector.get("/inbox?process=ui_inspection").get_data(as_text=True)
    assert "文化中心日常监督" not in inspector.get("/inbox?process=ui_daily_log").get_data(as_text=True)
    assert "文化中心日常监督" not in inspector.get("/inbox?district=江北区").get_data(as_text=True)
    assert "文化中心日常监督" in inspector.get("/inbox?due_within=3").get_data(as_text=True)
    assert "文化中心日常监督" not in inspector.get("/inbox?due_within=2").get_data(as_text=True)
    assert admin.get("/inbox").status_code == 200


def test_bad_filters_are_ignored_and_reported(app, world: World) -> None:  # type: ignore[no-untyped-def]
    inspector = logged_in(app, "inspector")
    response = inspector.get("/inbox?due_within=soon&tab=everything&sort=name&page=0&q=" + "x" * 101)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "以下筛选条件无效" in page
    for name in ("due_within", "tab", "sort", "page", "q"):
        assert f"<li>{name}:" in page


def test_pages_of_twenty_five(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    inspector = world.actors["inspector"]
    with services.session_factory.begin() as session:
        for i in range(30):
            services.engine.start_case(session, "ui_inspection", {}, inspector, project_id=world.project_id,
                                       title=f"批量案件{i:02d}")
    client = logged_in(app, "inspector")
    first = client.get("/inbox").get_data(as_text=True)
    assert "共 31 项任务" in first and "第 1 页，共 2 页" in first and 'rel="next"' in first
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert second.count('id="task-row-') == 6
    beyond = client.get("/inbox?page=50").get_data(as_text=True)
    assert "第 2 页，共 2 页" in beyond  # a page past the end shows the last one


def test_claim_with_htmx_swaps_the_row_and_the_count(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, "/inbox")
    response = client.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": token, "next": "/inbox"},
                           headers=HTMX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith("<tr")
    assert "已由 王监督 领取" in body and "释放" in body
    assert 'id="nav-inbox-count"' in body and 'hx-swap-oob="true"' in body
    assert task_of(services, world.inspection_case, "inspect").state == "claimed"
    assert "文化中心日常监督" in client.get("/inbox?tab=mine").get_data(as_text=True)

    other = logged_in(app, "inspector2")
    token = page_csrf(other, "/inbox")
    assert "文化中心日常监督" not in other.get("/inbox").get_data(as_text=True)  # claimed: only in scope view
    response = other.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": token}, headers=HTMX)
    assert response.status_code == 200 and "已被他人领取" in response.get_data(as_text=True)
    response = other.post(f"/inbox/tasks/{task.id}/unclaim", data={"csrf_token": token}, headers=HTMX)
    assert "无权" in response.get_data(as_text=True)
    fresh = task_of(services, world.inspection_case, "inspect")
    assert fresh.state == "claimed" and fresh.assignee_id == world.actors["inspector"].user_id


def test_claim_and_release_without_javascript(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, "/inbox")
    response = client.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": token, "next": "/inbox?tab=mine"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox?tab=mine"
    assert "已领取任务" in client.get("/inbox").get_data(as_text=True)
    response = client.post(f"/inbox/tasks/{task.id}/unclaim", data={"csrf_token": token, "next": "//evil.example"})
    assert response.headers["Location"] == "/inbox"  # never off-site
    assert task_of(services, world.inspection_case, "inspect").state == "open"
    with services.session_factory() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.task_id == task.id)).all()
    assert actions == ["task.claimed", "task.unclaimed"]


def test_claim_without_csrf_token_changes_nothing(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    response = client.post(f"/inbox/tasks/{task.id}/claim", data={"next": "/inbox"})
    assert response.status_code == 400
    assert "表单已过期或并非来自本站" in response.get_data(as_text=True)
    assert task_of(services, world.inspection_case, "inspect").state == "open"


def test_claiming_a_task_of_another_district_is_refused(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "jiangbei")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, "/inbox")
    response = client.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": token})
    assert response.status_code == 404  # not even its existence is revealed
    assert task_of(services, world.inspection_case, "inspect").state == "open"


def test_expired_session_on_htmx_goes_to_login_and_back(app, world: World) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = page_csrf(client)
    response = client.post("/inbox/tasks/1/claim", data={"csrf_token": token},
                           headers={**HTMX, "HX-Current-URL": "http://localhost/inbox?tab=mine"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login?next=/inbox?tab%3Dmine"
    response = client.post("/inbox/tasks/1/claim", data={"csrf_token": token},
                           headers={**HTMX, "HX-Current-URL": "http://evil.example/x"})
    assert response.headers["HX-Redirect"] == "/auth/login?next=/"


def test_filter_request_from_htmx_gets_only_the_results(app, world: World) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    response = client.get("/inbox?q=文化", headers={**HTMX, "HX-Target": "inbox-results"})
    body = response.get_data(as_text=True)
    assert "<html" not in body and "文化中心日常监督" in body and 'class="tabs"' in body
    assert csrf_token(body)
