"""Checks of one reading before it is stored: time, value, quantity and unit (no database).

Devices send garbage: clocks years off, NaN, a noise level of 3,000 dB(A), a PM10 in mg/m³
where µg/m³ was agreed. Each problem gets a short, stable reason (counted by the adapters and
shown in the HTTP push's per-item errors); the reading is refused, the batch goes on.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from datetime import datetime, timezone

from .policy import DevicePolicy, QuantitySpec

QUALITY = re.compile(r"^[A-Za-z0-9_]{1,16}$")
# Spellings of the same unit devices use (compared after _unit_key's folding).
UNIT_ALIASES = {"dba": "db(a)", "deg": "°", "degc": "°c", "pct": "%", "person": "persons", "m3": "m³"}


class Refused(ValueError):
    """Why a reading cannot be stored (the message is the reason)."""


def _unit_key(unit: str) -> str:
    key = unit.strip().lower().replace(" ", "").replace("μ", "u").replace("µ", "u")
    key = key.replace("³", "3").replace("^", "").replace("℃", "°c")
    key = UNIT_ALIASES.get(key, key)
    return key.replace("(", "").replace(")", "").replace("³", "3")


@lru_cache(maxsize=1024)
def same_unit(given: str, canonical: str) -> bool:
    """``ug/m3`` is ``µg/m³``, ``dBA`` is ``dB(A)``; an empty unit means the canonical one."""
    return not given.strip() or _unit_key(given) == _unit_key(canonical)


class ReadingCheck:
    """:func:`check_reading` for one batch: what does not depend on the reading is worked out once.

    The time window follows from ``now``; whether a unit is the quantity's and whether a
    quality flag is well formed depend on a handful of distinct strings per batch, so each
    verdict is remembered for the batch (not longer: the batch, not an attacker, bounds it).
    The checks, their order and their reasons are exactly :func:`check_reading`'s.
    """

    def __init__(self, policy: DevicePolicy, now: datetime) -> None:
        self._quantities = policy.quantities
        self._latest = now + policy.max_future
        self._earliest = now - policy.max_age
        self._future_minutes = policy.max_future.total_seconds() / 60
        self._age_days = policy.max_age.days
        self._units: dict[tuple[str, str], bool] = {}
        self._qualities: dict[str, bool] = {}

    def __call__(self, quantity: str, measured_at: datetime, value: float, unit: str,
                 quality: str) -> tuple[datetime, float, QuantitySpec]:
        """Return ``(measured_at in UTC, value, quantity spec)`` or raise :class:`Refused`."""
        spec = self._quantities.get(quantity) if isinstance(quantity, str) else None
        if spec is None:
            raise Refused(f"unknown quantity {quantity!r}")
        if not isinstance(measured_at, datetime) or measured_at.tzinfo is None or measured_at.utcoffset() is None:
            raise Refused("measured_at must be a timezone-aware time")
        when = measured_at.astimezone(timezone.utc)
        if when > self._latest:
            raise Refused(f"measured_at is in the future ({when.isoformat()} is more than "
                          f"{self._future_minutes:g} minutes ahead)")
        if when < self._earliest:
            raise Refused(f"measured_at is too old (more than {self._age_days} days ago)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise Refused("value is not a number")
        number = float(value)
        if not math.isfinite(number):
            raise Refused("value is not finite (NaN or infinity)")
        if not spec.min <= number <= spec.max:
            raise Refused(f"value {number:g} is impossible for {quantity} (expected {spec.min:g} to {spec.max:g})")
        if not isinstance(unit, str) or not self._same_unit(quantity, unit, spec):
            raise Refused(f"unit {unit!r} is not {spec.unit!r} for {quantity}")
        if not isinstance(quality, str) or not self._well_formed(quality):
            raise Refused("quality must be 'ok' or a short flag")
        return when, number, spec

    def _same_unit(self, quantity: str, unit: str, spec: QuantitySpec) -> bool:
        known = self._units.get((quantity, unit))
        if known is None:
            known = self._units[(quantity, unit)] = same_unit(unit, spec.unit)
        return known

    def _well_formed(self, quality: str) -> bool:
        known = self._qualities.get(quality)
        if known is None:
            known = self._qualities[quality] = QUALITY.match(quality) is not None
        return known


def check_reading(quantity: str, measured_at: datetime, value: float, unit: str, quality: str,
                  policy: DevicePolicy, now: datetime) -> tuple[datetime, float, QuantitySpec]:
    """Return ``(measured_at in UTC, value, quantity spec)`` or raise :class:`Refused`."""
    return ReadingCheck(policy, now)(quantity, measured_at, value, unit, quality)
