"""Login, logout, password change and session expiry in the browser."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from storage import AuditEvent, User
from storage.users import verify_password
from tests.fixtures.web import PASSWORD, login, page_csrf


def actions(services) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with services.session_factory() as session:
        return [(e.action, e.actor) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_pages_redirect_to_login_with_next(client) -> None:
    response = client.get("/?tab=mine")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/?tab%3Dmine"


def test_login_goes_to_next_and_logout_ends_the_session(client, make_user, services) -> None:
    make_user("alice", roles=[("inspector", "海曙区", None)], display_name="王监督")
    response = login(client, "alice", next_url="/?tab=mine")
    assert response.status_code == 302 and response.headers["Location"] == "/?tab=mine"
    home = client.get("/?lang=en")
    assert home.status_code == 200
    assert "王监督" in home.get_data(as_text=True) and "Inspector" in home.get_data(as_text=True)

    token = page_csrf(client, "/")
    out = client.post("/auth/logout", data={"csrf_token": token})
    assert out.status_code == 302 and out.headers["Location"] == "/auth/login"
    assert client.get("/").status_code == 302
    assert actions(services) == [("auth.login", "alice"), ("auth.logout", "alice")]


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/x", "/\\evil.com", "evil.com", "/%0d%0aX"])
def test_open_redirects_are_refused(client, make_user, target: str) -> None:
    make_user("alice")
    response = login(client, "alice", next_url=target)
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "/%0d%0aX")
    assert "evil" not in response.headers["Location"]


def test_wrong_password_stays_on_the_page_and_is_audited(client, make_user, services) -> None:
    make_user("alice")
    response = login(client, "alice", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert actions(services) == [("auth.login_failed", "alice")]
    with services.session_factory() as session:
        data = [e.data for e in session.scalars(select(AuditEvent))]
    assert "wrong-password" not in json.dumps(data, ensure_ascii=False)


def test_empty_form_is_400_with_field_errors(client) -> None:
    token = page_csrf(client)
    response = client.post("/auth/login?lang=en", data={"csrf_token": token, "username": "", "password": ""})
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("This field is required.") == 2


def test_password_change(client, make_user, services) -> None:
    make_user("alice")
    login(client, "alice")
    token = page_csrf(client, "/auth/password")
    new = "a brand new secret"

    def change(current: str, password: str, confirm: str):  # type: ignore[no-untyped-def]
        return client.post("/auth/password", data={"csrf_token": token, "current_password": current,
                                                   "new_password": password, "confirm_password": confirm})

    assert change("not-the-password", new, new).status_code == 400
    assert change(PASSWORD, "short", "short").status_code == 400
    assert change(PASSWORD, new, new + "x").status_code == 400
    with services.session_factory() as session:
        assert verify_password(session.scalars(select(User)).one(), PASSWORD)

    done = change(PASSWORD, new, new)
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session was renewed
    with services.session_factory() as session:
        user = session.scalars(select(User)).one()
        assert verify_password(user, new) and not verify_password(user, PASSWORD)
        assert user.password_changed_at is not None
        data = json.dumps([e.data for e in session.scalars(select(AuditEvent))])
    assert ("auth.password_changed", "alice") in actions(services)
    assert new not in data and PASSWORD not in data


def test_password_change_ends_other_sessions(app, make_user) -> None:
    make_user("alice")
    first, second = app.test_client(), app.test_client()
    login(first, "alice")
    login(second, "alice")
    token = page_csrf(first, "/auth/password")
    first.post("/auth/password", data={"csrf_token": token, "current_password": PASSWORD,
                                       "new_password": "another secret", "confirm_password": "another secret"})
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302


def test_expired_session_goes_back_to_login_then_to_the_page(app, client, make_user) -> None:
    make_user("alice")
    app.permanent_session_lifetime = timedelta(seconds=1)
    login(client, "alice")
    assert client.get("/").status_code == 200
    time.sleep(2.1)
    expired = client.get("/?x=1")
    assert expired.status_code == 302 and expired.headers["Location"] == "/auth/login?next=/?x%3D1"
    app.permanent_session_lifetime = timedelta(hours=8)
    back = login(client, "alice", next_url="/?x=1")
    assert back.headers["Location"] == "/?x=1"


def test_logged_in_user_visiting_login_goes_home(client, make_user) -> None:
    make_user("alice")
    login(client, "alice")
    response = client.get("/auth/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_is_rate_limited(app_config, request) -> None:
    app_config["LOGIN_RATE_LIMIT"] = "2 per minute"
    client = request.getfixturevalue("client")
    statuses = [login(client, "ghost", "whatever1").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/auth/login").status_code == 200  # only POSTs count
