"""Batching readings into sink transactions, and waiting for the commit before acknowledging.

A commit per message costs more than the whole parse (iot_cheatsheet: 16k/s vs 36k/s), so
readings are gathered for up to ``max_batch`` readings or ``max_delay`` seconds and written in
one :meth:`ReadingSink.write_batch`. Callers learn when *their* readings are committed, and
only then acknowledge their input (HJ 212 9014 answer, MQTT PUBACK).

All sink calls of one process go through one :class:`SerializedSink`, so the asyncio adapters
and the MQTT thread never run two transactions at once on one sink.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence

from .readings import BatchResult, Reading, ReadingSink
from .stats import IngestStats

log = logging.getLogger("oversite.ingest")


class SinkFailed(RuntimeError):
    """The sink could not commit a batch; its input must not be acknowledged."""


class SerializedSink:
    """A :class:`ReadingSink` that lets one batch at a time through, and records refusals."""

    def __init__(self, sink: ReadingSink, stats: IngestStats) -> None:
        self._sink = sink
        self._stats = stats
        self._lock = threading.Lock()

    def write_batch(self, readings: Sequence[Reading]) -> BatchResult:
        """Write ``readings`` in one sink transaction; count what the sink refused.

        Raises:
            Exception: whatever the sink raised (nothing was committed).
        """
        result = self.commit(readings)
        for reading, reason in result.refused:
            self._stats.refuse(reading.device.protocol, "sink", reason, reading.device.identity)
        return result

    def commit(self, readings: Sequence[Reading]) -> BatchResult:
        """Write ``readings`` in one sink transaction; the caller counts the refusals.

        Raises:
            Exception: whatever the sink raised (nothing was committed).
        """
        with self._lock:
            return self._sink.write_batch(readings)


class AsyncBatchWriter:
    """Gathers readings from many asyncio tasks into batches written in a worker thread.

    ``await submit(readings)`` returns once the batch holding them is committed, or raises
    :class:`SinkFailed`. Run :meth:`run` as a task; :meth:`close` flushes what is pending.
    """

    def __init__(self, sink: SerializedSink, *, max_batch: int = 500, max_delay: float = 0.2) -> None:
        self._sink = sink
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._pending: list[tuple[Sequence[Reading], asyncio.Future[BatchResult]]] = []
        self._count = 0
        self._oldest = 0.0
        self._wake = asyncio.Event()
        self._closed = False

    async def submit(self, readings: Sequence[Reading]) -> BatchResult:
        """Queue ``readings``; return the result of the batch that committed them.

        Raises:
            SinkFailed: the batch could not be committed.
        """
        if self._closed:
            raise SinkFailed("the batch writer is closed")
        future: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        if not self._pending:
            self._oldest = time.monotonic()
            self._wake.set()  # the flusher sleeps without a deadline while nothing is pending
        self._pending.append((readings, future))
        self._count += len(readings)
        if self._count >= self.max_batch:
            self._wake.set()
        return await future

    async def run(self) -> None:
        """Flush batches until cancelled (then flush the last one)."""
        try:
            while True:
                if self._pending:
                    wait = self._oldest + self.max_delay - time.monotonic()
                    if wait <= 0 or self._count >= self.max_batch:
                        await self._flush()
                        continue
                else:
                    wait = None
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), wait)
                except TimeoutError:
                    pass
        finally:
            self._closed = True
            if self._pending:
                await asyncio.shield(self._flush())

    async def _flush(self) -> None:
        batch, self._pending, self._count = self._pending, [], 0
        readings = [r for chunk, _ in batch for r in chunk]
        try:
            result = await asyncio.to_thread(self._sink.write_batch, readings)
        except Exception as exc:  # noqa: BLE001 - any sink failure: nothing is acknowledged
            log.error("reading sink failed on a batch of %d readings: %s", len(readings), exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(SinkFailed(str(exc)))
            return
        for _, future in batch:
            if not future.done():
                future.set_result(result)
