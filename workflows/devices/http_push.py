"""HTTP push (``POST /api/v1/devices/{id}/readings``): who may push, and all-or-nothing batches.

A device pushes with one of its own tokens; its enterprise (a party to the project) pushes
with a user token or session. Unlike the streaming adapters, an HTTP client gets an answer:
so a batch with any refusable item is refused whole, item by item (400), and the client
fixes and resends it — redelivered readings are deduplicated anyway.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from adapters.readings import BatchResult, DeviceRef, Reading
from engine import Actor, FieldErrors, Forbidden, ProcessEngine
from storage import Device, Project

from .access import is_party
from .ingest import ingest_batch
from .policy import DevicePolicy
from .registry import token_matches
from .validation import Refused, check_reading

MAX_ITEMS = 5000


class PushUnauthorized(Exception):
    """No user and no valid device token: the caller must authenticate (401)."""


def authorize_push(session: Session, device: Device, actor: Actor | None, token: str | None, now: datetime) -> str:
    """Who pushes: ``"device"`` (its token) or the user's name (a party of the project, or an admin).

    Raises:
        PushUnauthorized: neither a user nor a token of this device.
        Forbidden: a user who is neither a party of the project nor an admin.
    """
    if actor is not None:
        project = session.get(Project, device.project_id)
        assert project is not None
        if actor.has_role("admin") or is_party(session, actor, project.id):
            return actor.username
        raise Forbidden(f"only the enterprises of project {project.id} push its devices' readings")
    if token and token_matches(session, device.id, token, now):
        return "device"
    raise PushUnauthorized(f"send a token of device {device.id} (or of its enterprise) as a bearer token")


def push_readings(session: Session, engine: ProcessEngine | None, policy: DevicePolicy, device: Device,
                  items: Sequence[Mapping[str, Any]], now: datetime) -> BatchResult:
    """Check every item, then store them all (caller's transaction) or raise ``FieldErrors`` by index.

    ``items``: parsed readings (``quantity``, ``value``, ``unit``, ``measured_at``, ``quality``).
    """
    if not device.active:
        raise FieldErrors({"device": ["the device is out of service"]})
    if len(items) > MAX_ITEMS:
        raise FieldErrors({"_schema": [f"at most {MAX_ITEMS} readings per request"]})
    ref = DeviceRef("http", str(device.id))
    readings, errors = [], {}
    for index, item in enumerate(items):
        reading = Reading(ref, item["measured_at"], item["quantity"], item["value"], item.get("unit") or "",
                          item.get("quality") or "ok")
        try:
            check_reading(reading.quantity, reading.measured_at, reading.value, reading.unit, reading.quality,
                          policy, now)
        except Refused as exc:
            errors[str(index)] = [str(exc)]
        readings.append(reading)
    if errors:
        raise FieldErrors(errors, "some readings were refused; nothing was stored")
    return ingest_batch(session, engine, policy, readings, now)
