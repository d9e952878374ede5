"""Database engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Engine, any_, bindparam, create_engine, event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from . import pg_connections

# How long a statement waits for a lock another transaction holds (on SQLite: for the
# database's write lock) before failing as a collision (``storage.errors.is_contention``).
DEFAULT_LOCK_TIMEOUT_SECONDS = 15


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for ``url`` whose statements wait at most ``lock_timeout`` seconds for a lock."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": lock_timeout})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite's driver opens transactions lazily; BEGIN IMMEDIATE at the start of every
        # transaction serializes writers up front, which is what FOR UPDATE gives PostgreSQL.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    engine = create_engine(url, **kwargs)
    # With SQLAlchemy's own pre-ping asked for, every checkout is pinged already.
    pg_connections.configure(engine, ping_after=None if kwargs.get("pool_pre_ping") else pg_connections.DEFAULT_PING_AFTER,
                             lock_timeout=lock_timeout)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def one_of(session: Session, column: InstrumentedAttribute[Any], values: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``column = ANY(array)``, one parameter.

    An expanding ``IN`` renders one placeholder per value, so a batch query's text changes with
    its size: the driver re-parses it every time (measured: ~5 ms of CPU per ingest batch for
    three such queries) and PostgreSQL never gets to prepare it. The array keeps the text fixed.
    """
    listed = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, listed, type_=ARRAY(column.type)))
    return column.in_(listed)
