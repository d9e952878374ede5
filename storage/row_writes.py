"""Writing known columns of mapped rows with single Core statements, outside the unit of work.

The engine's step path writes a handful of columns it knows exactly (an instance's state, a
task's completion). Going through ``Session.flush`` for them costs several times the
statement itself (ARCHITECTURE §2: a step must stay cheap), so these helpers issue the
statement directly and leave the in-session objects as if the values had been loaded.

On PostgreSQL, :func:`pipelined` sends such writes without waiting for each reply (psycopg's
pipeline mode): a step's four or five writes cost one round trip, and the server executes
them while Python goes on. Only statements that return nothing may run inside it.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Insert, Table, Update, bindparam, inspect, insert, update
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.attributes import set_committed_value

from .base import Base
from .pg_connections import driver_errors


def update_row(session: Session, obj: Base, values: Mapping[str, Any]) -> None:
    """UPDATE ``obj``'s row by primary key with ``values`` plus any changes still pending on it.

    Afterwards ``obj`` holds the written values and has nothing left to flush.
    """
    state = inspect(obj)
    if not state.persistent:
        raise ValueError(f"{obj!r} has no row to update yet")
    pending = {key: state.dict[key] for key in state.committed_state if key in state.dict}
    columns = {**pending, **values}
    if not columns:
        return
    mapper = state.mapper
    params = {f"v_{key}": value for key, value in columns.items()}
    params.update(zip(_KEY_PARAMS, mapper.primary_key_from_instance(obj)))
    # On the connection, not the session: no autoflush of the very changes written here.
    session.connection().execute(_update_statement(mapper, tuple(sorted(columns))), params)
    for key, value in columns.items():
        set_committed_value(obj, key, value)


_KEY_PARAMS = tuple(f"k_{i}" for i in range(8))


@functools.lru_cache(maxsize=256)
def _update_statement(mapper: Mapper[Any], keys: tuple[str, ...]) -> Update:
    # Built once per column set: the step path runs the same few shapes over and over, and a
    # reused statement skips construction and cache-key computation (about 0.1 ms each).
    table = mapper.local_table
    criteria = [column == bindparam(name) for column, name in zip(mapper.primary_key, _KEY_PARAMS)]
    return update(table).where(*criteria).values(  # type: ignore[arg-type]
        {mapper.get_property(key).columns[0]: bindparam(f"v_{key}") for key in keys})


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (column → value, the same columns in each) in one statement, no objects made."""
    if rows:
        session.connection().execute(_insert_statement(model.__table__), list(rows))  # type: ignore[arg-type]


@functools.lru_cache(maxsize=64)
def _insert_statement(table: Table) -> Insert:
    # inline(): no RETURNING of the new keys, which a pipelined write could not wait for.
    return insert(table).inline()


@contextmanager
def pipelined(session: Session) -> Iterator[None]:
    """Within the block, PostgreSQL writes by these helpers go out without waiting for replies.

    The block ends by waiting for every reply; a failed statement raises there, as a
    SQLAlchemy ``DBAPIError`` like any other, and the transaction is left to roll back.
    Elsewhere (SQLite) the block changes nothing.
    """
    session.flush()  # ORM writes pending before the block keep their place in the order
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    with driver_errors(connection, "pipelined writes"), driver.pipeline():  # type: ignore[union-attr]
        yield
