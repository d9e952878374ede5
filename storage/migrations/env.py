"""Alembic environment: the URL comes from the caller (``storage.migrate``), never from a file."""
from __future__ import annotations

from alembic import context

from storage.base import Base
import storage  # noqa: F401  (registers every model on Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("storage.migrate passes an open connection to Alembic")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
