"""``/api/v1/projects`` and ``/api/v1/enterprises``: registration, 400 field by field, 409, scoping."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from storage import AuditEvent
from tests.fixtures.web import bearer

ACME, OTHER = "91330100716105852F", "9144030071526726XG"
USERS = {
    "admin": [("admin", None, None)],
    "da_haishu": [("district_admin", "海曙区", None)],
    "insp_haishu": [("inspector", "海曙区", None)],
    "acme": [("enterprise", None, ACME)],
    "expert": [("expert", None, None)],
}


@pytest.fixture
def tokens(make_user, make_token) -> dict[str, str]:  # type: ignore[no-untyped-def]
    for name, roles in USERS.items():
        make_user(name, roles=roles)
    return {name: make_token(name) for name in USERS}


@pytest.fixture
def call(client, tokens):  # type: ignore[no-untyped-def]
    def do(method: str, path: str, who: str, body: Any = None):  # type: ignore[no-untyped-def]
        return client.open(path, method=method, json=body, headers=bearer(tokens[who]))
    return do


@pytest.fixture
def city(call):  # type: ignore[no-untyped-def]
    for code, name in ((ACME, "甬城建设"), (OTHER, "海天监理")):
        assert call("POST", "/api/v1/enterprises", "admin", {"code": code, "name": name}).status_code == 201
    ids = {}
    for code, district, party in (("P-ACME", "海曙区", ACME), ("P-HS", "海曙区", OTHER), ("P-JB", "江北区", OTHER)):
        response = call("POST", "/api/v1/projects", "admin", {
            "code": code, "name": f"项目{code}", "district": district, "floor_area_m2": "1200.5",
            "contract_value_cny": 3600000, "supervision_start": "2024-01-01", "construction_start": "2024-01-10",
            "parties": [{"role": "contractor", "enterprise_code": party}]})
        assert response.status_code == 201, response.get_json()
        ids[code] = response.get_json()["id"]
    return ids


def test_register_and_read_a_project(call, city, services) -> None:  # type: ignore[no-untyped-def]
    body = call("GET", f"/api/v1/projects/{city['P-ACME']}", "admin").get_json()
    assert body["code"] == "P-ACME" and body["floor_area_m2"] == "1200.50"
    assert body["contract_value_cny"] == "3600000.00"
    assert body["parties"] == [{"role": "contractor", "enterprise_code": ACME}]
    assert body["status"] == "under_construction" and body["under_supervision"] is True
    assert body["people"] == []
    with services.session_factory() as s:
        actions = list(s.scalars(select(AuditEvent.action)))
    assert actions.count("project.register") == 3 and actions.count("enterprise.register") == 2


def test_lists_are_paginated_and_scoped(call, city) -> None:  # type: ignore[no-untyped-def]
    def codes(who: str, query: str = "") -> tuple[int, list[str]]:
        response = call("GET", f"/api/v1/projects{query}", who)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        return body["total"], [p["code"] for p in body["items"]]

    assert codes("admin") == (3, ["P-ACME", "P-HS", "P-JB"])
    assert codes("admin", "?per_page=2&page=2") == (3, ["P-JB"])
    assert codes("insp_haishu") == (2, ["P-ACME", "P-HS"])
    assert codes("acme") == (1, ["P-ACME"])
    assert codes("expert") == (0, [])
    assert codes("admin", "?status=registered&as_of=2023-12-31") == (3, ["P-ACME", "P-HS", "P-JB"])
    assert codes("admin", "?status=under_supervision&as_of=2024-01-05")[0] == 3
    assert call("GET", "/api/v1/projects?status=sleeping", "admin").status_code == 400
    enterprises = call("GET", "/api/v1/enterprises", "acme").get_json()
    assert enterprises["total"] == 1 and enterprises["items"][0]["code"] == ACME
    assert call("GET", "/api/v1/enterprises?per_page=1", "admin").get_json()["total"] == 2


def test_an_enterprise_cannot_read_another_enterprises_project(call, city) -> None:  # type: ignore[no-untyped-def]
    assert call("GET", f"/api/v1/projects/{city['P-ACME']}", "acme").status_code == 200
    response = call("GET", f"/api/v1/projects/{city['P-JB']}", "acme")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"
    assert call("GET", f"/api/v1/projects/{city['P-JB']}", "insp_haishu").status_code == 404
    assert call("GET", "/api/v1/projects/99999", "admin").status_code == 404


def test_field_by_field_errors(call, city) -> None:  # type: ignore[no-untyped-def]
    response = call("POST", "/api/v1/projects", "admin", {"code": "P-X", "name": "x", "district": "杭州市",
                                                          "floor_area_m2": "-3", "supervision_start": "2024-02-01",
                                                          "supervision_end": "2024-01-01",
                                                          "parties": [{"role": "builder",
                                                                       "enterprise_code": "914403001922038216"}]})
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "validation_error"
    assert set(body["details"]) == {"district", "floor_area_m2", "supervision_end", "parties"}
    schema_error = call("POST", "/api/v1/projects", "admin", {"name": "x", "supervision_start": "01/02/2024"})
    assert schema_error.status_code == 400
    assert {"code", "district", "supervision_start"} <= set(schema_error.get_json()["details"])
    bad_code = call("POST", "/api/v1/enterprises", "admin", {"code": ACME.lower(), "name": "x"})
    assert bad_code.status_code == 400 and "lower-case" in bad_code.get_json()["details"]["code"][0]


def test_duplicates_conflict(call, city) -> None:  # type: ignore[no-untyped-def]
    again = call("POST", "/api/v1/projects", "admin", {"code": "P-ACME", "name": "x", "district": "海曙区"})
    assert again.status_code == 409 and again.get_json()["error"] == "conflict"
    assert call("POST", "/api/v1/enterprises", "admin", {"code": ACME, "name": "x"}).status_code == 409


def test_who_may_register(call) -> None:  # type: ignore[no-untyped-def]
    project = {"code": "P-1", "name": "x", "district": "海曙区"}
    assert call("POST", "/api/v1/projects", "insp_haishu", project).status_code == 403
    assert call("POST", "/api/v1/projects", "acme", project).status_code == 403
    assert call("POST", "/api/v1/projects", "da_haishu", {**project, "district": "江北区"}).status_code == 403
    assert call("POST", "/api/v1/projects", "da_haishu", project).status_code == 201
    assert call("POST", "/api/v1/enterprises", "acme", {"code": OTHER, "name": "x"}).status_code == 403
    assert call("POST", "/api/v1/enterprises", "da_haishu", {"code": OTHER, "name": "x"}).status_code == 201


def test_anonymous_callers_get_401(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/projects").status_code == 401
    assert client.post("/api/v1/enterprises", json={}).status_code == 401


def test_the_openapi_document_lists_the_reference_routes(client) -> None:  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/projects"]) and {"get", "post"} <= set(paths["/api/v1/enterprises"])
    assert "get" in paths["/api/v1/projects/{project_id}"]
    upload = paths["/api/v1/import/{kind}"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert "get" in paths["/api/v1/reports/{name}"]
