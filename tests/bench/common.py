"""Shared by the benchmarks: a private PostgreSQL database, created and dropped per run."""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable

from sqlalchemy import text

import storage

ADMIN_URL = os.environ.get("OVERSITE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def private_database(admin_url: str = ADMIN_URL) -> tuple[str, Callable[[], None]]:
    """A new empty database: its URL and a function that drops it."""
    admin = storage.make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = "oversite_bench_" + secrets.token_hex(3)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop
