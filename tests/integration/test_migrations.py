"""The Alembic migrations build exactly the schema the models describe, on both backends."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import storage
from storage.migrate import upgrade
from tests.fixtures.database import private_pg_database


@pytest.fixture(params=["sqlite", "postgres"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = storage.make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
        yield engine
        engine.dispose()
    else:
        yield from private_pg_database(create_schema=False)


def test_upgrade_builds_the_models_schema_and_is_idempotent(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)  # `oversite db upgrade` may run on every deployment
    tables = set(inspect(empty_engine).get_table_names())
    assert set(storage.Base.metadata.tables) <= tables
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, storage.Base.metadata)
    assert diff == [], f"models and migrations differ (run `make migration` while unreleased): {diff}"


def test_a_database_at_the_initial_schema_upgrades_in_place(empty_engine: Engine) -> None:
    upgrade(empty_engine, "ac3cb00d8158")  # the initial schema, as databases created before were left
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO \"user\" (username, password_hash, is_active, must_change_password, "
                          "created_at) VALUES ('kept', '-', true, false, CURRENT_TIMESTAMP)"))
    upgrade(empty_engine)
    columns = {c["name"] for c in inspect(empty_engine).get_columns("task")}
    assert "for_enterprise" in columns
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM \"user\"")).scalars().all() == ["kept"]
