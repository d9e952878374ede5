"""Fixtures of the engine API tests (process models, cases, tasks, events); see ``engine_api``."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from engine import FixedClock
from tests.fixtures.web import MakeUser
from web.services import Services

from .engine_api import START, USERS, Api, make_projects


@pytest.fixture
def clock() -> FixedClock:
    """The app's clock when a module's ``app_config`` uses ``engine_config``."""
    return FixedClock(START)


@pytest.fixture
def api(client: FlaskClient, make_user: MakeUser, make_token: Callable[[str], str]) -> Api:
    """Calls the API as any of ``engine_api.USERS`` (each created on first use)."""

    def create(who: str) -> tuple[int, str]:
        role, district, enterprise = USERS[who]
        user = make_user(who, roles=[(role, district, enterprise)])
        return user.id, make_token(who)

    return Api(client, create)


@pytest.fixture
def projects(services: Services) -> dict[str, int]:
    return make_projects(services.session_factory)
