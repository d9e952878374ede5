"""How a request is authenticated: a session cookie (browser) or a bearer token (API).

A request carrying ``Authorization: Bearer`` is judged by its token alone: a session cookie
sent alongside it is ignored, which is also why such requests need no CSRF token (a browser
never attaches that header on its own to a cross-site request).
"""
from __future__ import annotations

from flask import Flask, Request, request

from storage import User
from storage.users import session_stamp, user_for_token

from ..extensions import login_manager
from ..services import current_services
from .principal import Anonymous, Principal, principal_for


def bearer_token(req: Request) -> str | None:
    """The bearer token of ``req``, "" for a malformed Authorization header, None without one."""
    header = req.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def has_bearer(req: Request) -> bool:
    return bearer_token(req) is not None


def load_session_user(user_id: str) -> Principal | None:
    """Flask-Login's user loader: ``"<id>:<stamp>"`` from the session cookie."""
    if has_bearer(request):
        return None
    ident, _, stamp = user_id.partition(":")
    if not ident.isdigit():
        return None
    services = current_services()
    with services.session_factory() as session:
        user = session.get(User, int(ident))
        if user is None or not user.is_active or session_stamp(user) != stamp:
            return None
        return principal_for(user)


def load_token_user(req: Request) -> Principal | None:
    """Flask-Login's request loader: the owner of a valid bearer token."""
    token = bearer_token(req)
    if not token:
        return None
    services = current_services()
    with services.session_factory.begin() as session:
        user = user_for_token(session, token, now=services.clock.now())
        return principal_for(user, via_token=True) if user is not None else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)
    login_manager.anonymous_user = Anonymous
    # "basic": a session used from elsewhere is marked non-fresh rather than dropped.
    login_manager.session_protection = "basic"
