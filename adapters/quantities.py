"""The canonical quantities every adapter normalizes to, their units and plausible ranges.

Devices name the same measurement many ways (HJ 212 factor codes, vendor JSON keys, Modbus
register maps); rules and charts see only the canonical names below. A value outside the
plausible range is physically impossible for the sensor (a negative PM10, a 300 dB noise
level), so it is refused with a reason rather than stored or alarmed on.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Quantity:
    """A canonical quantity: its name, the unit values are stored in, and the plausible range."""

    name: str
    unit: str
    low: float
    high: float
    label: str


QUANTITIES: dict[str, Quantity] = {q.name: q for q in (
    Quantity("pm10", "µg/m³", 0, 20000, "PM10"),
    Quantity("pm25", "µg/m³", 0, 20000, "PM2.5"),
    Quantity("tsp", "µg/m³", 0, 50000, "TSP"),
    Quantity("noise_leq", "dB(A)", 0, 150, "noise Leq"),
    Quantity("noise_lmax", "dB(A)", 0, 160, "noise Lmax"),
    Quantity("wind_speed", "m/s", 0, 100, "wind speed"),
    Quantity("wind_direction", "°", 0, 360, "wind direction"),
    Quantity("temperature", "°C", -60, 80, "air temperature"),
    Quantity("humidity", "%", 0, 100, "relative humidity"),
    Quantity("pressure", "kPa", 30, 120, "air pressure"),
    Quantity("crane_load_pct", "%", 0, 300, "crane load (% of rated)"),
    Quantity("crane_moment_pct", "%", 0, 300, "crane moment (% of rated)"),
    Quantity("crane_load", "t", 0, 1000, "crane load"),
    Quantity("crane_height", "m", -50, 500, "hook height"),
    Quantity("crane_radius", "m", 0, 200, "working radius"),
    Quantity("crane_slew", "°", -720, 720, "slew angle"),
    Quantity("power_kwh", "kWh", 0, 1e12, "energy meter"),
    Quantity("power_kw", "kW", -1e6, 1e6, "active power"),
    Quantity("water_m3", "m³", 0, 1e12, "water meter"),
    Quantity("attendance_in", "count", 0, 1e6, "gate entries"),
    Quantity("attendance_out", "count", 0, 1e6, "gate exits"),
)}

# Names devices use for canonical quantities (lower-cased keys). HJ 212 factor codes have their
# own table in adapters/hj212/codes.py; this one serves the JSON payloads and register maps.
ALIASES: dict[str, str] = {
    "pm10": "pm10", "pm2.5": "pm25", "pm25": "pm25", "pm2_5": "pm25", "tsp": "tsp",
    "noise": "noise_leq", "leq": "noise_leq", "la": "noise_leq", "nois": "noise_leq",
    "noise_leq": "noise_leq", "lmax": "noise_lmax", "lmx": "noise_lmax", "noise_lmax": "noise_lmax",
    "wind": "wind_speed", "wind_speed": "wind_speed", "windspeed": "wind_speed", "ws": "wind_speed",
    "wind_direction": "wind_direction", "wd": "wind_direction",
    "temperature": "temperature", "temp": "temperature",
    "humidity": "humidity", "rh": "humidity", "pressure": "pressure",
    "load_pct": "crane_load_pct", "crane_load_pct": "crane_load_pct",
    "moment_pct": "crane_moment_pct", "crane_moment_pct": "crane_moment_pct",
    "load": "crane_load", "crane_load": "crane_load", "height": "crane_height",
    "crane_height": "crane_height", "radius": "crane_radius", "crane_radius": "crane_radius",
    "slew": "crane_slew", "crane_slew": "crane_slew",
    "kwh": "power_kwh", "power_kwh": "power_kwh", "kw": "power_kw", "power_kw": "power_kw",
    "water": "water_m3", "water_m3": "water_m3",
    "attendance_in": "attendance_in", "attendance_out": "attendance_out",
}

# Unit conversions into the canonical unit, keyed by folded spellings (see _unit_key).
_UNIT_FACTORS: dict[tuple[str, str], float] = {
    ("mg/m3", "ug/m3"): 1000.0,
    ("km/h", "m/s"): 1 / 3.6,
    ("pa", "kpa"): 0.001,
    ("hpa", "kpa"): 0.1,
    ("w", "kw"): 0.001,
    ("wh", "kwh"): 0.001,
    ("l", "m3"): 0.001,
}
# Spellings devices use for the same unit, after folding.
_UNIT_ALIASES = {"dba": "db(a)", "db": "db(a)", "deg": "°", "degc": "°c", "c": "°c", "pct": "%"}


def _unit_key(unit: str) -> str:
    """A unit folded for comparison: ``µg/m³``, ``ug/m3`` and ``μg/m3`` are one unit."""
    key = unit.strip().lower().replace(" ", "").replace("μ", "u").replace("µ", "u")
    key = key.replace("³", "3").replace("℃", "°c")
    return _UNIT_ALIASES.get(key, key)


# Quality vocabulary: "ok" or the HJ 212-2017 data flag it came from, spelled out.
QUALITY_FLAGS: dict[str, str] = {
    "N": "ok",            # instrument working normally
    "F": "stopped",       # 停运: source or instrument stopped
    "M": "maintenance",   # 维护
    "S": "manual",        # 手工输入设定值
    "D": "fault",         # 故障
    "C": "calibration",   # 校准
    "T": "over_range",    # 超测上限
    "B": "comm_error",    # 通讯异常
}
# "unknown": a flag letter the standard does not define.
QUALITIES = frozenset({*QUALITY_FLAGS.values(), "unknown"})


class ValueRefused(ValueError):
    """A value that cannot be a measurement; the message is the refusal reason."""


def canonical_name(name: str) -> str | None:
    """The canonical quantity for a device's name of it, or None when unknown."""
    key = name.strip().lower()
    if key in QUANTITIES:
        return key
    return ALIASES.get(key)


def to_canonical_unit(quantity: str, value: float, unit: str | None) -> float:
    """``value`` given in ``unit`` (None or empty: already canonical) in the quantity's unit.

    Raises:
        ValueRefused: the unit cannot be converted to the canonical one.
    """
    target = QUANTITIES[quantity].unit
    if unit is None or not unit.strip():
        return value
    given, wanted = _unit_key(unit), _unit_key(target)
    if given == wanted:
        return value
    factor = _UNIT_FACTORS.get((given, wanted))
    if factor is None:
        raise ValueRefused(f"unit {unit!r} cannot be converted to {target} for {quantity}")
    return value * factor


def finite_number(quantity: str, value: object) -> float:
    """``value`` as a float if it is a finite JSON number (booleans are not numbers).

    Raises:
        ValueRefused: not a number, NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueRefused(f"{quantity}: value {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueRefused(f"{quantity}: value {number} is not finite")
    return number


def check_value(quantity: str, value: object) -> float:
    """``value`` as a float after the plausibility checks.

    Raises:
        ValueRefused: not a number, NaN or infinite, or outside the quantity's plausible range.
    """
    number = finite_number(quantity, value)
    spec = QUANTITIES[quantity]
    if not spec.low <= number <= spec.high:
        raise ValueRefused(f"{quantity}: value {number:g} {spec.unit} is impossible "
                           f"(plausible range {spec.low:g}..{spec.high:g})")
    return number
