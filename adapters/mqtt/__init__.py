"""MQTT ingest: topics and JSON payloads, settings, the zero-loss subscriber."""
from __future__ import annotations

from .payload import PayloadRefused, message_readings, parse_topic
from .settings import MqttSettings, parse_mqtt_url, settings_from_config
from .subscriber import MqttIngest

__all__ = ["MqttIngest", "MqttSettings", "PayloadRefused", "message_readings", "parse_mqtt_url",
           "parse_topic", "settings_from_config"]
