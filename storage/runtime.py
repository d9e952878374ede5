"""Tables of the BPMN runtime: deployed definitions, cases, instances and their projections.

The serialized SpiffWorkflow state lives only in ``process_instance.state``; the ``task`` and
``waiting_event`` tables are projections rebuilt in the same transaction as every step, so the
inbox and event delivery never deserialize an instance to answer a query.
"""
from __future__ import annotations

from datetime import datetime
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, intpk, json_dict, str64, str200, utc, utcnow


class ProcessDefinition(Base):
    """One deployed version of one executable BPMN process (stored once, referenced by instances)."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_process_definition_key_sha256", "key", "sha256"),
    )

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    sha256: Mapped[str64]
    filename: Mapped[str | None] = mapped_column(String(255))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    # Serialized spec and subprocess specs (SpiffWorkflow dict form, zlib-compressed JSON).
    spec: Mapped[bytes] = mapped_column(LargeBinary)
    deployed_at: Mapped[utc] = mapped_column(default=utcnow)
    deployed_by: Mapped[str | None] = mapped_column(String(120))


class Case(Base):
    """A long-lived business case (e.g. a project's supervision); history lives in tables."""

    __tablename__ = "case"

    id: Mapped[intpk]
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    enterprise_code: Mapped[str | None] = mapped_column(String(18), index=True)
    data: Mapped[json_dict] = mapped_column(default=dict)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None]


class ProcessInstance(Base):
    """A short, bounded SpiffWorkflow instance belonging to a case."""

    __tablename__ = "process_instance"

    id: Mapped[intpk]
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    # Spec-less serialized workflow (the spec is referenced through definition_id), compressed.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    task_count: Mapped[int] = mapped_column(default=0)
    # Digest of the instance's waiting_event rows: a step that leaves them unchanged skips them.
    waiting_digest: Mapped[str | None] = mapped_column(String(64))
    step_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[utc] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


_OPEN_ONLY = {"postgresql_where": text("state IN ('open', 'claimed')"),
              "sqlite_where": text("state IN ('open', 'claimed')")}


class Task(Base):
    """Inbox projection of a user task (one row per SpiffWorkflow task that was ever ready)."""

    __tablename__ = "task"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_id"),
        Index("ix_task_open_due", "state", "due_at"),
        Index("ix_task_open_role", "state", "role", "district"),
        # The inbox (engine.inbox): open tasks only (partial), each in due-date order behind the
        # equalities one view alternative sets, so a page or a capped count is a short
        # index-only range scan however many tasks are open.
        Index("ix_task_inbox_due", "due_at", "id", **_OPEN_ONLY),
        Index("ix_task_inbox_district", "district", "due_at", "id", **_OPEN_ONLY),
        Index("ix_task_inbox_role", "role", "district", "state", "due_at", "id", **_OPEN_ONLY),
        Index("ix_task_inbox_enterprise", "enterprise_code", "state", "due_at", "id", **_OPEN_ONLY),
        Index("ix_task_inbox_for_enterprise", "for_enterprise", "state", "due_at", "id", **_OPEN_ONLY),
        Index("ix_task_inbox_assignee", "assignee_id", "due_at", "id", **_OPEN_ONLY),
    )

    id: Mapped[intpk]
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    spiff_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str200]
    name: Mapped[str | None] = mapped_column(String(300))
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    form_key: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    enterprise_code: Mapped[str | None] = mapped_column(String(18))  # the case's (who filed it)
    # The one enterprise that works the task (its model's enterpriseCode); NULL: the scope decides.
    for_enterprise: Mapped[str | None] = mapped_column(String(18))
    due_at: Mapped[datetime | None]
    data: Mapped[json_dict] = mapped_column(default=dict)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(120))


class WaitingEvent(Base):
    """Index of what an instance waits for: a signal, a message (with correlation) or a timer."""

    __tablename__ = "waiting_event"
    __table_args__ = (
        Index("ix_waiting_event_lookup", "kind", "name", "project_id"),
        Index("ix_waiting_event_correlation", "kind", "name", "correlation"),
        Index("ix_waiting_event_due", "kind", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    project_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(200))
    # Canonical JSON of the correlation values a message must carry, or NULL.
    correlation: Mapped[str | None] = mapped_column(String(500))
    due_at: Mapped[datetime | None]
    # Spiff task id of the catching event, to fire exactly that timer.
    spiff_id: Mapped[str | None] = mapped_column(String(36))
