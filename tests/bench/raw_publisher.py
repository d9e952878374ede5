"""A QoS 1 MQTT 5 publisher that costs the benchmark machine almost nothing (ingest_bench (c)).

Why not paho. In (c) the load stands for thousands of devices on other machines, but the
benchmark runs it on the ingest's own two cores: paho's Python publish path (a packet
object, a wake-up of its network thread and the PUBACK bookkeeping per message) took ~0.8
of a core at 5,000 messages/s - more than the whole ingest (its network thread and commit
process together), so (c) mostly measured the load generator. This one writes the same
PUBLISH packets (same topics, payloads, QoS 1, at most ``max_inflight`` unacknowledged, as
paho was configured) straight to the socket, several per system call, and counts PUBACKs
in a reader thread; it waits for every acknowledgement before it disconnects, as (c) did.
"""
from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack(">H", len(data)) + data


class RawPublisher:
    """Connects with a clean MQTT 5 session and publishes QoS 1 messages.

    ``publish`` only queues; ``pump`` sends what the in-flight window allows. ``close``
    waits until the broker acknowledged everything, then disconnects.
    """

    def __init__(self, host: str, port: int, client_id: str, max_inflight: int = 1000) -> None:
        self._sock = socket.create_connection((host, port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connect = b"\x00\x04MQTT\x05\x02" + struct.pack(">H", 60) + b"\x00" + _utf8(client_id)
        self._sock.sendall(_packet(0x10, connect))
        self._buffer = b""
        first, body = self._read_packet()
        if first >> 4 != 2 or body[1] != 0:
            raise ConnectionError(f"broker refused the connection (CONNACK {body!r})")
        self._max_inflight = max_inflight
        self._pending: deque[bytes] = deque()
        self._inflight = 0
        self._next_id = 0
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._reader.start()

    def publish(self, topic: str, payload: bytes) -> None:
        self._next_id = self._next_id % 65535 + 1  # never 0; 65,535 ids >> the in-flight window
        body = _utf8(topic) + struct.pack(">H", self._next_id) + b"\x00" + payload
        self._pending.append(_packet(0x32, body))

    def pump(self) -> None:
        """Send as many queued messages as the in-flight window allows, in one write."""
        with self._lock:
            room = min(self._max_inflight - self._inflight, len(self._pending))
            self._inflight += room
        if room:
            self._sock.sendall(b"".join(self._pending.popleft() for _ in range(room)))

    def close(self, timeout: float) -> None:
        """Send everything, wait for every PUBACK, disconnect."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump()
            with self._lock:
                if not self._pending and not self._inflight:
                    break
                if not self._lock.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"{self._inflight} messages still unacknowledged")
        self._sock.sendall(b"\xe0\x00")
        self._sock.close()

    def _read_packet(self) -> tuple[int, bytes]:
        while True:
            if len(self._buffer) >= 2:
                length, shift, pos = 0, 0, 1
                while pos < len(self._buffer):
                    byte = self._buffer[pos]
                    length += (byte & 0x7F) << shift
                    shift, pos = shift + 7, pos + 1
                    if not byte & 0x80:
                        if len(self._buffer) >= pos + length:
                            first, body = self._buffer[0], self._buffer[pos:pos + length]
                            self._buffer = self._buffer[pos + length:]
                            return first, body
                        break
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("broker closed the connection")
            self._buffer += chunk

    def _read_acks(self) -> None:
        try:
            while True:
                first, body = self._read_packet()
                if first >> 4 == 4:  # PUBACK (a reason code >= 0x80 would be a refusal)
                    if len(body) > 2 and body[2] >= 0x80:
                        raise ConnectionError(f"broker refused a message (reason {body[2]:#x})")
                    with self._lock:
                        self._inflight -= 1
                        self._lock.notify_all()
        except OSError:
            return
