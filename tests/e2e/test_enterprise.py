"""An enterprise user, on a phone, replies to a rectification with an upload; files a daily log."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from storage import AuditEvent, Document, Task
from tests.fixtures.e2e import LiveServer, PageProblems, log_in, screenshot
from tests.fixtures.samples import pdf_bytes, png_bytes
from tests.fixtures.ui import drive_to_rectification, seed_world, ui_config


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    """The live app with the UI test family (tests/fixtures/ui.py) registered."""
    return ui_config(live_app_config)


def test_enterprise_replies_to_a_rectification_with_evidence(live_server: LiveServer, phone_page: Page,
                                                             page_problems: PageProblems) -> None:
    """The supervision family's own rectification round (supervision.rectification_reply)."""
    world = seed_world(live_server.services)
    case_id = drive_to_rectification(live_server.services, world)
    page = phone_page
    log_in(page, live_server, "contractor", next_path="/portal")
    obligation = page.locator(".obligations li", has_text="整改并回复")
    expect(obligation).to_have_count(1)
    expect(page.locator(".project-list")).to_contain_text("海曙区文化中心工程")
    expect(page.locator(".project-list")).not_to_contain_text("江北区学校扩建工程")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone
    screenshot(page, "portal-phone")

    obligation.get_by_role("link", name="整改并回复").click()
    expect(page.locator(".task-context")).to_contain_text("脚手架连墙件缺失")  # the finding, in the case context
    page.get_by_label("整改措施及结果").fill("已补设连墙件，临边防护已整改到位。")
    page.get_by_label("整改完成日期").fill(date.today().isoformat())
    page.get_by_label("联系人及电话").fill("李施工 13800000000")
    page.locator("#f-evidence-upload").set_input_files(files=[
        {"name": "整改后.png", "mimeType": "image/png", "buffer": png_bytes(16, 16)},
        {"name": "整改报告.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("rectified")},
    ])
    screenshot(page, "task-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="完成任务").click()

    expect(page.locator(".flash")).to_contain_text("任务已完成")
    expect(page.locator(".obligations li", has_text="整改并回复")).to_have_count(0)
    expect(page.locator(".history")).to_contain_text("整改并回复")
    screenshot(page, "portal-phone-after")

    with live_server.session() as session:
        reply = session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == "reply")).one()
        assert reply.state == "completed" and reply.completed_by == "contractor"
        documents = session.scalars(select(Document).where(Document.case_id == case_id, Document.task_id == reply.id)
                                    .order_by(Document.id)).all()
        assert [d.filename for d in documents] == ["整改后.png", "整改报告.pdf"]
        event = session.scalars(select(AuditEvent).where(AuditEvent.task_id == reply.id,
                                                         AuditEvent.action == "task.completed")).one()
        assert event.data["data"]["evidence"] == [d.id for d in documents]
        review = session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == "review")).one()
        assert review.state == "open"  # the inspectors' review is next
    page_problems.assert_none()


def test_enterprise_files_a_daily_log_from_the_portal(live_server: LiveServer, page: Page,
                                                      page_problems: PageProblems) -> None:
    seed_world(live_server.services)
    log_in(page, live_server, "contractor", next_path="/portal")
    screenshot(page, "portal")
    form = page.locator(".file-forms li", has_text="施工日志")
    form.get_by_label("项目").select_option(label="海曙区文化中心工程")
    form.get_by_role("button", name="开始填报").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("填写施工日志")
    page.get_by_label("当日施工内容").fill("三层楼板浇筑")
    page.get_by_role("button", name="完成任务").click()
    expect(page.locator(".history")).to_contain_text("填写施工日志")
    page_problems.assert_none()
