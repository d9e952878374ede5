"""POST /api/v1/auth/tokens: credentials for a bearer token, audited and rate limited."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from storage import AuditEvent
from tests.fixtures.web import PASSWORD, bearer


def audit_rows(services) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with services.session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_issues_a_token_that_authenticates(client, make_user, services) -> None:
    make_user("alice", roles=[("auditor", None, None)])
    response = client.post("/api/v1/auth/tokens", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert len(token) >= 40
    assert client.get("/api/v1/audit/verify", headers=bearer(token)).status_code == 200
    events = audit_rows(services)
    assert [e.action for e in events] == ["auth.token_issued"]
    assert events[0].actor == "alice" and events[0].role == "auditor"
    assert PASSWORD not in json.dumps([e.data for e in events])


def test_wrong_password_is_401_and_audited(client, make_user, services) -> None:
    make_user("alice")
    response = client.post("/api/v1/auth/tokens", json={"username": "alice", "password": "nope-nope"})
    assert response.status_code == 401
    body = response.get_json()
    assert body["error"] == "invalid_credentials" and "token" not in body
    events = audit_rows(services)
    assert [(e.action, e.actor, e.data["channel"]) for e in events] == [("auth.login_failed", "alice", "api")]
    assert "nope-nope" not in json.dumps([e.data for e in events])


def test_unknown_user_is_the_same_401(client) -> None:
    response = client.post("/api/v1/auth/tokens", json={"username": "ghost", "password": PASSWORD})
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("body", "missing"),
    [({}, {"username", "password"}), ({"username": "alice"}, {"password"}), ({"password": "x" * 9}, {"username"})],
)
def test_missing_fields_are_reported_field_by_field(client, body: dict[str, Any], missing: set[str]) -> None:
    response = client.post("/api/v1/auth/tokens", json=body)
    assert response.status_code == 400
    payload = response.get_json()
    assert payload["error"] == "validation_error"
    assert set(payload["details"]) == missing
    for field in missing:
        assert payload["details"][field] == ["Missing data for required field."]


def test_wrong_types_and_unknown_fields_are_400(client) -> None:
    response = client.post("/api/v1/auth/tokens", json={"username": 5, "password": PASSWORD, "admin": True})
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"username", "admin"}


def test_not_json_is_415_and_broken_json_400(client) -> None:
    assert client.post("/api/v1/auth/tokens", data={"username": "a"}).status_code == 415
    broken = client.post("/api/v1/auth/tokens", data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"] == "bad_request"


def test_inactive_user_gets_no_token(client, make_user, services) -> None:
    user = make_user("alice")
    with services.session_factory.begin() as session:
        session.get(type(user), user.id).is_active = False
    response = client.post("/api/v1/auth/tokens", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 401


def test_rate_limited_after_the_configured_attempts(app_config, request) -> None:
    app_config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = request.getfixturevalue("client")
    statuses = [
        client.post("/api/v1/auth/tokens", json={"username": "ghost", "password": "whatever1"}).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    limited = client.post("/api/v1/auth/tokens", json={"username": "ghost", "password": "whatever1"})
    assert limited.status_code == 429
    assert limited.get_json()["error"] == "rate_limited"
    assert "Retry-After" in limited.headers
