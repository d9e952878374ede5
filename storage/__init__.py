"""Persistence: SQLAlchemy models, sessions, audit chain, documents and the outbox."""
from . import audit_queue as _audit_queue  # noqa: F401  (registers the commit hook)
from .accounts import ROLES, ApiToken, Membership, User
from .alarms import ACTIVE_ALARM_STATUSES, Alarm, AlarmSeverity, AlarmStatus
from .base import MAX_ID, MAX_INT, NUL, Base, nul_path, utcnow
from .db import is_postgres, make_engine, make_session_factory
from .devices import Device, DeviceProtocol, DeviceToken, DeviceType
from .doc_numbers import DocumentSequence, next_number
from .drafts import TaskDraft
from .duty_checks import MissingDailyLog, SelfInspectionGap
from .people import Person, ProjectPerson
from .project_duties import (
    DailyLog, ProjectInitialization, SelfInspection, SelfRectification, StageAcceptance, Suggestion,
)
from .readings import Reading, ReadingDaily, ReadingHourly, ReadingLatest
from .project_records import RECORD_KINDS, ProjectRecord, record_project_event
from .records import AuditEvent, Document, OutboxMessage
from .reference import District, Enterprise, Project, ProjectParty
from .runtime import Case, ProcessDefinition, ProcessInstance, Task, WaitingEvent
from .smart_sites import SMART_SITE_APPLICATIONS, SiteApplication
from .supervision import (
    CompletionAcceptance, Finding, Inspection, RectificationNotice, RectificationRound, Reminder,
    SupervisionAssignment,
)

__all__ = [
    "MAX_ID", "MAX_INT", "NUL", "ROLES", "ApiToken", "AuditEvent", "Base", "Case", "District", "Document", "Enterprise",
    "Membership", "OutboxMessage", "Person", "ProcessDefinition", "ProcessInstance", "Project",
    "ProjectParty", "ProjectPerson", "ProjectRecord", "RECORD_KINDS", "Task", "TaskDraft", "User", "WaitingEvent", "is_postgres", "make_engine",
    "make_session_factory", "nul_path", "record_project_event", "utcnow",
    # project duties (DOMAIN §1.2)
    "DailyLog", "MissingDailyLog", "ProjectInitialization", "SelfInspection", "SelfInspectionGap",
    "SelfRectification", "StageAcceptance", "Suggestion",
    # supervision (DOMAIN §1.1)
    "CompletionAcceptance", "DocumentSequence", "Finding", "Inspection", "RectificationNotice",
    "RectificationRound", "Reminder", "SupervisionAssignment", "next_number",
    # smart-site devices (DOMAIN §1.6)
    "ACTIVE_ALARM_STATUSES", "Alarm", "AlarmSeverity", "AlarmStatus", "Device", "DeviceProtocol",
    "DeviceToken", "DeviceType", "Reading", "ReadingDaily", "ReadingHourly", "ReadingLatest",
    "SMART_SITE_APPLICATIONS", "SiteApplication",
]
