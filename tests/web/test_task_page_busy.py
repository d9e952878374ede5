"""The task page when another transaction holds the case: what the inspector typed is kept.

A real collision: another connection holds the instance's lock (PostgreSQL) or the database's
write lock (SQLite) while the form is submitted, and the app waits only briefly for it.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from engine import FixedClock
from tests.fixtures.contention import SHORT_LOCK_WAIT, held_lock
from tests.fixtures.ui import World, ui_config
from tests.fixtures.web import logged_in, page_csrf
from web.services import Services

from .test_task_page import completions, form, task_of


@pytest.fixture
def app_config(app_config: dict[str, Any], ui_clock: FixedClock) -> dict[str, Any]:
    return ui_config({**app_config, **SHORT_LOCK_WAIT, "CLOCK": ui_clock})


def test_a_form_submitted_while_the_case_is_locked_comes_back_with_its_input(
        app, world: World, services: Services, db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    client = logged_in(app, "inspector")
    task = task_of(services, world.inspection_case, "inspect")
    token = page_csrf(client, f"/tasks/{task.id}")
    with held_lock(db_engine, task.instance_id):
        response = client.post(f"/tasks/{task.id}", data=form(token, remarks="雨后复查"))
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "同一记录此时正被他人修改，本次提交未保存任何内容，请重试。" in page
    if db_engine.dialect.name == "postgresql":  # SQLite's lock covers the page's own reads too
        assert "雨后复查</textarea>" in page and "临边防护不到位" in page
    assert completions(services, task.id) == 0
    # The lock gone, the same submission completes the task.
    assert client.post(f"/tasks/{task.id}", data=form(token, remarks="雨后复查")).status_code == 302
    assert completions(services, task.id) == 1
