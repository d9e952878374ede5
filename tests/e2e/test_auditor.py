"""An auditor verifies the audit chain, reads a case without any action, downloads its archive."""
from __future__ import annotations

import hashlib
import io
import json
from typing import Any
import zipfile

import pytest
from playwright.sync_api import Page, expect

from storage import Document
from tests.fixtures.e2e import LiveServer, PageProblems, log_in, screenshot
from tests.fixtures.samples import pdf_bytes
from tests.fixtures.ui import seed_world, ui_config


@pytest.fixture
def live_app_config(live_app_config: dict[str, Any]) -> dict[str, Any]:
    """The live app with the UI test family (tests/fixtures/ui.py) registered."""
    return ui_config(live_app_config)


def test_auditor_verifies_the_chain_and_checks_an_archive(live_server: LiveServer, page: Page,
                                                          page_problems: PageProblems) -> None:
    world = seed_world(live_server.services)
    documents = live_server.services.documents
    with live_server.session() as session:
        stored = documents.store(session, data=pdf_bytes("notice"), filename="整改通知书.pdf", kind="notice",
                                 case_id=world.rectification_case, author="inspector")
        sha = stored.sha256

    log_in(page, live_server, "auditor", next_path="/audit")
    expect(page.get_by_role("link", name="审计")).to_have_count(1)  # navigation by role
    expect(page.get_by_role("link", name="待办")).to_have_count(0)
    page.get_by_role("button", name="校验审计链").click()
    expect(page.locator("#chain-result")).to_contain_text("审计链完整")
    screenshot(page, "audit")

    page.get_by_label("项目").fill("文化中心")
    page.get_by_label("流程").select_option("ui_rectification")
    page.get_by_role("button", name="查询").click()
    results = page.locator("table.data tbody tr")
    expect(results).to_have_count(1)
    results.get_by_role("link", name="文化中心整改第1轮").click()

    expect(page.locator(".notice")).to_contain_text("只读视图")
    expect(page.locator("#bpmn-canvas")).to_have_attribute("data-ready", "true")
    for action in ("领取", "完成任务", "释放"):
        expect(page.get_by_role("button", name=action)).to_have_count(0)
    expect(page.locator(".case-actions")).to_have_count(0)
    screenshot(page, "audit-case")

    with page.expect_download() as info:
        page.get_by_role("link", name="导出案件档案（ZIP）").click()
    archive = zipfile.ZipFile(io.BytesIO(info.value.path().read_bytes()))
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == names - {"manifest.json"}
    assert {"case.json", "history.json", "history.csv", f"documents/{stored.id}-整改通知书.pdf"} <= names
    for path, entry in listed.items():
        data = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size"] == len(data)
    assert listed[f"documents/{stored.id}-整改通知书.pdf"]["sha256"] == sha
    history = json.loads(archive.read("history.json"))
    assert [e["action"] for e in history][:2] == ["case.started", "instance.started"]
    with live_server.session() as session:
        assert session.get(Document, stored.id) is not None
    page_problems.assert_none()
