"""Ingest end to end with the real sink (workflows.devices): MQTT, HJ 212 → readings, alarms, cases."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from adapters.hj212 import encode_frame
from adapters.hj212.convert import format_beijing
from adapters.ingest import Ingest, IngestSettings
from adapters.mqtt import MqttSettings
from adapters.readings import BatchResult, Reading
from storage.readings import Reading as StoredReading
from tests.fixtures.devices import DevicesEnv
from tests.fixtures.mqtt import Broker, publish_all
from tests.fixtures.reading_sink import SimulatedCrash


class CrashingSink:
    """The real sink, made to "die" right after committing its ``crash_at``-th batch.

    The first commit is slowed by ``first_delay`` seconds: the burst arrives meanwhile, which
    is the worst case for the batch after it (a slow machine's first commit; CI saw it).
    """

    def __init__(self, real: object, crash_at: int, first_delay: float = 0.0) -> None:
        self.real, self.crash_at, self.first_delay, self.batches = real, crash_at, first_delay, 0

    def write_batch(self, readings: Sequence[Reading]) -> BatchResult:
        result: BatchResult = self.real.write_batch(readings)  # type: ignore[attr-defined]
        self.batches += 1
        if self.batches == 1:
            time.sleep(self.first_delay)
        if self.batches == self.crash_at:
            raise SimulatedCrash("after commit, before acknowledgement")
        return result


def stored_count(env: DevicesEnv) -> int:
    with env.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(StoredReading)) or 0)


def run_ingest(env: DevicesEnv, broker: Broker, sink: object, stop: threading.Event,
               client_id: str = "e2e-ingest") -> tuple[Ingest, threading.Thread, list[BaseException]]:
    # A batch fills while the one before it commits, so it is bounded by what the broker may
    # send unacknowledged, not by batch_size: a small Receive Maximum keeps the 1,000-message
    # burst spread over many batches however slow a commit is.
    settings = IngestSettings(mqtt=MqttSettings(host=broker.host, port=broker.port, client_id=client_id,
                                                receive_maximum=200, batch_size=200, batch_delay=0.05,
                                                backoff_max=0.5),
                              hj212_host="127.0.0.1", hj212_port=0, batch_delay=0.05)
    runner = Ingest(sink, settings)  # type: ignore[arg-type]
    crashed: list[BaseException] = []

    def target() -> None:
        try:
            runner.run(stop)
        except SimulatedCrash as exc:
            crashed.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return runner, thread, crashed


def wait_until(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_mqtt_burst_with_a_crash_stores_every_reading_once(devices_env: DevicesEnv, mqtt_broker: Broker) -> None:
    env = devices_env
    env.device(code="DUST1", protocol="mqtt")
    start = env.clock.now()
    messages = [("oversite/P1/DUST1/readings",
                 json.dumps({"ts": (start - timedelta(seconds=n)).isoformat(), "values": {"noise": 50.0}}).encode())
                for n in range(1000)]
    stop = threading.Event()
    # The MQTT thread dies after committing its 2nd batch, before acknowledging it.
    runner, thread, crashed = run_ingest(env, mqtt_broker, CrashingSink(env.sink, crash_at=2, first_delay=1.0), stop)
    assert wait_until(lambda: runner.mqtt is not None and runner.mqtt.subscribed.is_set())
    publish_all(mqtt_broker, messages)
    thread.join(30)
    assert crashed and 0 < stored_count(env) < 1000
    assert runner.mqtt is not None
    sock = runner.mqtt.client.socket()
    if sock is not None:
        sock.close()  # the dead process's connection drops
    stop2 = threading.Event()
    again, thread2, _ = run_ingest(env, mqtt_broker, env.sink, stop2)
    assert wait_until(lambda: stored_count(env) == 1000), f"{stored_count(env)} of 1000 readings stored"
    stop2.set()
    thread2.join(30)
    assert stored_count(env) == 1000
    assert again.stats.refused_count() == 0


def test_hj212_breach_raises_one_alarm_and_one_case(devices_env: DevicesEnv, mqtt_broker: Broker) -> None:
    env = devices_env
    env.device(code="HJ1", protocol="hj212", mn_code="MN0000000000000000000001")
    stop = threading.Event()
    runner, thread, _ = run_ingest(env, mqtt_broker, env.sink, stop)
    try:
        assert runner.listening.wait(10) and runner.listener is not None
        frames = b"".join(encode_frame(
            f"QN={format_beijing(env.clock.now() - timedelta(minutes=n), with_millis=True)};ST=22;CN=2011;"
            f"PW=123456;MN=MN0000000000000000000001;Flag=5;"
            f"CP=&&DataTime={format_beijing(env.clock.now() - timedelta(minutes=n))};a34002-Rtd=480.0,a34002-Flag=N&&")
            for n in range(10))
        with socket.create_connection(("127.0.0.1", runner.listener.port), timeout=10) as sock:
            sock.sendall(frames)
            answers = b""
            while answers.count(b"\r\n") < 10:
                chunk = sock.recv(65536)
                assert chunk, "the listener closed the connection"
                answers += chunk
        assert answers.count(b"CN=9014") == 10
    finally:
        stop.set()
        thread.join(30)
    assert stored_count(env) == 10
    alarms = env.alarms()
    assert len(alarms) == 1, alarms
    assert len(env.cases()) == 1
