"""The MQTT ingest subscriber: shared subscription, persistent session, ack after commit.

Zero loss rests on four things (docs/ingest.md):

1. a fixed client id with ``clean_start=False`` and an MQTT 5 session expiry, so the broker
   keeps the subscription and queues messages while this process is down;
2. QoS 1 subscriptions;
3. ``manual_ack=True``: paho acknowledges nothing by itself; a PUBACK goes out only after the
   sink committed the batch holding the message. A crash before that leaves the message
   unacknowledged and the broker redelivers it to whoever resumes the session;
4. the broker's own limits (deploy/mosquitto/oversite.conf) large enough not to drop.

Messages are received in one thread: paho's network loop is driven by
:meth:`MqttIngest.run` itself (handing each message to another thread halves throughput,
iot_cheatsheet), which only collects the raw messages. Whole batches are parsed and committed
elsewhere (adapters/mqtt/committer.py): in a child process when the ingest is given a sink
factory (``commit_process.py`` says why), else in a worker thread; the next batch fills
meanwhile. Acknowledgements are sent by the network thread once the commit is done. Refused
messages are counted and logged, then acknowledged with their batch so they are not
redelivered forever.
"""
from __future__ import annotations

import logging
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ..backoff import Backoff
from ..batching import SerializedSink
from ..stats import IngestStats
from .commit_process import Commits, ProcessCommits, SinkFactory, ThreadCommits
from .committer import Batch, Committer
from .settings import MqttSettings

log = logging.getLogger("oversite.ingest.mqtt")

READ_BURST = 200  # packets read without a select() before commits and keepalive are looked at


class MqttIngest:
    """Subscribes, batches readings into the sink and acknowledges after each commit.

    Args:
        settings: broker, client id, group, batching.
        sink: the serialized sink of this ingest process.
        stats: counters for accepted and refused messages.
        sink_factory: builds the sink in a commit process of its own (picklable, see
            ``commit_process.py``); without it (or with ``settings.commit_process`` off)
            batches are committed through ``sink`` in a worker thread.

    Attributes:
        committed: readings in committed batches (stored, duplicates and refused alike).
        sink_seconds: time spent in the sink's transactions.
    """

    def __init__(self, settings: MqttSettings, sink: SerializedSink, stats: IngestStats,
                 sink_factory: SinkFactory | None = None) -> None:
        self.settings = settings
        self._stats = stats
        self.committed = 0
        self.sink_seconds = 0.0
        self._batch = Batch()
        self._batched = 0  # messages in the current batch (QoS 0 ones have no ack)
        self._received = 0  # messages ever received (tells whether a read brought one)
        self._first_at = 0.0
        self._generation = 0  # connection number: packet ids are valid on one connection only
        self._subscribed = threading.Event()
        self._backoff = Backoff(initial=0.5, maximum=settings.backoff_max)
        commits: Commits = ProcessCommits(sink_factory) if sink_factory is not None and settings.commit_process \
            else ThreadCommits(sink)
        self._commits = commits
        self._committer = Committer(commits, Backoff(initial=0.5, maximum=settings.backoff_max))
        self.client = self._make_client()

    @property
    def subscribed(self) -> threading.Event:
        """Set while connected with the subscriptions granted."""
        return self._subscribed

    def run(self, stop: threading.Event) -> None:
        """Connect (retrying with backoff), consume and commit until ``stop`` is set.

        A batch is committed in a worker thread or process while the next one fills. An
        ``Exception`` from the sink keeps the batch (unacknowledged) and retries it with
        backoff; anything else (a crash) propagates and acknowledges nothing.
        """
        try:
            self.start_commits()
            while not stop.is_set():
                if not self._connected() and not self._connect(stop):
                    continue
                rc = self.client.loop(timeout=self._loop_timeout())
                if rc == mqtt.MQTT_ERR_SUCCESS:
                    rc = self._read_waiting()
                if rc != mqtt.MQTT_ERR_SUCCESS:
                    self._lost(rc, stop)
                    continue
                self._acknowledge(self._committer.poll())
                if self._due() and not self._committer.busy:
                    self._submit()
            if self._connected():
                self._finish()
        finally:
            self._committer.close()
            if stop.is_set():
                self._disconnect()

    def start_commits(self, timeout: float = 120.0) -> None:
        """Start the commit process, if any, and wait until it is ready (run() does it first).

        Raises:
            Exception: the commit process could not build its sink.
        """
        if isinstance(self._commits, ProcessCommits):
            self._commits.ready(timeout)

    # connection -------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=s.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set()
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _connect(self, stop: threading.Event) -> bool:
        s = self.settings
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry
        # The broker sends at most this many unacknowledged messages: it bounds our memory.
        props.ReceiveMaximum = s.receive_maximum
        self._drop_batch()
        self._generation += 1
        self._committer.forget(self._generation)
        try:
            self.client.connect(s.host, s.port, keepalive=s.keepalive, clean_start=False, properties=props)
        except OSError as exc:
            delay = self._backoff.next()
            log.warning("MQTT broker %s:%d unreachable (%s); retrying in %.1f s", s.host, s.port, exc, delay)
            stop.wait(delay)
            return False
        return True

    def _connected(self) -> bool:
        return self.client.socket() is not None

    def _lost(self, rc: mqtt.MQTTErrorCode, stop: threading.Event) -> None:
        self._subscribed.clear()
        dropped = self._drop_batch()
        delay = self._backoff.next()
        log.warning("MQTT connection lost (%s); %d unacknowledged messages will be redelivered; "
                    "reconnecting in %.1f s", mqtt.error_string(rc), dropped, delay)
        stop.wait(delay)

    def _drop_batch(self) -> int:
        # Unacknowledged messages are redelivered on the resumed session, so an uncommitted
        # batch is dropped rather than committed now and again on redelivery.
        dropped = self._batched
        self._batch = Batch(generation=self._generation)
        self._batched = 0
        return dropped

    def _disconnect(self) -> None:
        if self._connected():
            # A normal DISCONNECT keeps the session (expiry > 0): queued messages wait for us.
            self.client.disconnect()
            self.client.loop(timeout=0.1)
        self._subscribed.clear()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                    reason: ReasonCode, properties: Properties | None) -> None:
        if reason.is_failure:
            log.error("MQTT broker refused the connection: %s", reason)
            return
        self._backoff.reset()
        log.info("MQTT connected to %s:%d as %s (session present: %s)", self.settings.host,
                 self.settings.port, self.settings.client_id, flags.session_present)
        client.subscribe([(topic, 1) for topic in self.settings.topics()])

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reasons: list[ReasonCode], properties: Properties | None) -> None:
        failed = [str(r) for r in reasons if r.is_failure]
        if failed:
            log.error("MQTT subscription refused: %s", ", ".join(failed))
            return
        self._subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags,
                       reason: ReasonCode, properties: Properties | None) -> None:
        self._subscribed.clear()

    # messages and batches ---------------------------------------------------------------

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if not self._batched:
            self._first_at = time.monotonic()
        self._batched += 1
        self._received += 1
        if msg.qos > 0:
            self._batch.acks.append((msg.mid, msg.qos))
        self._batch.messages.append((msg.topic, msg.payload))

    def _read_waiting(self) -> mqtt.MQTTErrorCode:
        """Read the messages already waiting on the socket, without a select() for each.

        paho's ``loop()`` reads one packet per select(); under load the socket holds many,
        and the select with paho's bookkeeping around it was ~15 % of this thread's time per
        message. ``loop_read`` reads the next packet or finds none waiting; a burst stops at
        the first read that brought no message, or after ``READ_BURST`` reads so that
        commits, acknowledgements and keepalive are looked after in between.
        """
        for _ in range(READ_BURST):
            received = self._received
            rc = self.client.loop_read()
            if rc != mqtt.MQTT_ERR_SUCCESS or self._received == received:
                return rc
        return mqtt.MQTT_ERR_SUCCESS

    def _due(self) -> bool:
        if not self._batched:
            return False
        return (self._batched >= self.settings.batch_size
                or time.monotonic() - self._first_at >= self.settings.batch_delay)

    def _loop_timeout(self) -> float:
        if self._committer.busy:
            return 0.005  # look back soon: acknowledgements are waiting for the commit
        if not self._batched:
            return 0.5
        return max(0.0, min(0.5, self._first_at + self.settings.batch_delay - time.monotonic()))

    def _submit(self) -> None:
        batch, self._batch, self._batched = self._batch, Batch(generation=self._generation), 0
        batch.generation = self._generation
        self._committer.submit(batch)

    def _acknowledge(self, batch: Batch | None) -> None:
        if batch is None:
            return
        self._count(batch)
        if batch.generation != self._generation:
            return  # its messages are redelivered on this connection (and found duplicates)
        for mid, qos in batch.acks:
            self.client.ack(mid, qos)

    def _count(self, batch: Batch) -> None:
        handled = batch.handled
        if handled is None:
            return
        self._stats.accept_many("mqtt", handled.accepted, handled.readings)
        for adapter, kind, reason, source in handled.refusals:
            self._stats.refuse(adapter, kind, reason, source)
        self.committed += handled.readings
        self.sink_seconds += handled.seconds

    def _finish(self) -> None:
        """Stopping: commit and acknowledge what is in flight and what is batched."""
        self._acknowledge(self._committer.wait(30))
        if self._batched and not self._committer.busy:
            self._submit()
            self._acknowledge(self._committer.wait(30))
