"""Who may read and register reference data (DOMAIN §2).

- admins, auditors and process owners read every project and enterprise;
- inspectors and district admins read the projects of their district (a membership without
  a district means every district) and every enterprise;
- enterprise users read the projects their enterprise is a party to and only their own
  enterprise;
- admins register projects and enterprises anywhere, district admins in their district.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from engine.actor import Actor, Scope
from storage import Enterprise, Project, ProjectParty

READ_ALL_ROLES = frozenset({"admin", "auditor", "process_owner", "system"})
DISTRICT_ROLES = frozenset({"inspector", "district_admin"})
REGISTRAR_ROLES = frozenset({"admin", "district_admin"})


def _project_clause(scope: Scope) -> ColumnElement[bool]:
    if scope.role in READ_ALL_ROLES:
        return true()
    if scope.role == "enterprise":
        if not scope.enterprise_code:
            return false()
        parties = select(ProjectParty.project_id).where(ProjectParty.enterprise_code == scope.enterprise_code)
        return Project.id.in_(parties)
    if scope.role in DISTRICT_ROLES:
        return true() if scope.district is None else Project.district == scope.district
    return false()


def visible_projects(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over ``Project``: the projects ``actor`` may read."""
    return or_(false(), *(_project_clause(s) for s in actor.scopes))


def _enterprise_clause(scope: Scope) -> ColumnElement[bool]:
    if scope.role in READ_ALL_ROLES or scope.role in DISTRICT_ROLES:
        return true()
    if scope.role == "enterprise" and scope.enterprise_code:
        return Enterprise.code == scope.enterprise_code
    return false()


def visible_enterprises(actor: Actor) -> ColumnElement[bool]:
    """WHERE clause over ``Enterprise``: the enterprises ``actor`` may read."""
    return or_(false(), *(_enterprise_clause(s) for s in actor.scopes))


def may_register(actor: Actor, district: str | None) -> bool:
    """May ``actor`` register reference data in ``district`` (None: not tied to a district)?"""
    for scope in actor.scopes:
        if scope.role == "admin" or scope.role == "system":
            return True
        if scope.role == "district_admin" and (scope.district is None or scope.district == district):
            return True
    return False


def is_registrar(actor: Actor) -> bool:
    """Holds a role that registers reference data at all (admin or district admin)."""
    return bool(actor.roles & (REGISTRAR_ROLES | {"system"}))
