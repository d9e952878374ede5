"""One session per request, closed (rolled back if uncommitted) when the request ends."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from storage import District
from web.db import get_session


def test_one_session_per_request_closed_at_teardown(app: Flask, services) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session = get_session()
        assert get_session() is session
        session.begin()
        session.add(District(name="海曙区"))
        session.flush()
    # The context ended without a commit: nothing was kept.
    with services.session_factory() as check:
        assert check.scalar(select(func.count()).select_from(District)) == 0
    with app.test_request_context("/"):
        assert get_session() is not session


def test_routes_commit_with_begin(app: Flask, services) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/"):
        session = get_session()
        with session.begin():
            session.add(District(name="江北区"))
    with services.session_factory() as check:
        assert check.scalars(select(District.name)).all() == ["江北区"]
