"""One batch of raw MQTT messages → parsed readings → one sink transaction, and what it did.

This runs wherever the batch is committed (a worker thread, or the commit process of
``adapters/mqtt/commit_process.py``), not in the network thread: parsing is a third of the
per-message work, and the network thread's only job is to keep up with the broker. What
the batch did comes back as a small picklable :class:`HandledBatch`; the network thread
counts it and acknowledges the messages.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..readings import BatchResult, Reading
from .payload import PayloadRefused, message_readings

# (topic, payload) as received: cheap to pickle, unlike parsed readings.
RawMessage = tuple[str, bytes]
# (adapter, kind, reason, source), as IngestStats.refuse takes them.
Refusal = tuple[str, str, str, str]


@dataclass
class HandledBatch:
    """What one committed batch did.

    Attributes:
        accepted: messages that parsed (possibly with some values refused).
        readings: readings handed to the sink.
        stored, duplicates, alarms_raised: the sink's counts.
        refusals: messages, values and readings refused, with their reasons.
        seconds: how long the sink's transaction took.
    """

    accepted: int = 0
    readings: int = 0
    stored: int = 0
    duplicates: int = 0
    alarms_raised: int = 0
    refusals: list[Refusal] = field(default_factory=list)
    seconds: float = 0.0


def handle_messages(write: Callable[[Sequence[Reading]], BatchResult], messages: Sequence[RawMessage]) -> HandledBatch:
    """Parse ``messages`` and write their readings with ``write`` (one sink transaction).

    Raises:
        Exception: whatever ``write`` raised; nothing was committed.
    """
    handled = HandledBatch()
    readings: list[Reading] = []
    for topic, payload in messages:
        try:
            found, refused = message_readings(topic, payload)
        except PayloadRefused as exc:
            handled.refusals.append(("mqtt", exc.kind, str(exc), topic))
            continue
        for reason in refused:
            handled.refusals.append(("mqtt", "value", reason, topic))
        handled.accepted += 1
        readings.extend(found)
    handled.readings = len(readings)
    started = time.perf_counter()
    result = write(readings)
    handled.seconds = time.perf_counter() - started
    handled.stored, handled.duplicates, handled.alarms_raised = result.stored, result.duplicates, result.alarms_raised
    handled.refusals.extend((r.device.protocol, "sink", reason, r.device.identity) for r, reason in result.refused)
    return handled
