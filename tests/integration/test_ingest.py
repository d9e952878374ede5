"""``oversite ingest``: all adapters at once, one failing peer beside working ones, SIGTERM."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from adapters.hj212 import encode_frame, parse_frame
from adapters.ingest import Ingest, IngestSettings, ingest_settings
from adapters.modbus import gateways_from_config
from adapters.mqtt import MqttSettings
from tests.fixtures.mqtt import free_port, publish_all, start_broker
from tests.fixtures.reading_sink import MemorySink

FRAME = encode_frame("QN=20240105103000001;ST=22;CN=2011;PW=123456;MN=SITE9;Flag=5;"
                     "CP=&&DataTime=20240105103000;a34002-Rtd=120.5,a34002-Flag=N&&")
JSON = json.dumps({"ts": "2024-01-05T10:30:00+08:00", "values": {"pm10": 90}}).encode()


def send_frame(port: int, frame: bytes = FRAME) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(frame)
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return parse_frame(answer).segment


def start(runner: Ingest) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


def test_hj212_and_modbus_keep_working_while_the_broker_is_down_then_mqtt_joins(tmp_path: Path) -> None:
    broker = start_broker(tmp_path / "broker")
    broker.stop()  # down when ingest starts
    sink = MemorySink()
    dead_gateway = gateways_from_config([{"name": "dead", "host": "127.0.0.1", "port": free_port(), "timeout": 0.3,
                                          "devices": [{"unit_id": 1, "interval": 0.2,
                                                       "registers": [{"quantity": "pm10", "address": 0}]}]}])
    settings = IngestSettings(
        mqtt=MqttSettings(host=broker.host, port=broker.port, client_id="ingest-all", batch_delay=0.05, backoff_max=0.5),
        hj212_host="127.0.0.1", hj212_port=0, batch_delay=0.05, modbus_gateways=tuple(dead_gateway), backoff_max=0.5)
    runner = Ingest(sink, settings)
    stop, thread = start(runner)
    try:
        assert runner.listening.wait(10)
        assert runner.listener is not None
        assert ";CN=9014;" in send_frame(runner.listener.port)
        assert sink.wait_for(1)
        broker.start()
        assert runner.mqtt is not None and runner.mqtt.subscribed.wait(20)
        publish_all(broker, [("oversite/P9/D9/readings", JSON)])
        assert sink.wait_for(2)
    finally:
        stop.set()
        thread.join(30)
        broker.kill()
    assert not thread.is_alive()
    assert {(r.device.protocol, r.device.identity) for r in sink.readings()} == {("hj212", "SITE9"), ("mqtt", "P9/D9")}
    assert runner.stats.refused_count("modbus", "unreachable") >= 1


def test_registry_failure_is_retried_without_stopping_the_rest() -> None:
    sink = MemorySink()
    calls = []

    def gateways():  # type: ignore[no-untyped-def]
        calls.append(time.monotonic())
        raise RuntimeError("database is down")

    settings = IngestSettings(hj212_host="127.0.0.1", hj212_port=0, batch_delay=0.05, backoff_max=0.3)
    runner = Ingest(sink, settings, gateways=gateways)
    stop, thread = start(runner)
    try:
        assert runner.listening.wait(10)
        assert runner.listener is not None
        send_frame(runner.listener.port)
        time.sleep(1.5)
    finally:
        stop.set()
        thread.join(30)
    assert len(calls) >= 3 and len(sink.readings()) == 1


def test_settings_from_configuration() -> None:
    settings = ingest_settings({"MQTT_URL": "mqtt://user:pw@broker:1884", "MQTT_CLIENT_ID": "ingest-7",
                                "HJ212_PORT": 0, "MODBUS_GATEWAYS": "[]", "INGEST_BATCH_MS": 100})
    assert settings.mqtt is not None
    assert (settings.mqtt.host, settings.mqtt.port, settings.mqtt.username) == ("broker", 1884, "user")
    assert settings.mqtt.client_id == "ingest-7" and settings.mqtt.batch_delay == 0.1
    assert settings.mqtt.topics() == ["$share/oversite-ingest/oversite/+/+/readings",
                                      "$share/oversite-ingest/oversite/+/+/hj212"]
    assert settings.hj212_port is None
    assert ingest_settings({}).mqtt is None


def test_cli_runs_until_sigterm_and_exits_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "OVERSITE_DATA_DIR": str(tmp_path), "OVERSITE_HJ212_HOST": "127.0.0.1",
           "OVERSITE_HJ212_PORT": str(port), "OVERSITE_INGEST_BATCH_MS": "50"}
    env.pop("OVERSITE_MQTT_URL", None)
    oversite = Path(sys.executable).parent / "oversite"
    proc = subprocess.Popen([str(oversite), "ingest", "--dry-run", "--no-modbus"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = send_frame(port)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.monotonic() < deadline, "the listener never opened"
                time.sleep(0.2)
        assert ";CN=9014;" in answer
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "ingest stopped" in out.decode()
    assert "'hj212': 1" in out.decode()
    assert "HJ 212 listener on 127.0.0.1:" in err.decode()
