"""The HJ 212 TCP listener: many device connections, one batch writer, answers after commit.

Each connection runs in its own task with its own :class:`FrameReader`, so a device sending
garbage, half frames or nothing at all only ever occupies its own task. A connection that
stays silent longer than the idle timeout is closed (devices reconnect on their own). Frames
read together are submitted together and answered, in order, once committed: a device whose
upload was not committed gets no 9014 answer and resends.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

from ..batching import AsyncBatchWriter, SinkFailed
from ..stats import IngestStats
from .convert import frame_readings
from .frame import Frame, FrameError
from .reply import reply_for
from .stream import FrameReader

log = logging.getLogger("oversite.ingest.hj212")
READ_SIZE = 4096


class Hj212Listener:
    """An asyncio TCP server for HJ 212 devices.

    Args:
        writer: the batch writer readings go to.
        stats: counters for accepted and refused frames.
        host, port: where to listen (port 0 picks a free one; see :attr:`port`).
        idle_timeout: seconds of silence after which a connection is closed.
    """

    def __init__(self, writer: AsyncBatchWriter, stats: IngestStats, *, host: str = "0.0.0.0",
                 port: int = 9212, idle_timeout: float = 300.0) -> None:
        self._writer = writer
        self._stats = stats
        self.host = host
        self.port = port
        self.idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Bind and start accepting connections.

        Raises:
            OSError: the address cannot be bound (in use, no permission).
        """
        self._server = await asyncio.start_server(self._accept, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("HJ 212 listener on %s:%d", self.host, self.port)

    async def close(self) -> None:
        """Stop accepting, and close every open connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        for task in list(self._connections):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    @property
    def connection_count(self) -> int:
        """Connections currently open."""
        return len(self._connections)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        source = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        try:
            await self._serve(reader, writer, source)
        except (ConnectionError, OSError) as exc:
            log.info("HJ 212 connection %s lost: %s", source, exc)
        except asyncio.CancelledError:
            # The listener is closing. Ending normally keeps asyncio's server callback from
            # logging every connection's cancellation as an error.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: str) -> None:
        frames = FrameReader()
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(READ_SIZE), self.idle_timeout)
            except TimeoutError:
                log.info("HJ 212 connection %s idle for %.0f s: closing", source, self.idle_timeout)
                chunk = b""
            if not chunk:
                left = frames.close()
                if left is not None:
                    self._stats.refuse("hj212", left.kind, left.reason, source)
                return
            accepted: list[Frame] = []
            for item in frames.feed(chunk):
                if isinstance(item, FrameError):
                    self._stats.refuse("hj212", item.kind, item.reason, source)
                else:
                    accepted.append(item)
            if accepted and not await self._commit(accepted, source):
                continue
            for frame in accepted:
                answer = reply_for(frame)
                if answer is not None:
                    writer.write(answer)
            if accepted:
                await writer.drain()

    async def _commit(self, frames: list[Frame], source: str) -> bool:
        """Convert and commit the frames' readings; False when nothing may be acknowledged."""
        readings = []
        for frame in frames:
            got, refused = frame_readings(frame)
            for reason in refused:
                self._stats.refuse("hj212", "value", f"MN={frame.mn}: {reason}", source)
            self._stats.accept("hj212", len(got))
            readings.extend(got)
        if not readings:
            return True
        try:
            await self._writer.submit(readings)
        except SinkFailed as exc:
            log.warning("HJ 212 frames from %s not answered: the sink failed (%s)", source, exc)
            return False
        return True
