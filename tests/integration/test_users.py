"""storage.users: accounts, argon2 passwords and bearer tokens on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage import ApiToken, User
from storage.users import (
    DuplicateUser, InvalidScope, InvalidUsername, UnknownRole, WeakPassword, authenticate, create_user,
    issue_token, revoke_token, session_stamp, set_password, user_for_token, verify_password,
)

PW = "correct horse battery"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def test_create_and_authenticate(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = create_user(s, "wang.wei", PW, [("inspector", "海曙区", None), ("auditor", None, None)], "王伟")
        assert user.id is not None
        assert user.password_hash.startswith("$argon2id$") and PW not in user.password_hash
    with session_factory.begin() as s:
        found = authenticate(s, "wang.wei", PW)
        assert found is not None and found.display_name == "王伟"
        assert [(m.role, m.district) for m in found.memberships] == [("inspector", "海曙区"), ("auditor", None)]
        assert authenticate(s, "wang.wei", PW + "x") is None
        assert authenticate(s, "nobody", PW) is None
        assert authenticate(s, "wang.wei", "x" * 5000) is None


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"username": "a"}, InvalidUsername),
    ({"username": "has space"}, InvalidUsername),
    ({"username": "_leading"}, InvalidUsername),
    ({"password": "seven77"}, WeakPassword),
    ({"roles": []}, UnknownRole),
    ({"roles": [("root", None, None)]}, UnknownRole),
    ({"roles": [("admin", "海曙区", None)]}, InvalidScope),
    ({"roles": [("inspector", None, "91330200ACME00001X")]}, InvalidScope),
    ({"roles": [("enterprise", None, None)]}, InvalidScope),
    ({"roles": [("enterprise", None, "X" * 19)]}, InvalidScope),
])
def test_bad_input_is_refused(session_factory: sessionmaker[Session], kwargs: dict, error: type) -> None:  # type: ignore[type-arg]
    args = {"username": "li", "password": PW, "roles": [("admin", None, None)], **kwargs}
    with session_factory.begin() as s:
        with pytest.raises(error) as info:
            create_user(s, args["username"], args["password"], args["roles"])
        assert info.value.field in ("username", "password", "roles", "district", "enterprise_code")
        assert s.scalars(select(User)).first() is None


def test_duplicate_username(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        create_user(s, "li", PW, [("admin", None, None)])
    with session_factory.begin() as s:
        with pytest.raises(DuplicateUser, match="already exists"):
            create_user(s, "li", PW, [("expert", None, None)])


def test_chinese_usernames_are_allowed(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        create_user(s, "王伟", PW, [("expert", None, None)])
        assert authenticate(s, "王伟", PW) is not None


def test_inactive_users_cannot_log_in(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        create_user(s, "li", PW, [("admin", None, None)]).is_active = False
    with session_factory.begin() as s:
        assert authenticate(s, "li", PW) is None


def test_outdated_hashes_are_upgraded_on_login(session_factory: sessionmaker[Session]) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    with session_factory.begin() as s:
        create_user(s, "li", "placeholder-pw", [("admin", None, None)]).password_hash = weak
    with session_factory.begin() as s:
        assert authenticate(s, "li", PW) is not None
    with session_factory() as s:
        upgraded = s.scalars(select(User)).one().password_hash
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)


def test_set_password(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = create_user(s, "li", PW, [("admin", None, None)], must_change_password=True)
        stamp = session_stamp(user)
        with pytest.raises(WeakPassword):
            set_password(s, user, "short")
        set_password(s, user, "a new password", now=T0)
        assert verify_password(user, "a new password") and not verify_password(user, PW)
        assert user.password_changed_at == T0 and not user.must_change_password
        assert session_stamp(user) != stamp


def test_tokens(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = create_user(s, "li", PW, [("admin", None, None)])
        token = issue_token(s, user, "ci", now=T0)
    with session_factory() as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_sha256, row.label) and row.last_used_at is None

    with session_factory.begin() as s:
        owner = user_for_token(s, token, now=T0)
        assert owner is not None and owner.username == "li"
        assert user_for_token(s, token[:-1]) is None
        assert user_for_token(s, "") is None
    with session_factory() as s:
        assert s.scalars(select(ApiToken)).one().last_used_at == T0

    with session_factory.begin() as s:
        assert revoke_token(s, token) is True
        assert revoke_token(s, token) is False
        assert user_for_token(s, token) is None


def test_short_tokens_are_refused(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = create_user(s, "li", PW, [("admin", None, None)])
        with pytest.raises(ValueError, match="16"):
            issue_token(s, user, nbytes=8)
        assert len(issue_token(s, user, nbytes=48)) == 64


def test_tokens_of_inactive_users_stop_working(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        user = create_user(s, "li", PW, [("admin", None, None)])
        token = issue_token(s, user)
        user.is_active = False
    with session_factory.begin() as s:
        assert user_for_token(s, token) is None
