"""Modbus gateways from the device registry: active Modbus devices grouped by host and port."""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Device

from .config import DeviceConfig, GatewayConfig
from .registers import RegisterMapError, spec_from_mapping

log = logging.getLogger("oversite.ingest.modbus")


def gateways_from_devices(session: Session, *, default_interval: float = 10.0,
                          timeout: float = 3.0) -> list[GatewayConfig]:
    """One :class:`GatewayConfig` per ``host:port`` of the active Modbus devices.

    A device whose register map cannot be used is left out with a warning (the registry
    validates maps, so this only happens to maps stored before a rule was tightened).
    """
    rows = session.scalars(
        select(Device).where(Device.protocol == "modbus", Device.active.is_(True),
                             Device.modbus_host.is_not(None), Device.modbus_port.is_not(None),
                             Device.modbus_unit_id.is_not(None))
        .order_by(Device.modbus_host, Device.modbus_port, Device.modbus_unit_id)
    )
    grouped: dict[tuple[str, int], list[DeviceConfig]] = {}
    for device in rows:
        assert device.modbus_host is not None and device.modbus_port is not None
        assert device.modbus_unit_id is not None
        try:
            specs = tuple(spec_from_mapping(entry) for entry in device.register_map or ())
        except RegisterMapError as exc:
            log.warning("Modbus device %s (id %d) not polled: register map: %s", device.code, device.id, exc)
            continue
        if not specs:
            log.warning("Modbus device %s (id %d) not polled: no register map", device.code, device.id)
            continue
        interval = float(device.poll_interval_seconds or default_interval)
        grouped.setdefault((device.modbus_host, device.modbus_port), []).append(
            DeviceConfig(device.modbus_unit_id, interval, specs))
    return [GatewayConfig(f"{host}:{port}", host, port, timeout, tuple(devices))
            for (host, port), devices in grouped.items()]
