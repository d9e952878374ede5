"""The districts (区域) of the city: local configuration (``DISTRICTS``), in publishing order.

Reports list the districts in this order and imports refuse names outside it. The
``district`` table mirrors the list (for joins and admin screens); :func:`sync_districts`
brings it up to date.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import District

CONFIG_KEY = "DISTRICTS"
MAX_NAME_LENGTH = 64


def configured_districts(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The configured district names, checked.

    Raises:
        ValueError: the setting is missing, empty, not a list of names, or repeats a name.
    """
    names = config.get(CONFIG_KEY)
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise ValueError(f"{CONFIG_KEY} must be a non-empty list of district names")
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH or name != name.strip():
            raise ValueError(f"{CONFIG_KEY}: {name!r} is not a district name (1 to {MAX_NAME_LENGTH} characters, "
                             "no surrounding spaces)")
    if len(set(names)) != len(names):
        raise ValueError(f"{CONFIG_KEY} names a district twice")
    return tuple(names)


def sync_districts(session: Session, names: Sequence[str]) -> int:
    """Make the ``district`` table hold ``names`` in this order; returns the rows added.

    Districts no longer configured are kept (projects may still name them) but moved after
    the configured ones.
    """
    existing = {d.name: d for d in session.scalars(select(District))}
    added = 0
    for position, name in enumerate(names):
        row = existing.pop(name, None)
        if row is None:
            session.add(District(name=name, position=position))
            added += 1
        elif row.position != position:
            row.position = position
    for offset, row in enumerate(sorted(existing.values(), key=lambda d: (d.position, d.name))):
        row.position = len(names) + offset
    session.flush()
    return added
