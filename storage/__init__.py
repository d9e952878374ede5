"""Persistence: SQLAlchemy models, sessions, audit chain, documents and the outbox."""
from . import audit_queue as _audit_queue  # noqa: F401  (registers the commit hook)
from .accounts import ROLES, ApiToken, Membership, User
from .base import Base, utcnow
from .db import is_postgres, make_engine, make_session_factory
from .project_records import RECORD_KINDS, ProjectRecord, record_project_event
from .records import AuditEvent, Document, OutboxMessage
from .reference import District, Enterprise, Project, ProjectParty
from .runtime import Case, ProcessDefinition, ProcessInstance, Task, WaitingEvent

__all__ = [
    "ROLES", "ApiToken", "AuditEvent", "Base", "Case", "District", "Document", "Enterprise",
    "Membership", "OutboxMessage", "ProcessDefinition", "ProcessInstance", "Project",
    "ProjectParty", "ProjectRecord", "RECORD_KINDS", "Task", "User", "WaitingEvent", "is_postgres", "make_engine",
    "make_session_factory", "record_project_event", "utcnow",
]
