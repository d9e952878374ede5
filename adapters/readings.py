"""What every device adapter produces and where it hands it: the seam between protocols and rules.

Protocol adapters (MQTT, HJ 212, Modbus, HTTP) parse and normalize device data into
:class:`Reading` values and pass batches to a :class:`ReadingSink`; the sink persists them,
applies the alarm rules and raises alarms. Adapters acknowledge input only after the sink has
committed the batch that holds it (zero loss).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class DeviceRef:
    """How a device identifies itself on its protocol.

    ``protocol`` is one of ``mqtt``, ``hj212``, ``modbus``, ``http``; ``identity`` is the MQTT
    ``{project_code}/{device_code}``, the HJ 212 MN code, ``{gateway}:{unit_id}`` for Modbus, or
    the device id for HTTP.
    """

    protocol: str
    identity: str


@dataclass(frozen=True)
class Reading:
    """One normalized measurement (value in ``unit``; UTC time; quality ``ok`` or a flag)."""

    device: DeviceRef
    measured_at: datetime
    quantity: str   # e.g. noise_leq, noise_lmax, pm10, pm25, tsp, wind_speed, crane_load_pct
    value: float
    unit: str
    quality: str = "ok"
    # Identifies the source message so a redelivered one is not stored twice (e.g. MQTT
    # payload hash, HJ 212 QN + MN).
    source_id: str | None = None


@dataclass
class BatchResult:
    """What the sink did with a batch: counts, and the refused readings with their reasons."""

    stored: int = 0
    duplicates: int = 0
    refused: list[tuple[Reading, str]] = field(default_factory=list)
    alarms_raised: int = 0


class ReadingSink(Protocol):
    def write_batch(self, readings: Sequence[Reading]) -> BatchResult:
        """Persist ``readings`` and apply rules in one committed transaction; return what happened."""
        ...
