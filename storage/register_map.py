"""Modbus register maps: where each quantity lives in a vendor's registers, kept as configuration.

Vendors lay out registers differently (DOMAIN §1.6), so a Modbus device carries a map, one
entry per quantity::

    [{"quantity": "pm10", "address": 0, "data_type": "uint16", "scale": 0.1, "unit": "µg/m³"},
     {"quantity": "wind_speed", "address": 2, "count": 2, "data_type": "float32", "unit": "m/s"}]

``count`` defaults to the data type's width and must match it; ``scale`` (default 1) and
``offset`` (default 0) give ``value = raw * scale + offset``; ``table`` is ``holding`` (default)
or ``input``; ``word_order`` is ``big`` (default) or ``little`` for multi-register values.
:func:`parse_register_map` checks a map and returns it normalized (every key present), which
is the form stored on the device and read by the Modbus poller.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

# Registers (16 bits each) taken by each data type.
DATA_TYPE_WIDTH = {
    "uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2, "uint64": 4, "int64": 4, "float64": 4,
}
TABLES = ("holding", "input")
WORD_ORDERS = ("big", "little")
QUANTITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_ENTRIES = 64
MAX_ADDRESS = 65535
ALLOWED_KEYS = frozenset({"quantity", "address", "count", "data_type", "scale", "offset", "unit", "table",
                          "word_order"})


class RegisterMapError(ValueError):
    """A register map was refused; ``errors`` maps entry index (or ``"_map"``) to messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class RegisterEntry:
    """One quantity read from ``count`` registers starting at ``address``."""

    quantity: str
    address: int
    count: int
    data_type: str
    scale: float
    offset: float
    unit: str
    table: str
    word_order: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entry(raw: Any) -> tuple[RegisterEntry | None, list[str]]:
    if not isinstance(raw, Mapping):
        return None, ["must be an object"]
    problems: list[str] = []
    unknown = set(raw) - ALLOWED_KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
    quantity = raw.get("quantity")
    if not isinstance(quantity, str) or not QUANTITY_NAME.match(quantity):
        problems.append("quantity must be a lower-case name such as 'pm10'")
    data_type = raw.get("data_type")
    if data_type not in DATA_TYPE_WIDTH:
        problems.append(f"data_type must be one of {', '.join(DATA_TYPE_WIDTH)}")
    width = DATA_TYPE_WIDTH.get(data_type, 1) if isinstance(data_type, str) else 1
    address = raw.get("address")
    if not _integer(address) or not 0 <= address <= MAX_ADDRESS:
        problems.append(f"address must be an integer from 0 to {MAX_ADDRESS}")
        address = None
    count = raw.get("count", width)
    if not _integer(count) or (data_type in DATA_TYPE_WIDTH and count != width):
        problems.append(f"count must be {width} for {data_type}" if data_type in DATA_TYPE_WIDTH
                        else "count must be an integer")
    elif address is not None and address + count - 1 > MAX_ADDRESS:
        problems.append(f"the registers run past address {MAX_ADDRESS}")
    scale, offset = raw.get("scale", 1), raw.get("offset", 0)
    if not _number(scale) or scale == 0:
        problems.append("scale must be a finite, non-zero number")
    if not _number(offset):
        problems.append("offset must be a finite number")
    unit = raw.get("unit")
    if not isinstance(unit, str) or len(unit) > 16:
        problems.append("unit must be text of at most 16 characters")
    table = raw.get("table", "holding")
    if table not in TABLES:
        problems.append(f"table must be one of {', '.join(TABLES)}")
    word_order = raw.get("word_order", "big")
    if word_order not in WORD_ORDERS:
        problems.append(f"word_order must be one of {', '.join(WORD_ORDERS)}")
    if problems:
        return None, problems
    return RegisterEntry(quantity, address, count, data_type, float(scale), float(offset), unit, table,
                         word_order), []


def parse_register_map(raw: Any) -> list[RegisterEntry]:
    """Check a register map; return its entries.

    Raises:
        RegisterMapError: not a non-empty list, a bad entry, a quantity listed twice, or two
            entries of the same table sharing a register.
    """
    if not isinstance(raw, list) or not raw:
        raise RegisterMapError({"_map": ["must be a non-empty list of register entries"]})
    if len(raw) > MAX_ENTRIES:
        raise RegisterMapError({"_map": [f"at most {MAX_ENTRIES} entries"]})
    errors: dict[str, list[str]] = {}
    entries: list[RegisterEntry] = []
    for index, item in enumerate(raw):
        entry, problems = _entry(item)
        if problems:
            errors[str(index)] = problems
        elif entry is not None:
            entries.append(entry)
    if errors:
        raise RegisterMapError(errors)
    seen: dict[str, int] = {}
    used: dict[tuple[str, int], str] = {}
    for index, entry in enumerate(entries):
        if entry.quantity in seen:
            errors.setdefault(str(index), []).append(f"quantity {entry.quantity!r} is already mapped")
        seen[entry.quantity] = index
        for address in range(entry.address, entry.address + entry.count):
            other = used.get((entry.table, address))
            if other is not None:
                errors.setdefault(str(index), []).append(f"register {address} is already used by {other!r}")
                break
            used[(entry.table, address)] = entry.quantity
    if errors:
        raise RegisterMapError(errors)
    return entries


def normalize_register_map(raw: Any) -> list[dict[str, Any]]:
    """The stored form of a valid map (every key explicit). Raises RegisterMapError."""
    return [entry.as_dict() for entry in parse_register_map(raw)]
