"""MQTT ingest settings, from ``OVERSITE_MQTT_URL`` and the ``MQTT_*`` configuration keys."""
from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

TOPIC_PREFIX = "oversite"
DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class MqttSettings:
    """How the ingest subscriber connects and batches.

    Attributes:
        host, port, username, password, tls: the broker (``mqtt://`` or ``mqtts://`` URL).
        client_id: fixed per ingest process, so the broker keeps its session across restarts.
        group: the shared-subscription group; every process in it gets a share of the load
            (empty: a plain subscription, each process gets every message).
        session_expiry: seconds the broker keeps the session (and queues messages) while the
            process is away (MQTT 5 Session Expiry Interval).
        receive_maximum: unacknowledged QoS 1 messages the broker may send at once (Mosquitto
            2.0.11 was seen to exceed it once acknowledgements flow; docs/ingest.md). At least
            ``batch_size``.
        batch_size, batch_delay: a batch is committed at this many messages or this age.
        keepalive: seconds between pings.
        commit_process: parse and commit batches in a child process when the ingest has a
            sink factory (``commit_process.py``); off, in a worker thread of this process.
        backoff_max: the longest wait between reconnection attempts.
    """

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    client_id: str = "oversite-ingest"
    group: str = "oversite-ingest"
    session_expiry: int = 7 * 24 * 3600
    receive_maximum: int = 2000
    batch_size: int = 500
    batch_delay: float = 0.2
    keepalive: int = 30
    commit_process: bool = True
    backoff_max: float = 30.0

    def topics(self) -> list[str]:
        """The subscriptions: JSON readings and raw HJ 212 frames, shared when a group is set."""
        filters = [f"{TOPIC_PREFIX}/+/+/readings", f"{TOPIC_PREFIX}/+/+/hj212"]
        if not self.group:
            return filters
        return [f"$share/{self.group}/{f}" for f in filters]


def parse_mqtt_url(url: str) -> dict[str, Any]:
    """``mqtt://[user[:password]@]host[:port]`` (or ``mqtts://``) as settings keywords.

    Raises:
        ValueError: another scheme, or no host.
    """
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"MQTT URL {url!r}: scheme must be mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"MQTT URL {url!r} has no host")
    return {
        "host": parts.hostname,
        "port": parts.port or DEFAULT_PORTS[parts.scheme],
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "tls": parts.scheme == "mqtts",
    }


def settings_from_config(config: Mapping[str, Any]) -> MqttSettings | None:
    """The MQTT settings in ``config``, or None when ``MQTT_URL`` is unset (no MQTT ingest).

    Raises:
        ValueError: ``MQTT_URL`` is malformed, or the batch exceeds the receive maximum.
    """
    url = config.get("MQTT_URL")
    if not url:
        return None
    settings = MqttSettings(
        **parse_mqtt_url(str(url)),
        client_id=str(config.get("MQTT_CLIENT_ID") or f"oversite-ingest-{socket.gethostname()}"),
        group=str(config.get("MQTT_SHARE_GROUP", "oversite-ingest") or ""),
        session_expiry=int(config.get("MQTT_SESSION_EXPIRY_SECONDS", 7 * 24 * 3600)),
        receive_maximum=int(config.get("MQTT_RECEIVE_MAXIMUM", 2000)),
        batch_size=int(config.get("INGEST_BATCH_SIZE", 500)),
        batch_delay=int(config.get("INGEST_BATCH_MS", 200)) / 1000,
        commit_process=bool(config.get("MQTT_COMMIT_PROCESS", True)),
    )
    if settings.batch_size > settings.receive_maximum:
        raise ValueError("INGEST_BATCH_SIZE must not exceed MQTT_RECEIVE_MAXIMUM: a batch "
                         "could never fill while the broker waits for acknowledgements")
    return settings
