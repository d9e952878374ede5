"""The background worker: polls due timers and the outbox, and runs the calendar jobs.

APScheduler 3 (``BackgroundScheduler``, UTC) only decides *when* to poll. The database is the
source of truth: timers are rows in ``waiting_event`` claimed with SKIP LOCKED, side effects
are rows in ``outbox``, so any number of workers may run side by side and a restarted worker
simply carries on. Every job runs with ``max_instances=1`` and ``coalesce=True`` (a slow run
never piles up behind itself); an exception is logged and counted, and the scheduler keeps
going.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from .jobs import JobRegistry
from .outbox import OutboxDispatcher

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from .clock import Clock

log = logging.getLogger(__name__)

TimerRunner = Callable[["sessionmaker[Session]", "Clock"], int]
"""Fires every due timer and returns how many fired (the engine's ``fire_due_timers``)."""

# Built-in job names have no dot, so they can never clash with a registered ``family.job``.
TIMERS = "timers"
OUTBOX = "outbox"
# Upper bound of back-to-back outbox batches in one tick, so shutdown is never held up long.
MAX_OUTBOX_ROUNDS = 20
SIGNAL_CHECK_SECONDS = 0.2


@dataclass(frozen=True)
class JobStats:
    """Counters of one job since the worker was created."""

    runs: int = 0
    failures: int = 0
    last_result: int | None = None
    last_error: str | None = None


class Worker:
    """Runs timers, the outbox and calendar jobs until stopped.

    Args:
        session_factory: Opens the sessions every job uses (one per transaction).
        clock: The time given to every job.
        timer_runner: ``(session_factory, clock) -> int`` firing due timers.
        dispatcher: The outbox dispatcher with its handlers registered.
        jobs: The calendar jobs registered by the process families.
        timer_poll_seconds: Seconds between timer polls.
        outbox_poll_seconds: Seconds between outbox polls.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        timer_runner: TimerRunner,
        dispatcher: OutboxDispatcher,
        jobs: JobRegistry,
        timer_poll_seconds: float = 5,
        outbox_poll_seconds: float = 2,
    ) -> None:
        if not callable(timer_runner):
            raise TypeError("timer_runner must be callable")
        if not timer_poll_seconds > 0 or not outbox_poll_seconds > 0:
            raise ValueError("poll intervals must be positive")
        self.session_factory = session_factory
        self.clock = clock
        self.timer_runner = timer_runner
        self.dispatcher = dispatcher
        self.jobs = jobs
        self.timer_poll_seconds = timer_poll_seconds
        self.outbox_poll_seconds = outbox_poll_seconds
        self._scheduler: BackgroundScheduler | None = None
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats: dict[str, JobStats] = {}
        self._signalled: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._scheduler is not None and not self._stopping.is_set()

    def start(self) -> None:
        """Freeze the registries and start polling in background threads.

        Raises:
            RuntimeError: already started, or stopped (a worker is started once).
        """
        with self._lifecycle:
            if self._scheduler is not None or self._stopping.is_set():
                raise RuntimeError("a Worker can be started only once")
            self.jobs.freeze()
            self.dispatcher.freeze()
            scheduler = BackgroundScheduler(
                timezone=timezone.utc,
                executors={"default": ThreadPoolExecutor(max_workers=min(10, 2 + len(self.jobs)))},
                # misfire_grace_time=None: a run delayed by a busy pool runs late, not never.
                job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            )
            first_poll = datetime.now(timezone.utc)  # scheduling time, not business time
            for name, seconds in ((TIMERS, self.timer_poll_seconds), (OUTBOX, self.outbox_poll_seconds)):
                scheduler.add_job(
                    self._run_job, IntervalTrigger(seconds=seconds, timezone=timezone.utc),
                    args=(name,), id=name, name=name, next_run_time=first_poll,
                )
            for job in self.jobs:
                scheduler.add_job(self._run_job, job.scheduler_trigger(), args=(job.name,), id=job.name, name=job.name)
            scheduler.start()
            self._scheduler = scheduler
        log.info(
            "worker started: timers every %gs, outbox every %gs, %d calendar job(s)%s",
            self.timer_poll_seconds, self.outbox_poll_seconds, len(self.jobs),
            "".join(f"\n  {job.name}: {job.schedule}" for job in self.jobs),
        )

    def stop(self) -> None:
        """Stop scheduling and wait for running jobs to finish. Safe to call more than once."""
        self._stopping.set()
        with self._lifecycle:
            scheduler, self._scheduler = self._scheduler, None
            if scheduler is not None:
                scheduler.shutdown(wait=True)
                log.info("worker stopped")

    def run_forever(self) -> None:
        """Start, block until SIGTERM or SIGINT (or :meth:`stop` from another thread), stop.

        Signal handlers are installed only when called from the main thread (Python allows
        no other); the previous handlers are restored on return.
        """
        previous: dict[signal.Signals, Callable[[int, FrameType | None], object] | int | None] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            self.start()
            # Poll a flag rather than let the handler touch a lock: a signal arriving while this
            # thread holds the Event's internal lock would deadlock the handler.
            while self._signalled is None and not self._stopping.wait(SIGNAL_CHECK_SECONDS):
                pass
            if self._signalled is not None:
                log.info("worker received %s, shutting down", signal.Signals(self._signalled).name)
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self._signalled = signum

    # -- running jobs ----------------------------------------------------------------------

    def run_once(self) -> dict[str, JobStats]:
        """Run timers, the outbox (until drained) and every calendar job once, in this thread.

        For cron-driven deployments and tests. Exceptions are logged and counted, not raised.

        Returns:
            The statistics of this run per job name; a job failed if ``failures`` > 0.
        """
        self.jobs.freeze()
        self.dispatcher.freeze()
        before = self.stats()
        names = [TIMERS, OUTBOX, *(job.name for job in self.jobs)]
        for name in names:
            self._run_job(name)
        after = self.stats()
        return {
            name: JobStats(
                runs=after[name].runs - before.get(name, JobStats()).runs,
                failures=after[name].failures - before.get(name, JobStats()).failures,
                last_result=after[name].last_result,
                last_error=after[name].last_error,
            )
            for name in names
        }

    def stats(self) -> dict[str, JobStats]:
        """A snapshot of every job's counters."""
        with self._stats_lock:
            return dict(self._stats)

    def _run_job(self, name: str) -> None:
        try:
            result = self._call(name)
        except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker
            log.exception("worker job %s failed", name)
            self._count(name, None, f"{type(exc).__name__}: {exc}")
        else:
            self._count(name, result, None)

    def _call(self, name: str) -> int | None:
        if name == TIMERS:
            return self.timer_runner(self.session_factory, self.clock)
        if name == OUTBOX:
            return self._drain_outbox()
        job = self.jobs.get(name)
        if job is None:
            raise LookupError(f"no calendar job named {name!r}")
        job.func(self.session_factory, self.clock)
        return None

    def _drain_outbox(self) -> int:
        # A full batch means more may be waiting: take the next one now rather than in 2 s.
        total = 0
        for _ in range(MAX_OUTBOX_ROUNDS):
            claimed = self.dispatcher.process_once(self.session_factory, self.clock)
            total += claimed
            if claimed < self.dispatcher.batch_size or self._stopping.is_set():
                break
        return total

    def _count(self, name: str, result: int | None, error: str | None) -> None:
        with self._stats_lock:
            old = self._stats.get(name, JobStats())
            self._stats[name] = replace(
                old,
                runs=old.runs + 1,
                failures=old.failures + (error is not None),
                last_result=result if error is None else old.last_result,
                last_error=error if error is not None else old.last_error,
            )
