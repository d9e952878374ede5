"""The outbox on SQLite and PostgreSQL: enqueue, claim/lease, backoff, dead letters, dispatch."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

import storage
from engine.clock import FixedClock
from engine.outbox import OutboxDispatcher
from storage.outbox import (
    OutboxStatus,
    claim_batch,
    enqueue,
    jitter_fraction,
    mark_done,
    mark_failed,
    retry_delay,
)
from storage.records import OutboxMessage

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
Factory = sessionmaker[Session]


def _add(factory: Factory, count: int = 1, kind: str = "test.effect", now: datetime = T0) -> list[int]:
    with factory() as session, session.begin():
        msgs = [enqueue(session, kind, {"n": i}, now=now) for i in range(count)]
        return [m.id for m in msgs if m is not None]


def _get(factory: Factory, msg_id: int) -> OutboxMessage:
    with factory() as session:
        msg = session.get(OutboxMessage, msg_id)
        assert msg is not None
        return msg


def _count(factory: Factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


# -- enqueue -------------------------------------------------------------------------------


def test_enqueue_in_rolled_back_transaction_leaves_nothing(session_factory: Factory) -> None:
    with session_factory() as session:
        with session.begin():
            msg = enqueue(session, "mqtt.publish", {"topic": "a"}, now=T0, dedupe_key="k1")
            assert msg is not None and msg.id is not None  # flushed inside the transaction
            session.rollback()
    assert _count(session_factory) == 0
    # The key is free again: the rolled-back message never existed.
    with session_factory() as session, session.begin():
        assert enqueue(session, "mqtt.publish", {"topic": "a"}, now=T0, dedupe_key="k1") is not None


def test_enqueue_commits_a_pending_message_due_now(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    msg = _get(session_factory, msg_id)
    assert (msg.status, msg.attempts, msg.payload) == ("pending", 0, {"n": 0})
    assert msg.next_attempt_at == T0 and msg.created_at == T0 and msg.done_at is None


def test_duplicate_dedupe_key_is_a_noop_and_keeps_the_transaction_usable(session_factory: Factory) -> None:
    with session_factory() as session, session.begin():
        first = enqueue(session, "documents.put", {"v": 1}, now=T0, dedupe_key="doc:1")
        assert first is not None
        # Same transaction, not yet committed.
        assert enqueue(session, "documents.put", {"v": 2}, now=T0, dedupe_key="doc:1") is None
    with session_factory() as session, session.begin():
        # Later transaction; the caller's work after the duplicate still commits.
        assert enqueue(session, "documents.put", {"v": 3}, now=T0, dedupe_key="doc:1") is None
        assert enqueue(session, "documents.put", {"v": 4}, now=T0, dedupe_key="doc:2") is not None
    with session_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.dedupe_key, m.payload["v"]) for m in rows] == [("doc:1", 1), ("doc:2", 4)]


def test_messages_without_dedupe_key_are_all_kept(session_factory: Factory) -> None:
    _add(session_factory, 3)
    assert _count(session_factory) == 3


@pytest.mark.parametrize(
    ("kind", "payload", "now", "key", "error"),
    [
        ("", {}, T0, None, ValueError),
        ("x" * 81, {}, T0, None, ValueError),
        ("a.b", ["not", "a", "dict"], T0, None, TypeError),
        ("a.b", {"s": {1, 2}}, T0, None, ValueError),
        ("a.b", {"x": float("nan")}, T0, None, ValueError),
        ("a.b", {"t": T0}, T0, None, ValueError),
        ("a.b", {}, datetime(2026, 3, 1, 8, 0), None, ValueError),
        ("a.b", {}, T0, "", ValueError),
        ("a.b", {}, T0, "k" * 201, ValueError),
    ],
)
def test_enqueue_refuses_bad_input(
    session_factory: Factory, kind: str, payload: Any, now: datetime, key: str | None, error: type[Exception]
) -> None:
    with session_factory() as session, session.begin():
        with pytest.raises(error):
            enqueue(session, kind, payload, now=now, dedupe_key=key)
    assert _count(session_factory) == 0


# -- claim and lease -----------------------------------------------------------------------


def test_claim_leases_due_messages_in_id_order(session_factory: Factory) -> None:
    ids = _add(session_factory, 3)
    _add(session_factory, 1, now=T0 + timedelta(minutes=5))  # not due yet
    with session_factory() as session, session.begin():
        claimed = claim_batch(session, now=T0, limit=2, lease_seconds=30)
        assert [m.id for m in claimed] == ids[:2]
        assert all(m.status == "processing" and m.attempts == 1 for m in claimed)
        assert all(m.next_attempt_at == T0 + timedelta(seconds=30) for m in claimed)
    with session_factory() as session, session.begin():
        assert [m.id for m in claim_batch(session, now=T0)] == ids[2:]
    with session_factory() as session, session.begin():
        assert claim_batch(session, now=T0) == []


def test_claim_refuses_bad_arguments(session_factory: Factory) -> None:
    with session_factory() as session, session.begin():
        for kwargs in ({"limit": 0}, {"lease_seconds": 0}):
            with pytest.raises(ValueError):
                claim_batch(session, now=T0, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            claim_batch(session, now=datetime(2026, 3, 1))


def test_crashed_worker_lease_expires_and_message_is_claimed_again(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    with session_factory() as session, session.begin():
        assert len(claim_batch(session, now=T0, lease_seconds=60)) == 1
    # ... and the worker dies here without recording anything.
    with session_factory() as session, session.begin():
        assert claim_batch(session, now=T0 + timedelta(seconds=59)) == []
    with session_factory() as session, session.begin():
        (again,) = claim_batch(session, now=T0 + timedelta(seconds=60), lease_seconds=60)
        assert again.id == msg_id and again.attempts == 2
        assert again.last_error is not None and "lease expired" in again.last_error


def test_lease_expiry_after_the_last_attempt_makes_the_message_dead(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    now = T0
    for _ in range(3):
        with session_factory() as session, session.begin():
            assert len(claim_batch(session, now=now, lease_seconds=10, max_attempts=3)) == 1
        now += timedelta(seconds=10)
    with session_factory() as session, session.begin():
        assert claim_batch(session, now=now, max_attempts=3) == []
    msg = _get(session_factory, msg_id)
    assert (msg.status, msg.attempts) == ("dead", 3)


@pytest.fixture
def pg_factory(pg_engine: Engine) -> Iterator[Factory]:
    factory = storage.make_session_factory(pg_engine)
    with factory() as session, session.begin():
        session.execute(delete(OutboxMessage))
    yield factory
    with factory() as session, session.begin():
        session.execute(delete(OutboxMessage))


@pytest.mark.postgres
def test_concurrent_claims_on_postgres_get_disjoint_batches(pg_factory: Factory) -> None:
    ids = _add(pg_factory, 7)
    first, second = pg_factory(), pg_factory()
    try:
        first.begin()
        second.begin()
        a = [m.id for m in claim_batch(first, now=T0, limit=4)]
        # ``first`` still holds its row locks: SKIP LOCKED hands ``second`` the others at once.
        b = [m.id for m in claim_batch(second, now=T0, limit=4)]
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    assert a == ids[:4] and b == ids[4:]
    assert not set(a) & set(b)


@pytest.mark.postgres
def test_concurrent_enqueue_of_one_dedupe_key_on_postgres(pg_factory: Factory) -> None:
    holder = pg_factory()
    holder.begin()
    assert enqueue(holder, "documents.put", {"by": "first"}, now=T0, dedupe_key="same") is not None
    outcome: dict[str, Any] = {}

    def second() -> None:
        with pg_factory() as session, session.begin():
            # Blocks on the uncommitted unique key, then gets the violation inside its savepoint.
            outcome["msg"] = enqueue(session, "documents.put", {"by": "second"}, now=T0, dedupe_key="same")
            outcome["other"] = enqueue(session, "documents.put", {"by": "second"}, now=T0, dedupe_key="other")

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second insert should wait for the first transaction"
    holder.commit()
    holder.close()
    thread.join(10)
    assert not thread.is_alive()
    assert outcome["msg"] is None and outcome["other"] is not None
    with pg_factory() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert [(m.dedupe_key, m.payload["by"]) for m in rows] == [("same", "first"), ("other", "second")]


# -- backoff and dead letters --------------------------------------------------------------


def test_backoff_schedule_doubles_from_two_seconds_and_caps_at_an_hour() -> None:
    assert [retry_delay(n, 0).total_seconds() for n in range(1, 14)] == [
        2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600,
    ]
    assert retry_delay(10**6, 0) == timedelta(hours=1)


def test_backoff_jitter_is_deterministic_bounded_and_spread() -> None:
    assert retry_delay(3, 42) == retry_delay(3, 42)
    delays = [retry_delay(3, i).total_seconds() for i in range(1, 200)]
    assert all(8 <= d < 8.8 for d in delays)
    assert len(set(delays)) > 150  # messages that failed together come back at different times
    assert all(0 <= jitter_fraction(i) < 1 for i in range(1000))
    with pytest.raises(ValueError):
        retry_delay(0, 1)


def test_mark_failed_schedules_retry_with_backoff(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    now = T0
    for attempt in (1, 2, 3):
        with session_factory() as session, session.begin():
            (msg,) = claim_batch(session, now=now)
            assert msg.attempts == attempt
            mark_failed(session, msg, f"boom {attempt}", now, max_attempts=10)
        msg = _get(session_factory, msg_id)
        assert msg.status == "pending" and msg.last_error == f"boom {attempt}"
        assert msg.next_attempt_at == now + retry_delay(attempt, msg_id)
        with session_factory() as session, session.begin():  # not due before the backoff ends
            assert claim_batch(session, now=msg.next_attempt_at - timedelta(milliseconds=1)) == []
        now = msg.next_attempt_at


def test_message_is_dead_after_max_attempts_and_kept(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    now = T0
    for _ in range(3):
        with session_factory() as session, session.begin():
            (msg,) = claim_batch(session, now=now)
            mark_failed(session, msg, "x" * 10_000, now, max_attempts=3)
        now += timedelta(hours=2)
    msg = _get(session_factory, msg_id)
    assert (msg.status, msg.attempts) == ("dead", 3)
    assert msg.last_error is not None and len(msg.last_error) <= 4000
    with session_factory() as session, session.begin():
        assert claim_batch(session, now=now + timedelta(days=365)) == []
    assert _count(session_factory) == 1


def test_mark_done_records_the_time(session_factory: Factory) -> None:
    (msg_id,) = _add(session_factory)
    with session_factory() as session, session.begin():
        (msg,) = claim_batch(session, now=T0)
        mark_done(session, msg, T0 + timedelta(seconds=1))
    msg = _get(session_factory, msg_id)
    assert msg.status == OutboxStatus.DONE and msg.done_at == T0 + timedelta(seconds=1)


# -- dispatcher ----------------------------------------------------------------------------


class Recorder:
    """An idempotent handler: records payloads by id; ``fail`` makes the next calls raise."""

    def __init__(self, fail: int = 0, on_call: Callable[[], None] | None = None) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []
        self.effects: dict[int, dict[str, Any]] = {}
        self.on_call = on_call

    def __call__(self, payload: dict[str, Any]) -> None:
        self.calls.append(payload)
        if self.on_call:
            self.on_call()
        if self.fail:
            self.fail -= 1
            raise ConnectionError("broker unreachable")
        self.effects[payload["n"]] = payload


def test_handler_failure_then_success_on_retry(session_factory: Factory, caplog: pytest.LogCaptureFixture) -> None:
    clock = FixedClock(T0)
    handler = Recorder(fail=1)
    dispatcher = OutboxDispatcher()
    dispatcher.register("test.effect", handler)
    (msg_id,) = _add(session_factory)

    assert dispatcher.process_once(session_factory, clock) == 1
    msg = _get(session_factory, msg_id)
    assert msg.status == "pending" and msg.last_error == "ConnectionError: broker unreachable"
    assert f"outbox message {msg_id}" in caplog.text

    assert dispatcher.process_once(session_factory, clock) == 0  # backing off
    clock.advance(retry_delay(1, msg_id))
    assert dispatcher.process_once(session_factory, clock) == 1
    msg = _get(session_factory, msg_id)
    assert (msg.status, msg.attempts, msg.done_at) == ("done", 2, clock.now())
    assert handler.effects == {0: {"n": 0}} and len(handler.calls) == 2


def test_dispatcher_marks_dead_after_max_attempts(session_factory: Factory) -> None:
    clock = FixedClock(T0)
    dispatcher = OutboxDispatcher(max_attempts=3)
    dispatcher.register("test.effect", Recorder(fail=99))
    (msg_id,) = _add(session_factory)
    for _ in range(5):
        dispatcher.process_once(session_factory, clock)
        clock.advance(timedelta(hours=2))
    assert (_get(session_factory, msg_id).status, _get(session_factory, msg_id).attempts) == ("dead", 3)


def test_unknown_kind_is_a_recorded_failure_not_a_crash(session_factory: Factory) -> None:
    dispatcher = OutboxDispatcher()
    handler = Recorder()
    dispatcher.register("test.effect", handler)
    (unknown,) = _add(session_factory, kind="nobody.handles")
    (known,) = _add(session_factory)
    assert dispatcher.process_once(session_factory, FixedClock(T0)) == 2
    msg = _get(session_factory, unknown)
    assert msg.status == "pending" and msg.last_error == "no handler registered for outbox kind 'nobody.handles'"
    assert _get(session_factory, known).status == "done"


def test_handler_gets_a_copy_of_the_payload(session_factory: Factory) -> None:
    dispatcher = OutboxDispatcher()

    def mutate(payload: dict[str, Any]) -> None:
        payload["n"] = "changed"

    dispatcher.register("test.effect", mutate)
    (msg_id,) = _add(session_factory)
    dispatcher.process_once(session_factory, FixedClock(T0))
    assert _get(session_factory, msg_id).payload == {"n": 0}


def test_worker_that_lost_its_lease_does_not_overwrite_the_new_claim(session_factory: Factory) -> None:
    """Worker A's handler hangs past its lease; worker B re-claims; A then fails."""
    clock = FixedClock(T0)
    dispatcher = OutboxDispatcher(lease_seconds=60)

    def reclaimed_by_b() -> None:
        clock.advance(timedelta(seconds=61))
        with session_factory() as session, session.begin():
            assert len(claim_batch(session, now=clock.now(), lease_seconds=60)) == 1

    dispatcher.register("test.effect", Recorder(fail=1, on_call=reclaimed_by_b))
    (msg_id,) = _add(session_factory)
    dispatcher.process_once(session_factory, clock)
    msg = _get(session_factory, msg_id)
    assert (msg.status, msg.attempts) == ("processing", 2)  # B's claim stands
    assert msg.next_attempt_at == clock.now() + timedelta(seconds=60)


def test_messages_whose_lease_ended_mid_batch_are_left_unrun(session_factory: Factory) -> None:
    clock = FixedClock(T0)
    dispatcher = OutboxDispatcher(lease_seconds=60)
    handler = Recorder(on_call=lambda: clock.advance(timedelta(seconds=90)))  # a very slow handler
    dispatcher.register("test.effect", handler)
    first, second = _add(session_factory, 2)
    assert dispatcher.process_once(session_factory, clock) == 2
    assert len(handler.calls) == 1
    assert _get(session_factory, first).status == "done"
    assert _get(session_factory, second).status == "processing"  # claimable again: lease is over
    assert dispatcher.process_once(session_factory, clock) == 1
    assert _get(session_factory, second).status == "done"


def test_dispatcher_registration_rules() -> None:
    dispatcher = OutboxDispatcher()
    dispatcher.register("mqtt.publish", Recorder())
    with pytest.raises(ValueError, match="already"):
        dispatcher.register("mqtt.publish", Recorder())
    for bad in ("", "publish", "MQTT.publish", "mqtt.", "mqtt publish"):
        with pytest.raises(ValueError):
            dispatcher.register(bad, Recorder())
    with pytest.raises(TypeError):
        dispatcher.register("mqtt.other", "not callable")  # type: ignore[arg-type]
    assert "mqtt.publish" in dispatcher and list(dispatcher) == ["mqtt.publish"]
    dispatcher.freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        dispatcher.register("mqtt.late", Recorder())
    for kwargs in ({"batch_size": 0}, {"lease_seconds": 0}, {"max_attempts": 0}):
        with pytest.raises(ValueError):
            OutboxDispatcher(**kwargs)


def test_process_once_freezes_the_dispatcher(session_factory: Factory) -> None:
    dispatcher = OutboxDispatcher()
    assert dispatcher.process_once(session_factory, FixedClock(T0)) == 0
    with pytest.raises(RuntimeError):
        dispatcher.register("test.effect", Recorder())
