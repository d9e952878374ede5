"""Where MQTT batches are parsed and committed: a worker thread, or a process of their own.

Why a process. Measured on 2 cores (tests/bench/ingest_bench.py): paho's network loop
alone costs ~47 µs of Python per QoS 1 message, parsing ~20 µs and the sink ~45 µs. In
one process they all take turns on one interpreter lock, so ingest ran at a third of what
paho can receive while PostgreSQL sat mostly idle. With parsing and the sink in a child
process the network thread does little more than paho's own work, and the commit uses the
other core.

Zero loss does not change: the network thread acknowledges a message only when the child
has answered that the batch holding it is committed. If the child dies (killed, out of
memory) the batch is unanswered, hence unacknowledged; a new child is started and the
batch retried - a batch the dead child had committed after all is then recognised as
duplicates by the sink. A child whose parent has died exits instead of running on.

The child builds its own sink from a picklable factory (it is spawned, not forked: a
fork would copy the parent's database connections and the locks its other threads hold).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from ..batching import SerializedSink
from ..readings import ReadingSink
from .handling import HandledBatch, RawMessage, handle_messages

log = logging.getLogger("oversite.ingest.mqtt")

SinkFactory = Callable[[], ReadingSink]
PARENT_CHECK_SECONDS = 1.0


class Commits(Protocol):
    """Runs :func:`handle_messages` for one batch at a time, somewhere."""

    def submit(self, messages: Sequence[RawMessage]) -> Future[HandledBatch]: ...

    def recover(self, error: BaseException) -> None:
        """After a batch failed with ``error``: make the next submit work (restart a dead worker)."""

    def close(self) -> None: ...


class ThreadCommits:
    """Commits in a worker thread through the ingest process's serialized sink."""

    def __init__(self, sink: SerializedSink) -> None:
        self._sink = sink
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mqtt-commit")

    def submit(self, messages: Sequence[RawMessage]) -> Future[HandledBatch]:
        return self._pool.submit(handle_messages, self._sink.commit, messages)

    def recover(self, error: BaseException) -> None:
        pass

    def close(self) -> None:
        self._pool.shutdown(wait=False)


class ProcessCommits:
    """Commits in a child process that builds its own sink with ``factory``."""

    def __init__(self, factory: SinkFactory) -> None:
        self._factory = factory
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_child, initargs=(self._factory, os.getpid()))

    def ready(self, timeout: float) -> None:
        """Start the child and wait until its sink is built (it takes a second or two).

        Raises:
            Exception: the child could not start or build its sink.
        """
        self._pool.submit(_ping).result(timeout)

    def submit(self, messages: Sequence[RawMessage]) -> Future[HandledBatch]:
        try:
            return self._pool.submit(_handle_in_child, messages)
        except BrokenProcessPool as exc:
            self.recover(exc)
            return self._pool.submit(_handle_in_child, messages)

    def recover(self, error: BaseException) -> None:
        if isinstance(error, BrokenProcessPool):
            log.error("the MQTT commit process died; starting a new one")
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# -- in the child ---------------------------------------------------------------------------

_sink: ReadingSink | None = None


def _init_child(factory: SinkFactory, parent: int) -> None:
    global _sink
    _sink = factory()
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    # An orphan would go on holding a database connection; its last batch, if any, was
    # never acknowledged and will be redelivered to the restarted ingest.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _ping() -> bool:
    return _sink is not None


def _handle_in_child(messages: Sequence[RawMessage]) -> HandledBatch:
    assert _sink is not None
    return handle_messages(_sink.write_batch, messages)
