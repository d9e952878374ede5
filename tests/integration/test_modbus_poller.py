"""The Modbus poller against pymodbus servers started by the test."""
from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable

from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from adapters.batching import AsyncBatchWriter, SerializedSink
from adapters.modbus import GatewayPoller, gateways_from_config
from adapters.stats import IngestStats
from tests.fixtures.mqtt import free_port
from tests.fixtures.reading_sink import MemorySink


def float_words(value: float) -> list[int]:
    raw = struct.pack(">f", value)
    return [int.from_bytes(raw[0:2], "big"), int.from_bytes(raw[2:4], "big")]


async def failing(fc: int, start: int, address: int, count: int, regs: list[int], values: object) -> ExcCodes | None:
    return ExcCodes.DEVICE_FAILURE


HUNG: list[asyncio.Event] = []


async def hung(fc: int, start: int, address: int, count: int, regs: list[int], values: object) -> ExcCodes | None:
    # A unit that never answers (an RS485 device missing behind its gateway), until the test ends.
    HUNG.append(asyncio.Event())
    await HUNG[-1].wait()
    return None


def registers(**extra: object) -> dict[str, object]:
    return {"registers": [
        {"quantity": "crane_load_pct", "address": 0, "type": "float32", "unit": "%"},
        {"quantity": "wind_speed", "address": 2, "type": "uint16", "scale": 0.1, "unit": "m/s"},
        {"quantity": "temperature", "address": 3, "type": "int16", "scale": 0.1},
    ], **extra}


def devices() -> list[SimDevice]:
    values = float_words(95.5) + [138, (-52) & 0xFFFF] + [0] * 6
    block = [SimData(address=0, values=values, datatype=DataType.REGISTERS)]
    return [SimDevice(id=1, simdata=block), SimDevice(id=2, simdata=block, action=failing),
            SimDevice(id=9, simdata=block, action=hung)]


Scenario = Callable[[int], Awaitable[None]]


def run_pollers(config: list[dict[str, object]], seconds: float, sink: MemorySink,
                stats: IngestStats, port: int) -> list[GatewayPoller]:
    """Serve ``devices()`` on ``port``, poll ``config`` for ``seconds``, stop everything."""
    async def main() -> list[GatewayPoller]:
        HUNG.clear()
        server = ModbusTcpServer(devices(), address=("127.0.0.1", port))
        serving = asyncio.create_task(server.serve_forever())
        held: list[asyncio.StreamWriter] = []

        async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            held.append(writer)  # accept, read nothing, answer nothing: a hung gateway

        silent = await asyncio.start_server(never_answer, "127.0.0.1", 0)
        for gw in config:
            if gw["host"] == "silent":
                gw["host"], gw["port"] = "127.0.0.1", silent.sockets[0].getsockname()[1]
        await asyncio.sleep(0.2)
        writer = AsyncBatchWriter(SerializedSink(sink, stats), max_delay=0.05)
        flusher = asyncio.create_task(writer.run())
        stop = asyncio.Event()
        pollers = [GatewayPoller(g, writer, stats, backoff_max=0.5) for g in gateways_from_config(config)]
        tasks = [asyncio.create_task(p.run(stop)) for p in pollers]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        flusher.cancel()
        await asyncio.gather(flusher, return_exceptions=True)
        for w in held:
            w.close()
        silent.close()
        await silent.wait_closed()
        for event in HUNG:
            event.set()
        await server.shutdown()
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)
        return pollers

    return asyncio.run(main())


def test_reads_scaled_values_of_every_type() -> None:
    sink, stats, port = MemorySink(), IngestStats(), free_port()
    config = [{"name": "gw", "host": "127.0.0.1", "port": port, "timeout": 0.5,
               "devices": [{"unit_id": 1, "interval": 0.2, **registers()}]}]
    run_pollers(config, 1.0, sink, stats, port)
    latest = {r.quantity: r for r in sink.readings()}
    assert latest["crane_load_pct"].value == 95.5
    assert abs(latest["wind_speed"].value - 13.8) < 1e-9
    assert abs(latest["temperature"].value - (-5.2)) < 1e-9
    assert latest["wind_speed"].device.identity == f"127.0.0.1:{port}:1" and latest["wind_speed"].device.protocol == "modbus"
    polls = len({r.source_id for r in sink.readings()})
    assert 3 <= polls <= 7  # every 0.2 s for 1 s
    assert stats.refused_count("modbus") == 0


def test_exception_responses_and_timeouts_are_counted_and_healthy_devices_keep_going() -> None:
    sink, stats, port = MemorySink(), IngestStats(), free_port()
    bad_address = {"registers": [{"quantity": "pm10", "address": 500}, {"quantity": "pm25", "address": 2}]}
    config = [{"name": "gw", "host": "127.0.0.1", "port": port, "timeout": 0.3, "devices": [
        {"unit_id": 1, "interval": 0.2, **registers()},
        {"unit_id": 2, "interval": 0.2, **registers()},   # answers "device failure"
        {"unit_id": 4, "interval": 0.5, **bad_address},   # unknown unit: exception 4
        {"unit_id": 9, "interval": 0.5, **registers()},   # never answers
    ]}]
    run_pollers(config, 2.0, sink, stats, port)
    assert stats.refused_count("modbus", "exception_4") >= 6
    assert stats.last_reason[("modbus", "exception_4")].endswith("exception 4 (device failure)")
    assert stats.refused_count("modbus", "timeout") >= 2
    assert stats.last_reason[("modbus", "timeout")] == f"127.0.0.1:{port}:9 holding 0+4: no answer within 0.3 s"
    polls = {r.source_id for r in sink.readings() if r.device.identity == f"127.0.0.1:{port}:1"}
    assert len(polls) >= 4  # one connection: the hung unit's timeouts delay, never stop, the others
    assert {r.device.identity for r in sink.readings()} == {f"127.0.0.1:{port}:1"}


def test_illegal_address_is_exception_2_and_the_rest_of_the_map_is_read() -> None:
    sink, stats, port = MemorySink(), IngestStats(), free_port()
    config = [{"name": "gw", "host": "127.0.0.1", "port": port, "timeout": 0.5, "devices": [
        {"unit_id": 1, "interval": 0.3, "registers": [
            {"quantity": "pm10", "address": 500}, {"quantity": "wind_speed", "address": 2, "scale": 0.1}]}]}]
    run_pollers(config, 0.8, sink, stats, port)
    assert stats.refused_count("modbus", "exception_2") >= 2
    assert stats.last_reason[("modbus", "exception_2")] == f"127.0.0.1:{port}:1 holding 500+1: exception 2 (illegal data address)"
    assert {r.quantity for r in sink.readings()} == {"wind_speed"}


def test_dead_and_silent_gateways_do_not_hold_up_a_healthy_one() -> None:
    sink, stats, port = MemorySink(), IngestStats(), free_port()
    config = [
        {"name": "dead", "host": "127.0.0.1", "port": free_port(), "timeout": 0.3,
         "devices": [{"unit_id": 1, "interval": 0.2, **registers()}]},
        {"name": "silent", "host": "silent", "port": 1, "timeout": 0.3,
         "devices": [{"unit_id": 1, "interval": 0.2, **registers()}]},
        {"name": "healthy", "host": "127.0.0.1", "port": port, "timeout": 0.3,
         "devices": [{"unit_id": 1, "interval": 0.2, **registers()}]},
    ]
    pollers = run_pollers(config, 2.5, sink, stats, port)
    healthy = f"127.0.0.1:{port}:1"
    healthy_polls = {r.source_id for r in sink.readings() if r.device.identity == healthy}
    assert len(healthy_polls) >= 9  # ~12 at 0.2 s; neither broken gateway slowed it down
    assert {r.device.identity for r in sink.readings()} == {healthy}
    assert stats.refused_count("modbus", "unreachable") >= 2  # dead: retried with backoff
    assert stats.refused_count("modbus", "timeout") >= 3  # silent: timeouts, then a reconnect
    assert stats.refused_count("modbus", "connection") >= 1
    assert pollers[0].polls == 0
