"""GET /api/v1/audit/verify: admins and auditors only; names the first bad row."""
from __future__ import annotations

from sqlalchemy import update

from storage import AuditEvent
from storage.audit import append_audit
from tests.fixtures.web import bearer


def add_events(services, n: int) -> None:  # type: ignore[no-untyped-def]
    with services.session_factory.begin() as session:
        for i in range(n):
            append_audit(session, action="test.event", at=services.clock.now(), actor="t", data={"i": i})


def test_auditor_sees_an_intact_chain(client, make_user, make_token, services) -> None:
    make_user("aud", roles=[("auditor", None, None)])
    add_events(services, 3)
    response = client.get("/api/v1/audit/verify", headers=bearer(make_token("aud")))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["checked"] == 3 and body["first_bad_seq"] is None
    assert len(body["last_hash"]) == 64


def test_an_edited_row_is_named(client, make_user, make_token, services) -> None:
    make_user("root", roles=[("admin", None, None)])
    add_events(services, 4)
    with services.session_factory.begin() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor="mallory"))
    body = client.get("/api/v1/audit/verify", headers=bearer(make_token("root"))).get_json()
    assert body["ok"] is False and body["first_bad_seq"] == 3 and body["checked"] == 2
    assert "altered" in body["reason"]


def test_other_roles_get_403_and_anonymous_401(client, make_user, make_token) -> None:
    make_user("insp", roles=[("inspector", "海曙区", None)])
    forbidden = client.get("/api/v1/audit/verify", headers=bearer(make_token("insp")))
    assert forbidden.status_code == 403 and forbidden.get_json()["error"] == "forbidden"
    anonymous = client.get("/api/v1/audit/verify")
    assert anonymous.status_code == 401 and anonymous.get_json()["error"] == "unauthorized"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_or_malformed_token_is_401(client, make_user, make_token) -> None:
    make_user("aud", roles=[("auditor", None, None)])
    good = make_token("aud")
    for headers in (bearer(good + "x"), bearer(""), {"Authorization": f"Basic {good}"}, {"Authorization": good}):
        response = client.get("/api/v1/audit/verify", headers=headers)
        assert response.status_code == 401, headers
        assert set(response.get_json()) == {"error", "message", "details"}
