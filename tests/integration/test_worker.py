"""The worker on SQLite and PostgreSQL: real scheduling, real outbox, clean shutdown."""
from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, FixedClock
from engine.jobs import JobRegistry
from engine.outbox import OutboxDispatcher
from engine.worker import OUTBOX, TIMERS, Worker
from storage.outbox import enqueue
from storage.records import OutboxMessage

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
Factory = sessionmaker[Session]
POLL = 0.05


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class TimerRunner:
    """Stands in for ``Engine.fire_due_timers``: counts calls and remembers the clock's time."""

    def __init__(self) -> None:
        self.calls = 0
        self.seen: list[datetime] = []

    def __call__(self, session_factory: Factory, clock: Clock) -> int:
        self.calls += 1
        self.seen.append(clock.now())
        return 0


class Mailbox:
    """A real, idempotent outbox handler: one delivery per message number."""

    def __init__(self) -> None:
        self.delivered: dict[int, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def __call__(self, payload: dict[str, Any]) -> None:
        with self.lock:
            self.delivered.setdefault(payload["n"], payload)


def _enqueue(factory: Factory, count: int, now: datetime = T0) -> None:
    with factory() as session, session.begin():
        for n in range(count):
            enqueue(session, "mail.send", {"n": n}, now=now, dedupe_key=f"mail:{n}")


def _statuses(factory: Factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def _make(factory: Factory, clock: FixedClock, jobs: JobRegistry | None = None, **kwargs: Any) -> tuple[Worker, TimerRunner, Mailbox]:
    timers, mailbox = TimerRunner(), Mailbox()
    dispatcher = OutboxDispatcher(batch_size=kwargs.pop("batch_size", 50))
    dispatcher.register("mail.send", mailbox)
    worker = Worker(
        factory, clock, timer_runner=timers, dispatcher=dispatcher, jobs=jobs if jobs is not None else JobRegistry(),
        timer_poll_seconds=POLL, outbox_poll_seconds=POLL, **kwargs,
    )
    return worker, timers, mailbox


def _stop_bounded(worker: Worker, limit: float = 5.0) -> None:
    started = time.monotonic()
    worker.stop()
    assert time.monotonic() - started < limit
    assert not worker.running


def test_worker_polls_timers_and_delivers_the_outbox_then_stops(session_factory: Factory) -> None:
    clock = FixedClock(T0)
    worker, timers, mailbox = _make(session_factory, clock, batch_size=7)
    _enqueue(session_factory, 20)
    worker.start()
    try:
        assert worker.running
        assert wait_until(lambda: len(mailbox.delivered) == 20)
        assert wait_until(lambda: _statuses(session_factory) == ["done"] * 20)
        assert wait_until(lambda: timers.calls >= 3)
        # Messages enqueued while running are picked up too.
        with session_factory() as session, session.begin():
            enqueue(session, "mail.send", {"n": 99}, now=T0)
        assert wait_until(lambda: 99 in mailbox.delivered)
    finally:
        _stop_bounded(worker)
    assert set(timers.seen) == {T0}  # jobs take time from the injected clock
    calls = timers.calls
    time.sleep(5 * POLL)
    assert timers.calls == calls, "nothing runs after stop()"
    assert worker.stats()[OUTBOX].failures == 0


def test_failing_calendar_job_is_logged_and_the_scheduler_keeps_running(
    session_factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    jobs = JobRegistry()
    runs: list[datetime] = []

    def broken(factory: Factory, clock: Clock) -> None:
        runs.append(clock.now())
        raise RuntimeError("statistics table missing")

    jobs.register("stats.snapshot", broken, POLL)
    worker, timers, mailbox = _make(session_factory, FixedClock(T0), jobs)
    _enqueue(session_factory, 3)
    worker.start()
    try:
        assert wait_until(lambda: len(runs) >= 3)
        assert wait_until(lambda: len(mailbox.delivered) == 3)
        calls = timers.calls
        assert wait_until(lambda: timers.calls > calls)
    finally:
        _stop_bounded(worker)
    stats = worker.stats()["stats.snapshot"]
    assert stats.failures == stats.runs >= 3
    assert stats.last_error == "RuntimeError: statistics table missing"
    assert "worker job stats.snapshot failed" in caplog.text


def test_a_slow_job_never_runs_twice_at_once(session_factory: Factory) -> None:
    jobs = JobRegistry()
    active, peak, done = [0], [0], [0]
    lock = threading.Lock()

    def slow(factory: Factory, clock: Clock) -> None:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(6 * POLL)
        with lock:
            active[0] -= 1
            done[0] += 1

    jobs.register("stats.slow", slow, POLL)
    worker, _, _ = _make(session_factory, FixedClock(T0), jobs)
    worker.start()
    try:
        assert wait_until(lambda: done[0] >= 2)
    finally:
        _stop_bounded(worker)
    assert peak[0] == 1
    assert active[0] == 0, "stop() waits for the running job"


def test_start_freezes_registries_and_happens_once(session_factory: Factory) -> None:
    jobs = JobRegistry()
    worker, _, _ = _make(session_factory, FixedClock(T0), jobs)
    worker.start()
    try:
        with pytest.raises(RuntimeError, match="frozen"):
            jobs.register("project.late", lambda f, c: None, 60)
        with pytest.raises(RuntimeError, match="frozen"):
            worker.dispatcher.register("mail.late", lambda p: None)
        with pytest.raises(RuntimeError, match="once"):
            worker.start()
    finally:
        _stop_bounded(worker)
    worker.stop()  # idempotent
    with pytest.raises(RuntimeError):
        worker.start()


def test_bad_worker_arguments_are_refused(session_factory: Factory) -> None:
    dispatcher, jobs, clock = OutboxDispatcher(), JobRegistry(), FixedClock(T0)
    with pytest.raises(TypeError):
        Worker(session_factory, clock, timer_runner=None, dispatcher=dispatcher, jobs=jobs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Worker(session_factory, clock, timer_runner=TimerRunner(), dispatcher=dispatcher, jobs=jobs, timer_poll_seconds=0)
    with pytest.raises(ValueError):
        Worker(session_factory, clock, timer_runner=TimerRunner(), dispatcher=dispatcher, jobs=jobs, outbox_poll_seconds=-1)


def test_run_once_runs_every_job_once_and_drains_the_outbox(session_factory: Factory) -> None:
    jobs = JobRegistry()
    calls: list[str] = []
    jobs.register("project.daily_log_check", lambda f, c: calls.append("daily"), {"hour": 1, "minute": 0})

    def weekly(factory: Factory, clock: Clock) -> None:
        calls.append("weekly")
        raise ValueError("no projects table")

    jobs.register("project.weekly_check", weekly, {"day_of_week": "mon", "hour": 2})
    worker, timers, mailbox = _make(session_factory, FixedClock(T0), jobs, batch_size=4)
    _enqueue(session_factory, 10)
    result = worker.run_once()
    assert sorted(calls) == ["daily", "weekly"] and timers.calls == 1
    assert len(mailbox.delivered) == 10 and _statuses(session_factory) == ["done"] * 10
    assert list(result) == [TIMERS, OUTBOX, "project.daily_log_check", "project.weekly_check"]
    assert result[OUTBOX].last_result == 10 and result[OUTBOX].failures == 0
    assert result["project.weekly_check"].failures == 1
    assert result["project.weekly_check"].last_error == "ValueError: no projects table"
    assert jobs.frozen and worker.dispatcher.frozen
    again = worker.run_once()  # counts are per run, not cumulative
    assert again[TIMERS].runs == 1 and again[OUTBOX].last_result == 0


def test_outbox_retries_are_driven_by_the_injected_clock(session_factory: Factory) -> None:
    clock = FixedClock(T0)
    attempts: list[int] = []

    def flaky(payload: dict[str, Any]) -> None:
        attempts.append(payload["n"])
        if len(attempts) == 1:
            raise ConnectionError("smtp down")

    dispatcher = OutboxDispatcher()
    dispatcher.register("mail.send", flaky)
    worker = Worker(session_factory, clock, timer_runner=TimerRunner(), dispatcher=dispatcher,
                    jobs=JobRegistry(), timer_poll_seconds=POLL, outbox_poll_seconds=POLL)
    _enqueue(session_factory, 1)
    worker.start()
    try:
        assert wait_until(lambda: _statuses(session_factory) == ["pending"])
        time.sleep(5 * POLL)
        assert len(attempts) == 1, "backoff holds while the clock stands still"
        clock.advance(timedelta(seconds=3))
        assert wait_until(lambda: _statuses(session_factory) == ["done"])
    finally:
        _stop_bounded(worker)
    assert attempts == [0, 0]


@pytest.mark.skipif(not hasattr(signal, "SIGTERM"), reason="POSIX signals")
def test_run_forever_stops_cleanly_on_sigterm(session_factory: Factory) -> None:
    assert threading.current_thread() is threading.main_thread()
    worker, timers, mailbox = _make(session_factory, FixedClock(T0))
    _enqueue(session_factory, 2)
    before = signal.getsignal(signal.SIGTERM)

    def terminate_when_done() -> None:
        wait_until(lambda: len(mailbox.delivered) == 2)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_when_done, daemon=True)
    killer.start()
    started = time.monotonic()
    worker.run_forever()
    assert time.monotonic() - started < 15
    killer.join(5)
    assert len(mailbox.delivered) == 2 and not worker.running
    assert signal.getsignal(signal.SIGTERM) is before


def test_run_forever_returns_when_stopped_from_another_thread(session_factory: Factory) -> None:
    worker, timers, _ = _make(session_factory, FixedClock(T0))

    def stop_when_running() -> None:
        wait_until(lambda: worker.running and timers.calls > 0)
        worker.stop()

    stopper = threading.Thread(target=stop_when_running, daemon=True)
    stopper.start()
    started = time.monotonic()
    worker.run_forever()
    assert time.monotonic() - started < 10
    stopper.join(5)
    assert timers.calls > 0
    assert not worker.running
