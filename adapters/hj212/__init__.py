"""HJ 212-2017 over TCP: frame parsing, replies, conversion to readings, the listener."""
from __future__ import annotations

from .convert import frame_readings, parse_data_time
from .crc import crc16, crc16_hex
from .frame import MAX_DATA_LENGTH, Frame, FrameError, encode_frame, parse_frame, parse_segment
from .reply import reply_for
from .stream import FrameReader

__all__ = [
    "MAX_DATA_LENGTH", "Frame", "FrameError", "FrameReader", "crc16", "crc16_hex", "encode_frame",
    "frame_readings", "parse_data_time", "parse_frame", "parse_segment", "reply_for",
]
