"""MQTT ingest against a real Mosquitto: zero loss across crashes and broker restarts."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

import pytest

from adapters.batching import SerializedSink
from adapters.hj212 import encode_frame
from adapters.mqtt import MqttIngest, MqttSettings
from adapters.stats import IngestStats
from tests.fixtures.mqtt import Broker, publish_all, start_broker
from tests.fixtures.reading_sink import MemorySink, SimulatedCrash


def reading(n: int, project: str = "P1", device: str = "D1") -> tuple[str, bytes]:
    body = {"ts": "2024-01-05T10:30:00+08:00", "id": str(n), "values": {"pm10": 50 + n % 100, "noise": 60.5}}
    return f"oversite/{project}/{device}/readings", json.dumps(body).encode()


def burst(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    return [reading(n, device=f"D{n % 7}") for n in range(start, start + count)]


@dataclass
class Running:
    ingest: MqttIngest
    stop: threading.Event
    thread: threading.Thread
    crashed: list[BaseException] = field(default_factory=list)

    def halt(self) -> None:
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()

    def wait_crashed(self, timeout: float = 90) -> None:
        self.thread.join(timeout)
        assert self.crashed, "the ingest did not crash"
        # The process is gone: its TCP connection dies without a DISCONNECT.
        sock = self.ingest.client.socket()
        if sock is not None:
            sock.close()


def start_ingest(broker: Broker, sink: MemorySink, stats: IngestStats | None = None, *,
                 client_id: str = "ingest-test-1", batch_size: int = 500) -> Running:
    settings = MqttSettings(host=broker.host, port=broker.port, client_id=client_id,
                            batch_size=batch_size, batch_delay=0.05, backoff_max=0.5, keepalive=5)
    ingest = MqttIngest(settings, SerializedSink(sink, stats or IngestStats()), stats or IngestStats())
    stop = threading.Event()
    crashed: list[BaseException] = []

    def target() -> None:
        try:
            ingest.run(stop)
        except SimulatedCrash as exc:
            crashed.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return Running(ingest, stop, thread, crashed)


def wait_subscribed(running: Running, timeout: float = 60) -> None:
    assert running.ingest.subscribed.wait(timeout), "the ingest never subscribed"


def ids(sink: MemorySink) -> set[str]:
    return {r.source_id.rsplit(":", 1)[1] for r in sink.readings() if r.source_id}


def test_killed_and_restarted_during_a_qos1_burst_loses_and_duplicates_nothing(mqtt_broker: Broker) -> None:
    sink = MemorySink()
    first = start_ingest(mqtt_broker, sink)
    wait_subscribed(first)
    # The 3rd batch dies before its commit; after the restart, a batch dies after its commit
    # but before its acknowledgements went out.
    sink.fail_next(*([None] * 2), "crash_before")  # type: ignore[arg-type]
    publisher = threading.Thread(target=publish_all, args=(mqtt_broker, burst(5000)))
    publisher.start()
    first.wait_crashed()
    sink.fail_next(None, "crash_after")  # type: ignore[arg-type]
    second = start_ingest(mqtt_broker, sink)
    second.wait_crashed()
    third = start_ingest(mqtt_broker, sink)
    publisher.join(180)
    assert sink.wait_for(10_000, timeout=120), f"only {len(sink.readings())} of 10000 readings stored"
    time.sleep(0.3)
    third.halt()
    assert ids(sink) == {str(n) for n in range(5000)}
    assert len(sink.readings()) == 10_000  # two quantities per message, each stored once
    assert sink.duplicates > 0  # the batch committed before the crash was redelivered and deduped


def test_broker_restart_ingest_reconnects_and_resumes(mqtt_broker: Broker) -> None:
    sink = MemorySink()
    running = start_ingest(mqtt_broker, sink)
    wait_subscribed(running)
    publish_all(mqtt_broker, burst(500))
    assert sink.wait_for(1000)
    mqtt_broker.restart()
    wait_subscribed(running, timeout=60)
    publish_all(mqtt_broker, burst(500, start=500))
    assert sink.wait_for(2000), f"{len(sink.readings())} of 2000 readings after the broker restart"
    running.halt()
    assert ids(sink) == {str(n) for n in range(1000)}


def test_messages_queued_while_ingest_is_down_all_arrive(mqtt_broker: Broker) -> None:
    sink = MemorySink()
    running = start_ingest(mqtt_broker, sink)
    wait_subscribed(running)
    running.halt()  # a clean stop keeps the session: the broker queues for it
    publish_all(mqtt_broker, burst(3000))  # three times stock Mosquitto's 1,000-message queue
    back = start_ingest(mqtt_broker, sink)
    assert sink.wait_for(6000, timeout=120), f"{len(sink.readings())} of 6000 readings"
    back.halt()


def test_stock_queue_limit_drops_messages_which_is_why_the_config_exists(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broker = start_broker(tmp_path / "stock", overrides={"max_queued_messages": "1000"})
    try:
        sink = MemorySink()
        running = start_ingest(broker, sink)
        wait_subscribed(running)
        running.halt()
        publish_all(broker, burst(3000))
        back = start_ingest(broker, sink)
        sink.wait_for(6000, timeout=3)
        back.halt()
        assert len(ids(sink)) < 3000  # Mosquitto dropped the overflow silently
    finally:
        broker.kill()


def test_broker_down_when_ingest_starts_then_it_connects(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broker = start_broker(tmp_path / "late")
    broker.stop()
    sink = MemorySink()
    running = start_ingest(broker, sink)
    time.sleep(1.0)
    assert not running.ingest.subscribed.is_set()
    broker.start()
    try:
        wait_subscribed(running, timeout=60)
        publish_all(broker, burst(100))
        assert sink.wait_for(200)
        running.halt()
    finally:
        broker.kill()


def test_bad_messages_are_counted_acknowledged_and_not_redelivered(mqtt_broker: Broker) -> None:
    sink, stats = MemorySink(), IngestStats()
    running = start_ingest(mqtt_broker, sink, stats)
    wait_subscribed(running)
    good_frame = encode_frame("QN=20240105103000001;ST=22;CN=2011;MN=M1;Flag=5;"
                              "CP=&&DataTime=20240105103000;a34002-Rtd=88&&")
    bad_frame = good_frame[:-6] + b"0000\r\n"
    publish_all(mqtt_broker, [
        ("oversite/P1/D1/readings", b"{not json"),
        ("oversite/P1/D1/readings", b"[1, 2]"),
        ("oversite/P1/D1/readings", b'{"ts": "yesterday", "values": {"pm10": 1}}'),
        ("oversite/P1/D1/readings", b'{"ts": "2024-01-05T10:30:00Z", "values": {"pm10": NaN, "noise": 61}}'),
        ("oversite/P1/D1/readings", b'{"ts": "2024-01-05T10:30:00Z", "values": {"pm10": -4, "noise": 61}}'),
        ("oversite//D1/readings", b'{"ts": "2024-01-05T10:30:00Z", "values": {"pm10": 1}}'),
        ("oversite/P1/D2/hj212", bad_frame),
        ("oversite/P1/D2/hj212", good_frame),
    ])
    assert sink.wait_for(2)
    deadline = time.monotonic() + 5
    while stats.refused_count("mqtt") < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.halt()
    assert stats.refused_count("mqtt", "json") == 4  # malformed, not an object, bad ts, NaN
    assert stats.refused_count("mqtt", "value") == 1
    assert stats.refused_count("mqtt", "topic") == 1
    assert stats.refused_count("mqtt", "hj212_crc") == 1
    assert stats.last_reason[("mqtt", "json")] == "malformed JSON: NaN is not a number JSON allows"
    assert {(r.device.identity, r.quantity) for r in sink.readings()} == {("P1/D1", "noise_leq"), ("P1/D2", "pm10")}
    # Restarting shows nothing comes back: refused messages were acknowledged.
    again = start_ingest(mqtt_broker, sink, stats)
    wait_subscribed(again)
    time.sleep(0.5)
    again.halt()
    assert stats.refused_count("mqtt") == 7


def test_sink_failure_keeps_the_batch_and_retries_it(mqtt_broker: Broker) -> None:
    sink = MemorySink()
    sink.fail_next("error", "error")
    running = start_ingest(mqtt_broker, sink)
    wait_subscribed(running)
    publish_all(mqtt_broker, burst(300))
    assert sink.wait_for(600, timeout=20)
    running.halt()
    assert sink.failures == 2 and ids(sink) == {str(n) for n in range(300)}


def test_two_processes_in_one_share_group_split_the_load(mqtt_broker: Broker) -> None:
    sink = MemorySink()
    a = start_ingest(mqtt_broker, sink, client_id="ingest-a", batch_size=100)
    b = start_ingest(mqtt_broker, sink, client_id="ingest-b", batch_size=100)
    wait_subscribed(a)
    wait_subscribed(b)
    publish_all(mqtt_broker, burst(2000))
    assert sink.wait_for(4000)
    a.halt()
    b.halt()
    assert sink.duplicates == 0  # each message went to exactly one process
    assert len(sink.batches) >= 2


@pytest.mark.parametrize("qos", [0])
def test_qos0_messages_are_ingested_without_acks(mqtt_broker: Broker, qos: int) -> None:
    import paho.mqtt.client as mqtt

    sink = MemorySink()
    running = start_ingest(mqtt_broker, sink)
    wait_subscribed(running)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="qos0-pub", protocol=mqtt.MQTTv5)
    client.connect(mqtt_broker.host, mqtt_broker.port)
    client.loop_start()
    client.publish(*reading(1), qos=qos).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()
    assert sink.wait_for(2)
    running.halt()
