"""The HJ 212 CRC-16 (DOMAIN §1.6): init 0xFFFF, polynomial 0xA001, over the data segment.

HJ 212 folds each byte in as ``crc = (crc >> 8) ^ byte`` — not the usual Modbus
``crc ^= byte`` — so a generic CRC-16/MODBUS library gives the wrong answer.
"""
from __future__ import annotations


def _table() -> tuple[int, ...]:
    # The 8 shift steps depend only on the low byte after the fold, so they can be tabulated.
    table = []
    for low in range(256):
        crc = low
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _table()


def crc16(data: bytes) -> int:
    """The HJ 212 CRC-16 of ``data`` (the data segment, without ``##``, length or CRC)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        # (crc >> 8) leaves the high byte of the fold; its 8 shift steps act on the low byte
        # and XOR the high byte shifted right by 8 bits along the way.
        crc = (crc >> 8) ^ _TABLE[crc & 0xFF]
    return crc


def crc16_hex(data: bytes) -> str:
    """``crc16(data)`` as the 4 upper-case hex digits a frame carries."""
    return f"{crc16(data):04X}"
