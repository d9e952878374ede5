"""Dated events of a project's supervision and duties, whether imported or produced by cases.

The bureau's usage statistics (DOMAIN §1.3) count these: a live case records one when it
reaches the step (assignment, briefing, supervision record…), an import of existing data
records one per row. Both feed the same reports.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .base import Base, intpk, utc, utcnow

RECORD_KINDS = (
    "assignment",          # 分配监督任务
    "briefing",            # 质量安全交底
    "supervision_record",  # 日常监督记录
    "initialization",      # 项目初始化
    "daily_log",           # 工作日志
    "self_inspection",     # 日常检查 (企业自查)
    "acceptance",          # 工程验收
    "rectification",       # 整改 (history only: the usage tables do not count it)
)
SOURCES = ("case", "import")


class ProjectRecord(Base):
    __tablename__ = "project_record"
    __table_args__ = (
        Index("ix_project_record_kind_date", "kind", "occurred_on"),
        # Covers the usage reports' per-project scan (project, date, kind) without the heap.
        Index("ix_project_record_project_date_kind", "project_id", "occurred_on", "kind"),
        # An import row is identified by its content, so importing a file twice adds nothing.
        UniqueConstraint("source", "external_ref"),
    )

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[utc] = mapped_column(default=utcnow)


def record_project_event(session: Session, project_id: int, kind: str, occurred_on: date, *,
                         case_id: int | None = None, source: str = "case", external_ref: str | None = None,
                         now: datetime | None = None) -> ProjectRecord:
    """Add one dated event (inside the caller's transaction)."""
    if kind not in RECORD_KINDS:
        raise ValueError(f"unknown project record kind {kind!r}; expected one of {', '.join(RECORD_KINDS)}")
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    record = ProjectRecord(project_id=project_id, kind=kind, occurred_on=occurred_on, source=source,
                           case_id=case_id, external_ref=external_ref, created_at=now or utcnow())
    session.add(record)
    session.flush()
    return record


def records_of(project_id: int, kind: str | None = None):  # type: ignore[no-untyped-def]
    stmt = select(ProjectRecord).where(ProjectRecord.project_id == project_id)
    if kind is not None:
        stmt = stmt.where(ProjectRecord.kind == kind)
    return stmt.order_by(ProjectRecord.occurred_on, ProjectRecord.id)
