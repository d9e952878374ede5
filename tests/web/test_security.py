"""CSRF policy and security headers."""
from __future__ import annotations

from sqlalchemy import select

from storage import AuditEvent, User
from storage.users import verify_password
from tests.fixtures.web import PASSWORD, bearer, login, page_csrf


def test_form_without_csrf_token_is_refused_and_changes_nothing(client, make_user, services) -> None:
    make_user("alice")
    login(client, "alice")
    response = client.post("/auth/password?lang=en", data={
        "current_password": PASSWORD, "new_password": "hijacked-password", "confirm_password": "hijacked-password"})
    assert response.status_code == 400
    assert "The form has expired or did not come from this site" in response.get_data(as_text=True)
    with services.session_factory() as session:
        assert verify_password(session.scalars(select(User)).one(), PASSWORD)
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["auth.login"]


def test_forged_token_is_refused(client, make_user) -> None:
    make_user("alice")
    response = client.post("/auth/login", data={"csrf_token": "forged", "username": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_needs_the_token(client, make_user) -> None:
    make_user("alice")
    login(client, "alice")
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_cookie_authenticated_api_calls_need_the_header(client, make_user) -> None:
    make_user("alice", roles=[("inspector", "海曙区", None)])
    login(client, "alice")
    refused = client.post("/api/v1/documents", data={"case_id": "1"}, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    token = page_csrf(client, "/")
    accepted = client.post("/api/v1/documents", data={"case_id": "1"}, content_type="multipart/form-data",
                           headers={"X-CSRFToken": token})
    # Past the CSRF check: now the input itself is judged (no file).
    assert accepted.status_code == 400 and accepted.get_json()["error"] == "validation_error"


def test_bearer_requests_are_exempt_even_with_a_cookie(client, make_user, make_token) -> None:
    make_user("alice", roles=[("inspector", "海曙区", None)])
    login(client, "alice")
    response = client.post("/api/v1/documents", data={"case_id": "1"}, content_type="multipart/form-data",
                           headers=bearer(make_token("alice")))
    assert response.status_code == 400 and response.get_json()["error"] == "validation_error"


def test_bearer_header_overrides_the_session_cookie(client, make_user) -> None:
    make_user("root", roles=[("admin", None, None)])
    login(client, "root")
    assert client.get("/api/v1/audit/verify").status_code == 200  # the cookie alone works
    assert client.get("/api/v1/audit/verify", headers=bearer("not-a-token")).status_code == 401


def test_security_headers(client) -> None:
    for path in ("/auth/login", "/api/v1/health", "/nowhere"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
        assert response.headers["Referrer-Policy"] == "same-origin"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "unsafe-inline" not in csp and "http" not in csp


def test_session_cookie_flags(client, make_user) -> None:
    make_user("alice")
    response = login(client, "alice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_bearer_calls_set_no_cookie(client, make_user, make_token) -> None:
    make_user("root", roles=[("admin", None, None)])
    response = client.get("/api/v1/audit/verify", headers=bearer(make_token("root")))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
