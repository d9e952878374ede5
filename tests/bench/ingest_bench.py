"""Ingest benchmark (issue 5): prints figures measured in one run against one broker; asserts nothing.

(a) a bare paho-mqtt subscriber that only counts, (b) Oversite's MQTT ingest (parse, normalize,
rules, alarms, batched persistence to PostgreSQL through the device family's sink), both
draining the same number of QoS 1 messages queued for them on the same Mosquitto (started
from deploy/mosquitto/oversite.conf), with a loss check; then (c) alarm-to-case latency while
a separate publisher process sends readings at a target rate with a crane overload now and
then (each opens an alarm whose device-alarm case starts in the same transaction). A breach's
latency runs from just before its publish to the moment a watcher process, polling the
database every ``WATCH_SECONDS``, first sees its alarm with a case: the case *exists* then,
committed and visible to anyone (the alarm's ``dispatched_at`` is the batch's start, before
the transaction's work and commit). Percentiles are nearest-rank over the breaches; with
fewer than 100 of them, p99 is the maximum (BENCH_SECONDS=30 gives 150).

The ingest is built as ``oversite ingest`` builds it: batches are parsed and committed in a
commit process that builds its own sink (``adapters/mqtt/commit_process.py``);
BENCH_COMMIT_PROCESS=0 commits in a thread instead. The commit process is started before the
clock starts (it takes a second or two once, like importing the code).

Run with ``make bench`` or ``python -m tests.bench.ingest_bench`` (PostgreSQL from
OVERSITE_TEST_DATABASE_URL, a private database; Debian's mosquitto). Sizes:
BENCH_MESSAGES (default 40000), BENCH_RATE readings/s (10000), BENCH_SECONDS (10); BENCH_PUBLISHER
(raw, or paho) picks (c)'s load generator (tests/bench/raw_publisher.py says why raw).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import multiprocessing
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import func, select

from adapters.batching import SerializedSink
from adapters.mqtt import MqttIngest, MqttSettings
from adapters.stats import IngestStats
from engine import SystemClock
from storage import Alarm, Device
from storage.readings import Reading as StoredReading
from tests.fixtures.database import private_pg_database
from tests.fixtures.devices import ADMIN, devices_config, make_projects
from tests.bench.raw_publisher import RawPublisher
from tests.fixtures.mqtt import Broker, find_mosquitto
from workflows import bpmn_files, build_engine, build_registries
from workflows.devices import FAMILY as DEVICES
from workflows.devices.ingest import DeviceReadingSink
from workflows.devices.policy import DevicePolicy

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "40000"))
RATE = int(os.environ.get("BENCH_RATE", "10000"))          # readings per second in (c)
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
BATCH = int(os.environ.get("BENCH_BATCH", "500"))     # ingest batch size (messages)
COMMIT_PROCESS = os.environ.get("BENCH_COMMIT_PROCESS", "1") != "0"
PUBLISHER = os.environ.get("BENCH_PUBLISHER", "raw")   # (c)'s load generator: raw or paho
WATCH_SECONDS = 0.01  # the watcher's polling period: latencies are late by up to this much
DEVICES_PER_PROJECT = 50


def payload(n: int, base: datetime) -> bytes:
    # Two readings per message, distinct times per device so none is a duplicate.
    ts = (base - timedelta(milliseconds=10 * (n // 100))).isoformat()
    return json.dumps({"ts": ts, "values": {"pm10": 40 + n % 50, "noise": 50.0}}).encode()


def topic(n: int) -> str:
    return f"oversite/P{1 + n % 2}/D{n % 100:03d}/readings"


def publish(broker: Broker, count: int, base: datetime) -> float:
    """Publish ``count`` QoS 1 messages; return the messages per second the broker accepted."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-pub", protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    started = time.perf_counter()
    infos = [client.publish(topic(n), payload(n, base), qos=1) for n in range(count)]
    for info in infos:
        info.wait_for_publish(120)
    elapsed = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    return count / elapsed


def persistent_session(broker: Broker, client_id: str, group: str) -> None:
    """Create ``client_id``'s session and shared subscription so the broker queues for it."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(broker.host, broker.port, clean_start=True, properties=props)
    client.loop_start()
    client.subscribe(f"$share/{group}/oversite/+/+/readings", qos=1)
    subscribed.wait(10)
    client.disconnect()
    client.loop_stop()


def bare_subscriber(broker: Broker, count: int) -> float:
    """(a): drain ``count`` queued messages, counting only; messages per second."""
    persistent_session(broker, "bench-bare", "bench-a")
    publish(broker, count, datetime.now(timezone.utc))
    done, received = threading.Event(), [0]

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        received[0] += 1
        if received[0] == count:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    started = time.perf_counter()
    client.connect(broker.host, broker.port, clean_start=False, properties=props)
    client.loop_start()
    done.wait(300)
    elapsed = time.perf_counter() - started
    client.unsubscribe("$share/bench-a/oversite/+/+/readings")  # out of the way of (b) and (c)
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()
    return received[0] / elapsed


class Sinks:
    """The device family's sink: in this process, and as a factory for the commit process."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.factory = functools.partial(device_sink, database_url)
        self.local = device_sink(database_url)

    def ingest(self, settings: MqttSettings, stats: IngestStats) -> MqttIngest:
        """An MQTT ingest built as ``oversite ingest`` builds it, its commit process started."""
        settings = dataclasses.replace(settings, commit_process=COMMIT_PROCESS)
        ingest = MqttIngest(settings, SerializedSink(self.local, stats), stats, self.factory)
        ingest.start_commits()
        return ingest


def device_sink(database_url: str) -> DeviceReadingSink:
    """The real sink on the benchmark's database (module level: the commit process unpickles it)."""
    import storage

    config = devices_config()
    clock = SystemClock()
    bpmn_engine = build_engine(config, clock, {}, build_registries(config))
    sessions = storage.make_session_factory(storage.make_engine(database_url))
    return DeviceReadingSink(sessions, bpmn_engine, DevicePolicy.from_config(config), clock)


def oversite_ingest(broker: Broker, sinks: Sinks, count: int) -> tuple[float, IngestStats, float]:
    """(b): drain ``count`` queued messages through parse → sink (PostgreSQL).

    Returns messages per second, the counters, and the share of the time the sink's
    transactions took.
    """
    settings = MqttSettings(host=broker.host, port=broker.port, client_id="bench-ingest", group="bench",
                            batch_size=BATCH, receive_maximum=max(2000, 2 * BATCH))
    persistent_session(broker, "bench-ingest", "bench")
    publish(broker, count, datetime.now(timezone.utc))
    stats = IngestStats()
    ingest = sinks.ingest(settings, stats)
    stop = threading.Event()
    started = time.perf_counter()
    thread = threading.Thread(target=ingest.run, args=(stop,), daemon=True)
    thread.start()
    while ingest.committed < 2 * count and time.perf_counter() - started < 600:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    thread.join(30)
    return count / elapsed, stats, ingest.sink_seconds / elapsed


def paced_publisher(host: str, port: int, rate: float, seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """(c)'s load, in its own process: ``rate`` messages/s; a crane overload every 0.2 s.

    Sends through :class:`RawPublisher` (BENCH_PUBLISHER=paho: through paho, which costs
    this machine ~0.8 core at 5,000 messages/s; raw_publisher.py says why that skews (c)).
    Reports what it sent and the CPU it used.
    """
    if PUBLISHER == "paho":
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-paced", protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(1000)
        client.connect(host, port)
        client.loop_start()
        infos = []

        def send(topic: str, body: bytes) -> None:
            infos.append(client.publish(topic, body, qos=1))

        def flush() -> None:
            pass

        def finish() -> None:
            for info in infos:  # paho drops what it still holds on disconnect
                info.wait_for_publish(60)
            client.disconnect()
            client.loop_stop()
    else:
        raw = RawPublisher(host, port, "bench-paced", max_inflight=1000)
        send, flush = raw.publish, raw.pump

        def finish() -> None:
            raw.close(60)
    cpu_started = time.process_time()
    breaches: dict[str, float] = {}
    started = time.monotonic()
    sent, next_breach = 0, 0.0
    base = datetime.now(timezone.utc) + timedelta(minutes=1)
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate) - sent
        for _ in range(due):
            send(topic(sent), payload(sent, base))
            sent += 1
        if elapsed >= next_breach and len(breaches) < 200:
            code = f"CR{len(breaches):03d}"
            now = datetime.now(timezone.utc)
            body = json.dumps({"ts": now.isoformat(), "values": {"crane_load_pct": 105.0}}).encode()
            send(f"oversite/P1/{code}/readings", body)
            breaches[code] = now.timestamp()
            next_breach += 0.2
        flush()
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    finish()
    out.put((sent, elapsed, breaches, time.process_time() - cpu_started))


def case_watcher(database_url: str, stop: multiprocessing.Event, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """(c)'s clock stop, in its own process: when each crane alarm's case became visible.

    Bare psycopg in a process of its own, so the watching takes nothing from the ingest's
    interpreter; one small query per ``WATCH_SECONDS`` (a few % of a core).
    """
    import psycopg

    seen: dict[str, float] = {}
    query = ("SELECT d.code FROM alarm a JOIN device d ON d.id = a.device_id "
             "WHERE a.rule = 'crane_load' AND a.case_id IS NOT NULL")
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        while not stop.is_set():
            now = time.time()
            for (code,) in conn.execute(query):
                seen.setdefault(code, now)
            time.sleep(WATCH_SECONDS)
    out.put(seen)


def nearest_rank(ordered: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted values: the smallest one with ``fraction`` at or below it."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def alarm_latency(broker: Broker, sinks: Sinks, sessions, readings_per_second: int) -> None:  # type: ignore[no-untyped-def]
    settings = MqttSettings(host=broker.host, port=broker.port, client_id="bench-live", group="bench-live")
    stats = IngestStats()
    ingest = sinks.ingest(settings, stats)
    stop = threading.Event()
    thread = threading.Thread(target=ingest.run, args=(stop,), daemon=True)
    thread.start()
    ingest.subscribed.wait(10)
    before = ingest.committed
    fork = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = fork.Queue()  # type: ignore[type-arg]
    watched: multiprocessing.Queue = fork.Queue()  # type: ignore[type-arg]
    watching = fork.Event()
    watcher = fork.Process(target=case_watcher, args=(sinks.database_url, watching, watched))
    watcher.start()
    proc = fork.Process(
        target=paced_publisher, args=(broker.host, broker.port, readings_per_second / 2, SECONDS, queue))
    started = time.perf_counter()
    proc.start()
    sent, pub_seconds, breaches, pub_cpu = queue.get(timeout=SECONDS + 120)
    proc.join()
    expected = before + 2 * sent + len(breaches)
    while ingest.committed < expected and time.perf_counter() - started < SECONDS + 60:
        time.sleep(0.05)
    drained = time.perf_counter() - started
    stop.set()
    thread.join(30)
    time.sleep(5 * WATCH_SECONDS)  # the watcher's last look follows the last commit
    watching.set()
    visible = watched.get(timeout=30)
    watcher.join()
    with sessions() as s:
        rows = s.execute(select(Device.code, Alarm.dispatched_at, Alarm.case_id)
                         .join(Device, Device.id == Alarm.device_id).where(Alarm.rule == "crane_load")).all()
    cases = {code for code, dispatched, case_id in rows if dispatched is not None and case_id is not None}
    latencies = sorted((visible[code] - breaches[code]) * 1000 for code in cases if code in breaches and code in visible)
    print(f"(c) offered {2 * sent / pub_seconds:,.0f} readings/s for {pub_seconds:.1f} s; ingest kept up at "
          f"{2 * sent / drained:,.0f} readings/s ({drained:.1f} s to drain); the load generator "
          f"({PUBLISHER} publisher) used {pub_cpu / pub_seconds:.2f} core")
    if ingest.committed < expected:
        print(f"    NOT DRAINED: {expected - ingest.committed:,} readings missing; ingest counters: {stats.snapshot()}")
    if latencies:
        print(f"    alarm-to-case: {len(cases)}/{len(breaches)} breaches became cases, {len(latencies)} timed; "
              f"p50 {nearest_rank(latencies, 0.5):,.0f} ms, p90 {nearest_rank(latencies, 0.9):,.0f} ms, "
              f"p99 {nearest_rank(latencies, 0.99):,.0f} ms{' (= max: < 100 samples)' if len(latencies) < 100 else ''}, "
              f"max {latencies[-1]:,.0f} ms (publish → case committed and visible)")
    else:
        print(f"    alarm-to-case: no case was started for {len(breaches)} breaches")


def setup_database(engine):  # type: ignore[no-untyped-def]
    import storage

    config = devices_config()
    registries = build_registries(config)
    clock = SystemClock()
    bpmn_engine = build_engine(config, clock, {}, registries)
    sessions = storage.make_session_factory(engine)
    with sessions.begin() as s:
        bpmn_engine.deploy(s, bpmn_files([DEVICES]), ADMIN)
    projects = make_projects(sessions)
    with sessions.begin() as s:
        for n in range(100):
            s.add(Device(project_id=projects["p1" if n % 2 == 0 else "p2"], code=f"D{n:03d}",
                         device_type="dust_noise_monitor", protocol="mqtt"))
        for n in range(200):
            s.add(Device(project_id=projects["p1"], code=f"CR{n:03d}", device_type="crane_monitor", protocol="mqtt"))
    return sessions, Sinks(engine.url.render_as_string(hide_password=False))


def main() -> None:
    binary = find_mosquitto()
    if binary is None:
        raise SystemExit("mosquitto is not installed (apt-get install -y mosquitto)")
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(binary, Path(tmp))
        broker.start()
        pg = private_pg_database()
        engine = next(pg)
        try:
            sessions, sinks = setup_database(engine)
            print(f"ingest benchmark: {MESSAGES:,} QoS 1 messages (2 readings each), Mosquitto "
                  f"from deploy/mosquitto/oversite.conf, PostgreSQL, {os.cpu_count()} cores, commits in a "
                  f"{'process' if COMMIT_PROCESS else 'thread'}")
            bare = bare_subscriber(broker, MESSAGES)
            print(f"(a) bare paho subscriber (count only):        {bare:10,.0f} msg/s")
            ours, stats, sink_share = oversite_ingest(broker, sinks, MESSAGES)
            with sessions() as s:
                rows = s.scalar(select(func.count()).select_from(StoredReading)) or 0
            lost = 2 * MESSAGES - rows
            print(f"(b) Oversite ingest (parse, rules, PostgreSQL): {ours:10,.0f} msg/s = {ours / bare:.0%} of (a); "
                  f"{rows:,} readings stored, {lost} lost, refused: {stats.refused_count()}; "
                  f"the sink's transactions took {sink_share:.0%} of the time")
            alarm_latency(broker, sinks, sessions, RATE)
        finally:
            broker.kill()
            next(pg, None)


if __name__ == "__main__":
    main()
