"""POST /api/v1/documents and GET /api/v1/documents/{id} on the local-directory backend."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from storage import AuditEvent, Case, Document, Project, ProjectParty
from tests.fixtures.samples import exe_bytes, pdf_bytes, png_bytes
from tests.fixtures.web import bearer

ACME = "91330200ACME00001X"
OTHER = "91330200OTHER0002Y"


@pytest.fixture
def cases(services) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A case of ACME's project in 海曙区 and one of another enterprise's project in 江北区."""
    with services.session_factory.begin() as session:
        ours = Project(code="P-1", name="ours", district="海曙区",
                       parties=[ProjectParty(enterprise_code=ACME, party_role="contractor")])
        theirs = Project(code="P-2", name="theirs", district="江北区",
                         parties=[ProjectParty(enterprise_code=OTHER, party_role="contractor")])
        session.add_all([ours, theirs])
        session.flush()
        a = Case(process_key="supervision", status="active", project_id=ours.id, district="海曙区")
        b = Case(process_key="supervision", status="active", project_id=theirs.id, district="江北区")
        session.add_all([a, b])
        session.flush()
        return {"ours": a.id, "theirs": b.id}


@pytest.fixture
def tokens(make_user, make_token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("acme", roles=[("enterprise", None, ACME)])
    make_user("insp", roles=[("inspector", "海曙区", None)])
    make_user("aud", roles=[("auditor", None, None)])
    return {name: make_token(name) for name in ("acme", "insp", "aud")}


def upload(client, token: str, case_id: int | str, data: bytes, filename: str, **extra: str):  # type: ignore[no-untyped-def]
    form = {"file": (io.BytesIO(data), filename), "case_id": str(case_id), **extra}
    return client.post("/api/v1/documents", data=form, headers=bearer(token), content_type="multipart/form-data")


def test_upload_then_download(client, cases, tokens, services) -> None:
    data = pdf_bytes("inspection")
    response = upload(client, tokens["acme"], cases["ours"], data, "整改回复.pdf", kind="rectification_reply")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["content_type"] == "application/pdf" and body["size"] == len(data)
    assert body["filename"] == "整改回复.pdf" and body["case_id"] == cases["ours"]
    assert body["kind"] == "rectification_reply" and len(body["sha256"]) == 64
    assert response.headers["Location"].endswith(f"/api/v1/documents/{body['id']}")

    download = client.get(f"/api/v1/documents/{body['id']}", headers=bearer(tokens["insp"]))
    assert download.status_code == 200
    assert download.data == data
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E6%95%B4" in download.headers["Content-Disposition"]

    with services.session_factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "document.upload")).one()
    assert event.case_id == cases["ours"] and event.actor == "acme" and event.data["sha256"] == body["sha256"]


def test_type_comes_from_the_content_not_the_name(client, cases, tokens) -> None:
    refused = upload(client, tokens["acme"], cases["ours"], exe_bytes(), "report.pdf")
    assert refused.status_code == 400 and refused.get_json()["error"] == "unsupported_type"
    mismatched = upload(client, tokens["acme"], cases["ours"], png_bytes(), "photo.pdf")
    assert mismatched.status_code == 400 and mismatched.get_json()["error"] == "unsupported_type"


def test_missing_and_invalid_fields_are_400_field_by_field(client, cases, tokens) -> None:
    no_file = client.post("/api/v1/documents", data={"case_id": str(cases["ours"])},
                          headers=bearer(tokens["acme"]), content_type="multipart/form-data")
    assert no_file.status_code == 400 and set(no_file.get_json()["details"]) == {"file"}
    bad = upload(client, tokens["acme"], "abc", png_bytes(), "a.png", kind="Bad Kind!")
    assert bad.status_code == 400 and set(bad.get_json()["details"]) == {"case_id", "kind"}
    empty = upload(client, tokens["acme"], cases["ours"], b"", "a.png")
    assert empty.status_code == 400 and empty.get_json()["error"] == "empty_document"
    as_json = client.post("/api/v1/documents", json={"case_id": 1}, headers=bearer(tokens["acme"]))
    assert as_json.status_code == 415


def test_over_the_limit_is_413_json(app_config, request) -> None:
    app_config["MAX_UPLOAD_BYTES"] = 1000
    app_config["UPLOAD_OVERHEAD_BYTES"] = 1000
    client = request.getfixturevalue("client")
    cases = request.getfixturevalue("cases")
    token = request.getfixturevalue("tokens")["acme"]
    # Just over the document limit, within the request limit: the store refuses it.
    over_store = upload(client, token, cases["ours"], b"x" * 1001, "big.txt")
    assert over_store.status_code == 413
    assert over_store.get_json()["error"] == "too_large"
    # Far over the request limit: Werkzeug refuses it before the view runs.
    over_request = upload(client, token, cases["ours"], b"x" * 5000, "big.txt")
    assert over_request.status_code == 413
    assert set(over_request.get_json()) == {"error", "message", "details"}
    with request.getfixturevalue("services").session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_another_enterprises_case_is_forbidden(client, cases, tokens, services) -> None:
    refused = upload(client, tokens["acme"], cases["theirs"], png_bytes(), "a.png")
    assert refused.status_code == 403
    with services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_download_access_follows_the_case(client, cases, tokens, make_user, make_token) -> None:
    make_user("insp2", roles=[("inspector", "江北区", None)])
    theirs = upload(client, make_token("insp2"), cases["theirs"], png_bytes(), "site.png")
    assert theirs.status_code == 201
    doc_id = theirs.get_json()["id"]
    assert client.get(f"/api/v1/documents/{doc_id}", headers=bearer(tokens["acme"])).status_code == 403
    assert client.get(f"/api/v1/documents/{doc_id}", headers=bearer(tokens["insp"])).status_code == 403
    assert client.get(f"/api/v1/documents/{doc_id}", headers=bearer(tokens["aud"])).status_code == 200
    missing = client.get("/api/v1/documents/999999", headers=bearer(tokens["aud"]))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    assert client.get(f"/api/v1/documents/{doc_id}").status_code == 401


def test_auditors_read_but_cannot_upload(client, cases, tokens) -> None:
    assert upload(client, tokens["aud"], cases["ours"], png_bytes(), "a.png").status_code == 403


def test_unknown_case_is_404(client, tokens) -> None:
    response = upload(client, tokens["insp"], 424242, png_bytes(), "a.png")
    assert response.status_code == 404
    assert response.get_json()["details"] == {"case_id": ["no such case"]}


def test_corrupted_object_is_a_generic_500(client, cases, tokens, services) -> None:
    body = upload(client, tokens["acme"], cases["ours"], png_bytes(), "a.png").get_json()
    path = services.documents.backend.path_for(body["sha256"])
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    response = client.get(f"/api/v1/documents/{body['id']}", headers=bearer(tokens["acme"]))
    assert response.status_code == 500
    payload = response.get_json()
    assert payload["error"] == "corrupted" and payload["details"] is None
    assert body["sha256"] not in json.dumps(payload)
