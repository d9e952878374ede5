"""Input no database can take is refused up front, on both backends: never a 500.

Found by sending every route hostile input as several users: numbers past 64 bits in paths,
filters and pages; NUL characters anywhere; JSON nested past the parser's depth; JSON sent to
the browser's login form. Each used to end in a 500 (an OverflowError on SQLite, "bigint out
of range" or "cannot contain NUL" on PostgreSQL, a RecursionError, a crash inside WTForms).
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.queries import MAX_PAGE
from storage import MAX_ID, MAX_INT, ApiToken, AuditEvent
from tests.fixtures.web import PASSWORD, MakeUser, logged_in, page_csrf
from web.services import Services

TOO_BIG = MAX_ID + 1


@pytest.fixture
def admin(make_user: MakeUser, make_token: Callable[[str], str]) -> dict[str, str]:
    make_user("root")
    return {"Authorization": f"Bearer {make_token('root')}"}


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/tasks/{}"), ("POST", "/api/v1/tasks/{}/claim"), ("POST", "/api/v1/tasks/{}/complete"),
    ("GET", "/api/v1/cases/{}"), ("GET", "/api/v1/cases/{}/history"), ("GET", "/api/v1/documents/{}"),
    ("GET", "/api/v1/projects/{}"), ("GET", "/api/v1/devices/{}"), ("GET", "/api/v1/alarms/{}"),
])
def test_an_id_past_64_bits_is_no_such_record(client: FlaskClient, admin: dict[str, str], method: str,
                                              path: str) -> None:
    assert client.open(path.format(MAX_ID), method=method, headers=admin, json={}).status_code == 404
    response = client.open(path.format(TOO_BIG), method=method, headers=admin, json={})
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_pages_with_an_id_past_64_bits_are_not_found(app: Flask, make_user: MakeUser) -> None:
    make_user("root")
    browser = logged_in(app, "root")
    assert browser.get(f"/tasks/{TOO_BIG}").status_code == 404
    assert browser.get(f"/audit/cases/{TOO_BIG}").status_code == 404
    token = page_csrf(browser, "/inbox")
    assert browser.post(f"/inbox/tasks/{TOO_BIG}/claim", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("path, field", [
    ("/api/v1/tasks?project_id={}", "project_id"), ("/api/v1/tasks?case_id={}", "case_id"),
    ("/api/v1/cases?project_id={}", "project_id"), ("/api/v1/devices?project_id={}", "project_id"),
    ("/api/v1/alarms?device_id={}", "device_id"), ("/api/v1/supervision/findings?project_id={}", "project_id"),
    ("/api/v1/projects/1/readings?device_id={}", "device_id"),
])
def test_a_filter_past_64_bits_is_a_field_error(client: FlaskClient, admin: dict[str, str], path: str,
                                                 field: str) -> None:
    response = client.get(path.format(TOO_BIG), headers=admin)
    assert response.status_code == 400
    assert field in response.get_json()["details"]


def test_a_model_version_past_the_column_is_a_field_error(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.get(f"/api/v1/process-models/any/bpmn?version={MAX_INT + 1}", headers=admin)
    assert response.status_code == 400
    assert "version" in response.get_json()["details"]


def test_ids_in_bodies_past_64_bits_are_field_errors(client: FlaskClient, admin: dict[str, str]) -> None:
    started = client.post("/api/v1/cases", headers=admin, json={"process_key": "x", "data": {}, "project_id": TOO_BIG})
    assert started.status_code == 400 and "project_id" in started.get_json()["details"]
    signal = client.post("/api/v1/signals", headers=admin, json={"name": "device_alarm", "case_id": TOO_BIG})
    assert signal.status_code == 400 and "case_id" in signal.get_json()["details"]


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/cases", "/api/v1/projects", "/api/v1/alarms"])
def test_pages_stop_at_the_last_one_anyone_could_want(client: FlaskClient, admin: dict[str, str], path: str) -> None:
    last = client.get(f"{path}?page={MAX_PAGE}", headers=admin)
    assert last.status_code == 200 and last.get_json()["items"] == []
    for page in (MAX_PAGE + 1, 10**20):
        response = client.get(f"{path}?page={page}", headers=admin)
        assert response.status_code == 400
        assert "page" in response.get_json()["details"]


def test_a_nul_character_is_refused_wherever_it_comes(client: FlaskClient, admin: dict[str, str]) -> None:
    in_query = client.get("/api/v1/projects?q=a%00b", headers=admin)
    assert in_query.status_code == 400
    assert list(in_query.get_json()["details"]) == ["q"]
    in_path = client.get("/api/v1/process-models/a%00b", headers=admin)
    assert in_path.status_code == 400 and "path" in in_path.get_json()["details"]
    in_body = client.post("/api/v1/cases", headers=admin,
                          json={"process_key": "x", "data": {"notes": ["ok", "bad\x00"]}})
    assert in_body.status_code == 400
    assert list(in_body.get_json()["details"]) == ["data.notes.1"]
    in_key = client.post("/api/v1/signals", headers=admin, json={"name": "s", "payload": {"k\x00": 1}})
    assert in_key.status_code == 400 and "payload.k" in in_key.get_json()["details"]


def test_a_nul_character_changes_nothing(client: FlaskClient, make_user: MakeUser, services: Services) -> None:
    make_user("root")

    def stored() -> tuple[int, int]:
        with services.session_factory() as session:
            return (session.scalar(select(func.count()).select_from(ApiToken)) or 0,
                    session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    before = stored()
    response = client.post("/api/v1/auth/tokens", json={"username": "root", "password": PASSWORD, "label": "x\x00"})
    assert response.status_code == 400
    assert stored() == before


def test_a_nul_character_in_a_browser_form_is_a_400_page(app: Flask, make_user: MakeUser) -> None:
    make_user("root")
    browser = app.test_client()
    token = page_csrf(browser, "/auth/login")
    response = browser.post("/auth/login", data={"csrf_token": token, "username": "ro\x00ot", "password": PASSWORD})
    assert response.status_code == 400
    assert "U+0000" in response.get_data(as_text=True)


def test_json_nested_past_the_parser_is_invalid_json(client: FlaskClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/cases", headers=admin, data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("body", ['"x"', "[1, 2]", '{"username": 5, "password": 6}', "not json"])
def test_the_login_form_does_not_read_json(client: FlaskClient, make_user: MakeUser, body: str) -> None:
    make_user("root")
    response = client.post("/auth/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert client.get("/inbox").status_code in (302, 401)  # not logged in


def test_the_login_form_still_logs_in(app: Flask, make_user: MakeUser) -> None:
    make_user("root")
    assert logged_in(app, "root").get("/inbox").status_code == 200
