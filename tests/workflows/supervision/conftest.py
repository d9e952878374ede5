"""Fixtures of the supervision tests: the app on a fixed clock, the family's models deployed."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine import FixedClock
from tests.fixtures.web import MakeUser
from web.services import Services

from .driver import START, USERS, SupervisionApi


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return {**app_config, "CLOCK": clock}


@pytest.fixture
def sup(client: FlaskClient, services: Services, clock: FixedClock, make_user: MakeUser,
        make_token: Callable[[str], str]) -> SupervisionApi:
    api = SupervisionApi(client, services, clock, make_user, make_token)
    api.deploy()
    for name in USERS:
        api.token(name)  # every test user exists (inspectors are checked against users)
    return api


@pytest.fixture
def project_id(sup: SupervisionApi) -> int:
    return sup.register_project()
