"""Collisions with concurrent transactions: 503 "busy" (or 409 for a duplicate), never a 500.

Real collisions on the real databases: another connection holds the lock a request needs.
The app waits for it only ``LOCK_TIMEOUT_SECONDS`` (PostgreSQL's ``lock_timeout``, SQLite's
busy timeout), then answers that nothing was saved and to try again.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from engine import FixedClock
from tests.fixtures.contention import SHORT_LOCK_WAIT, held_lock
from tests.fixtures.web import database_url

from .engine_api import Api, engine_config, inspection

GOOD_INSPECTION = {"passed": True, "inspected_on": "2026-03-02"}


@pytest.fixture
def app_config(app_config: dict[str, Any], clock: FixedClock) -> dict[str, Any]:
    return engine_config({**app_config, **SHORT_LOCK_WAIT}, clock)


def test_a_lock_held_elsewhere_is_503_busy_and_nothing_is_saved(api: Api, projects: dict[str, int],
                                                                 db_engine: Engine) -> None:
    api.deployed(inspection())
    case = api.started("inspection", project_id=projects["acme"])
    task = api.open_task(case["id"])
    history = api.get("admin", f"/cases/{case['id']}/history").get_json()
    with held_lock(db_engine, case["instance_id"]):
        response = api.complete("admin", task["id"], GOOD_INSPECTION)
    assert response.status_code == 503, response.get_json()
    assert response.headers["Retry-After"] == "1"
    body = response.get_json()
    assert body["error"] == "busy" and "重试" in body["message"] and "traceback" not in str(body).lower()
    assert api.get("admin", f"/cases/{case['id']}/history").get_json() == history
    assert api.open_task(case["id"])["id"] == task["id"]
    # The lock gone, the same request succeeds; the audit chain is whole.
    assert api.complete("admin", task["id"], GOOD_INSPECTION).status_code == 200
    assert api.get("admin", "/audit/verify").get_json()["ok"] is True


def _wait_until_blocked(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as watcher:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND wait_event_type = 'Lock'").fetchone()[0]:  # type: ignore[index]
                return
            time.sleep(0.005)
    raise AssertionError("the request never waited for the other transaction")


def test_the_same_enterprise_registered_at_the_same_moment_is_409(api: Api, db_engine: Engine) -> None:
    if db_engine.dialect.name == "sqlite":
        pytest.skip("SQLite serializes writers up front: the second sees the first's row and is refused by name")
    code, body = "91330100716105852F", {"name": "宁波测试建设有限公司", "kind": "contractor", "district": "海曙区"}
    url = database_url(db_engine).replace("postgresql+psycopg://", "postgresql://")
    results: list[Any] = []
    with psycopg.connect(url) as other:  # registers the same code and commits while the request waits on it
        other.execute("INSERT INTO enterprise (code, name, kind, district, created_at) "
                      "VALUES (%s, 'other', 'contractor', '海曙区', now())", (code,))
        request = threading.Thread(target=lambda: results.append(
            api.post("admin", "/enterprises", json={**body, "code": code})))
        request.start()
        _wait_until_blocked(url)  # on the unique index, behind the uncommitted row (within lock_timeout)
        other.commit()
        request.join(timeout=10)
    (response,) = results
    assert response.status_code == 409, response.get_json()
    assert response.get_json()["error"] == "conflict"


def test_the_lock_wait_is_the_configured_one(services, db_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with services.session_factory() as session:
        if db_engine.dialect.name == "postgresql":
            assert session.execute(text("SHOW lock_timeout")).scalar() == "1s"
        else:
            assert session.execute(text("PRAGMA busy_timeout")).scalar() == 1000
