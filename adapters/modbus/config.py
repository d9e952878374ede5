"""Modbus gateways and the devices behind them, as configuration.

Until the device registry supplies them, ``OVERSITE_MODBUS_GATEWAYS`` holds a JSON list::

    [{"name": "site-12-gw", "host": "10.8.0.12", "port": 502, "timeout": 3,
      "devices": [{"unit_id": 1, "interval": 10,
                   "registers": [{"quantity": "crane_load_pct", "address": 0, "type": "float32"},
                                 {"quantity": "wind_speed", "address": 2, "type": "uint16",
                                  "scale": 0.1, "unit": "m/s"}]}]}]

A device's identity is ``{host}:{port}:{unit_id}`` (``DeviceRef("modbus", …)``, as the device
registry resolves it); the gateway's name only labels logs.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .registers import Block, RegisterMapError, RegisterSpec, plan_reads, spec_from_mapping


@dataclass(frozen=True)
class DeviceConfig:
    """A Modbus device: its unit id on the gateway, polling interval and register map."""

    unit_id: int
    interval: float
    registers: tuple[RegisterSpec, ...]

    def blocks(self) -> list[Block]:
        """The read requests one poll makes."""
        return plan_reads(self.registers)


@dataclass(frozen=True)
class GatewayConfig:
    """A Modbus TCP endpoint (a gateway in front of RS485 devices, or a TCP device)."""

    name: str
    host: str
    port: int = 502
    timeout: float = 3.0
    devices: tuple[DeviceConfig, ...] = ()

    def identity(self, unit_id: int) -> str:
        """The ``DeviceRef`` identity of the device with ``unit_id`` behind this gateway."""
        return f"{self.host}:{self.port}:{unit_id}"


def gateways_from_config(value: object) -> list[GatewayConfig]:
    """Gateways from ``MODBUS_GATEWAYS``: a JSON text, a parsed list, or None/empty.

    Raises:
        RegisterMapError: the configuration is malformed (the message names the gateway,
            device and field).
    """
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RegisterMapError(f"MODBUS_GATEWAYS is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        raise RegisterMapError("MODBUS_GATEWAYS must be a JSON list of gateways")
    gateways = [_gateway(g, i) for i, g in enumerate(value)]
    names = [g.name for g in gateways]
    if len(set(names)) != len(names):
        raise RegisterMapError("MODBUS_GATEWAYS: gateway names must be unique")
    return gateways


def _gateway(raw: object, index: int) -> GatewayConfig:
    if not isinstance(raw, Mapping):
        raise RegisterMapError(f"gateway #{index} must be an object")
    host = raw.get("host")
    if not isinstance(host, str) or not host:
        raise RegisterMapError(f"gateway #{index}: host is required")
    port = int(_number(raw, "port", 502, f"gateway {host}", integer=True))
    name = str(raw.get("name") or f"{host}:{port}")
    timeout = _number(raw, "timeout", 3.0, f"gateway {name}")
    devices = raw.get("devices", [])
    if not isinstance(devices, Sequence) or isinstance(devices, str):
        raise RegisterMapError(f"gateway {name}: devices must be a list")
    parsed = tuple(_device(d, name) for d in devices)
    units = [d.unit_id for d in parsed]
    if len(set(units)) != len(units):
        raise RegisterMapError(f"gateway {name}: unit ids must be unique")
    return GatewayConfig(name, host, port, float(timeout), parsed)


def _device(raw: object, gateway: str) -> DeviceConfig:
    if not isinstance(raw, Mapping):
        raise RegisterMapError(f"gateway {gateway}: each device must be an object")
    unit = raw.get("unit_id")
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 <= unit <= 255:
        raise RegisterMapError(f"gateway {gateway}: unit_id must be an integer 0..255, not {unit!r}")
    where = f"gateway {gateway} unit {unit}"
    interval = _number(raw, "interval", 10.0, where)
    registers = raw.get("registers")
    if not isinstance(registers, Sequence) or isinstance(registers, str) or not registers:
        raise RegisterMapError(f"{where}: registers must be a non-empty list")
    try:
        specs = tuple(spec_from_mapping(r) if isinstance(r, Mapping) else _not_object() for r in registers)
    except RegisterMapError as exc:
        raise RegisterMapError(f"{where}: {exc}") from None
    return DeviceConfig(unit, float(interval), specs)


def _not_object() -> RegisterSpec:
    raise RegisterMapError("each register must be an object")


def _number(raw: Mapping[str, Any], key: str, default: float, where: str, integer: bool = False) -> float:
    value = raw.get(key, default)
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise RegisterMapError(f"{where}: {key} must be {kind}, not {value!r}")
    return float(value)
