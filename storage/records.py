"""Append-only records written beside the runtime: audit events, documents, the outbox."""
from __future__ import annotations

from datetime import datetime
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigIntPK, intpk, json_dict, str64, utc, utcnow


class AuditEvent(Base):
    """One link of the tamper-evident audit chain (hash = SHA-256(prev_hash + canonical JSON))."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[utc]
    actor: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str | None] = mapped_column(String(40))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(80))
    case_id: Mapped[int | None] = mapped_column(index=True)
    instance_id: Mapped[int | None]
    task_id: Mapped[int | None]
    data: Mapped[json_dict] = mapped_column(default=dict)
    prev_hash: Mapped[str64]
    hash: Mapped[str64]


class Document(Base):
    """A stored object (addressed by SHA-256) linked to its case."""

    __tablename__ = "document"

    id: Mapped[intpk]
    sha256: Mapped[str64] = mapped_column(index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(60))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    author: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A side effect to perform after commit, processed idempotently with retries."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[json_dict] = mapped_column(default=dict)
    # Lets a handler make its effect idempotent (e.g. object key, message id).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[utc]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

