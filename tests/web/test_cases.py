"""The case list and case page: timeline, diagram data, documents, instances, read access."""
from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import FixedClock
from storage import Task
from tests.fixtures.samples import png_bytes
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in, page_csrf
from web.services import Services


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def complete_inspection(app, world: World, services: Services) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    with services.session_factory() as session:
        task = session.scalars(select(Task).where(Task.case_id == world.inspection_case,
                                                  Task.bpmn_id == "inspect")).one()
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data={
        "csrf_token": token, "inspected_on": "2026-03-02", "passed": "true", "severity": "minor",
        "findings": "", "photos__upload": [(io.BytesIO(png_bytes()), "现场.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    return client


def test_case_page_shows_who_did_what(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = complete_inspection(app, world, services)
    page = client.get(f"/cases/{world.inspection_case}").get_data(as_text=True)
    assert "文化中心日常监督" in page and "海曙区文化中心工程" in page
    # the timeline: who (display name), role, when (Shanghai time), what changed (with labels)
    assert "案件开始" in page and "区域管理员" in page
    assert "完成任务" in page and "王监督" in page and "(监督员)" in page
    assert "<dt>问题等级</dt><dd>一般</dd>" in page and "<dt>是否合格</dt><dd>是</dd>" in page
    assert "<dt>现场照片</dt><dd>现场.png</dd>" in page
    assert re.search(r'<time datetime="2026-03-02T01:00:00\+00:00">2026-03-02 09:00:00</time>', page)
    # documents with download and SHA-256
    assert "/api/v1/documents/" in page and re.search(r'<code class="hash" title="[0-9a-f]{64}">', page)
    # the next open task for this inspector
    assert "办理：签发记录" in page


def test_the_diagram_marks_done_and_active_steps(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = complete_inspection(app, world, services)
    page = client.get(f"/cases/{world.inspection_case}").get_data(as_text=True)
    assert 'data-xml-url="/api/v1/process-models/ui_inspection/bpmn?version=1"' in page
    marks = json.loads(re.search(r'data-marks="([^"]*)"', page).group(1).replace("&#34;", '"'))  # type: ignore[union-attr]
    assert marks == {"completed": ["inspect"], "active": ["sign"], "cancelled": []}
    assert "bpmn-navigated-viewer.production.min.js" in page and "diagram-js.css" in page
    assert client.get("/api/v1/process-models/ui_inspection/bpmn?version=1").status_code == 200


def test_read_access_follows_scope(app, world: World) -> None:  # type: ignore[no-untyped-def]
    assert logged_in(app, "jiangbei").get(f"/cases/{world.inspection_case}").status_code == 404
    assert logged_in(app, "stranger").get(f"/cases/{world.inspection_case}").status_code == 404
    contractor = logged_in(app, "contractor")  # a party to the project: reads, works nothing here
    page = contractor.get(f"/cases/{world.inspection_case}").get_data(as_text=True)
    assert "文化中心日常监督" in page and "您在本案件中的待办任务" not in page
    auditor = logged_in(app, "auditor")
    page = auditor.get(f"/cases/{world.inspection_case}").get_data(as_text=True)
    assert "只读视图" in page and "/tasks/" not in page  # no action, not even a task link


def test_case_list_with_filters(app, world: World) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    page = client.get("/cases").get_data(as_text=True)
    assert "文化中心日常监督" in page and "文化中心整改第1轮" in page and "学校扩建日常监督" not in page
    page = client.get("/cases?process=ui_rectification").get_data(as_text=True)
    assert "文化中心整改第1轮" in page and "文化中心日常监督" not in page
    response = client.get("/cases?status=lost&page=-1")
    assert response.status_code == 200 and "部分筛选条件无效" in response.get_data(as_text=True)
    assert "共 0 个案件" in client.get("/cases?status=completed").get_data(as_text=True)
