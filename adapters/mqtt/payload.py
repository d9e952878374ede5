"""MQTT topics and payloads → readings.

Topics: ``oversite/{project_code}/{device_code}/readings`` carries JSON;
``oversite/{project_code}/{device_code}/hj212`` carries one raw HJ 212 frame. The device is
``DeviceRef("mqtt", "{project_code}/{device_code}")`` for both.

The JSON shape (docs/ingest.md)::

    {"ts": "2024-01-05T10:30:00+08:00",         # required: ISO 8601 (no offset = Beijing time)
                                                #   or Unix seconds as a number
     "values": {"pm10": 83.1, "noise": 62.5},   # required: canonical names or their aliases
     "units": {"pm10": "mg/m3"},                # optional: unit per key, else the canonical one
     "quality": "ok" or {"pm10": "fault"},      # optional: adapters.quantities.QUALITIES
     "id": "0042"}                              # optional: message id, for deduplication

A message with a malformed envelope is refused whole; a bad value is refused alone.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from datetime import datetime, timezone
from typing import Any

from ..hj212 import FrameError, frame_readings, parse_frame
from ..hj212.convert import BEIJING
from ..quantities import (
    QUALITIES, QUANTITIES, ValueRefused, canonical_name, check_value, finite_number, to_canonical_unit,
)
from ..readings import DeviceRef, Reading
from .settings import TOPIC_PREFIX

MAX_PAYLOAD_BYTES = 64 * 1024


class PayloadRefused(ValueError):
    """A message refused whole: ``kind`` for counting, the message for people."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


# Topics seen recently, parsed: a device sends on the same topic all day. Bounded, since
# anyone may publish on the subscribed filters; a refused topic raises and is not kept.
TOPIC_CACHE_SIZE = 16384


@functools.lru_cache(maxsize=TOPIC_CACHE_SIZE)
def parse_topic(topic: str) -> tuple[DeviceRef, str]:
    """The device and kind (``readings`` or ``hj212``) a topic names.

    Raises:
        PayloadRefused: kind ``topic``, the topic is not one Oversite subscribes to.
    """
    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != TOPIC_PREFIX or parts[3] not in ("readings", "hj212") \
            or not parts[1] or not parts[2]:
        raise PayloadRefused("topic", f"unknown topic {topic!r}")
    return DeviceRef("mqtt", f"{parts[1]}/{parts[2]}"), parts[3]


def message_readings(topic: str, payload: bytes) -> tuple[list[Reading], list[str]]:
    """The readings one message carries, and a reason for each value refused on its own.

    Raises:
        PayloadRefused: the topic, the JSON envelope or the HJ 212 frame is unusable.
    """
    device, kind = parse_topic(topic)
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadRefused("size", f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    if kind == "hj212":
        return _frame_readings(device, payload)
    return _json_readings(device, topic, payload)


def _frame_readings(device: DeviceRef, payload: bytes) -> tuple[list[Reading], list[str]]:
    raw = payload if payload.endswith(b"\r\n") else payload + b"\r\n"
    try:
        frame = parse_frame(raw)
    except FrameError as exc:
        raise PayloadRefused(f"hj212_{exc.kind}", str(exc)) from None
    readings, refused = frame_readings(frame)
    return [dataclasses.replace(r, device=device) for r in readings], refused


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


# One decoder for every message: json.loads with an option builds a new one each call, which
# cost as much as the decoding itself. A decoder keeps no state between calls.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _decode(payload: bytes) -> Any:
    # As json.loads does with bytes: UTF-8, -16 or -32, told apart by the first bytes.
    return _DECODER.decode(payload.decode(json.detect_encoding(payload), "surrogatepass"))


def _json_readings(device: DeviceRef, topic: str, payload: bytes) -> tuple[list[Reading], list[str]]:
    try:
        body = _decode(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadRefused("json", f"malformed JSON: {exc}") from None
    if not isinstance(body, dict):
        raise PayloadRefused("json", f"payload is a JSON {type(body).__name__}, not an object")
    measured_at = _timestamp(body.get("ts"))
    values = body.get("values")
    if not isinstance(values, dict) or not values:
        raise PayloadRefused("json", "'values' must be a non-empty object")
    units = _mapping(body, "units")
    qualities = body.get("quality", "ok")
    if not isinstance(qualities, (str, dict)):
        raise PayloadRefused("json", "'quality' must be a string or an object")
    message_id = body.get("id")
    digest = str(message_id) if message_id is not None else hashlib.sha1(payload).hexdigest()[:20]
    source_id = f"mqtt:{topic}:{digest}"
    readings: list[Reading] = []
    refused: list[str] = []
    for key, raw in values.items():
        quantity = canonical_name(str(key))
        if quantity is None:
            refused.append(f"unknown quantity {key!r}")
            continue
        quality = qualities if isinstance(qualities, str) else qualities.get(key, "ok")
        if quality not in QUALITIES:
            refused.append(f"{key}: unknown quality {quality!r}")
            continue
        try:
            value = check_value(quantity, to_canonical_unit(quantity, finite_number(quantity, raw), units.get(key)))
        except ValueRefused as exc:
            refused.append(str(exc))
            continue
        readings.append(Reading(device, measured_at, quantity, value, QUANTITIES[quantity].unit,
                                quality, source_id))
    return readings, refused


def _mapping(body: dict[str, Any], key: str) -> dict[str, str]:
    value = body.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadRefused("json", f"'{key}' must be an object of strings")
    return value


def _timestamp(value: object) -> datetime:
    if isinstance(value, bool) or value is None:
        raise PayloadRefused("json", "'ts' is missing")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise PayloadRefused("json", f"'ts' {value} is not a time")
        seconds = value / 1000 if value > 1e11 else value  # milliseconds, as JavaScript sends
        try:
            return datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise PayloadRefused("json", f"'ts' {value} is out of range") from None
    if not isinstance(value, str):
        raise PayloadRefused("json", f"'ts' must be an ISO 8601 string or a number, not {type(value).__name__}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise PayloadRefused("json", f"'ts' {value!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)  # site devices keep local time
    return moment.astimezone(timezone.utc)
