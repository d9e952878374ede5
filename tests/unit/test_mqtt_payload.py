"""MQTT topics and JSON payloads: the documented shape, aliases, units, and every refusal."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from adapters.hj212 import encode_frame
from adapters.mqtt import PayloadRefused, message_readings, parse_mqtt_url
from adapters.mqtt.settings import MqttSettings, settings_from_config
from adapters.readings import DeviceRef

TOPIC = "oversite/P1/DN1/readings"


def refused(topic: str, payload: bytes) -> PayloadRefused:
    with pytest.raises(PayloadRefused) as info:
        message_readings(topic, payload)
    return info.value


def test_documented_shape_with_aliases_units_and_quality() -> None:
    body = {"ts": "2024-01-05T10:30:00+08:00", "id": "42",
            "values": {"pm10": 0.0831, "PM2.5": 41, "noise": 62.5, "wind": 7.2},
            "units": {"pm10": "mg/m3", "wind": "km/h"}, "quality": {"noise": "calibration"}}
    got, bad = message_readings(TOPIC, json.dumps(body).encode())
    assert bad == []
    by = {r.quantity: r for r in got}
    assert by["pm10"].value == pytest.approx(83.1) and by["pm10"].unit == "µg/m³"
    assert by["pm25"].value == 41 and by["noise_leq"].quality == "calibration"
    assert by["wind_speed"].value == pytest.approx(2.0)
    assert by["pm10"].measured_at == datetime(2024, 1, 5, 2, 30, tzinfo=timezone.utc)
    assert by["pm10"].device == DeviceRef("mqtt", "P1/DN1")
    assert by["pm10"].source_id == "mqtt:oversite/P1/DN1/readings:42"


def test_times_without_offset_are_beijing_and_numbers_are_unix_seconds_or_ms() -> None:
    local, _ = message_readings(TOPIC, b'{"ts": "2024-01-05T10:30:00", "values": {"pm10": 1}}')
    assert local[0].measured_at == datetime(2024, 1, 5, 2, 30, tzinfo=timezone.utc)
    zulu, _ = message_readings(TOPIC, b'{"ts": "2024-01-05T02:30:00Z", "values": {"pm10": 1}}')
    seconds, _ = message_readings(TOPIC, b'{"ts": 1704421800, "values": {"pm10": 1}}')
    millis, _ = message_readings(TOPIC, b'{"ts": 1704421800000, "values": {"pm10": 1}}')
    assert zulu[0].measured_at == seconds[0].measured_at == millis[0].measured_at == local[0].measured_at


def test_the_same_payload_gets_the_same_source_id() -> None:
    payload = b'{"ts": "2024-01-05T02:30:00Z", "values": {"pm10": 1}}'
    assert message_readings(TOPIC, payload)[0][0].source_id == message_readings(TOPIC, payload)[0][0].source_id


@pytest.mark.parametrize(("payload", "reason"), [
    (b"{not json", "malformed JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "payload is a JSON list, not an object"),
    (b'{"values": {"pm10": 1}}', "'ts' is missing"),
    (b'{"ts": "yesterday", "values": {"pm10": 1}}', "'ts' 'yesterday' is not an ISO 8601 time"),
    (b'{"ts": true, "values": {"pm10": 1}}', "'ts' is missing"),
    (b'{"ts": [1], "values": {"pm10": 1}}', "'ts' must be an ISO 8601 string or a number, not list"),
    (b'{"ts": 1e300, "values": {"pm10": 1}}', "'ts' 1e+300 is out of range"),
    (b'{"ts": 1704421800, "values": {}}', "'values' must be a non-empty object"),
    (b'{"ts": 1704421800, "values": [1]}', "'values' must be a non-empty object"),
    (b'{"ts": 1704421800, "values": {"pm10": 1}, "units": {"pm10": 5}}', "'units' must be an object of strings"),
    (b'{"ts": 1704421800, "values": {"pm10": 1}, "quality": 3}', "'quality' must be a string or an object"),
    (b'{"ts": 1704421800, "values": {"pm10": NaN}}', "malformed JSON: NaN is not a number JSON allows"),
    (b'{"ts": 1704421800, "values": {"pm10": Infinity}}', "malformed JSON: Infinity is not a number JSON allows"),
])
def test_malformed_envelopes_are_refused_whole(payload: bytes, reason: str) -> None:
    error = refused(TOPIC, payload)
    assert error.kind == "json"
    assert str(error).startswith(reason)


def test_bad_values_are_refused_one_by_one() -> None:
    body = {"ts": 1704421800, "values": {"pm10": -1, "noise": "loud", "flux": 3, "pm25": 20, "tsp": True,
                                         "wind": 2, "humidity": 50},
            "units": {"wind": "furlongs"}, "quality": {"humidity": "wet"}}
    got, bad = message_readings(TOPIC, json.dumps(body).encode())
    assert [r.quantity for r in got] == ["pm25"]
    assert bad == [
        "pm10: value -1 µg/m³ is impossible (plausible range 0..20000)",
        "noise_leq: value 'loud' is not a number",
        "unknown quantity 'flux'",
        "tsp: value True is not a number",
        "unit 'furlongs' cannot be converted to m/s for wind_speed",
        "humidity: unknown quality 'wet'",
    ]


@pytest.mark.parametrize("topic", ["oversite/P1/readings", "other/P1/D1/readings", "oversite//D1/readings",
                                   "oversite/P1/D1/status", "oversite/P1/D1/readings/x"])
def test_unknown_topics(topic: str) -> None:
    error = refused(topic, b"{}")
    assert (error.kind, str(error)) == ("topic", f"unknown topic {topic!r}")


def test_oversized_payload() -> None:
    assert refused(TOPIC, b" " * 70_000).kind == "size"


def test_hj212_topic_carries_a_raw_frame_and_the_topic_names_the_device() -> None:
    frame = encode_frame("QN=20240105103000001;ST=22;CN=2011;MN=M1;Flag=5;CP=&&DataTime=20240105103000;a34002-Rtd=88&&")
    got, _ = message_readings("oversite/P1/HJ1/hj212", frame.rstrip(b"\r\n"))
    assert [(r.device, r.quantity, r.value) for r in got] == [(DeviceRef("mqtt", "P1/HJ1"), "pm10", 88.0)]
    error = refused("oversite/P1/HJ1/hj212", frame[:-6] + b"0000\r\n")
    assert error.kind == "hj212_crc"


def test_mqtt_urls_and_settings() -> None:
    assert parse_mqtt_url("mqtts://a%40b:p%3Aw@broker.example") == {
        "host": "broker.example", "port": 8883, "username": "a@b", "password": "p:w", "tls": True}
    with pytest.raises(ValueError, match="scheme must be mqtt:// or mqtts://"):
        parse_mqtt_url("http://broker")
    with pytest.raises(ValueError, match="has no host"):
        parse_mqtt_url("mqtt://")
    with pytest.raises(ValueError, match="must not exceed MQTT_RECEIVE_MAXIMUM"):
        settings_from_config({"MQTT_URL": "mqtt://b", "INGEST_BATCH_SIZE": 5000, "MQTT_RECEIVE_MAXIMUM": 1000})
    assert MqttSettings(host="b", group="").topics() == ["oversite/+/+/readings", "oversite/+/+/hj212"]
