"""The MQTT network loop reads messages already waiting without a select() for each (subscriber.py)."""
from __future__ import annotations

import paho.mqtt.client as mqtt

from adapters.batching import SerializedSink
from adapters.mqtt import MqttIngest, MqttSettings
from adapters.mqtt import subscriber
from adapters.stats import IngestStats
from tests.fixtures.reading_sink import MemorySink


class WaitingMessages:
    """Stands for paho's client: ``loop_read`` delivers one of ``waiting`` messages per call."""

    def __init__(self, ingest: MqttIngest, waiting: int, fail_after: int | None = None) -> None:
        self.ingest, self.waiting, self.fail_after, self.reads = ingest, waiting, fail_after, 0

    def loop_read(self) -> mqtt.MQTTErrorCode:
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            return mqtt.MQTT_ERR_CONN_LOST
        if self.waiting:
            self.waiting -= 1
            msg = mqtt.MQTTMessage(mid=self.reads, topic=b"oversite/P1/D1/readings")
            msg.qos, msg.payload = 1, b"{}"
            self.ingest._on_message(self.ingest.client, None, msg)
        return mqtt.MQTT_ERR_SUCCESS  # paho says success when nothing was waiting, too


def ingest_reading(waiting: int, fail_after: int | None = None) -> tuple[MqttIngest, WaitingMessages]:
    stats = IngestStats()
    ingest = MqttIngest(MqttSettings(host="127.0.0.1", commit_process=False), SerializedSink(MemorySink(), stats), stats)
    fake = WaitingMessages(ingest, waiting, fail_after)
    ingest.client = fake  # type: ignore[assignment]
    return ingest, fake


def test_reads_until_a_read_brings_no_message():
    ingest, fake = ingest_reading(waiting=37)
    assert ingest._read_waiting() == mqtt.MQTT_ERR_SUCCESS
    assert ingest._batched == 37 and fake.reads == 38
    assert len(ingest._batch.acks) == 37  # nothing is acknowledged here: only after the commit


def test_a_burst_is_bounded_so_commits_and_keepalive_are_looked_after():
    ingest, fake = ingest_reading(waiting=10 * subscriber.READ_BURST)
    ingest._read_waiting()
    assert fake.reads == subscriber.READ_BURST and ingest._batched == subscriber.READ_BURST


def test_a_lost_connection_ends_the_burst_with_its_error():
    ingest, fake = ingest_reading(waiting=50, fail_after=5)
    assert ingest._read_waiting() == mqtt.MQTT_ERR_CONN_LOST and ingest._batched == 5
