"""Who is calling: a detached snapshot of the user (for Flask-Login) and its engine ``Actor``.

Flask-Login keeps the current user for the whole request, longer than any database
transaction, so it gets a plain frozen object rather than an ORM row.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import request
from flask_login import AnonymousUserMixin, current_user

from engine.actor import Actor, Scope
from storage import User
from storage.users import session_stamp


def scopes_of(user: User) -> tuple[Scope, ...]:
    """The user's roles with their scopes, in a stable order (for ``Actor.role_for_audit``)."""
    memberships = sorted(user.memberships, key=lambda m: m.id or 0)
    return tuple(Scope(m.role, m.district, m.enterprise_code) for m in memberships)


def actor_for(user: User, client_addr: str | None) -> Actor:
    """The engine's view of ``user`` calling from ``client_addr``."""
    return Actor(
        username=user.username,
        user_id=user.id,
        scopes=scopes_of(user),
        client_addr=client_addr,
        display_name=user.display_name,
    )


@dataclass(frozen=True, eq=False)
class Principal:
    """An authenticated user as Flask-Login sees it.

    Attributes:
        id: the user's id.
        username: the login name.
        display_name: the name shown in the UI, if any.
        scopes: roles with their district / enterprise limits.
        stamp: changes with the password, so older browser sessions stop working.
        via_token: authenticated by an API bearer token rather than a session cookie.
        must_change_password: the user has to pick a new password first.
    """

    id: int
    username: str
    display_name: str | None
    scopes: tuple[Scope, ...]
    stamp: str
    via_token: bool = False
    must_change_password: bool = False

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}"

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(s.role for s in self.scopes)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def actor(self, client_addr: str | None) -> Actor:
        return Actor(
            username=self.username,
            user_id=self.id,
            scopes=self.scopes,
            client_addr=client_addr,
            display_name=self.display_name,
        )


class Anonymous(AnonymousUserMixin):
    """The caller before login: no roles."""

    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return False


def principal_for(user: User, *, via_token: bool = False) -> Principal:
    return Principal(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        scopes=scopes_of(user),
        stamp=session_stamp(user),
        via_token=via_token,
        must_change_password=user.must_change_password,
    )


def client_addr() -> str | None:
    """The caller's address (``ProxyFix`` makes it the real client's behind a proxy)."""
    return request.remote_addr


def current_principal() -> Principal | None:
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return user if isinstance(user, Principal) else None


def current_actor() -> Actor | None:
    """The engine ``Actor`` for the current request, or None when nobody is logged in."""
    principal = current_principal()
    return principal.actor(client_addr()) if principal is not None else None
