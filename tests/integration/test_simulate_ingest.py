"""The simulators feeding a running ingest over all three protocols."""
from __future__ import annotations

import threading
import time

from adapters.ingest import Ingest, IngestSettings
from adapters.modbus import gateways_from_config
from adapters.mqtt import MqttSettings
from adapters.simulate import MODBUS_MAP, plan
from adapters.simulate_run import SimTargets, Simulation
from tests.fixtures.mqtt import Broker, free_port
from tests.fixtures.reading_sink import MemorySink


def handled(runner: Ingest) -> int:
    """Messages accepted or refused whole (per-value refusals leave the message accepted)."""
    whole = sum(n for (adapter, kind), n in runner.stats.refused.items()
                if adapter in ("mqtt", "hj212") and kind != "value")
    return runner.stats.accepted["mqtt"] + runner.stats.accepted["hj212"] + whole


def test_simulated_devices_reach_the_sink_over_mqtt_hj212_and_modbus(mqtt_broker: Broker) -> None:
    devices = plan(3, seed=11)
    modbus_port = free_port()
    gateways = gateways_from_config([{"name": "sim", "host": "127.0.0.1", "port": modbus_port, "timeout": 1,
                                      "devices": [{"unit_id": int(d.identity), "interval": 0.2, "registers": MODBUS_MAP}
                                                  for d in devices if d.protocol == "modbus"]}])
    sink = MemorySink()
    settings = IngestSettings(
        mqtt=MqttSettings(host=mqtt_broker.host, port=mqtt_broker.port, client_id="sim-ingest", batch_delay=0.05),
        hj212_host="127.0.0.1", hj212_port=0, batch_delay=0.05, modbus_gateways=tuple(gateways), backoff_max=0.5)
    runner = Ingest(sink, settings)
    stop = threading.Event()
    ingest_thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    ingest_thread.start()
    try:
        assert runner.listening.wait(10) and runner.listener is not None
        assert runner.mqtt is not None and runner.mqtt.subscribed.wait(10)
        targets = SimTargets(mqtt_host=mqtt_broker.host, mqtt_port=mqtt_broker.port,
                             hj212_port=runner.listener.port, modbus_port=modbus_port)
        stats = Simulation(devices, targets, seed=11, rate=400).run(threading.Event(), duration=3.0)
        sent = stats.sent["mqtt"] + stats.sent["hj212"]
        deadline = time.monotonic() + 15
        while handled(runner) < sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        ingest_thread.join(30)
    protocols = {r.device.protocol for r in sink.readings()}
    assert protocols == {"mqtt", "hj212", "modbus"}
    assert stats.sent["mqtt"] > 400 and stats.sent["hj212"] > 200 and stats.sent["modbus"] >= 5
    # Every message sent was either accepted or refused with a reason: none vanished.
    assert handled(runner) == stats.sent["mqtt"] + stats.sent["hj212"], (runner.stats.snapshot(), stats)
    assert runner.stats.refused_count("mqtt", "json") + runner.stats.refused_count("hj212", "crc") >= 1
