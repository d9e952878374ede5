"""Accounts: creating users, checking passwords (argon2) and API bearer tokens.

Functions take the caller's session and never commit (the caller owns the transaction).
Only a token's SHA-256 is stored; the token itself is shown once, to whoever asked for it.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .accounts import ROLES, ApiToken, Membership, User
from .base import utcnow

PASSWORD_MIN_LENGTH = 8
# argon2 hashes any length, but hashing megabytes on every login attempt is a cheap DoS.
PASSWORD_MAX_LENGTH = 1024
USERNAME_PATTERN = re.compile(r"^[^\W_][\w.@-]{1,119}$")
DISTRICT_ROLES = frozenset({"inspector", "district_admin"})
ENTERPRISE_ROLES = frozenset({"enterprise"})
TOKEN_BYTES = 32
MIN_TOKEN_BYTES = 16

RoleSpec = tuple[str, str | None, str | None]

_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as much as a
# wrong password and response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user or token request was refused; ``code`` is stable, ``field`` names the input."""

    code = "invalid_account"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DuplicateUser(AccountError):
    code = "duplicate_user"


class UnknownRole(AccountError):
    code = "unknown_role"


class InvalidUsername(AccountError):
    code = "invalid_username"


class WeakPassword(AccountError):
    code = "weak_password"


class InvalidScope(AccountError):
    code = "invalid_scope"


def check_password_policy(password: str) -> None:
    """Raise ``WeakPassword`` unless ``password`` is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(f"the password must have at least {PASSWORD_MIN_LENGTH} characters", "password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise WeakPassword(f"the password must have at most {PASSWORD_MAX_LENGTH} characters", "password")


def check_username(username: str) -> None:
    if not USERNAME_PATTERN.match(username):
        raise InvalidUsername(
            "a username has 2 to 120 letters, digits or . _ @ - and starts with a letter or digit",
            "username",
        )


def check_role(role: str, district: str | None, enterprise_code: str | None) -> None:
    """Validate one role and its scope (district for district roles, enterprise for enterprises)."""
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; roles are {', '.join(ROLES)}", "roles")
    if district is not None and role not in DISTRICT_ROLES:
        raise InvalidScope(f"role {role!r} is not limited by district", "district")
    if enterprise_code is not None and role not in ENTERPRISE_ROLES:
        raise InvalidScope(f"role {role!r} is not limited by enterprise", "enterprise_code")
    if role in ENTERPRISE_ROLES and not enterprise_code:
        raise InvalidScope("the enterprise role needs an enterprise code", "enterprise_code")
    if enterprise_code is not None and not 1 <= len(enterprise_code) <= 18:
        raise InvalidScope("an enterprise code has at most 18 characters", "enterprise_code")
    if district is not None and not 1 <= len(district) <= 64:
        raise InvalidScope("a district name has 1 to 64 characters", "district")


def get_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).first()


def create_user(
    session: Session,
    username: str,
    password: str,
    roles: Sequence[RoleSpec],
    display_name: str | None = None,
    *,
    must_change_password: bool = False,
) -> User:
    """Create a user holding ``roles`` (each ``(role, district, enterprise_code)``).

    Raises:
        InvalidUsername, WeakPassword, UnknownRole, InvalidScope: bad input.
        DuplicateUser: the username is taken.
    """
    check_username(username)
    check_password_policy(password)
    if not roles:
        raise UnknownRole("a user needs at least one role", "roles")
    unique_roles = list(dict.fromkeys(roles))
    for role, district, enterprise_code in unique_roles:
        check_role(role, district, enterprise_code)
    if display_name is not None and len(display_name) > 200:
        raise AccountError("a display name has at most 200 characters", "display_name")
    if get_user(session, username) is not None:
        raise DuplicateUser(f"the user {username!r} already exists", "username")
    user = User(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        must_change_password=must_change_password,
        memberships=[Membership(role=r, district=d, enterprise_code=e) for r, d, e in unique_roles],
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None (same cost whether or not it exists).

    Upgrades the stored hash when the hasher's parameters changed (the caller commits).
    """
    user = get_user(session, username) if len(username) <= 120 else None
    if len(password) > PASSWORD_MAX_LENGTH:
        return None
    stored = user.password_hash if user is not None and user.is_active else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def verify_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current password."""
    if len(password) > PASSWORD_MAX_LENGTH:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(session: Session, user: User, password: str, *, now: datetime | None = None) -> None:
    """Replace the user's password (policy-checked); the caller commits.

    Raises:
        WeakPassword: the password breaks the policy.
    """
    check_password_policy(password)
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = now or utcnow()
    user.must_change_password = False
    session.flush()


def session_stamp(user: User) -> str:
    """Changes whenever the password changes: browser sessions carry it and die with it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, label: str | None = None, *, now: datetime | None = None,
                nbytes: int = TOKEN_BYTES) -> str:
    """Create a bearer token of ``nbytes`` random bytes for ``user`` and return it.

    The token is never retrievable again: only its SHA-256 is stored.
    """
    if label is not None and len(label) > 120:
        raise AccountError("a token label has at most 120 characters", "label")
    if nbytes < MIN_TOKEN_BYTES:
        raise ValueError(f"tokens need at least {MIN_TOKEN_BYTES} random bytes")
    token = secrets.token_urlsafe(nbytes)
    session.add(ApiToken(user_id=user.id, token_sha256=_digest(token), label=label,
                         created_at=now or utcnow()))
    session.flush()
    return token


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User | None:
    """The active user owning an unrevoked ``token`` (records its use), or None."""
    if not token or len(token) > 200:
        return None
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    row.last_used_at = now or utcnow()
    return user


def revoke_token(session: Session, token: str, *, now: datetime | None = None) -> bool:
    """Revoke ``token``; False when it is unknown or already revoked."""
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return False
    row.revoked_at = now or utcnow()
    return True
