"""``oversite simulate devices``: simulated smart-site devices for the demo, tests and benchmarks."""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
from types import FrameType

import click

from adapters.mqtt.settings import parse_mqtt_url
from adapters.simulate import MODBUS_MAP, plan
from adapters.simulate_run import SimTargets, Simulation


@click.group()
def simulate() -> None:
    """Simulators (no database needed)."""


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, not {text!r}")
    return host or "127.0.0.1", int(port)


@simulate.command()
@click.option("--projects", type=click.IntRange(1, 5000), default=3, show_default=True,
              help="Simulated projects (SIM001…), four devices each.")
@click.option("--rate", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Messages per second in total (MQTT and HJ 212 devices, round-robin).")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same devices and messages.")
@click.option("--duration", type=click.FloatRange(min=0.1), default=None, metavar="SECONDS",
              help="Stop after this long [default: until SIGTERM or Ctrl-C].")
@click.option("--mqtt-url", default=lambda: os.environ.get("OVERSITE_MQTT_URL", ""),
              help="Broker for the MQTT devices [default: OVERSITE_MQTT_URL; empty: none].")
@click.option("--hj212", "hj212", default=lambda: f"127.0.0.1:{os.environ.get('OVERSITE_HJ212_PORT', '9212')}",
              metavar="HOST:PORT", help="The ingest's HJ 212 listener [default: 127.0.0.1:OVERSITE_HJ212_PORT]; "
                                        "'none' to skip.")
@click.option("--modbus-port", type=int, default=5020, show_default=True,
              help="Serve the power meters on 127.0.0.1:PORT (0: no Modbus).")
@click.option("--print-devices", is_flag=True,
              help="Print the simulated devices and the MODBUS_GATEWAYS value as JSON, and exit.")
def devices(projects: int, rate: float, seed: int, duration: float | None, mqtt_url: str, hj212: str,
            modbus_port: int, print_devices: bool) -> None:
    """Publish realistic MQTT JSON, HJ 212 frames over TCP and serve Modbus power meters.

    Values drift around realistic levels; now and then a device breaches a limit, sends a bad
    CRC or malformed JSON, or goes offline for a while. Register the printed devices
    (--print-devices) so the ingest knows them.
    """
    sim_devices = plan(projects, seed)
    if print_devices:
        gateways = [{"name": "simulator", "host": "127.0.0.1", "port": modbus_port, "devices": [
            {"unit_id": int(d.identity), "interval": 10, "registers": MODBUS_MAP}
            for d in sim_devices if d.protocol == "modbus" and int(d.identity) <= 247]}] if modbus_port else []
        click.echo(json.dumps({"devices": [d.__dict__ for d in sim_devices], "MODBUS_GATEWAYS": gateways},
                              ensure_ascii=False, indent=2))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    targets = SimTargets(modbus_port=modbus_port or None)
    if mqtt_url:
        try:
            broker = parse_mqtt_url(mqtt_url)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--mqtt-url") from exc
        targets.mqtt_host, targets.mqtt_port = broker["host"], broker["port"]
    if hj212 != "none":
        targets.hj212_host, targets.hj212_port = _host_port(hj212)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stats = Simulation(sim_devices, targets, seed=seed, rate=rate).run(stop, duration)
    click.echo(f"sent: {dict(stats.sent)}; acknowledged: {dict(stats.acked)}; skipped: {dict(stats.skipped)}")
