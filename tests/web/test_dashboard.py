"""The statistics page: both usage tables as of a day, chart data, export links."""
from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest

from engine import FixedClock
from storage import record_project_event
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in
from web.services import Services


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def charts(page: str) -> dict[str, Any]:
    return {m.group(1): json.loads(html.unescape(m.group(2)))
            for m in re.finditer(r'id="chart-([a-z-]+)" data-chart="([^"]*)"', page)}


def test_tables_charts_and_exports(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    with services.session_factory.begin() as session:
        record_project_event(session, world.project_id, "assignment", date(2026, 2, 1))
    client = logged_in(app, "district_admin")
    page = client.get("/dashboard?as_of=2026-03-01").get_data(as_text=True)
    assert "各地监管端使用情况汇总表" in page and "各地项目端使用情况汇总表" in page
    assert page.count("<th scope=\"row\">合计</th>") == 2 and page.count('<th scope="row">海曙区</th>') == 2
    found = charts(page)
    assert set(found) == {"supervision-usage", "project-usage"}
    supervision = found["supervision-usage"]
    assert supervision["districts"][:2] == ["市本级", "海曙区"] and "合计" not in supervision["districts"]
    ratio = next(s for s in supervision["series"] if s["name"] == "已分配监督任务项目占比")
    assert ratio["data"][1] == 100.0  # 海曙区: its one supervised project has an assignment
    assert "/api/v1/reports/supervision-usage?as_of=2026-03-01&amp;format=xlsx" in page
    assert "/api/v1/reports/project-usage?as_of=2026-03-01&amp;format=docx" in page
    assert "echarts.min.js" in page and 'value="2026-03-01"' in page
    before = charts(client.get("/dashboard?as_of=2026-01-31").get_data(as_text=True))["supervision-usage"]
    assert next(s for s in before["series"] if s["name"] == "已分配监督任务项目占比")["data"][1] == 0.0


def test_default_day_and_bad_dates(app, world: World) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "auditor")
    assert 'value="2026-03-02"' in client.get("/dashboard").get_data(as_text=True)  # today in Shanghai
    response = client.get("/dashboard?as_of=yesterday")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "日期无法识别" in page and 'value="2026-03-02"' in page


def test_who_may_see_statistics(app, world: World) -> None:  # type: ignore[no-untyped-def]
    assert logged_in(app, "contractor").get("/dashboard").status_code == 403
    assert logged_in(app, "inspector").get("/dashboard").status_code == 200
