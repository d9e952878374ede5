"""Input no database can take is refused up front, on both backends: never a 500.

Found by sending every route hostile input as several users: numbers past 64 bits in paths,
filters and pages used to end in a 500 (an OverflowError on SQLite, "bigint out of range" on
PostgreSQL).
"""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.queries import MAX_PAGE
from storage import MAX_ID, MAX_INT
from tests.fixtures.web import MakeUser, logged_in, page_csrf

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
