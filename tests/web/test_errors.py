"""Error responses: JSON under /api/ (never a traceback), localized pages elsewhere."""
from __future__ import annotations

import pytest
from flask import Flask

from engine.errors import (
    Conflict, EventNotDelivered, FieldErrors, Forbidden, ModelInvalid, NotFound, Problem, ScriptFailed,
    TaskBudgetExceeded,
)
from storage.errors import DocumentCorrupted, DocumentTooLarge, DocumentTypeRefused
from storage.users import DuplicateUser

ERRORS = {
    "fields": (FieldErrors({"due": ["Not a valid date."]}), 400, "validation_error"),
    "model": (ModelInvalid([Problem("bad gateway", "Gw1", 12, "a.bpmn")]), 400, "invalid_model"),
    "missing": (NotFound("no task 5"), 404, "not_found"),
    "forbidden": (Forbidden("not yours"), 403, "forbidden"),
    "conflict": (Conflict("already completed"), 409, "conflict"),
    "budget": (TaskBudgetExceeded("over 500 tasks"), 409, "task_budget_exceeded"),
    "script": (ScriptFailed("division by zero in Script_1"), 422, "script_failed"),
    "undelivered": (EventNotDelivered("nobody waits for m1"), 409, "not_delivered"),
    "too_large": (DocumentTooLarge("too big", {"size": 9}), 413, "too_large"),
    "type": (DocumentTypeRefused("no exe"), 400, "unsupported_type"),
    "duplicate": (DuplicateUser("exists", "username"), 409, "duplicate_user"),
}


@pytest.fixture
def raising_app(app: Flask) -> Flask:
    def boom(kind: str) -> str:
        if kind == "crash":
            raise RuntimeError("secret internals /etc/passwd")
        if kind == "corrupted":
            raise DocumentCorrupted("document 3 is corrupted", {"expected": "aaaa", "actual": "bbbb"})
        raise ERRORS[kind][0]

    app.add_url_rule("/api/v1/_raise/<kind>", "api_raise", boom, methods=["GET"])
    app.add_url_rule("/_raise/<kind>", "page_raise", boom)
    return app


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_known_errors_map_to_their_status(raising_app: Flask, kind: str) -> None:
    error, status, code = ERRORS[kind]
    response = raising_app.test_client().get(f"/api/v1/_raise/{kind}")
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] == code and set(body) == {"error", "message", "details"}


def test_model_problems_are_all_listed(raising_app: Flask) -> None:
    details = raising_app.test_client().get("/api/v1/_raise/model").get_json()["details"]
    assert details == [{"message": "bad gateway", "element_id": "Gw1", "line": 12, "file": "a.bpmn",
                        "severity": "error"}]


def test_unexpected_errors_are_a_bare_500(raising_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    response = raising_app.test_client().get("/api/v1/_raise/crash")
    assert response.status_code == 500
    assert response.get_json() == {"error": "internal_error", "message": response.get_json()["message"],
                                   "details": None}
    assert b"secret internals" not in response.data and b"Traceback" not in response.data
    assert "secret internals" in caplog.text  # logged for the operators


def test_corrupted_documents_stay_vague(raising_app: Flask) -> None:
    response = raising_app.test_client().get("/api/v1/_raise/corrupted")
    assert response.status_code == 500 and response.get_json()["details"] is None
    assert b"aaaa" not in response.data


def test_http_errors_under_api_are_json(client) -> None:
    not_found = client.get("/api/v1/nothing-here")
    assert not_found.status_code == 404 and not_found.get_json()["error"] == "not_found"
    wrong_method = client.delete("/api/v1/health")
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_pages_get_localized_error_pages(raising_app: Flask) -> None:
    client = raising_app.test_client()
    zh = client.get("/nothing-here")
    assert zh.status_code == 404 and "页面不存在" in zh.get_data(as_text=True)
    en = client.get("/nothing-here?lang=en")
    assert "Page not found" in en.get_data(as_text=True)
    crash = client.get("/_raise/crash")
    assert crash.status_code == 500 and "Internal error" in crash.get_data(as_text=True)
    assert "secret internals" not in crash.get_data(as_text=True)
    forbidden = client.get("/_raise/forbidden")
    assert forbidden.status_code == 403 and "Access denied" in forbidden.get_data(as_text=True)
    assert forbidden.mimetype == "text/html"
