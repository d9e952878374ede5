"""Who may see and manage devices, readings and alarms: the project's visibility, and roles.

Reading rights follow the project (``workflows.reference.access``): staff see their district's
projects, an enterprise the projects it is a party to — the free open-data interface of seed
004 is exactly "an enterprise reads its own sites". Registering a device (and issuing its push
tokens) is for admins, the district admin of the project's district and the project's parties
(enterprises install their own devices); acknowledging an alarm is for staff.
"""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from engine import Actor, Forbidden, NotFound
from storage import Project, ProjectParty
from workflows.reference.access import visible_projects

STAFF_ROLES = frozenset({"admin", "district_admin", "inspector"})


def readable_project(session: Session, actor: Actor, project_id: int) -> Project:
    """The project if ``actor`` may read it; 404 otherwise (never reveal that it exists)."""
    project = session.scalars(select(Project).where(Project.id == project_id, visible_projects(actor))).first()
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project


def visible_project_ids(actor: Actor) -> Select[tuple[int]]:
    """Subquery of the ids of the projects ``actor`` may read."""
    return select(Project.id).where(visible_projects(actor))


def _parties(session: Session, project_id: int) -> frozenset[str]:
    return frozenset(session.scalars(select(ProjectParty.enterprise_code).where(ProjectParty.project_id == project_id)))


def may_manage_devices(session: Session, actor: Actor, project: Project) -> bool:
    for scope in actor.scopes:
        if scope.role in ("admin", "system"):
            return True
        if scope.role == "district_admin" and scope.district in (None, project.district):
            return True
        if scope.role == "enterprise" and scope.enterprise_code in _parties(session, project.id):
            return True
    return False


def require_device_manager(session: Session, actor: Actor, project: Project) -> None:
    if not may_manage_devices(session, actor, project):
        raise Forbidden(f"you may not manage the devices of project {project.id}")


def is_party(session: Session, actor: Actor, project_id: int) -> bool:
    """Does ``actor`` act for an enterprise that is a party to the project?"""
    codes = {s.enterprise_code for s in actor.scopes if s.role == "enterprise" and s.enterprise_code}
    return bool(codes & _parties(session, project_id))


def require_staff_in_scope(actor: Actor, project: Project) -> None:
    """Acknowledging alarms: admins anywhere, inspectors and district admins in their district."""
    for scope in actor.scopes:
        if scope.role in ("admin", "system"):
            return
        if scope.role in STAFF_ROLES and scope.district in (None, project.district):
            return
    raise Forbidden("acknowledging alarms is for the inspectors and district admins of the project's district")
