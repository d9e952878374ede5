"""``POST /api/v1/import/{kind}``: multipart upload, dry runs, 400 with lines, audit, admins only."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from storage import AuditEvent, Enterprise, Project, ProjectRecord
from tests.fixtures.web import bearer

ENTERPRISES = "credit_code,name\n91330100716105852F,甬城建设\n9144030071526726XG,海天监理\n"
PROJECTS = ("project_code,name,district,floor_area_m2,contract_value_cny,supervision_start,supervision_end,"
            "construction_start,construction_end,contractor_code\n"
            "P1,宁波中心,海曙区,100,,2022-01-01,,,,91330100716105852F\n"
            "P2,江北大桥,江北区,,,2022-01-01,,2022-02-01,,\n")


@pytest.fixture
def tokens(make_user, make_token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_user("root", roles=[("admin", None, None)])
    make_user("da", roles=[("district_admin", "海曙区", None)])
    return {"admin": make_token("root"), "da": make_token("da")}


def post(client, token: str, kind: str, data: bytes | str, filename: str = "data.csv", **form: str):  # type: ignore[no-untyped-def]
    raw = data.encode() if isinstance(data, str) else data
    return client.post(f"/api/v1/import/{kind}", data={"file": (io.BytesIO(raw), filename), **form},
                       headers=bearer(token), content_type="multipart/form-data")


def count(services, model) -> int:  # type: ignore[no-untyped-def]
    with services.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_import_then_import_again(client, tokens, services) -> None:  # type: ignore[no-untyped-def]
    first = post(client, tokens["admin"], "enterprises", ENTERPRISES)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"kind": "enterprises", "rows": 2, "created": 2, "updated": 0, "unchanged": 0,
                                "dry_run": False, "format": "csv", "encoding": "utf-8"}
    assert post(client, tokens["admin"], "projects", PROJECTS).get_json()["created"] == 2
    records = "project_code,kind,date\nP1,assignment,2022-01-02\nP1,assignment,2022-01-02\n"
    assert post(client, tokens["admin"], "records", records).get_json()["created"] == 2
    again = post(client, tokens["admin"], "records", records).get_json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert post(client, tokens["admin"], "projects", PROJECTS).get_json()["unchanged"] == 2
    assert count(services, ProjectRecord) == 2
    with services.session_factory() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action.like("import.%")).order_by(AuditEvent.seq)))
    assert [e.action for e in events] == ["import.enterprises", "import.projects", "import.records",
                                          "import.records", "import.projects"]
    assert events[0].actor == "root" and events[0].role == "admin"
    assert events[0].data["filename"] == "data.csv" and len(events[0].data["sha256"]) == 64


def test_dry_run(client, tokens, services) -> None:  # type: ignore[no-untyped-def]
    response = post(client, tokens["admin"], "enterprises", ENTERPRISES.encode("gbk"), dry_run="true")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["created"], body["dry_run"], body["encoding"]) == (2, True, "gbk")
    assert count(services, Enterprise) == 0 and count(services, AuditEvent) == 0


def test_a_bad_file_is_refused_whole(client, tokens, services) -> None:  # type: ignore[no-untyped-def]
    post(client, tokens["admin"], "enterprises", ENTERPRISES)
    bad = PROJECTS + "P3,未知,杭州市,-1,,2022-01-01,,,,\nP1,重复,海曙区,,,,,,,\n"
    response = post(client, tokens["admin"], "projects", bad)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_import" and "nothing was stored" in body["message"]
    assert body["details"] == [
        {"line": 4, "column": "district", "message": body["details"][0]["message"]},
        {"line": 4, "column": "floor_area_m2", "message": "the floor area must not be negative"},
        {"line": 5, "column": "project_code", "message": "duplicate project_code 'P1' (first on line 2)"},
    ]
    assert count(services, Project) == 0


def test_missing_columns_and_mixed_encodings(client, tokens) -> None:  # type: ignore[no-untyped-def]
    missing = post(client, tokens["admin"], "records", "project_code,when\nP1,2022-01-01\n").get_json()
    assert missing["details"] == [{"line": 1, "message": missing["details"][0]["message"]}]
    assert "missing required column(s): kind, date" in missing["details"][0]["message"]
    mixed = "credit_code,name\n91330100716105852F,甬城\n".encode() + "9144030071526726XG,海天\n".encode("gbk")
    body = post(client, tokens["admin"], "enterprises", mixed).get_json()
    assert body["error"] == "invalid_import" and body["details"][0]["line"] == 3


def test_xlsx_upload(client, tokens, services) -> None:  # type: ignore[no-untyped-def]
    workbook = Workbook()
    workbook.active.append(["credit_code", "name", "kind"])
    workbook.active.append(["91330100716105852F", "甬城建设", "contractor"])
    out = io.BytesIO()
    workbook.save(out)
    body = post(client, tokens["admin"], "enterprises", out.getvalue(), "企业.xlsx").get_json()
    assert (body["format"], body["created"]) == ("xlsx", 1)


def test_bad_requests(client, tokens) -> None:  # type: ignore[no-untyped-def]
    assert post(client, tokens["admin"], "cats", ENTERPRISES).status_code == 404
    no_file = client.post("/api/v1/import/projects", data={"dry_run": "true"}, headers=bearer(tokens["admin"]),
                          content_type="multipart/form-data")
    assert no_file.status_code == 400 and "file" in no_file.get_json()["details"]
    as_json = client.post("/api/v1/import/projects", json={}, headers=bearer(tokens["admin"]))
    assert as_json.status_code == 415
    assert post(client, tokens["da"], "projects", PROJECTS).status_code == 403
    assert client.post("/api/v1/import/projects").status_code == 401
