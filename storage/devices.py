"""Smart-site devices (智慧工地设备) registered per project, and their HTTP push tokens.

A device is identified on its protocol by its project and code (MQTT topics, HTTP), its HJ 212
MN code, or its Modbus gateway and unit id; each identity is unique. Whether a device is
online is derived from ``last_seen_at`` and the configured offline threshold, never stored.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, intpk, utc, utcnow


class DeviceType(StrEnum):
    DUST_NOISE_MONITOR = "dust_noise_monitor"  # 扬尘噪声监测
    CRANE_MONITOR = "crane_monitor"            # 起重机械安全监控
    POWER_METER = "power_meter"                # 施工用电监测
    WATER_METER = "water_meter"                # 施工用水监测
    ATTENDANCE_GATE = "attendance_gate"        # 实名制闸机
    VIDEO = "video"                            # 远程视频监控


class DeviceProtocol(StrEnum):
    MQTT = "mqtt"      # JSON on oversite/{project_code}/{device_code}/readings
    HJ212 = "hj212"    # HJ 212-2017 frames over TCP (or MQTT …/hj212), identified by MN
    MODBUS = "modbus"  # polled through a Modbus TCP gateway, identified by host:port + unit id
    HTTP = "http"      # pushed to POST /api/v1/devices/{id}/readings with a token


class Device(Base):
    """A device of one project; ``register_map`` is set for Modbus devices only."""

    __tablename__ = "device"
    __table_args__ = (
        UniqueConstraint("project_id", "code"),
        UniqueConstraint("mn_code"),
        UniqueConstraint("modbus_host", "modbus_port", "modbus_unit_id"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    device_type: Mapped[str] = mapped_column(String(40))
    protocol: Mapped[str] = mapped_column(String(10))
    # HJ 212 "MN" (监测点编码, up to 24 characters).
    mn_code: Mapped[str | None] = mapped_column(String(32))
    # The MQTT client id the device connects with (informative; topics identify it).
    client_id: Mapped[str | None] = mapped_column(String(128))
    modbus_host: Mapped[str | None] = mapped_column(String(255))
    modbus_port: Mapped[int | None]
    modbus_unit_id: Mapped[int | None]
    # Validated by storage.register_map.parse_register_map (a list of register entries).
    register_map: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    poll_interval_seconds: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))
    last_seen_at: Mapped[datetime | None] = mapped_column(index=True)

    @property
    def modbus_gateway(self) -> str | None:
        """``host:port`` of the Modbus gateway (the adapters' DeviceRef uses ``{gateway}:{unit_id}``)."""
        if self.modbus_host is None or self.modbus_port is None:
            return None
        return f"{self.modbus_host}:{self.modbus_port}"

    def is_online(self, now: datetime, offline_after: timedelta) -> bool:
        """Seen within ``offline_after`` before ``now`` (and still in service)."""
        return self.active and self.last_seen_at is not None and now - self.last_seen_at <= offline_after


def online_clause(now: datetime, offline_after: timedelta) -> ColumnElement[bool]:
    """SQL twin of :meth:`Device.is_online`."""
    return and_(Device.active.is_(True), Device.last_seen_at.is_not(None),
                Device.last_seen_at >= now - offline_after)


class DeviceToken(Base):
    """A bearer token a device (or its gateway) pushes readings with; only its SHA-256 is kept."""

    __tablename__ = "device_token"

    id: Mapped[intpk]
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
