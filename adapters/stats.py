"""Counting and logging what adapters accepted and refused, with the reason for each refusal.

Every refusal (a frame with a bad CRC, malformed JSON, a Modbus timeout…) is counted under
``(adapter, kind)`` and logged once with its precise reason and where it came from, so an
operator can tell a broken device from a broken network without a debugger.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger("oversite.ingest")


@dataclass
class IngestStats:
    """Thread-safe counters shared by the adapters of one ingest process.

    Attributes:
        accepted: messages/frames/polls that produced readings, per adapter.
        readings: readings handed to the sink, per adapter.
        refused: refusals per ``(adapter, kind)``.
        last_reason: the last refusal reason per ``(adapter, kind)`` (for status output).
    """

    accepted: Counter[str] = field(default_factory=Counter)
    readings: Counter[str] = field(default_factory=Counter)
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)
    last_reason: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accept(self, adapter: str, readings: int = 0) -> None:
        """Count one accepted unit of input that produced ``readings`` readings."""
        with self._lock:
            self.accepted[adapter] += 1
            self.readings[adapter] += readings

    def accept_many(self, adapter: str, units: int, readings: int) -> None:
        """Count ``units`` accepted units of input that produced ``readings`` readings in all."""
        with self._lock:
            self.accepted[adapter] += units
            self.readings[adapter] += readings

    def refuse(self, adapter: str, kind: str, reason: str, source: str = "") -> None:
        """Count and log a refusal.

        Args:
            adapter: ``mqtt``, ``hj212``, ``modbus``.
            kind: a short stable code for aggregation (``crc``, ``json``, ``timeout``…).
            reason: the precise, human-readable reason.
            source: where the input came from (peer address, topic, gateway).
        """
        with self._lock:
            self.refused[(adapter, kind)] += 1
            self.last_reason[(adapter, kind)] = reason
        where = f" from {source}" if source else ""
        log.warning("%s refused input%s: %s", adapter, where, reason)

    def refused_count(self, adapter: str | None = None, kind: str | None = None) -> int:
        """Refusals matching ``adapter`` and ``kind`` (None matches any)."""
        with self._lock:
            return sum(n for (a, k), n in self.refused.items()
                       if (adapter is None or a == adapter) and (kind is None or k == kind))

    def snapshot(self) -> dict[str, object]:
        """A JSON-plain copy of the counters (for logs and the CLI's final summary)."""
        with self._lock:
            return {
                "accepted": dict(self.accepted),
                "readings": dict(self.readings),
                "refused": {f"{a}.{k}": n for (a, k), n in sorted(self.refused.items())},
            }
