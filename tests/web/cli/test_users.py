"""``oversite user add`` and ``oversite user token``."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine, select

import storage
from storage import AuditEvent, User
from storage.users import user_for_token


def users(db_engine: Engine) -> dict[str, list[tuple[str, str | None, str | None]]]:
    with storage.make_session_factory(db_engine)() as session:
        return {u.username: [(m.role, m.district, m.enterprise_code) for m in u.memberships]
                for u in session.scalars(select(User))}


def test_user_add_with_scoped_roles(cli, db_engine: Engine) -> None:
    result = cli("user", "add", "wang", "--role", "inspector", "--role", "district_admin", "--role", "auditor",
                    "--district", "海曙区", "--password", "secret-123")
    assert result.exit_code == 0, result.output
    assert users(db_engine)["wang"] == [("inspector", "海曙区", None), ("district_admin", "海曙区", None),
                                        ("auditor", None, None)]
    result = cli("user", "add", "acme", "--role", "enterprise", "--enterprise", "91330200ACME00001X",
                    "--password", "secret-123")
    assert result.exit_code == 0
    assert users(db_engine)["acme"] == [("enterprise", None, "91330200ACME00001X")]
    with storage.make_session_factory(db_engine)() as session:
        actions = [(e.action, e.data["username"]) for e in session.scalars(select(AuditEvent))]
    assert actions == [("user.create", "wang"), ("user.create", "acme")]


def test_duplicate_user_exits_1(cli) -> None:
    assert cli("user", "add", "wang", "--role", "admin", "--password", "secret-123").exit_code == 0
    result = cli("user", "add", "wang", "--role", "expert", "--password", "secret-456")
    assert result.exit_code == 1
    assert "already exists" in result.output


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--role", "superuser", "--password", "secret-123"], 2, "'superuser' is not one of"),
    (["--password", "secret-123"], 2, "Missing option '--role'"),
    (["--role", "admin", "--password", "short"], 1, "at least 8 characters"),
    (["--role", "enterprise", "--password", "secret-123"], 1, "needs an enterprise code"),
    (["--role", "admin", "--district", "海曙区", "--password", "secret-123"], 2, "--district applies only"),
    (["--role", "inspector", "--enterprise", "X1", "--password", "secret-123"], 2, "--enterprise applies only"),
])
def test_bad_user_input(cli, db_engine: Engine, args: list[str], code: int, message: str) -> None:
    result = cli("user", "add", "wang", *args)
    assert result.exit_code == code
    assert message in result.output
    assert "wang" not in users(db_engine)


def test_invalid_username_is_refused(cli) -> None:
    result = cli("user", "add", "bad name!", "--role", "admin", "--password", "secret-123")
    assert result.exit_code == 1 and "username" in result.output


def test_user_token_prints_only_the_token(cli, db_engine: Engine) -> None:
    cli("user", "add", "wang", "--role", "inspector", "--password", "secret-123")
    result = cli("user", "token", "wang")
    assert result.exit_code == 0
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}\n", result.stdout)
    with storage.make_session_factory(db_engine).begin() as session:
        owner = user_for_token(session, result.stdout.strip())
        assert owner is not None and owner.username == "wang"


def test_user_token_for_an_unknown_user_fails(cli) -> None:
    result = cli("user", "token", "ghost")
    assert result.exit_code == 1 and result.stdout == ""
    assert "no active user" in result.stderr
