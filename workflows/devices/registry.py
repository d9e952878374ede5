"""The device registry: register a device with its protocol identity, issue its push tokens.

Every function takes the caller's session and never commits. Input arrives typed (the API's
schema); what depends on other fields or on the database is checked here and refused field
by field (``FieldErrors``), before anything is written.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import Actor, FieldErrors, NotFound
from storage import Device, DeviceProtocol, DeviceToken, DeviceType, Project
from storage.register_map import RegisterMapError, normalize_register_map

from .access import require_device_manager

DEFAULT_POLL_SECONDS = 60
TOKEN_BYTES = 32
MODBUS_FIELDS = ("modbus_host", "modbus_port", "modbus_unit_id", "register_map", "poll_interval_seconds")


@dataclass(frozen=True)
class DeviceInput:
    """A device to register (``web.api`` builds it from the request)."""

    project_id: int
    code: str
    device_type: str
    protocol: str
    name: str | None = None
    mn_code: str | None = None
    client_id: str | None = None
    modbus_host: str | None = None
    modbus_port: int | None = None
    modbus_unit_id: int | None = None
    register_map: Any = None
    poll_interval_seconds: int | None = None


def _check(data: DeviceInput) -> tuple[dict[str, list[str]], list[dict[str, Any]] | None]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if data.device_type not in {t.value for t in DeviceType}:
        add("device_type", f"must be one of {', '.join(t.value for t in DeviceType)}")
    if data.protocol not in {p.value for p in DeviceProtocol}:
        add("protocol", f"must be one of {', '.join(p.value for p in DeviceProtocol)}")
    if data.protocol == DeviceProtocol.HJ212 and not data.mn_code:
        add("mn_code", "an HJ 212 device needs its MN code")
    register_map = None
    if data.protocol == DeviceProtocol.MODBUS:
        if not data.modbus_host:
            add("modbus_host", "a Modbus device needs its gateway's host")
        if data.modbus_port is None:
            add("modbus_port", "a Modbus device needs its gateway's port")
        if data.modbus_unit_id is None:
            add("modbus_unit_id", "a Modbus device needs its unit id")
        try:
            register_map = normalize_register_map(data.register_map)
        except RegisterMapError as exc:
            errors["register_map"] = [f"{where}: {'; '.join(msgs)}" for where, msgs in exc.errors.items()]
    else:
        for name in MODBUS_FIELDS:
            if getattr(data, name) is not None:
                add(name, "only Modbus devices have this")
    return errors, register_map


def _duplicates(session: Session, data: DeviceInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if session.scalar(select(Device.id).where(Device.project_id == data.project_id, Device.code == data.code)):
        errors["code"] = ["this project already has a device with this code"]
    if data.mn_code and session.scalar(select(Device.id).where(Device.mn_code == data.mn_code)):
        errors["mn_code"] = ["a device with this MN code is already registered"]
    if data.protocol == DeviceProtocol.MODBUS and session.scalar(select(Device.id).where(
            Device.modbus_host == data.modbus_host, Device.modbus_port == data.modbus_port,
            Device.modbus_unit_id == data.modbus_unit_id)):
        errors["modbus_unit_id"] = ["this gateway already has a device with this unit id"]
    return errors


def register_device(session: Session, actor: Actor, data: DeviceInput, now: datetime) -> Device:
    """Register ``data`` for its project.

    Raises:
        FieldErrors: unknown project, inconsistent protocol fields, a bad register map or an
            identity already taken.
        Forbidden: ``actor`` may not manage the project's devices.
    """
    project = session.get(Project, data.project_id)
    if project is None:
        raise FieldErrors({"project_id": [f"project {data.project_id} does not exist"]})
    require_device_manager(session, actor, project)
    errors, register_map = _check(data)
    if errors:
        raise FieldErrors(errors)
    errors = _duplicates(session, data)
    if errors:
        raise FieldErrors(errors)
    device = Device(
        project_id=project.id, code=data.code, name=data.name, device_type=data.device_type,
        protocol=data.protocol, mn_code=data.mn_code or None, client_id=data.client_id or None,
        modbus_host=data.modbus_host, modbus_port=data.modbus_port, modbus_unit_id=data.modbus_unit_id,
        register_map=register_map,
        poll_interval_seconds=(data.poll_interval_seconds or DEFAULT_POLL_SECONDS)
        if data.protocol == DeviceProtocol.MODBUS else None,
        active=True, created_at=now, created_by=actor.username,
    )
    try:
        with session.begin_nested():  # a concurrent registration of the same identity
            session.add(device)
    except IntegrityError as exc:
        raise FieldErrors({"code": ["this device identity was registered meanwhile"]}) from exc
    return device


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_device_token(session: Session, device: Device, actor: Actor, label: str | None, now: datetime,
                       nbytes: int = TOKEN_BYTES) -> str:
    """A new push token for ``device`` (shown once; only its SHA-256 is kept)."""
    project = session.get(Project, device.project_id)
    assert project is not None
    require_device_manager(session, actor, project)
    token = "dev_" + secrets.token_urlsafe(nbytes)
    session.add(DeviceToken(device_id=device.id, token_sha256=_digest(token), label=label, created_at=now,
                            created_by=actor.username))
    session.flush()
    return token


def token_matches(session: Session, device_id: int, token: str, now: datetime) -> bool:
    """Is ``token`` a valid (unrevoked) push token of this device? Records its use."""
    if not token:
        return False
    row = session.scalars(select(DeviceToken).where(DeviceToken.token_sha256 == _digest(token),
                                                    DeviceToken.revoked_at.is_(None))).first()
    if row is None or row.device_id != device_id:
        return False
    row.last_used_at = now
    return True


def get_device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"device {device_id} does not exist")
    return device


def device_input(values: Mapping[str, Any]) -> DeviceInput:
    """A :class:`DeviceInput` from parsed request values (unknown keys ignored)."""
    names = DeviceInput.__dataclass_fields__
    return DeviceInput(**{k: v for k, v in values.items() if k in names})
