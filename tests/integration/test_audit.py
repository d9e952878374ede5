"""The audit chain (storage.audit) on SQLite and PostgreSQL: appends, verification, tampering."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from storage import AuditEvent
from storage.audit import (
    GENESIS_HASH,
    ChainReport,
    append_audit,
    event_hash,
    history_for_case,
    verify_chain,
)

T0 = datetime(2024, 5, 1, 8, 0, 0, 123456, tzinfo=timezone.utc)
TABLE = AuditEvent.__table__


def _event_data(i: int) -> dict[str, Any]:
    # Keys out of order, nesting, Chinese text and values JSON cannot hold natively: the chain
    # must survive JSONB's key reordering and the plain-JSON conversion.
    return {
        "zeta": i,
        "alpha": {"金额": Decimal("1250.50"), "due": T0 + timedelta(days=i), "list": [3, 2, 1]},
        "comment": f"第{i}次整改",
        "ratio": i / 8,
    }


def _append_many(session_factory: sessionmaker[Session], count: int, start: int = 0) -> None:
    with session_factory.begin() as session:
        for i in range(start, start + count):
            append_audit(
                session,
                action="task.complete" if i % 2 else "case.open",
                at=T0 + timedelta(minutes=i),
                actor=f"inspector{i % 3}",
                role="inspector",
                client_addr="127.0.0.1" if i % 5 else None,
                case_id=i % 4 + 1,
                instance_id=i,
                task_id=i * 10 if i % 2 else None,
                data=_event_data(i),
            )


def _verify(session_factory: sessionmaker[Session], batch_size: int = 5000) -> ChainReport:
    with session_factory() as session:
        return verify_chain(session, batch_size=batch_size)


def _row(session_factory: sessionmaker[Session], seq: int) -> dict[str, Any]:
    with session_factory() as session:
        return dict(session.execute(select(TABLE).where(TABLE.c.seq == seq)).mappings().one())


def _execute(engine: Engine, *statements: Any) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


@pytest.fixture
def chain(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Fifty committed audit events."""
    _append_many(session_factory, 50)
    return session_factory


def test_empty_chain_is_valid(session_factory: sessionmaker[Session]) -> None:
    assert _verify(session_factory) == ChainReport(True, 0, None, None, None)


def test_fifty_events_verify(chain: sessionmaker[Session]) -> None:
    report = _verify(chain)
    assert report.ok and report.checked == 50 and report.first_bad_seq is None
    last = _row(chain, 50)
    assert report.last_hash == last["hash"]
    # Smaller batches than the chain (and not dividing it) verify the same.
    assert _verify(chain, batch_size=7) == report
    assert _verify(chain, batch_size=50) == report
    assert _verify(chain, batch_size=1) == report


def test_rows_link_from_the_genesis_hash(chain: sessionmaker[Session]) -> None:
    first, second = _row(chain, 1), _row(chain, 2)
    assert first["prev_hash"] == GENESIS_HASH
    assert second["prev_hash"] == first["hash"]
    stored = _row(chain, 3)["data"]
    assert stored["alpha"]["金额"] == "1250.50"
    assert stored["alpha"]["due"] == "2024-05-03T08:00:00.123456+00:00"  # seq 3 is i = 2


def test_edited_data_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    data = _row(chain, 17)["data"]
    data["comment"] = "已整改"
    _execute(db_engine, update(TABLE).where(TABLE.c.seq == 17).values(data=data))
    report = _verify(chain)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 17, 16)
    assert report.reason == "row 17 was altered"
    assert report.last_hash == _row(chain, 16)["hash"]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET actor = 'mallory' WHERE seq = 33",
        "UPDATE audit_event SET case_id = NULL WHERE seq = 33",
        "UPDATE audit_event SET action = 'case.close' WHERE seq = 33",
    ],
)
def test_edited_columns_are_named(chain: sessionmaker[Session], db_engine: Engine, sql: str) -> None:
    _execute(db_engine, text(sql))
    report = _verify(chain)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 33, "row 33 was altered")


def test_edited_time_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    _execute(db_engine, update(TABLE).where(TABLE.c.seq == 8).values(at=T0 - timedelta(days=1)))
    assert _verify(chain).first_bad_seq == 8


def test_deleted_middle_row_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    _execute(db_engine, text("DELETE FROM audit_event WHERE seq = 25"))
    report = _verify(chain)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 25, 24)
    assert report.reason is not None and report.reason.startswith("row 25 is missing")


def test_deleted_first_row_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    _execute(db_engine, text("DELETE FROM audit_event WHERE seq = 1"))
    report = _verify(chain)
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 1, 0)


def _open_gap_at(engine: Engine, seq: int) -> None:
    # Two steps, so the primary key is never violated half-way through the renumbering.
    _execute(
        engine,
        text("UPDATE audit_event SET seq = seq + 1000 WHERE seq >= :s").bindparams(s=seq),
        text("UPDATE audit_event SET seq = seq - 999 WHERE seq >= :s").bindparams(s=seq + 1000),
    )


def _forged(template: dict[str, Any], **changes: Any) -> dict[str, Any]:
    row = dict(template)
    row.update(changes)
    return row


def test_inserted_row_with_a_made_up_hash_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    before = _row(chain, 25)
    _open_gap_at(db_engine, 26)
    forged = _forged(before, seq=26, action="case.close", prev_hash=before["hash"], hash="f" * 64)
    _execute(db_engine, TABLE.insert().values(**forged))
    report = _verify(chain)
    assert (report.first_bad_seq, report.reason) == (26, "row 26 was altered")


def test_inserted_row_with_a_valid_hash_breaks_the_next_link(chain: sessionmaker[Session], db_engine: Engine) -> None:
    # A forger who knows the algorithm can make the inserted row itself verify; the row after
    # it then no longer links to its predecessor, and that is where the chain breaks.
    before = _row(chain, 25)
    _open_gap_at(db_engine, 26)
    forged = _forged(before, seq=26, action="case.close", prev_hash=before["hash"])
    fields = {k: forged[k] for k in
              ("seq", "at", "actor", "role", "client_addr", "action", "case_id", "instance_id", "task_id", "data")}
    forged["hash"] = event_hash(before["hash"], fields)
    _execute(db_engine, TABLE.insert().values(**forged))
    report = _verify(chain)
    assert report.first_bad_seq == 27 and report.checked == 26
    assert report.reason is not None and "does not follow row 26" in report.reason


def test_appended_forgery_with_a_wrong_link_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    forged = _forged(_row(chain, 50), seq=51)  # copies row 50's prev_hash: links to row 49
    _execute(db_engine, TABLE.insert().values(**forged))
    report = _verify(chain)
    assert (report.first_bad_seq, report.checked) == (51, 50)


def test_swapped_rows_are_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    ten, eleven = _row(chain, 10), _row(chain, 11)
    content = [c.name for c in TABLE.columns if c.name != "seq"]
    _execute(
        db_engine,
        update(TABLE).where(TABLE.c.seq == 10).values({c: eleven[c] for c in content}),
        update(TABLE).where(TABLE.c.seq == 11).values({c: ten[c] for c in content}),
    )
    report = _verify(chain)
    assert (report.first_bad_seq, report.checked) == (10, 9)


def test_swapped_data_only_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    ten, eleven = _row(chain, 10), _row(chain, 11)
    _execute(
        db_engine,
        update(TABLE).where(TABLE.c.seq == 10).values(data=eleven["data"]),
        update(TABLE).where(TABLE.c.seq == 11).values(data=ten["data"]),
    )
    assert _verify(chain).first_bad_seq == 10


def test_renumbered_rows_are_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    _execute(
        db_engine,
        text("UPDATE audit_event SET seq = -1 WHERE seq = 40"),
        text("UPDATE audit_event SET seq = 40 WHERE seq = 41"),
        text("UPDATE audit_event SET seq = 41 WHERE seq = -1"),
    )
    report = _verify(chain)
    assert (report.first_bad_seq, report.checked) == (40, 39)


def test_row_below_one_is_named(chain: sessionmaker[Session], db_engine: Engine) -> None:
    _execute(db_engine, TABLE.insert().values(**_forged(_row(chain, 1), seq=0)))
    assert _verify(chain).first_bad_seq == 0


def test_rolled_back_append_leaves_no_gap(chain: sessionmaker[Session]) -> None:
    with chain() as session:
        session.begin()
        assert append_audit(session, action="case.open", at=T0, actor="a").seq == 51
        session.rollback()
    with chain.begin() as session:
        assert append_audit(session, action="case.open", at=T0, actor="b").seq == 51
    report = _verify(chain)
    assert report.ok and report.checked == 51


def test_appends_in_one_transaction_chain(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        first = append_audit(session, action="a", at=T0, actor=None)
        second = append_audit(session, action="b", at=T0, actor=None, data=None)
        assert (first.seq, second.seq) == (1, 2)
        assert second.prev_hash == first.hash
        assert second.data == {}
    assert _verify(session_factory).ok


def test_history_for_case(chain: sessionmaker[Session]) -> None:
    with chain() as session:
        events = list(session.scalars(history_for_case(2)))
    assert [e.seq for e in events] == list(range(2, 51, 4))
    assert {e.case_id for e in events} == {2}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": ""}, "action"),
        ({"action": "x" * 81}, "action"),
        ({"actor": "x" * 121}, "actor"),
        ({"role": "x" * 41}, "role"),
        ({"client_addr": "x" * 65}, "client_addr"),
        ({"at": datetime(2024, 5, 1)}, "timezone"),
        ({"data": {"at": datetime(2024, 5, 1)}}, "naive"),
    ],
)
def test_bad_appends_are_refused_and_write_nothing(
    session_factory: sessionmaker[Session], kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"action": "case.open", "at": T0, "actor": "a", **kwargs}
    with session_factory.begin() as session:
        with pytest.raises(ValueError, match=message):
            append_audit(session, **arguments)
    with session_factory() as session:
        assert session.scalars(select(AuditEvent)).all() == []


def _concurrently(threads: int, per_thread: int, transaction: Callable[[int, int], None]) -> None:
    """Run ``transaction(worker, i)`` ``per_thread`` times in each of ``threads`` threads, started together."""
    barrier = threading.Barrier(threads)

    def worker(n: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            transaction(n, i)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker, n) for n in range(threads)]:
            future.result()


def test_concurrent_appends_never_fork(session_factory: sessionmaker[Session]) -> None:
    threads, per_thread = 4, 15

    def append(n: int, i: int) -> None:
        # One transaction per append, held open a moment so the transactions overlap.
        with session_factory.begin() as session:
            append_audit(session, action="reading.alarm", at=T0, actor=f"worker{n}", data={"i": i})
            time.sleep(0.002)

    _concurrently(threads, per_thread, append)
    with session_factory() as session:
        seqs = list(session.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert seqs == list(range(1, threads * per_thread + 1))
    report = _verify(session_factory)
    assert report.ok and report.checked == threads * per_thread


def test_batch_size_must_be_positive(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, pytest.raises(ValueError):
        verify_chain(session, batch_size=0)


def test_events_queued_in_a_rolled_back_savepoint_are_not_chained(session_factory):
    from storage.audit_queue import queue_audit, savepoint

    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    with session_factory.begin() as session:
        queue_audit(session, action="kept.before", at=now, actor="t")
        try:
            with savepoint(session):
                queue_audit(session, action="undone", at=now, actor="t")
                raise RuntimeError("step failed")
        except RuntimeError:
            pass
        queue_audit(session, action="kept.after", at=now, actor="t")
    with session_factory() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["kept.before", "kept.after"]


def _queued(i: int) -> dict[str, Any]:
    return {"action": "task.completed", "at": T0 + timedelta(seconds=i), "actor": "inspector1",
            "role": "inspector", "case_id": 7, "instance_id": 70 + i, "task_id": 700 + i, "data": _event_data(i)}


def test_batched_appends_continue_the_chain_like_single_ones(chain: sessionmaker[Session]) -> None:
    from storage.audit import append_audit_events

    with chain.begin() as session:
        append_audit_events(session, [_queued(i) for i in range(3)])
        single = append_audit(session, action="case.open", at=T0, actor="b")  # in the same transaction
        append_audit_events(session, [_queued(3)])
    assert single.seq == 54
    report = _verify(chain)
    assert report.ok and report.checked == 55
    row = _row(chain, 51)
    assert row["prev_hash"] == _row(chain, 50)["hash"]
    assert (row["task_id"], row["data"]["alpha"]["金额"]) == (700, "1250.50")


def test_a_bad_event_in_a_batch_writes_none_of_it(chain: sessionmaker[Session]) -> None:
    from storage.audit import append_audit_events

    with chain.begin() as session, pytest.raises(ValueError, match="timezone"):
        append_audit_events(session, [_queued(0), {**_queued(1), "at": datetime(2024, 5, 1)}])
    assert _verify(chain).checked == 50


def test_queued_events_written_at_commit_are_chained_after_concurrent_ones(
    session_factory: sessionmaker[Session],
) -> None:
    from storage.audit_queue import queue_audit

    threads, per_thread = 4, 10

    def queue_two(n: int, i: int) -> None:
        with session_factory.begin() as session:
            queue_audit(session, action="signal.delivered", at=T0, actor=f"worker{n}", data={"i": i})
            queue_audit(session, action="case.completed", at=T0, actor=f"worker{n}", data={"i": i})

    _concurrently(threads, per_thread, queue_two)
    with session_factory() as session:
        rows = session.execute(select(AuditEvent.seq, AuditEvent.action, AuditEvent.actor)
                               .order_by(AuditEvent.seq)).all()
    assert [r.seq for r in rows] == list(range(1, 2 * threads * per_thread + 1))
    # A transaction's events stay together, in the order they were queued.
    for first, second in zip(rows[::2], rows[1::2]):
        assert (first.action, second.action, first.actor) == ("signal.delivered", "case.completed", second.actor)
    assert _verify(session_factory).ok
