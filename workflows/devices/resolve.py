"""Which registered device an :class:`adapters.readings.DeviceRef` names (a few queries per batch).

Identities (see ``DeviceRef``): ``mqtt`` — ``{project_code}/{device_code}``; ``hj212`` — the MN
code; ``modbus`` — ``{host}:{port}:{unit_id}`` (gateway and unit); ``http`` — the device id.
Each kind is resolved with one query for the whole batch, whatever its size.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import Device, Project
from storage.db import one_of

# (protocol, identity): the fields of an adapters.readings.DeviceRef, as a cheap hashable key.
RefKey = tuple[str, str]


@dataclass(frozen=True)
class Target:
    """The device a reference resolved to."""

    device_id: int
    project_id: int
    active: bool


def _by_code(session: Session, refs: list[RefKey]) -> dict[RefKey, Target]:
    wanted: dict[tuple[str, str], RefKey] = {}
    for ref in refs:
        parts = ref[1].split("/")
        if len(parts) == 2 and all(parts):
            wanted[(parts[0], parts[1])] = ref
    if not wanted:
        return {}
    rows = session.execute(
        select(Project.code, Device.code, Device.id, Device.project_id, Device.active)
        .join(Project, Project.id == Device.project_id)
        .where(one_of(session, Project.code, {p for p, _ in wanted}), one_of(session, Device.code, {d for _, d in wanted}))
    )
    found = {}
    for project_code, device_code, device_id, project_id, active in rows:
        ref = wanted.get((project_code, device_code))
        if ref is not None:
            found[ref] = Target(device_id, project_id, active)
    return found


def _by_mn(session: Session, refs: list[RefKey]) -> dict[RefKey, Target]:
    wanted = {ref[1]: ref for ref in refs if ref[1]}
    if not wanted:
        return {}
    rows = session.execute(select(Device.mn_code, Device.id, Device.project_id, Device.active)
                           .where(one_of(session, Device.mn_code, wanted)))
    return {wanted[mn]: Target(i, p, a) for mn, i, p, a in rows if mn in wanted}


def parse_modbus_identity(identity: str) -> tuple[str, int, int] | None:
    """``"10.0.0.5:502:7"`` → ``("10.0.0.5", 502, 7)``; None when malformed."""
    parts = identity.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return parts[0], int(parts[1]), int(parts[2])


def _by_gateway(session: Session, refs: list[RefKey]) -> dict[RefKey, Target]:
    wanted: dict[tuple[str, int, int], RefKey] = {}
    for ref in refs:
        parsed = parse_modbus_identity(ref[1])
        if parsed is not None:
            wanted[parsed] = ref
    if not wanted:
        return {}
    rows = session.execute(
        select(Device.modbus_host, Device.modbus_port, Device.modbus_unit_id, Device.id, Device.project_id,
               Device.active).where(one_of(session, Device.modbus_host, {h for h, _, _ in wanted}))
    )
    found = {}
    for host, port, unit, device_id, project_id, active in rows:
        ref = wanted.get((host, port, unit))
        if ref is not None:
            found[ref] = Target(device_id, project_id, active)
    return found


def _by_id(session: Session, refs: list[RefKey]) -> dict[RefKey, Target]:
    wanted = {int(ref[1]): ref for ref in refs if ref[1].isdigit() and len(ref[1]) < 19}
    if not wanted:
        return {}
    rows = session.execute(select(Device.id, Device.project_id, Device.active).where(one_of(session, Device.id, wanted)))
    return {wanted[i]: Target(i, p, a) for i, p, a in rows}


_RESOLVERS = {"mqtt": _by_code, "hj212": _by_mn, "modbus": _by_gateway, "http": _by_id}


def resolve_devices(session: Session, refs: Iterable[RefKey]) -> dict[RefKey, Target]:
    """The devices ``refs`` name; an unknown reference is simply absent from the result."""
    by_protocol: dict[str, list[RefKey]] = {}
    for ref in set(refs):
        if ref[0] in _RESOLVERS:
            by_protocol.setdefault(ref[0], []).append(ref)
    found: dict[RefKey, Target] = {}
    for protocol, group in sorted(by_protocol.items()):
        found.update(_RESOLVERS[protocol](session, group))
    return found
