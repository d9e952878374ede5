"""The Modbus TCP poller: one connection and one task per gateway, backoff per gateway.

pymodbus serves one request at a time per connection, so gateways are polled concurrently
(one task each) and devices behind one gateway in turn, each on its own interval. A gateway
that refuses connections, or whose devices all stop answering, is reconnected with
exponential backoff without delaying any other gateway. Timeouts and exception responses
(code 2 illegal data address, 4 device failure, …) are counted and logged per device.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

from ..backoff import Backoff
from ..batching import AsyncBatchWriter, SinkFailed
from ..quantities import QUANTITIES, ValueRefused, check_value, to_canonical_unit
from ..readings import DeviceRef, Reading
from ..stats import IngestStats
from .config import DeviceConfig, GatewayConfig
from .registers import Block

log = logging.getLogger("oversite.ingest.modbus")

EXCEPTION_NAMES = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
                   4: "device failure", 5: "acknowledge", 6: "device busy",
                   10: "gateway path unavailable", 11: "gateway target failed to respond"}
# All devices of a gateway timing out this many polls in a row: treat the gateway as gone.
GATEWAY_SILENT_POLLS = 3


class _Unreachable(Exception):
    """The connection to the gateway is gone."""


class GatewayPoller:
    """Polls every device behind one gateway until stopped."""

    def __init__(self, gateway: GatewayConfig, writer: AsyncBatchWriter, stats: IngestStats, *,
                 backoff_max: float = 60.0, now: Callable[[], datetime] | None = None) -> None:
        self.gateway = gateway
        self._writer = writer
        self._stats = stats
        self._backoff = Backoff(initial=1.0, maximum=backoff_max)
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._client: AsyncModbusTcpClient | None = None
        self._silent_polls = 0
        self._pending: set[asyncio.Task[None]] = set()
        self.polls = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set; never raises for device or network trouble."""
        due = {d.unit_id: time.monotonic() for d in self.gateway.devices}
        devices = {d.unit_id: d for d in self.gateway.devices}
        try:
            while not stop.is_set() and devices:
                if not await self._ensure_connected(stop):
                    continue
                unit = min(due, key=due.__getitem__)
                if await _wait(stop, due[unit] - time.monotonic()):
                    break
                device = devices[unit]
                try:
                    await self._poll(device)
                except _Unreachable as exc:
                    self._drop_connection(str(exc))
                    await _wait(stop, self._backoff.next())
                    continue
                due[unit] = max(due[unit] + device.interval, time.monotonic())
        finally:
            self._close()
            if self._pending:
                await asyncio.gather(*self._pending, return_exceptions=True)

    async def _ensure_connected(self, stop: asyncio.Event) -> bool:
        if self._client is not None and self._client.connected:
            return True
        gw = self.gateway
        # reconnect_delay=0: pymodbus must not reconnect behind our back; we back off ourselves.
        self._client = AsyncModbusTcpClient(gw.host, port=gw.port, timeout=gw.timeout, retries=0,
                                            reconnect_delay=0, name=gw.name)
        connected = False
        with contextlib.suppress(ModbusException, OSError, asyncio.TimeoutError):
            connected = await asyncio.wait_for(self._client.connect(), gw.timeout * 2)
        if connected:
            self._backoff.reset()
            log.info("Modbus gateway %s (%s:%d) connected", gw.name, gw.host, gw.port)
            return True
        self._close()
        delay = self._backoff.next()
        self._stats.refuse("modbus", "unreachable",
                           f"gateway {gw.name} ({gw.host}:{gw.port}) unreachable; retrying in {delay:.1f} s")
        await _wait(stop, delay)
        return False

    async def _poll(self, device: DeviceConfig) -> None:
        identity = self.gateway.identity(device.unit_id)
        measured_at = self._now()
        readings: list[Reading] = []
        timed_out = False
        for block in device.blocks():
            registers = await self._read(block, device, identity)
            if registers is None:
                timed_out = True
                break
            if registers is False:
                continue
            readings += self._readings(block, registers, identity, measured_at)
        self.polls += 1
        self._silent_polls = self._silent_polls + 1 if timed_out else 0
        if self._silent_polls >= GATEWAY_SILENT_POLLS * max(1, len(self.gateway.devices)):
            raise _Unreachable(f"no answer from any device for {self._silent_polls} polls")
        if readings:
            self._stats.accept("modbus", len(readings))
            task = asyncio.create_task(self._submit(readings, identity))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _read(self, block: Block, device: DeviceConfig, identity: str) -> list[int] | bool | None:
        """The block's registers; False after an exception response; None after a timeout."""
        assert self._client is not None
        read = (self._client.read_holding_registers if block.table == "holding"
                else self._client.read_input_registers)
        where = f"{identity} {block.table} {block.address}+{block.count}"
        try:
            response = await read(block.address, count=block.count, device_id=device.unit_id)
        except ConnectionException as exc:
            raise _Unreachable(str(exc)) from None
        except ModbusIOException:
            self._stats.refuse("modbus", "timeout", f"{where}: no answer within {self.gateway.timeout:g} s",
                               self.gateway.name)
            return None
        except ModbusException as exc:
            self._stats.refuse("modbus", "error", f"{where}: {exc}", self.gateway.name)
            return False
        if response.isError():
            code = getattr(response, "exception_code", 0)
            name = EXCEPTION_NAMES.get(code, "unknown exception")
            self._stats.refuse("modbus", f"exception_{code}", f"{where}: exception {code} ({name})",
                               self.gateway.name)
            return False
        registers = list(response.registers)
        if len(registers) < block.count:
            self._stats.refuse("modbus", "short", f"{where}: {len(registers)} registers returned",
                               self.gateway.name)
            return False
        return registers

    def _readings(self, block: Block, registers: list[int], identity: str, measured_at: datetime) -> list[Reading]:
        device = DeviceRef("modbus", identity)
        source_id = f"modbus:{identity}:{measured_at.isoformat()}"
        out = []
        for spec, raw in block.values(registers):
            try:
                value = check_value(spec.quantity, to_canonical_unit(spec.quantity, raw, spec.unit))
            except ValueRefused as exc:
                self._stats.refuse("modbus", "value", f"{identity}: {exc}", self.gateway.name)
                continue
            out.append(Reading(device, measured_at, spec.quantity, value, QUANTITIES[spec.quantity].unit,
                               "ok", source_id))
        return out

    async def _submit(self, readings: list[Reading], identity: str) -> None:
        try:
            await self._writer.submit(readings)
        except SinkFailed as exc:
            # A poll is a sample: the next one measures again, so nothing is queued here.
            log.warning("Modbus readings of %s not stored: %s", identity, exc)

    def _drop_connection(self, reason: str) -> None:
        self._stats.refuse("modbus", "connection", f"gateway {self.gateway.name}: {reason}", self.gateway.name)
        self._close()

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


async def poll_gateways(gateways: list[GatewayConfig], writer: AsyncBatchWriter, stats: IngestStats,
                        stop: asyncio.Event, *, backoff_max: float = 60.0) -> None:
    """Poll every gateway concurrently until ``stop`` is set."""
    pollers = [GatewayPoller(g, writer, stats, backoff_max=backoff_max) for g in gateways]
    await asyncio.gather(*(p.run(stop) for p in pollers))


async def _wait(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to ``seconds``; True if ``stop`` was set meanwhile."""
    if seconds > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
