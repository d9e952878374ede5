"""One SQLAlchemy session per request, closed when the request ends.

Routes own the transaction (STYLE 5)::

    session = get_session()
    with session.begin():
        result = some_service(session, ...)

Services never commit; leaving the ``with`` block commits, an exception rolls back.
"""
from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session

from .services import current_services

_G_KEY = "_oversite_session"


def get_session() -> Session:
    """The request's session (created on first use)."""
    session: Session | None = g.get(_G_KEY)
    if session is None:
        session = current_services().session_factory()
        setattr(g, _G_KEY, session)
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the request's session; anything not committed is rolled back."""
    session: Session | None = g.pop(_G_KEY, None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
