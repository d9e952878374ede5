"""Which deployed processes a role may start: the lane holding the process's start event.

A model says who starts it the same way it says who works a task: the start event sits in
the lane of that role (``enterprise`` for a daily log the contractor files). A process whose
start event is in no lane is started by the system or by other processes, never from a menu.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import ProcessDefinition

from .bpmn_xml import NSMAP, parse_bpmn


@dataclass(frozen=True)
class Startable:
    key: str
    name: str | None
    version: int
    role: str


# (sha256, key) of a deployed version → its starting roles. A version never changes, so entries
# never go stale; the cap only bounds memory.
_CACHE: dict[tuple[str, str], frozenset[str]] = {}
_CACHE_MAX = 2048


def starting_roles(xml: str, key: str) -> frozenset[str]:
    """The lanes (roles) holding a top-level start event of process ``key``."""
    root, problems = parse_bpmn(xml.encode("utf-8"), f"{key}.bpmn")
    if root is None or problems:
        return frozenset()
    roles: set[str] = set()
    for process in root.xpath("./bpmn:process[@id=$key]", namespaces=NSMAP, key=key):
        starts = {e.get("id") for e in process.xpath("./bpmn:startEvent", namespaces=NSMAP)}
        for lane in process.xpath(".//bpmn:lane", namespaces=NSMAP):
            refs = {(r.text or "").strip() for r in lane.xpath("./bpmn:flowNodeRef", namespaces=NSMAP)}
            name = (lane.get("name") or "").strip()
            if name and refs & starts:
                roles.add(name)
    return frozenset(roles)


def startable_processes(session: Session, roles: Collection[str]) -> list[Startable]:
    """Latest versions of the processes whose start event is in the lane of one of ``roles``."""
    latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version")) \
        .group_by(ProcessDefinition.key).subquery()
    rows = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version,
               ProcessDefinition.sha256)
        .join(latest, (latest.c.key == ProcessDefinition.key) & (latest.c.version == ProcessDefinition.version))
        .order_by(ProcessDefinition.key)
    ).all()
    missing = [r.id for r in rows if (r.sha256, r.key) not in _CACHE]
    if missing:
        for def_id, key, sha256, xml in session.execute(
                select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.sha256,
                       ProcessDefinition.bpmn_xml).where(ProcessDefinition.id.in_(missing))):
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[(sha256, key)] = starting_roles(xml, key)
    found = []
    for row in rows:
        matching = sorted(_CACHE.get((row.sha256, row.key), frozenset()) & set(roles))
        if matching:
            found.append(Startable(row.key, row.name, row.version, matching[0]))
    return found


def may_start(session: Session, process_key: str, roles: Collection[str]) -> bool:
    return any(s.key == process_key for s in startable_processes(session, roles))


