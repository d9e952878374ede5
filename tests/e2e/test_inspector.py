"""An inspector logs in, claims a task, submits its form with an error, corrects it and completes it."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from storage import AuditEvent, Document, Task
from tests.fixtures.e2e import LiveServer, PageProblems, log_in, screenshot
from tests.fixtures.samples import png_bytes
from tests.fixtures.ui import seed_world, ui_config


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    """The live app with the UI test family (tests/fixtures/ui.py) registered."""
    return ui_config(live_app_config)


def test_inspector_claims_fixes_and_completes_a_task(live_server: LiveServer, page: Page,
                                                     page_problems: PageProblems) -> None:
    world = seed_world(live_server.services)
    log_in(page, live_server, "inspector")
    expect(page.locator("#nav-inbox-count")).to_contain_text("1")
    screenshot(page, "home-inspector")

    page.get_by_role("link", name=re.compile("待办")).first.click()
    row = page.locator("tr", has_text="文化中心日常监督")
    expect(row).to_have_count(1)
    expect(page.locator("tr", has_text="学校扩建")).to_have_count(0)  # another district's case
    screenshot(page, "inbox")

    row.get_by_role("button", name="领取").click()  # htmx swaps the row
    expect(row).to_contain_text("已由 王监督 领取")
    expect(row.get_by_role("button", name="释放")).to_be_visible()
    row.get_by_role("link", name="监督检查").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("监督检查")
    screenshot(page, "task")

    # First attempt: the required yes/no answer is missing.
    page.get_by_label("检查日期").fill("2026-03-02")
    page.get_by_label("问题等级").select_option("serious")
    page.get_by_label("发现的问题").fill("脚手架连墙件缺失\n临边防护不到位")
    page.get_by_role("button", name="完成任务").click()
    errors = page.locator("#f-passed-errors")
    expect(errors).to_contain_text("此项为必填项")
    expect(page.get_by_label("检查日期")).to_have_value("2026-03-02")  # what was typed is kept
    expect(page.get_by_label("发现的问题")).to_have_value("脚手架连墙件缺失\n临边防护不到位")
    expect(page.locator("#form-errors")).to_contain_text("是否合格")
    screenshot(page, "task-errors")

    # Corrected, with a photo, and completed.
    page.get_by_label("否").check()
    page.locator("#f-photos-upload").set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": png_bytes(8, 8)}])
    page.get_by_role("button", name="完成任务").click()
    expect(page.locator(".flash")).to_contain_text("任务已完成")
    expect(page.locator("tr", has_text="签发记录")).to_have_count(1)  # the next step of the case
    screenshot(page, "inbox-after")

    with live_server.session() as session:
        task = session.scalars(select(Task).where(Task.case_id == world.inspection_case, Task.bpmn_id == "inspect")).one()
        assert task.state == "completed" and task.completed_by == "inspector"
        photo = session.scalars(select(Document).where(Document.case_id == world.inspection_case)).one()
        submitted = session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id,
                                                             AuditEvent.action == "task.completed")).one()
        assert submitted.data["data"]["passed"] is False
        assert submitted.data["data"]["photos"] == [photo.id]
        assert submitted.data["data"]["findings"] == ["脚手架连墙件缺失", "临边防护不到位"]

    page.goto(f"{live_server.url}/cases/{world.inspection_case}")
    canvas = page.locator("#bpmn-canvas")
    expect(canvas).to_have_attribute("data-ready", "true")
    expect(page.locator(".oversite-completed")).to_have_count(1)
    expect(page.locator(".oversite-active")).to_have_count(1)
    expect(page.locator(".timeline")).to_contain_text("完成任务")
    screenshot(page, "case")
    page_problems.assert_none(allow=("status of 400",))  # the rejected form is answered with 400
