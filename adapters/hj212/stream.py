"""Cutting a TCP byte stream into HJ 212 frames: split frames, several per packet, garbage.

TCP has no message boundaries: one ``read()`` may hold half a frame, three frames, or line
noise from a misconfigured modem. A frame runs from ``##`` to the first ``\\r\\n`` (a data
segment never holds CR, LF or ``##``); anything else is skipped and reported, and the reader
resynchronises on the next ``##``. Memory per connection stays bounded by one maximal frame.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .frame import HEADER, MAX_DATA_LENGTH, MAX_FRAME_BYTES, TRAILER, Frame, FrameError, parse_frame


@dataclass
class FrameReader:
    """Incremental frame reader for one connection.

    ``feed(chunk)`` returns, in stream order, the parsed :class:`Frame` objects and a
    :class:`FrameError` for every refused frame or run of garbage. ``close()`` reports a frame
    left incomplete when the connection ends.
    """

    _buffer: bytearray = field(default_factory=bytearray)
    # True while skipping the rest of an oversized frame up to its CRLF.
    _discarding: bool = False

    def feed(self, chunk: bytes) -> list[Frame | FrameError]:
        """Add received bytes; return what became complete."""
        self._buffer += chunk
        out: list[Frame | FrameError] = []
        while self._buffer:
            if self._discarding:
                end = self._buffer.find(TRAILER)
                if end < 0:
                    # Keep one byte: it may be the CR of a CRLF split across reads.
                    del self._buffer[:-1]
                    break
                del self._buffer[:end + 2]
                self._discarding = False
                continue
            start = self._buffer.find(HEADER)
            if start != 0:
                garbage = len(self._buffer) if start < 0 else start
                if start < 0 and self._buffer.endswith(b"#"):
                    garbage -= 1  # maybe the first half of the next "##"
                if garbage and not self._only_line_breaks(garbage):
                    out.append(FrameError("garbage", f"{garbage} bytes of garbage between frames"))
                del self._buffer[:garbage]
                if start < 0:
                    break
                continue
            item = self._take_frame()
            if item is None:
                break
            out.append(item)
        return out

    def close(self) -> FrameError | None:
        """The connection ended: a refusal for an incomplete frame left in the buffer, if any."""
        pending = bytes(self._buffer)
        self._buffer.clear()
        discarding, self._discarding = self._discarding, False
        if pending.startswith(HEADER) and not discarding:
            return FrameError("truncated", f"truncated frame ({len(pending)} bytes, connection ended)")
        return None

    @property
    def pending_bytes(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)

    def _take_frame(self) -> Frame | FrameError | None:
        """The frame at the start of the buffer, a refusal, or None while it is incomplete."""
        buf = self._buffer
        if len(buf) >= 6 and buf[2:6].isdigit() and int(buf[2:6]) > MAX_DATA_LENGTH:
            self._discarding = True
            del buf[:2]
            return FrameError("oversize", f"frame larger than {MAX_DATA_LENGTH} bytes "
                                          f"(length field {buf[:4].decode()})")
        end = buf.find(TRAILER)
        restart = buf.find(HEADER, 2)
        if restart >= 0 and (end < 0 or restart < end):
            # A new frame began before this one ended: this one was cut short.
            del buf[:restart]
            return FrameError("truncated", f"truncated frame ({restart} bytes, next frame began)")
        if end < 0:
            if len(buf) > MAX_FRAME_BYTES:
                self._discarding = True
                size = len(buf)
                buf.clear()
                return FrameError("oversize", f"frame larger than {MAX_DATA_LENGTH} bytes "
                                              f"(no end after {size} bytes)")
            return None
        raw = bytes(buf[:end + 2])
        del buf[:end + 2]
        try:
            return parse_frame(raw)
        except FrameError as exc:
            return exc

    def _only_line_breaks(self, count: int) -> bool:
        # Some devices send an extra CRLF between frames; that is not worth a warning.
        return all(b in b"\r\n" for b in self._buffer[:count])
