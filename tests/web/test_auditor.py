"""The auditors' pages: case search, read-only case page, chain verification, the case archive."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import select, update

from engine import FixedClock
from storage import AuditEvent
from tests.fixtures.samples import pdf_bytes
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in, page_csrf
from web.services import Services


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, "CLOCK": ui_clock})


def test_only_auditors_and_admins(app, world: World) -> None:  # type: ignore[no-untyped-def]
    for path in ("/audit", f"/audit/cases/{world.inspection_case}", f"/audit/cases/{world.inspection_case}/archive.zip"):
        response = logged_in(app, "inspector").get(path)
        assert response.status_code == 403 and "Traceback" not in response.get_data(as_text=True)
    client = logged_in(app, "inspector")
    assert client.post("/audit/verify", data={"csrf_token": page_csrf(client, "/inbox")}).status_code == 403


def test_search_by_project_enterprise_process_and_dates(app, world: World) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "auditor")

    def found(query: str) -> set[str]:
        page = client.get("/audit?" + query).get_data(as_text=True)
        return {t for t in ("文化中心日常监督", "文化中心整改第1轮", "学校扩建日常监督") if t in page}

    assert found("") == {"文化中心日常监督", "文化中心整改第1轮", "学校扩建日常监督"}
    assert found("project=文化") == {"文化中心日常监督", "文化中心整改第1轮"}
    assert found("project=JB-2026") == {"学校扩建日常监督"}
    assert found("enterprise=江北建设") == {"学校扩建日常监督"}  # by name, a party to the project
    assert found("enterprise=91330200MA2AAAAA1X") == {"文化中心日常监督", "文化中心整改第1轮"}
    assert found("process=ui_rectification") == {"文化中心整改第1轮"}
    # the cases started on 2026-03-02 (local day); none the day before
    assert len(found("from=2026-03-02&to=2026-03-02")) == 3
    assert found("to=2026-03-01") == set()
    response = client.get("/audit?from=2026-03-05&to=2026-03-01")
    assert response.status_code == 200 and "以下筛选条件无效" in response.get_data(as_text=True)


def test_the_case_page_is_read_only(app, world: World) -> None:  # type: ignore[no-untyped-def]
    page = logged_in(app, "auditor").get(f"/audit/cases/{world.rectification_case}").get_data(as_text=True)
    assert "只读视图" in page and "导出案件档案（ZIP）" in page
    assert "<button" not in page.split('<main id="main">')[1]  # no action anywhere in the page body
    assert "/tasks/" not in page


def test_verify_the_chain_and_see_it_broken(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "auditor")
    token = page_csrf(client, "/audit")
    ok = client.post("/audit/verify", data={"csrf_token": token}, headers={"HX-Request": "true"})
    body = ok.get_data(as_text=True)
    assert "审计链完整" in body and "<html" not in body
    with services.session_factory.begin() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="mallory"))
    broken = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "审计链在第 3 条记录处断裂" in broken and "<html" in broken  # a whole page without htmx
    assert client.post("/audit/verify", data={}).status_code == 400  # CSRF


def test_the_archive_holds_history_documents_and_a_manifest(app, world: World, services: Services) -> None:  # type: ignore[no-untyped-def]
    with services.session_factory.begin() as session:
        stored = services.documents.store(session, data=pdf_bytes("notice"), filename="通知/书.pdf", kind="notice",
                                          case_id=world.rectification_case, author="inspector")
    client = logged_in(app, "auditor")
    response = client.get(f"/audit/cases/{world.rectification_case}/archive.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"case-{world.rectification_case}-archive.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(archive.read("manifest.json"))
    paths = {f["path"] for f in manifest["files"]}
    assert paths == set(archive.namelist()) - {"manifest.json"}
    document_path = f"documents/{stored.id}-{stored.filename}"  # the store keeps no path parts
    assert {"case.json", "history.json", "history.csv", document_path} == paths
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert archive.read(document_path) == pdf_bytes("notice")
    assert manifest["documents"][0]["sha256"] == stored.sha256 and manifest["generated_by"] == "auditor"
    csv_text = archive.read("history.csv").decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "seq,at,actor,role,action,task,task_id,instance_id,data"
    assert json.loads(archive.read("case.json"))["instances"][0]["tasks"][0]["bpmn_id"] == "reply"
    with services.session_factory() as session:  # the export itself is on the record
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.case_id == world.rectification_case).order_by(AuditEvent.seq.desc())).first() \
            == "case.archive_exported"
    assert client.get("/audit/cases/99999/archive.zip").status_code == 404
