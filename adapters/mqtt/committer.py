"""Committing MQTT batches elsewhere while the network loop fills the next batch.

Parsing and the sink's transaction run in a worker thread or a child process
(``commit_process.py``) while the network thread goes on receiving the next batch:
throughput becomes the slower of the two instead of their sum. One batch at a time is
committed, in order, so acknowledgements still go out in the order the messages arrived.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from ..backoff import Backoff
from .commit_process import Commits
from .handling import HandledBatch, RawMessage

log = logging.getLogger("oversite.ingest.mqtt")


@dataclass
class Batch:
    """Messages to parse and commit, and to acknowledge once they are.

    ``generation`` numbers the connection the messages came on: packet ids are only valid on
    that connection; after a reconnect the broker redelivers them with new ones. ``handled``
    is what the commit did, once it is done.
    """

    messages: list[RawMessage] = field(default_factory=list)
    acks: list[tuple[int, int]] = field(default_factory=list)
    generation: int = 0
    handled: HandledBatch | None = None


class Committer:
    """Commits one batch at a time through ``commits`` (a worker thread or process).

    An ``Exception`` from the sink (or a dead commit process) keeps the batch and retries it
    after a backoff delay; any other exception (a crash) is re-raised by :meth:`poll` in the
    caller's thread.
    """

    def __init__(self, commits: Commits, backoff: Backoff) -> None:
        self._commits = commits
        self._backoff = backoff
        self._batch: Batch | None = None
        self._future: Future[HandledBatch] | None = None
        self._retry_at: float | None = None

    @property
    def busy(self) -> bool:
        """A batch is being committed or waits for a retry."""
        return self._batch is not None

    def submit(self, batch: Batch) -> None:
        """Start committing ``batch`` (only when not :attr:`busy`)."""
        assert self._batch is None
        self._batch = batch
        self._start()

    def poll(self) -> Batch | None:
        """The batch just committed (to acknowledge), else None; re-raises a crash."""
        if self._batch is None:
            return None
        if self._future is None:
            assert self._retry_at is not None
            if time.monotonic() >= self._retry_at:
                self._start()
            return None
        if not self._future.done():
            return None
        done, self._future = self._future, None
        error = done.exception()
        if error is None:
            batch, self._batch = self._batch, None
            batch.handled = done.result()
            self._backoff.reset()
            return batch
        if not isinstance(error, Exception):
            raise error
        self._commits.recover(error)
        delay = self._backoff.next()
        log.error("reading sink failed on a batch of %d messages (%s); retrying in %.1f s",
                  len(self._batch.messages), error, delay)
        self._retry_at = time.monotonic() + delay
        return None

    def wait(self, timeout: float) -> Batch | None:
        """Block until the batch being committed is done (stopping): it, or None."""
        if self._future is not None:
            done = self._future
            try:
                done.exception(timeout)
            except TimeoutError:
                return None
        if self._future is None and self._retry_at is not None:
            return None  # failed: it stays unacknowledged and will be redelivered
        return self.poll()

    def forget(self, generation: int) -> None:
        """Drop a batch waiting for a retry if it came on an older connection (redelivered)."""
        if self._batch is not None and self._future is None and self._batch.generation < generation:
            self._batch, self._retry_at = None, None

    def close(self) -> None:
        """Stop the worker (a running commit finishes on its own)."""
        self._commits.close()

    def _start(self) -> None:
        assert self._batch is not None
        self._retry_at = None
        self._future = self._commits.submit(self._batch.messages)
