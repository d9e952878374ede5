"""The task page: the form from its schema, errors beside fields, drafts, uploads, one completion."""
from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import FixedClock
from storage import AuditEvent, Document, Task, TaskDraft
from tests.fixtures.samples import elf_bytes, png_bytes
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in, page_csrf
from web.services import Services


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def task_of(services: Services, case_id: int, bpmn_id: str) -> Task:
    with services.session_factory() as session:
        return session.scalars(select(Task).where(Task.case_id == case_id, Task.bpmn_id == bpmn_id)).one()


def completions(services: Services, task_id: int) -> int:
    with services.session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id == task_id, AuditEvent.action == "task.completed")) or 0


def form(token: str, **fields: Any) -> dict[str, Any]:
    base = {"csrf_token": token, "action": "complete", "inspected_on": "2026-03-02", "passed": "false",
            "severity": "serious", "findings": "脚手架连墙件缺失\r\n\r\n临边防护不到位", "remarks": ""}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def test_the_form_is_rendered_from_its_schema(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<label for="f-inspected_on">检查日期' in page and 'type="date" id="f-inspected_on"' in page
    assert 'aria-required="true"' in page and "（必填）" in page
    assert '<legend>是否合格' in page and 'type="radio"' in page and ">是</label>" in page
    assert '<option value="serious">严重</option>' in page  # the choice's label, not its code
    assert '<textarea id="f-remarks"' in page and 'maxlength="500"' in page
    assert 'type="file" id="f-photos-upload" name="photos__upload" multiple' in page
    assert 'enctype="multipart/form-data"' in page and "<p class=\"hint\" id=\"f-findings-help\">每行一条" in page
    # the case beside the form
    assert "海曙区文化中心工程" in page and "HS-2026-001" in page and "宁波建工集团有限公司" in page
    assert "历次办理" in page and "日常监督检查" in page


def test_errors_beside_fields_and_input_kept(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data=form(token, passed=None, inspected_on="2026-13-45",
                                                           remarks="备注" * 300))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<ul class="field-errors" id="f-passed-errors">' in page and "此项为必填项。" in page
    assert "请按 YYYY-MM-DD 格式输入日期。" in page and 'value="2026-13-45"' in page
    assert "最多 500 个字符。" in page
    assert "脚手架连墙件缺失\n临边防护不到位</textarea>" in page  # lines kept, blank one dropped
    assert 'aria-describedby="f-passed-errors"' in page and 'aria-invalid="true"' in page
    assert '<option value="serious" selected>' in page
    assert task_of(services, world.inspection_case, "inspect").state == "open"


def test_completion_and_a_second_submission(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data=form(token))
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert "任务已完成：监督检查。" in client.get("/inbox").get_data(as_text=True)
    with services.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id,
                                                         AuditEvent.action == "task.completed")).one()
    assert event.data["data"] == {"inspected_on": "2026-03-02", "passed": False, "severity": "serious",
                                  "findings": ["脚手架连墙件缺失", "临边防护不到位"], "remarks": "", "photos": []}

    again = client.post(f"/tasks/{task.id}", data=form(token, passed="true"))
    assert again.status_code == 302 and again.headers["Location"] == f"/tasks/{task.id}"
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "该任务已由 王监督 办结，您的提交未被重复处理。" in page
    assert "由 王监督 于" in page and "<dd>否</dd>" in page  # the completed values, read-only
    assert "完成任务</button>" not in page
    assert completions(services, task.id) == 1


def test_drafts_are_per_user_and_go_with_completion(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data=form(token, action="save_draft", passed=None,
                                                           inspected_on="not yet", remarks="待补充"))
    assert response.status_code == 302
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "草稿已保存" in page and "已填入您于" in page
    assert 'value="not yet"' in page and "待补充</textarea>" in page
    assert task_of(services, world.inspection_case, "inspect").state == "open"

    colleague = logged_in(app, "inspector2")
    assert "not yet" not in colleague.get(f"/tasks/{task.id}").get_data(as_text=True)

    client.post(f"/tasks/{task.id}", data=form(token))
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TaskDraft)) == 0


def test_uploads_are_kept_when_the_form_is_rejected(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    data = form(token, passed=None)
    data["photos__upload"] = [(io.BytesIO(png_bytes(4, 4)), "现场.png"), (io.BytesIO(elf_bytes()), "run.png")]
    response = client.post(f"/tasks/{task.id}", data=data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "run.png: 不接受此类文件" in page
    with services.session_factory() as session:
        photo = session.scalars(select(Document).where(Document.case_id == world.inspection_case)).one()
    assert photo.filename == "现场.png" and photo.task_id == task.id
    assert f'name="photos" value="{photo.id}" checked' in page and "现场.png</label>" in page

    response = client.post(f"/tasks/{task.id}", data={**form(token), "photos": str(photo.id)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with services.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.task_id == task.id,
                                                         AuditEvent.action == "task.completed")).one()
    assert event.data["data"]["photos"] == [photo.id]


def test_documents_of_other_cases_are_refused(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    with services.session_factory.begin() as session:
        foreign = services.documents.store(session, data=png_bytes(), filename="x.png", kind="photo",
                                           case_id=world.other_case, author="admin").id
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data={**form(token), "photos": [str(foreign), "abc"]})
    assert response.status_code == 400 and "文件不存在：请重新上传。" in response.get_data(as_text=True)
    assert task_of(services, world.inspection_case, "inspect").state == "open"


def test_csrf_failure_changes_nothing(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    response = client.post(f"/tasks/{task.id}", data=form("forged-token"))
    assert response.status_code == 400
    assert "表单已过期或并非来自本站：请刷新页面后重试。" in response.get_data(as_text=True)
    assert task_of(services, world.inspection_case, "inspect").state == "open"
    response = client.post(f"/tasks/{task.id}", data=form("forged-token", action="save_draft"))
    assert response.status_code == 400
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TaskDraft)) == 0


def test_who_may_see_and_work(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    task = task_of(services, world.inspection_case, "inspect")
    assert logged_in(app, "jiangbei").get(f"/tasks/{task.id}").status_code == 404
    contractor = logged_in(app, "contractor")
    page = contractor.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "您可以查看该任务，但无权办理。" in page and "完成任务</button>" not in page
    token = page_csrf(contractor, "/portal")
    response = contractor.post(f"/tasks/{task.id}", data=form(token))
    assert response.status_code == 403 and "Traceback" not in response.get_data(as_text=True)
    assert task_of(services, world.inspection_case, "inspect").state == "open"
    assert logged_in(app, "inspector").get("/tasks/99999").status_code == 404


def test_a_task_claimed_by_someone_else(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    task = task_of(services, world.inspection_case, "inspect")
    with services.session_factory.begin() as session:
        services.engine.claim(session, task.id, world.actors["inspector2"])
    client = logged_in(app, "inspector")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "inspector2 已领取该任务。" in page and "完成任务</button>" not in page
    token = page_csrf(client, "/inbox")
    response = client.post(f"/tasks/{task.id}", data=form(token))
    assert response.status_code == 409 and "该任务已被他人领取" in response.get_data(as_text=True)
    assert completions(services, task.id) == 0


def test_a_step_without_a_form(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    first = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{first.id}")
    client.post(f"/tasks/{first.id}", data=form(token))
    sign = task_of(services, world.inspection_case, "sign")
    page = client.get(f"/tasks/{sign.id}").get_data(as_text=True)
    assert "此环节无需填写表单" in page and "保存草稿" not in page
    assert client.post(f"/tasks/{sign.id}", data={"csrf_token": token}).status_code == 302
    assert task_of(services, world.inspection_case, "sign").state == "completed"


def test_a_failing_step_keeps_the_form(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    response = client.post(f"/tasks/{task.id}", data=form(token, remarks="refuse"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "此环节无法办结" in page and "refuse</textarea>" in page
    assert task_of(services, world.inspection_case, "inspect").state == "open"
    assert completions(services, task.id) == 0
