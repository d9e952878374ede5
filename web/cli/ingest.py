"""``oversite ingest``: device data from MQTT, HJ 212 over TCP and Modbus, into the reading sink."""
from __future__ import annotations

import dataclasses
import functools
import logging
import pickle
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

import click

from adapters.ingest import Ingest, ingest_settings
from adapters.modbus.config import GatewayConfig
from adapters.modbus.devices import gateways_from_devices
from adapters.readings import BatchResult, Reading, ReadingSink

from ..services import Services, build_services
from .context import pass_services

log = logging.getLogger("oversite.ingest")


class LoggingSink:
    """``--dry-run``: log each batch instead of storing it (nothing is refused or raised)."""

    def write_batch(self, readings: Sequence[Reading]) -> BatchResult:
        for reading in readings[:3]:
            log.info("reading %s %s %s=%g %s at %s (%s)", reading.device.protocol, reading.device.identity,
                     reading.quantity, reading.value, reading.unit, reading.measured_at.isoformat(), reading.quality)
        if len(readings) > 3:
            log.info("… and %d more readings in this batch", len(readings) - 3)
        return BatchResult(stored=len(readings))


def _registry_gateways(services: Services) -> list[GatewayConfig]:
    config = services.config
    with services.session_factory() as session:
        return gateways_from_devices(session, default_interval=float(config.get("MODBUS_POLL_SECONDS", 10)),
                                     timeout=float(config.get("MODBUS_TIMEOUT_SECONDS", 3.0)))


def device_sink(config: dict[str, Any]) -> ReadingSink:
    """The device family's sink built from ``config`` (in the MQTT commit process)."""
    from workflows.devices.ingest import build_reading_sink

    return build_reading_sink(build_services(config))


def _sink_factory(config: Mapping[str, Any]) -> Callable[[], ReadingSink] | None:
    """A picklable :func:`device_sink` for the MQTT commit process, or None to commit in a thread."""
    factory = functools.partial(device_sink, dict(config))
    try:
        pickle.dumps(factory)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        log.warning("MQTT batches are committed in a thread: the configuration cannot be "
                    "handed to a commit process (%s)", exc)
        return None
    return factory


@click.command()
@click.option("--dry-run", is_flag=True, help="Log readings instead of storing them (no rules, no alarms).")
@click.option("--no-mqtt", is_flag=True, help="Do not subscribe to MQTT even if OVERSITE_MQTT_URL is set.")
@click.option("--no-hj212", is_flag=True, help="Do not open the HJ 212 listener.")
@click.option("--no-modbus", is_flag=True, help="Do not poll Modbus gateways.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (every batch, every connection).")
@pass_services
def ingest(services: Services, dry_run: bool, no_mqtt: bool, no_hj212: bool, no_modbus: bool, verbose: bool) -> None:
    """Receive device data until SIGTERM or Ctrl-C.

    \b
    - MQTT (when OVERSITE_MQTT_URL is set): JSON on oversite/{project}/{device}/readings and
      raw HJ 212 frames on oversite/{project}/{device}/hj212, through the shared subscription
      $share/OVERSITE_MQTT_SHARE_GROUP/…, QoS 1, acknowledged after each committed batch.
    - HJ 212-2017 over TCP on OVERSITE_HJ212_HOST:OVERSITE_HJ212_PORT (0.0.0.0:9212).
    - Modbus TCP: the registry's Modbus devices and OVERSITE_MODBUS_GATEWAYS.

    An adapter that cannot reach its peer retries with backoff while the others work. Run
    several processes with distinct OVERSITE_MQTT_CLIENT_ID to share the MQTT load (give only
    one of them the HJ 212 listener and the Modbus polling). See docs/ingest.md.
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # we log Modbus trouble ourselves
    try:
        settings = ingest_settings(services.config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if no_mqtt:
        settings = dataclasses.replace(settings, mqtt=None)
    if no_hj212:
        settings = dataclasses.replace(settings, hj212_port=None)
    if no_modbus:
        settings = dataclasses.replace(settings, modbus_gateways=())
    sink_factory = None
    if dry_run:
        sink: ReadingSink = LoggingSink()
    else:
        from workflows.devices.ingest import build_reading_sink  # the device family's sink

        sink = build_reading_sink(services)
        sink_factory = _sink_factory(services.config)
    gateways = None if no_modbus else (lambda: _registry_gateways(services))
    runner = Ingest(sink, settings, gateways=gateways, sink_factory=sink_factory)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the pending batches", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    runner.run(stop)
    click.echo(f"ingest stopped: {runner.stats.snapshot()}")

