"""PostgreSQL pool connections (``storage.pg_connections``): kept prepared statements, the ping
after idling, and writes sent with the COMMIT; against the real server."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, exc, select, text
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage import AuditEvent, Case
from storage.audit import append_audit, verify_chain
from storage.audit_queue import queue_audit, savepoint
from storage.pg_connections import OversiteConnection, configure, driver_errors
from tests.fixtures.database import PG_ADMIN_URL, _empty_tables

NOW = datetime(2026, 3, 2, tzinfo=timezone.utc)


@pytest.fixture
def pg(pg_engine: Engine) -> sessionmaker[Session]:
    _empty_tables(pg_engine)
    return storage.make_session_factory(pg_engine)


def _driver(session: Session) -> Any:
    return session.connection().connection.driver_connection


def _prepared_statements(session: Session) -> list[str]:
    return list(session.scalars(text("SELECT statement FROM pg_prepared_statements")))


def test_pool_hands_out_oversite_connections(pg: sessionmaker[Session]) -> None:
    with pg() as session:
        assert isinstance(_driver(session), OversiteConnection)


def test_prepared_statements_survive_the_rollbacks_of_read_only_sessions(pg_engine: Engine) -> None:
    engine = storage.make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    try:
        query = select(Case.id).where(Case.status == "a rare status")
        for _ in range(8):  # psycopg prepares at the sixth run; every session ends in a rollback
            with Session(engine) as session:
                session.execute(query).all()
        with Session(engine) as session:
            assert any('"case".status = $1' in s for s in _prepared_statements(session))
            # A rollback still undoes the transaction's writes.
            session.execute(text("INSERT INTO \"case\" (process_key, status, data, created_at, updated_at) "
                                 "VALUES ('p', 'active', '{}', now(), now())"))
            session.rollback()
            assert session.scalar(select(Case.id).where(Case.process_key == "p")) is None
    finally:
        engine.dispose()


def _terminate(pid: int) -> None:
    admin = storage.make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    finally:
        admin.dispose()


def _engine(pg_engine: Engine, ping_after: float) -> Engine:
    engine = create_engine(pg_engine.url, pool_size=1, max_overflow=0)
    configure(engine, ping_after=ping_after)
    return engine


def test_a_connection_killed_while_idle_is_replaced_by_the_ping(pg_engine: Engine) -> None:
    engine = _engine(pg_engine, ping_after=0)  # every reused connection counts as idle
    try:
        with engine.connect() as conn:
            first_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        _terminate(first_pid)
        with engine.connect() as conn:  # the ping finds it dead; the pool reconnects, no error
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first_pid
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_engine: Engine) -> None:
    engine = _engine(pg_engine, ping_after=3600)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        _terminate(pid)
        # The cost of skipping the ping: one statement fails, and the pool starts over.
        with pytest.raises(exc.OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_audit_rows_go_out_with_the_commit_and_chain(pg: sessionmaker[Session]) -> None:
    for i in range(3):
        with pg.begin() as session:
            queue_audit(session, action="task.completed", at=NOW, actor="inspector1", data={"i": i})
            queue_audit(session, action="case.completed", at=NOW, actor="inspector1", data={"i": i})
            driver = _driver(session)
        assert driver._at_commit == []  # sent, not left behind
    with pg() as session:
        rows = session.execute(select(AuditEvent.seq, AuditEvent.action, AuditEvent.data).order_by(AuditEvent.seq)).all()
        assert [r.seq for r in rows] == [1, 2, 3, 4, 5, 6]
        assert [r.data["i"] for r in rows] == [0, 0, 1, 1, 2, 2]
        assert verify_chain(session).ok


@pytest.mark.parametrize("audited", [False, True], ids=["failing-in-the-commit", "failing-before-the-chain-head"])
def test_a_deferred_write_that_fails_keeps_nothing_of_the_transaction(pg: sessionmaker[Session], audited: bool) -> None:
    session = pg()
    session.add(Case(process_key="kept?", status="active", data={}, created_at=NOW, updated_at=NOW))
    if audited:  # the chain's head read runs the deferred write first
        queue_audit(session, action="task.completed", at=NOW, actor="inspector1")
    session.flush()
    _driver(session).defer_to_commit("INSERT INTO audit_event (seq) VALUES (%s)", [999])  # NOT NULL columns missing
    with pytest.raises(exc.IntegrityError, match="null value"):
        session.commit()
    session.rollback()
    session.close()
    with pg() as check:
        assert check.scalar(select(Case.id).where(Case.process_key == "kept?")) is None
        assert check.scalars(select(AuditEvent.seq)).all() == []
    with pg.begin() as session:  # the pooled connection is clean again
        queue_audit(session, action="after", at=NOW, actor="inspector1")
    with pg() as check:
        assert check.scalars(select(AuditEvent.action)).all() == ["after"]


def test_deferred_writes_are_dropped_by_a_rollback(pg: sessionmaker[Session]) -> None:
    with pg() as session:
        session.execute(text("SELECT 1"))
        _driver(session).defer_to_commit("INSERT INTO audit_event (seq) VALUES (%s)", [1])
        session.rollback()
        assert _driver(session)._at_commit == []
        session.commit()
    with pg() as check:
        assert check.scalars(select(AuditEvent.seq)).all() == []


def test_appends_after_the_deferred_rows_continue_their_chain(pg: sessionmaker[Session]) -> None:
    from storage.audit import append_audit_events

    with pg.begin() as session:
        append_audit_events(session, [{"action": "a", "at": NOW, "actor": "t"}], with_commit=True)
        # Something appending later in the same transaction (not the engine's own path) sees them.
        append_audit(session, action="b", at=NOW, actor="t")
        append_audit_events(session, [{"action": "c", "at": NOW, "actor": "t"}], with_commit=True)
    with pg() as check:
        assert check.execute(select(AuditEvent.seq, AuditEvent.action).order_by(AuditEvent.seq)).all() == [
            (1, "a"), (2, "b"), (3, "c")]
        assert verify_chain(check).ok


def test_savepoint_releases_write_at_once_and_the_outer_commit_with_its_commit(pg: sessionmaker[Session]) -> None:
    with pg.begin() as session:
        queue_audit(session, action="outer.before", at=NOW, actor="t")
        with savepoint(session):
            queue_audit(session, action="inner", at=NOW, actor="t")
        queue_audit(session, action="outer.after", at=NOW, actor="t")
    with pg() as check:
        assert check.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all() == [
            "outer.before", "inner", "outer.after"]
        assert verify_chain(check).ok


def test_hashes_made_by_the_server_match_the_chain_s_own(pg: sessionmaker[Session]) -> None:
    from decimal import Decimal

    tricky = [
        {"seq": 0, "task_id": 5},  # the very text the server's seq is spliced after, nested
        {"text": '"seq":0,"task_id":', "名称": "整改通知书", "emoji": "✓", "quote": "it's \\ 100%"},
        {"when": datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc), "amount": Decimal("1250.50"), "list": [1, None, True]},
        {},
    ]
    with pg.begin() as session:  # Python hashes these (no commit under way) ...
        append_audit(session, action="python.first", at=NOW, actor="t", data=tricky[0])
    for data in tricky:  # ... and the server these, each in its own commit
        with pg.begin() as session:
            queue_audit(session, action="server", at=NOW, actor="检查员", role="inspector", case_id=7,
                        instance_id=8, task_id=None, client_addr="10.0.0.1", data=data)
    with pg.begin() as session:
        append_audit(session, action="python.last", at=NOW, actor="t")
    with pg() as check:
        report = verify_chain(check)
        assert report.ok and report.checked == len(tricky) + 2


def test_statements_a_failed_pipeline_skipped_are_not_taken_for_prepared(pg_engine: Engine) -> None:
    """After an error in a pipeline the server skips the rest, PREPAREs included; psycopg still
    counts those as prepared. The rollback must forget them, or the connection's next run of
    such a statement fails with "prepared statement does not exist" (it did, once per step
    refused by the database, for every later request on that pooled connection)."""
    engine = storage.make_engine(pg_engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)
    query = select(Case.id).where(Case.status == "a rare status")
    try:
        for _ in range(5):  # counted, not yet prepared (psycopg prepares at the sixth run)
            with Session(engine) as session:
                session.execute(query).all()
        with Session(engine) as session, pytest.raises(exc.DBAPIError):
            driver = _driver(session)
            with driver_errors(session.connection(), "test"), driver.pipeline():
                driver.execute("SELECT 1 / 0")
                session.execute(query)  # its sixth run: prepared, but skipped by the server
        for _ in range(3):
            with Session(engine) as session:
                assert session.execute(query).all() == []
    finally:
        engine.dispose()
