"""HJ 212-2017 frames: parse one complete frame, or build one around a data segment.

A frame is ``##`` + 4 decimal digits (the data segment's length, at most 1024) + the data
segment + 4 hex digits of CRC-16 over the data segment + ``\\r\\n``. The data segment is
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&``; CP holds groups separated by
``;``, each a ``,``-separated list of ``key=value``, where a factor's field is keyed
``code-Field`` (``a34002-Rtd=83.1``, ``a34002-Flag=N``).

Every refusal raises :class:`FrameError` with a ``kind`` for counting and a precise reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .crc import crc16_hex

HEADER = b"##"
TRAILER = b"\r\n"
MAX_DATA_LENGTH = 1024
# ## + length + data + CRC + CRLF
OVERHEAD = 2 + 4 + 4 + 2
MAX_FRAME_BYTES = MAX_DATA_LENGTH + OVERHEAD

# Flag bits (HJ 212-2017 §6.3.3): V5..V0 D A — A: the receiver must answer; D: the frame
# carries packet numbering (PNUM/PNO); the version bits are 000001 for HJ 212-2017.
FLAG_ACK = 0b01
FLAG_PACKETS = 0b10

_REQUIRED = ("ST", "CN", "MN")
_HEADER_KEYS = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_DIGITS = re.compile(r"\d+")
_CRC = re.compile(r"[0-9A-Fa-f]{4}")


class FrameError(ValueError):
    """A refused frame: ``kind`` for counting, the message for people."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass(frozen=True)
class Frame:
    """A parsed HJ 212 frame.

    Attributes:
        qn: request number ``YYYYMMDDhhmmsszzz`` (None when the device sent none).
        st: system code (22 air quality, 23 noise, 91 system interaction, …).
        cn: command code (2011 real-time data, 2051 minute, 2061 hourly, 2031 daily, …).
        pw: access password.
        mn: the device's unique identifier.
        flag: the Flag field (0 when absent, as in HJ 212-2005 frames).
        pnum, pno: packet count and number when the frame is split (Flag D bit).
        cp: CP keys that are not factor fields (``DataTime``, ``RtdInterval``, …).
        factors: factor code → field → raw value (``{"a34002": {"Rtd": "83.1", "Flag": "N"}}``).
        segment: the data segment as received.
    """

    qn: str | None
    st: str
    cn: str
    pw: str | None
    mn: str
    flag: int
    pnum: int | None
    pno: int | None
    cp: dict[str, str] = field(default_factory=dict)
    factors: dict[str, dict[str, str]] = field(default_factory=dict)
    segment: str = ""

    @property
    def wants_reply(self) -> bool:
        """Whether the sender asked for an answer (Flag bit A)."""
        return bool(self.flag & FLAG_ACK)

    @property
    def version_bits(self) -> int:
        """The protocol version bits of Flag (1 for HJ 212-2017, 0 for older devices)."""
        return self.flag >> 2


def encode_frame(segment: str) -> bytes:
    """A complete frame around ``segment`` (length, CRC and CRLF added).

    Raises:
        ValueError: the segment is not ASCII or longer than 1024 bytes.
    """
    data = segment.encode("ascii")
    if len(data) > MAX_DATA_LENGTH:
        raise ValueError(f"data segment of {len(data)} bytes exceeds {MAX_DATA_LENGTH}")
    return HEADER + f"{len(data):04d}".encode() + data + crc16_hex(data).encode() + TRAILER


def parse_frame(raw: bytes) -> Frame:
    """Parse one complete frame, ``##`` through ``\\r\\n``.

    Raises:
        FrameError: the frame is malformed; ``kind`` is one of ``framing``, ``truncated``,
            ``oversize``, ``length``, ``crc``, ``encoding``, ``field``.
    """
    if not raw.startswith(HEADER):
        raise FrameError("framing", "frame does not start with ##")
    if not raw.endswith(TRAILER) or len(raw) < OVERHEAD:
        raise FrameError("truncated", "truncated frame")
    length_text = raw[2:6]
    if not length_text.isdigit():
        raise FrameError("framing", f"length field {length_text.decode('latin-1')!r} is not 4 decimal digits")
    declared = int(length_text)
    if declared > MAX_DATA_LENGTH:
        raise FrameError("oversize", f"frame larger than {MAX_DATA_LENGTH} bytes "
                                     f"(length field {length_text.decode()})")
    data = raw[6:-6]
    if len(data) != declared:
        raise FrameError("length", f"length field {length_text.decode()} but data segment "
                                   f"has {len(data)} bytes")
    crc_text = raw[-6:-2].decode("latin-1")
    if not _CRC.fullmatch(crc_text):
        raise FrameError("crc", f"CRC field {crc_text!r} is not 4 hex digits")
    computed = crc16_hex(data)
    if crc_text.upper() != computed:
        raise FrameError("crc", f"CRC mismatch: frame says {crc_text.upper()}, computed {computed}")
    try:
        segment = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise FrameError("encoding", f"data segment is not ASCII (byte {exc.start})") from None
    return parse_segment(segment)


def parse_segment(segment: str) -> Frame:
    """Parse a data segment (``QN=…;…;CP=&&…&&``) into a :class:`Frame`.

    Raises:
        FrameError: a required field is missing or a field has the wrong form (kind ``field``).
    """
    head, sep, rest = segment.partition("CP=&&")
    if not sep:
        raise FrameError("field", "missing CP (or CP does not start with &&)")
    if not rest.endswith("&&"):
        raise FrameError("field", "CP does not end with &&")
    fields = _header_fields(head)
    for key in _REQUIRED:
        if not fields.get(key):
            raise FrameError("field", f"missing {key}")
    _check_form(fields)
    cp, factors = _parse_cp(rest[:-2])
    return Frame(
        qn=fields.get("QN"),
        st=fields["ST"],
        cn=fields["CN"],
        pw=fields.get("PW"),
        mn=fields["MN"],
        flag=int(fields.get("Flag", "0")),
        pnum=int(fields["PNUM"]) if "PNUM" in fields else None,
        pno=int(fields["PNO"]) if "PNO" in fields else None,
        cp=cp,
        factors=factors,
        segment=segment,
    )


def _header_fields(head: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for part in head.split(";"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise FrameError("field", f"header field {part!r} has no '='")
        if key not in _HEADER_KEYS:
            raise FrameError("field", f"unknown header field {key!r}")
        if key in fields:
            raise FrameError("field", f"duplicate header field {key}")
        fields[key] = value
    return fields


def _check_form(fields: dict[str, str]) -> None:
    qn = fields.get("QN")
    if qn is not None and not (len(qn) == 17 and qn.isdigit()):
        raise FrameError("field", f"QN {qn!r} is not 17 digits (YYYYMMDDhhmmsszzz)")
    if not (len(fields["ST"]) == 2 and fields["ST"].isdigit()):
        raise FrameError("field", f"ST {fields['ST']!r} is not 2 digits")
    if not (len(fields["CN"]) == 4 and fields["CN"].isdigit()):
        raise FrameError("field", f"CN {fields['CN']!r} is not 4 digits")
    if len(fields["MN"]) > 24:
        raise FrameError("field", f"MN {fields['MN']!r} is longer than 24 characters")
    for key in ("Flag", "PNUM", "PNO"):
        value = fields.get(key)
        if value is not None and not _DIGITS.fullmatch(value):
            raise FrameError("field", f"{key} {value!r} is not a number")
    if "Flag" in fields and int(fields["Flag"]) & FLAG_PACKETS and not ("PNUM" in fields and "PNO" in fields):
        raise FrameError("field", "Flag announces packet numbering but PNUM/PNO are missing")


def _parse_cp(body: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    cp: dict[str, str] = {}
    factors: dict[str, dict[str, str]] = {}
    for group in body.split(";"):
        for item in group.split(","):
            if not item:
                continue
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise FrameError("field", f"CP item {item!r} is not key=value")
            code, dash, name = key.partition("-")
            if dash and code and name:
                factors.setdefault(code, {})[name] = value
            else:
                cp[key] = value
    return cp, factors
