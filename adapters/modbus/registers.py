"""Register maps: where a quantity lives in a Modbus device and how to decode it.

Vendors differ in everything (DOMAIN §1.6): the address, whether a 32-bit value puts its high
word first (word order) and whether each register's bytes are swapped (byte order), the
scale (``raw × scale + offset``) and the unit. So a map is configuration, one
:class:`RegisterSpec` per quantity, e.g.::

    {"quantity": "crane_load_pct", "address": 10, "type": "float32",
     "word_order": "little", "scale": 1, "unit": "%", "table": "holding"}

The device registry's normalized maps (``storage.register_map``: ``data_type``, ``count``) are
accepted as they are.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..quantities import canonical_name

# type → (registers, struct format of the big-endian bytes)
DATA_TYPES: dict[str, tuple[int, str]] = {
    "int16": (1, ">h"),
    "uint16": (1, ">H"),
    "int32": (2, ">i"),
    "uint32": (2, ">I"),
    "float32": (2, ">f"),
    "int64": (4, ">q"),
    "uint64": (4, ">Q"),
    "float64": (4, ">d"),
}
ORDERS = ("big", "little")
TABLES = ("holding", "input")
MAX_READ = 125  # registers per read request (Modbus application protocol §6.3)


class RegisterMapError(ValueError):
    """A register map entry that cannot be used; the message says which field and why."""


@dataclass(frozen=True)
class RegisterSpec:
    """One quantity in a device's registers."""

    quantity: str
    address: int
    data_type: str = "uint16"
    byte_order: str = "big"
    word_order: str = "big"
    scale: float = 1.0
    offset: float = 0.0
    unit: str | None = None
    table: str = "holding"

    @property
    def count(self) -> int:
        """Registers the value occupies."""
        return DATA_TYPES[self.data_type][0]

    def decode(self, registers: Sequence[int]) -> float:
        """The engineering value of ``registers`` (exactly :attr:`count` of them)."""
        words = list(registers)
        if self.word_order == "little":
            words.reverse()
        raw = b"".join(w.to_bytes(2, "big") if self.byte_order == "big" else w.to_bytes(2, "little")
                       for w in words)
        (number,) = struct.unpack(DATA_TYPES[self.data_type][1], raw)
        return float(number) * self.scale + self.offset


@dataclass(frozen=True)
class Block:
    """Contiguous registers read in one request, and the specs they serve."""

    table: str
    address: int
    count: int
    specs: tuple[RegisterSpec, ...]

    def values(self, registers: Sequence[int]) -> list[tuple[RegisterSpec, float]]:
        """Each spec's decoded value from this block's registers."""
        return [(s, s.decode(registers[s.address - self.address:s.address - self.address + s.count]))
                for s in self.specs]


def spec_from_mapping(entry: Mapping[str, Any]) -> RegisterSpec:
    """A :class:`RegisterSpec` from configuration.

    Raises:
        RegisterMapError: an unknown quantity, type, order or table, or a bad address/scale.
    """
    name = str(entry.get("quantity", ""))
    quantity = canonical_name(name)
    if quantity is None:
        raise RegisterMapError(f"unknown quantity {name!r}")
    address = entry.get("address")
    if isinstance(address, bool) or not isinstance(address, int) or not 0 <= address <= 65535:
        raise RegisterMapError(f"{name}: address must be an integer 0..65535, not {address!r}")
    # "data_type" is the registry's spelling (storage.register_map), "type" the short one.
    data_type = str(entry.get("data_type", entry.get("type", "uint16")))
    if data_type not in DATA_TYPES:
        raise RegisterMapError(f"{name}: type must be one of {', '.join(DATA_TYPES)}, not {data_type!r}")
    count = entry.get("count")
    if count is not None and count != DATA_TYPES[data_type][0]:
        raise RegisterMapError(f"{name}: count {count!r} does not match {data_type} "
                               f"({DATA_TYPES[data_type][0]} registers)")
    byte_order, word_order = str(entry.get("byte_order", "big")), str(entry.get("word_order", "big"))
    if byte_order not in ORDERS or word_order not in ORDERS:
        raise RegisterMapError(f"{name}: byte_order and word_order must be 'big' or 'little'")
    table = str(entry.get("table", "holding"))
    if table not in TABLES:
        raise RegisterMapError(f"{name}: table must be 'holding' or 'input', not {table!r}")
    try:
        scale, offset = float(entry.get("scale", 1)), float(entry.get("offset", 0))
    except (TypeError, ValueError):
        raise RegisterMapError(f"{name}: scale and offset must be numbers") from None
    unit = entry.get("unit") or None
    return RegisterSpec(quantity, address, data_type, byte_order, word_order, scale, offset,
                        str(unit) if unit is not None else None, table)


def plan_reads(specs: Iterable[RegisterSpec]) -> list[Block]:
    """Group specs into as few reads as possible: contiguous registers, at most 125 each.

    Only registers the map names are read: a gap could be undefined in the device and turn
    the whole read into an "illegal data address" exception.
    """
    blocks: list[Block] = []
    for spec in sorted(specs, key=lambda s: (s.table, s.address)):
        last = blocks[-1] if blocks else None
        if (last is not None and last.table == spec.table and spec.address == last.address + last.count
                and last.count + spec.count <= MAX_READ):
            blocks[-1] = Block(last.table, last.address, last.count + spec.count, (*last.specs, spec))
        else:
            blocks.append(Block(spec.table, spec.address, spec.count, (spec,)))
    return blocks
