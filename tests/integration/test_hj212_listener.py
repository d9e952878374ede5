"""The HJ 212 listener over real loopback sockets: splits, batches, bad clients, answers."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from adapters.batching import AsyncBatchWriter, SerializedSink
from adapters.hj212 import encode_frame, parse_frame
from adapters.hj212.listener import Hj212Listener
from adapters.stats import IngestStats
from tests.fixtures.reading_sink import MemorySink


def upload(mn: str, n: int, pm10: float = 80.0, flag: int = 5) -> bytes:
    return encode_frame(f"QN=20240105103000{n:03d};ST=22;CN=2011;PW=123456;MN={mn};Flag={flag};"
                        f"CP=&&DataTime=20240105103000;a34002-Rtd={pm10},a34002-Flag=N;LA-Rtd=60&&")


Scenario = Callable[[Hj212Listener, IngestStats], Awaitable[None]]


def run(sink: MemorySink, scenario: Scenario, idle_timeout: float = 5.0) -> IngestStats:
    async def main() -> None:
        stats = IngestStats()
        writer = AsyncBatchWriter(SerializedSink(sink, stats), max_batch=500, max_delay=0.05)
        flusher = asyncio.create_task(writer.run())
        listener = Hj212Listener(writer, stats, host="127.0.0.1", port=0, idle_timeout=idle_timeout)
        await listener.start()
        try:
            await asyncio.wait_for(scenario(listener, stats), 30)
        finally:
            await listener.close()
            flusher.cancel()
            await asyncio.gather(flusher, return_exceptions=True)
        box.append(stats)

    box: list[IngestStats] = []
    asyncio.run(main())
    return box[0]


async def read_answers(reader: asyncio.StreamReader, count: int) -> list[str]:
    answers = []
    for _ in range(count):
        line = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
        answers.append(parse_frame(line).segment)
    return answers


def test_split_and_batched_frames_are_stored_and_answered_after_commit() -> None:
    sink = MemorySink()

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        stream = upload("DUST01", 1) + upload("DUST01", 2) + upload("DUST01", 3)
        # One frame split across three packets, then two frames in one packet.
        first = len(upload("DUST01", 1))
        for part in (stream[:10], stream[10:50], stream[50:first], stream[first:]):
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(0.02)
        answers = await read_answers(reader, 3)
        assert [a.split(";")[0] for a in answers] == [f"QN=20240105103000{i:03d}" for i in (1, 2, 3)]
        assert all(";CN=9014;" in a and a.endswith("CP=&&&&") for a in answers)
        # Every answered frame is already committed.
        assert len(sink.readings()) == 6
        writer.close()

    stats = run(sink, scenario)
    assert stats.accepted["hj212"] == 3 and stats.readings["hj212"] == 6
    assert {r.quantity for r in sink.readings()} == {"pm10", "noise_leq"}


def test_refused_frames_are_counted_with_reasons_and_not_answered() -> None:
    sink = MemorySink()

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        bad_crc = upload("DUST02", 1)[:-6] + b"FFFF\r\n"
        writer.write(b"+++ATZ\r\n" + bad_crc + b"##9999" + b"x" * 50 + b"\r\n" + upload("DUST02", 2))
        await writer.drain()
        answers = await read_answers(reader, 1)
        assert answers[0].startswith("QN=20240105103000002;")
        writer.close()

    stats = run(sink, scenario)
    assert stats.refused_count("hj212", "garbage") == 1
    assert stats.refused_count("hj212", "crc") == 1
    assert stats.refused_count("hj212", "oversize") == 1
    assert stats.last_reason[("hj212", "crc")].startswith("CRC mismatch: frame says FFFF, computed ")
    assert {r.source_id for r in sink.readings()} == {"hj212:DUST02:20240105103000002"}


def test_a_bad_client_does_not_hold_up_a_good_one() -> None:
    sink = MemorySink()

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        _, stuck = await asyncio.open_connection("127.0.0.1", listener.port)
        stuck.write(upload("BAD", 1)[:40])  # half a frame, then silence
        _, noisy = await asyncio.open_connection("127.0.0.1", listener.port)
        reader, good = await asyncio.open_connection("127.0.0.1", listener.port)
        for n in range(20):
            noisy.write(bytes(range(256)) * 8)
            good.write(upload("GOOD", n))
            await asyncio.gather(noisy.drain(), good.drain())
        answers = await read_answers(reader, 20)
        assert len(answers) == 20
        for w in (stuck, noisy, good):
            w.close()

    stats = run(sink, scenario)
    assert len(sink.readings()) == 40
    assert stats.refused_count("hj212", "garbage") >= 1


def test_idle_connection_is_closed_and_its_half_frame_reported() -> None:
    sink = MemorySink()

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(upload("IDLE", 1)[:30])
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the server closed it
        assert stats.refused_count("hj212", "truncated") == 1
        assert listener.connection_count == 0
        writer.close()
        await writer.wait_closed()

    run(sink, scenario, idle_timeout=0.3)


def test_many_connections_at_once() -> None:
    sink = MemorySink()

    async def device(port: int, mn: str) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(upload(mn, 1) + upload(mn, 2))
        await writer.drain()
        assert len(await read_answers(reader, 2)) == 2
        writer.close()

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        await asyncio.gather(*(device(listener.port, f"M{i:04d}") for i in range(200)))

    run(sink, scenario)
    assert len(sink.readings()) == 200 * 2 * 2
    assert len(sink.batches) < 200  # batched, not one transaction per frame


def test_frames_are_not_answered_when_the_sink_fails_and_are_answered_on_resend() -> None:
    sink = MemorySink()
    sink.fail_next("error")

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(upload("RETRY", 1))
        await writer.drain()
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 0.5)
            raise AssertionError("answered although nothing was committed")
        except TimeoutError:
            pass
        writer.write(upload("RETRY", 1))  # the device resends for want of an answer
        await writer.drain()
        assert len(await read_answers(reader, 1)) == 1
        writer.close()

    run(sink, scenario)
    assert sink.failures == 1 and len(sink.readings()) == 2


def test_values_the_frame_gets_wrong_are_counted_but_the_rest_is_stored() -> None:
    sink = MemorySink()
    frame = encode_frame("QN=20240105103000001;ST=22;CN=2011;MN=V;Flag=4;"
                         "CP=&&DataTime=20240105103000;a34002-Rtd=-3;LA-Rtd=61&&")

    async def scenario(listener: Hj212Listener, stats: IngestStats) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(frame)
        await writer.drain()
        while not sink.readings():
            await asyncio.sleep(0.01)
        writer.close()

    stats = run(sink, scenario)
    assert [r.quantity for r in sink.readings()] == ["noise_leq"]
    assert stats.refused_count("hj212", "value") == 1
