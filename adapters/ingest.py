"""``oversite ingest``'s engine: every configured adapter, one sink, until told to stop.

- MQTT (when ``MQTT_URL`` is set) runs in its own thread, driving paho's network loop itself;
  given a sink factory, it parses and commits its batches in a child process.
- The HJ 212 listener and the Modbus pollers share one asyncio loop in the calling thread.
- All of them write through one :class:`SerializedSink` and count into one
  :class:`IngestStats`.

An adapter that cannot reach its peer (broker down, port taken, gateway unreachable, registry
unreadable) logs why and retries with backoff; the others keep working. ``stop`` (set by the
CLI's SIGTERM handler) ends everything after the pending batches are committed.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .backoff import Backoff
from .batching import AsyncBatchWriter, SerializedSink
from .hj212.listener import Hj212Listener
from .modbus.config import GatewayConfig, gateways_from_config
from .modbus.poller import GatewayPoller
from .mqtt.commit_process import SinkFactory
from .mqtt.settings import MqttSettings, settings_from_config
from .mqtt.subscriber import MqttIngest
from .readings import ReadingSink
from .stats import IngestStats

log = logging.getLogger("oversite.ingest")
STATS_LOG_SECONDS = 60.0


@dataclass(frozen=True)
class IngestSettings:
    """What ``oversite ingest`` runs (see ``web.config.PLATFORM_DEFAULTS``)."""

    mqtt: MqttSettings | None = None
    hj212_host: str = "0.0.0.0"
    hj212_port: int | None = 9212
    hj212_idle: float = 300.0
    batch_size: int = 500
    batch_delay: float = 0.2
    modbus_gateways: tuple[GatewayConfig, ...] = field(default_factory=tuple)
    modbus_refresh: float = 300.0
    backoff_max: float = 30.0


def ingest_settings(config: Mapping[str, Any]) -> IngestSettings:
    """Settings from the application configuration.

    Raises:
        ValueError: a malformed ``MQTT_URL`` or ``MODBUS_GATEWAYS`` (the message says which).
    """
    port = int(config.get("HJ212_PORT", 9212))
    return IngestSettings(
        mqtt=settings_from_config(config),
        hj212_host=str(config.get("HJ212_HOST", "0.0.0.0")),
        hj212_port=port or None,
        hj212_idle=float(config.get("HJ212_IDLE_SECONDS", 300)),
        batch_size=int(config.get("INGEST_BATCH_SIZE", 500)),
        batch_delay=int(config.get("INGEST_BATCH_MS", 200)) / 1000,
        modbus_gateways=tuple(gateways_from_config(config.get("MODBUS_GATEWAYS"))),
        modbus_refresh=float(config.get("MODBUS_REFRESH_SECONDS", 300)),
    )


class Ingest:
    """Runs the adapters of one ingest process.

    Args:
        sink: where every batch goes (the device family's sink, or a test's).
        settings: which adapters run and how.
        gateways: returns the registry's Modbus gateways (re-read every ``modbus_refresh``
            seconds); the static ``settings.modbus_gateways`` are polled besides them.
        stats: counters (a new one by default).
        sink_factory: builds an equivalent of ``sink`` in the MQTT commit process (picklable;
            see ``adapters/mqtt/commit_process.py``); None commits MQTT batches through ``sink``.
    """

    def __init__(self, sink: ReadingSink, settings: IngestSettings, *,
                 gateways: Callable[[], list[GatewayConfig]] | None = None,
                 stats: IngestStats | None = None, sink_factory: SinkFactory | None = None) -> None:
        self.settings = settings
        self._sink_factory = sink_factory
        self.stats = stats or IngestStats()
        self.sink = SerializedSink(sink, self.stats)
        self._gateways = gateways
        self.mqtt: MqttIngest | None = None
        self.listener: Hj212Listener | None = None
        self.listening = threading.Event()
        self._failure: BaseException | None = None

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set (blocking the calling thread).

        Raises:
            BaseException: what killed the MQTT thread (after the other adapters stopped), so
                the process exits with an error and its supervisor restarts it.
        """
        mqtt_thread = None
        if self.settings.mqtt is not None:
            self.mqtt = MqttIngest(self.settings.mqtt, self.sink, self.stats, self._sink_factory)
            mqtt_thread = threading.Thread(target=self._run_mqtt, args=(self.mqtt, stop), name="mqtt-ingest",
                                           daemon=True)
            mqtt_thread.start()
        try:
            asyncio.run(self._run_async(stop))
        finally:
            stop.set()
            if mqtt_thread is not None:
                mqtt_thread.join(30)
            log.info("ingest stopped: %s", self.stats.snapshot())
        if self._failure is not None:
            raise self._failure

    def _run_mqtt(self, mqtt: MqttIngest, stop: threading.Event) -> None:
        try:
            mqtt.run(stop)
        except BaseException as exc:  # noqa: BLE001 - anything unexpected ends the whole process
            # Nothing of the failed batch was acknowledged: the broker redelivers it to the
            # restarted process.
            log.critical("MQTT ingest died: %r; stopping", exc)
            self._failure = exc
            stop.set()

    async def _run_async(self, stop: threading.Event) -> None:
        stopping = asyncio.Event()
        writer = AsyncBatchWriter(self.sink, max_batch=self.settings.batch_size,
                                  max_delay=self.settings.batch_delay)
        tasks = [asyncio.create_task(writer.run(), name="batch-writer")]
        workers = []
        if self.settings.hj212_port is not None:
            workers.append(asyncio.create_task(self._hj212(writer, stopping), name="hj212"))
        workers.append(asyncio.create_task(self._modbus(writer, stopping), name="modbus"))
        workers.append(asyncio.create_task(self._log_stats(stopping), name="stats"))
        while not stop.is_set():
            await asyncio.sleep(0.2)
        stopping.set()
        await asyncio.gather(*workers, return_exceptions=True)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hj212(self, writer: AsyncBatchWriter, stopping: asyncio.Event) -> None:
        s = self.settings
        assert s.hj212_port is not None
        backoff = Backoff(initial=1.0, maximum=s.backoff_max)
        listener = Hj212Listener(writer, self.stats, host=s.hj212_host, port=s.hj212_port, idle_timeout=s.hj212_idle)
        while not stopping.is_set():
            try:
                await listener.start()
                break
            except OSError as exc:
                delay = backoff.next()
                log.error("HJ 212 listener cannot bind %s:%d (%s); retrying in %.1f s", s.hj212_host,
                          s.hj212_port, exc, delay)
                await _sleep(stopping, delay)
        else:
            return
        self.listener = listener
        self.listening.set()
        await stopping.wait()
        await listener.close()

    async def _modbus(self, writer: AsyncBatchWriter, stopping: asyncio.Event) -> None:
        """Poll the gateways; re-read the registry's list now and then and follow its changes."""
        running: dict[GatewayConfig, tuple[asyncio.Event, asyncio.Task[None]]] = {}
        backoff = Backoff(initial=2.0, maximum=self.settings.backoff_max)
        while not stopping.is_set():
            wanted = await self._wanted_gateways()
            if wanted is None:
                await _sleep(stopping, backoff.next())
                continue
            backoff.reset()
            for gateway in [g for g in running if g not in wanted]:
                stop_one, task = running.pop(gateway)
                stop_one.set()
                await task
            for gateway in wanted:
                if gateway not in running:
                    stop_one = asyncio.Event()
                    poller = GatewayPoller(gateway, writer, self.stats, backoff_max=self.settings.backoff_max)
                    running[gateway] = (stop_one, asyncio.create_task(poller.run(stop_one)))
            await _sleep(stopping, self.settings.modbus_refresh)
        for stop_one, _ in running.values():
            stop_one.set()
        await asyncio.gather(*(task for _, task in running.values()), return_exceptions=True)

    async def _wanted_gateways(self) -> set[GatewayConfig] | None:
        wanted = set(self.settings.modbus_gateways)
        if self._gateways is None:
            return wanted
        try:
            wanted.update(await asyncio.to_thread(self._gateways))
        except Exception as exc:  # noqa: BLE001 - the registry is unreachable: retry later
            log.error("cannot read the Modbus devices from the registry: %s", exc)
            return None
        return wanted

    async def _log_stats(self, stopping: asyncio.Event) -> None:
        while not await _sleep(stopping, STATS_LOG_SECONDS):
            log.info("ingest: %s", self.stats.snapshot())


async def _sleep(event: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``event`` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()
