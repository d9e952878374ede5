"""``oversite init``: idempotent; the admin password is generated and shown once, or configured."""
from __future__ import annotations

import re

from sqlalchemy import Engine, select

import storage
from storage import Membership, User
from storage.users import authenticate


def users(db_engine: Engine) -> dict[str, list[tuple[str, str | None, str | None]]]:
    with storage.make_session_factory(db_engine)() as session:
        return {u.username: [(m.role, m.district, m.enterprise_code) for m in u.memberships]
                for u in session.scalars(select(User))}


def test_init_is_idempotent_and_shows_a_generated_password_once(cli, db_engine: Engine) -> None:
    first = cli("init")
    assert first.exit_code == 0, first.output
    match = re.search(r"created user admin with password: (\S+)", first.stdout)
    assert match
    password = match.group(1)
    assert len(password) >= 20

    second = cli("init")
    assert second.exit_code == 0
    assert password not in second.output and "password:" not in second.output
    assert "left unchanged" in second.output
    with storage.make_session_factory(db_engine).begin() as session:
        admin = authenticate(session, "admin", password)
        assert admin is not None
        assert [m.role for m in admin.memberships] == ["admin"]
        assert len(list(session.scalars(select(Membership)))) == 1


def test_init_uses_the_configured_password_and_never_changes_it(cli, db_engine: Engine) -> None:
    result = cli("init", OVERSITE_ADMIN_PASSWORD="configured-secret")
    assert result.exit_code == 0 and "configured-secret" not in result.output
    cli("init", OVERSITE_ADMIN_PASSWORD="another-secret")
    with storage.make_session_factory(db_engine).begin() as session:
        assert authenticate(session, "admin", "configured-secret") is not None
        assert authenticate(session, "admin", "another-secret") is None


def test_init_refuses_a_weak_configured_password(cli, db_engine: Engine) -> None:
    result = cli("init", OVERSITE_ADMIN_PASSWORD="short")
    assert result.exit_code == 1 and "OVERSITE_ADMIN_PASSWORD" in result.output
    assert "admin" not in users(db_engine)


def test_production_without_secret_key_refuses_to_start(cli, db_engine: Engine) -> None:
    result = cli("init", OVERSITE_ENV="production", OVERSITE_SECRET_KEY=None)
    assert result.exit_code == 1
    assert "OVERSITE_SECRET_KEY is not set" in result.output
    assert users(db_engine) == {}
    ok = cli("init", OVERSITE_ENV="production", OVERSITE_SECRET_KEY="a-real-production-key-" + "x" * 20)
    assert ok.exit_code == 0
