"""Running the simulated devices: MQTT publishing, HJ 212 TCP clients, a Modbus server.

Messages go out at ``rate`` per second in total, round-robin over the MQTT and HJ 212
devices; the Modbus power meters are served by a pymodbus server whose registers change on
every poll. Used by ``oversite simulate devices``, the demo and the benchmark.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData
from pymodbus.simulator import SimDevice as ModbusSimDevice

from .simulate import DeviceState, SimDevice, hj212_frame, initial_state, modbus_registers, mqtt_message

log = logging.getLogger("oversite.simulate")
MAX_UNACKED = 20_000   # MQTT messages in flight or queued in paho before publishing pauses
UNITS_PER_SERVER = 247  # Modbus unit ids 1..247


@dataclass
class SimTargets:
    """Where the simulated devices send (None: that protocol is not simulated)."""

    mqtt_host: str | None = None
    mqtt_port: int = 1883
    hj212_host: str = "127.0.0.1"
    hj212_port: int | None = None
    modbus_host: str = "127.0.0.1"
    modbus_port: int | None = None


@dataclass
class SimStats:
    sent: Counter[str] = field(default_factory=Counter)
    acked: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


class Simulation:
    """Simulated devices sending to ``targets`` until stopped."""

    def __init__(self, devices: list[SimDevice], targets: SimTargets, *, seed: int = 1, rate: float = 10.0,
                 now: Callable[[], datetime] | None = None) -> None:
        self.targets = targets
        self.rate = rate
        self.stats = SimStats()
        self._now = now or (lambda: datetime.now(timezone.utc))
        self._states = {d: initial_state(d, seed) for d in devices}
        self._push = [s for d, s in self._states.items()
                      if (d.protocol == "mqtt" and targets.mqtt_host) or (d.protocol == "hj212" and targets.hj212_port)]
        self._meters = [s for d, s in self._states.items() if d.protocol == "modbus" and targets.modbus_port]
        self._writers: dict[SimDevice, asyncio.StreamWriter] = {}
        self._readers: set[asyncio.Task[None]] = set()
        self._retry_at: dict[SimDevice, float] = {}
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()

    def run(self, stop: threading.Event, duration: float | None = None) -> SimStats:
        """Send until ``stop`` is set or ``duration`` seconds passed; return what was sent."""
        asyncio.run(self._main(stop, duration))
        return self.stats

    async def _main(self, stop: threading.Event, duration: float | None) -> None:
        servers = await self._start_modbus()
        self._start_mqtt()
        started = time.monotonic()
        turn = 0
        try:
            while not stop.is_set() and (duration is None or time.monotonic() - started < duration):
                due = int((time.monotonic() - started) * self.rate) - turn
                for _ in range(min(due, max(1, int(self.rate)))):
                    if self._push:
                        await self._send(self._push[turn % len(self._push)])
                    turn += 1
                await asyncio.sleep(0.005)
        finally:
            await self._stop(servers)

    async def _send(self, state: DeviceState) -> None:
        device = state.device
        if device.protocol == "mqtt":
            with self._lock:
                backlog = self.stats.sent["mqtt"] - self.stats.acked["mqtt"]
            if self._client is None or backlog > MAX_UNACKED:
                self.stats.skipped["mqtt_backlog"] += 1
                return
            message = mqtt_message(state, self._now())
            if message is None:
                self.stats.skipped["offline"] += 1
                return
            self._client.publish(message[0], message[1], qos=1)
            with self._lock:
                self.stats.sent["mqtt"] += 1
            return
        frame = hj212_frame(state, self._now())
        if frame is None:
            self.stats.skipped["offline"] += 1
            return
        writer = await self._connection(device)
        if writer is None:
            self.stats.skipped["hj212_unreachable"] += 1
            return
        writer.write(frame)
        self.stats.sent["hj212"] += 1

    async def _connection(self, device: SimDevice) -> asyncio.StreamWriter | None:
        writer = self._writers.get(device)
        if writer is not None and not writer.is_closing():
            return writer
        if time.monotonic() < self._retry_at.get(device, 0):
            return None
        assert self.targets.hj212_port is not None
        try:
            reader, writer = await asyncio.open_connection(self.targets.hj212_host, self.targets.hj212_port)
        except OSError as exc:
            log.warning("HJ 212 device %s cannot connect: %s", device.identity, exc)
            self._retry_at[device] = time.monotonic() + 2.0
            return None
        self._writers[device] = writer
        task = asyncio.get_running_loop().create_task(self._drain_answers(reader))
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return writer

    async def _drain_answers(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            while line := await reader.readuntil(b"\r\n"):
                if b"CN=9014" in line:
                    self.stats.acked["hj212"] += 1

    def _start_mqtt(self) -> None:
        if not self.targets.mqtt_host or not any(s.device.protocol == "mqtt" for s in self._push):
            return
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"oversite-sim-{id(self)}",
                             protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(1000)  # far below the 65,535 packet ids paho can track
        client.max_queued_messages_set(0)

        def on_publish(*args: object) -> None:
            with self._lock:
                self.stats.acked["mqtt"] += 1

        client.on_publish = on_publish
        client.connect_async(self.targets.mqtt_host, self.targets.mqtt_port, keepalive=30)
        client.loop_start()
        self._client = client

    async def _start_modbus(self) -> list[tuple[ModbusTcpServer, asyncio.Task[None]]]:
        if not self._meters or self.targets.modbus_port is None:
            return []
        servers = []
        for offset in range(0, len(self._meters), UNITS_PER_SERVER):
            group = self._meters[offset:offset + UNITS_PER_SERVER]
            devices = [ModbusSimDevice(id=int(s.device.identity) - offset, action=self._action(s),
                                       simdata=[SimData(address=0, values=[0] * 4, datatype=DataType.REGISTERS)])
                       for s in group]
            port = self.targets.modbus_port + offset // UNITS_PER_SERVER
            server = ModbusTcpServer(devices, address=(self.targets.modbus_host, port))
            servers.append((server, asyncio.create_task(server.serve_forever())))
        await asyncio.sleep(0.1)
        return servers

    def _action(self, state: DeviceState):  # type: ignore[no-untyped-def]
        async def on_read(fc: int, start: int, address: int, count: int, regs: list[int], values: object) -> None:
            regs[:4] = modbus_registers(state)  # a fresh measurement for every poll
            self.stats.sent["modbus"] += 1

        return on_read

    async def _stop(self, servers: list[tuple[ModbusTcpServer, asyncio.Task[None]]]) -> None:
        # Half-close and read the last answers before closing: closing a socket with unread
        # answers makes the kernel reset the connection, and the listener would lose the
        # frames it has not read yet.
        for writer in self._writers.values():
            with contextlib.suppress(ConnectionError, OSError):
                writer.write_eof()
        if self._readers:
            await asyncio.wait(self._readers, timeout=5)
        for writer in self._writers.values():
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
        for server, task in servers:
            await server.shutdown()
            task.cancel()
        await asyncio.gather(*(task for _, task in servers), return_exceptions=True)
        if self._client is not None:
            deadline = time.monotonic() + 5
            while self.stats.acked["mqtt"] < self.stats.sent["mqtt"] and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            self._client.disconnect()
            self._client.loop_stop()
