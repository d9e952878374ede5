"""The remaining main pages in a browser: statistics with charts, case list, login, keyboard use."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from storage import Project, record_project_event
from tests.fixtures.e2e import LiveServer, PageProblems, log_in, screenshot
from tests.fixtures.ui import drive_to_rectification, seed_world, ui_config


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    """The live app with the UI test family (tests/fixtures/ui.py) registered."""
    return ui_config(live_app_config)


def test_dashboard_draws_its_charts(live_server: LiveServer, page: Page, page_problems: PageProblems) -> None:
    world = seed_world(live_server.services)
    with live_server.session() as session:  # some usage, so that the bars show
        other = Project(code="HS-2026-002", name="海曙区第二工程", district="海曙区", supervision_start=date(2026, 1, 1))
        session.add(other)
        session.flush()
        for project_id, kinds in ((world.project_id, ("assignment", "briefing", "daily_log")),
                                  (other.id, ("assignment",)), (world.other_project_id, ("assignment",))):
            for kind in kinds:
                record_project_event(session, project_id, kind, date(2026, 1, 10))
        session.execute(update(Project).where(Project.id == world.other_project_id)
                        .values(supervision_start=date(2026, 1, 1)))
    log_in(page, live_server, "district_admin", next_path="/dashboard")
    expect(page.locator("#chart-supervision-usage svg")).to_have_count(1)
    expect(page.locator("#chart-project-usage svg")).to_have_count(1)
    expect(page.get_by_role("link", name="导出 XLSX")).to_have_count(2)
    screenshot(page, "dashboard")
    page.get_by_label("统计截至").fill("2026-01-31")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("#d-as-of")).to_have_value("2026-01-31")
    with page.expect_download() as info:
        page.locator("a[href*='supervision-usage'][href*='format=csv']").click()
    assert info.value.suggested_filename.endswith(".csv")
    page_problems.assert_none()


def test_pages_fit_the_screen_and_work_with_the_keyboard(live_server: LiveServer, page: Page,
                                                         page_problems: PageProblems) -> None:
    world = seed_world(live_server.services)
    page.goto(f"{live_server.url}/auth/login")
    screenshot(page, "login")
    log_in(page, live_server, "inspector", next_path="/cases")
    screenshot(page, "cases")
    for path in ("/", "/inbox", "/cases", f"/cases/{world.inspection_case}"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366, path
    # keyboard: the skip link comes first and shows where the focus is
    page.goto(f"{live_server.url}/inbox")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]")
    assert focused == ["skip-link", "solid"]
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # every form control has a label
    unlabelled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabelled == []
    page.goto(f"{live_server.url}/inbox?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    screenshot(page, "inbox-en")
    page_problems.assert_none()


def test_an_inspector_s_pages_fit_a_phone(live_server: LiveServer, phone_page: Page,
                                          page_problems: PageProblems) -> None:
    """On site, on a phone: the inbox as cards, wide tables scrolling inside their boxes."""
    world = seed_world(live_server.services)
    supervised = drive_to_rectification(live_server.services, world)  # a case with documents
    page = phone_page
    log_in(page, live_server, "inspector", next_path="/inbox")
    expect(page.locator("details.filters-panel")).not_to_have_attribute("open", "")  # folded: tasks first
    row = page.locator("table.inbox tbody tr").first
    assert row.bounding_box()["y"] < 812  # type: ignore[index]  # on the first screen
    expect(row).to_contain_text("监督检查")
    expect(row.locator("td[data-label='截止时间']")).to_be_visible()
    assert row.bounding_box()["width"] <= 375  # type: ignore[index]
    screenshot(page, "inbox-phone")
    page.get_by_text("筛选", exact=True).click()
    expect(page.get_by_label("仅显示已逾期")).to_be_visible()
    page.goto(f"{live_server.url}/inbox?overdue=1")  # filters set: they stay in view
    expect(page.get_by_label("仅显示已逾期")).to_be_checked()
    for path in ("/inbox", f"/cases/{supervised}", f"/cases/{world.inspection_case}"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto(f"{live_server.url}/cases/{supervised}")
    expect(page.locator(".table-wrap table.documents")).to_have_count(1)
    screenshot(page, "case-phone")
    page_problems.assert_none()
