"""Reference data that scopes cases: districts, enterprises, projects and their parties.

A project's status is not stored: it is derived from its supervision and construction dates
for the day asked about (``workflows.reference.status``), so reports "as of" any date agree
with the project list.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, intpk, utc, utcnow

PARTY_ROLES = (
    "builder",     # 建设单位
    "contractor",  # 施工单位
    "supervisor",  # 监理单位 (the supervising engineer)
)


class District(Base):
    """区域: an administrative district of the city (ordered as the bureau publishes them)."""

    __tablename__ = "district"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class Enterprise(Base):
    """企业, identified by its unified social credit code (统一社会信用代码)."""

    __tablename__ = "enterprise"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str | None] = mapped_column(String(40))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]


class Project(Base):
    """工程项目."""

    __tablename__ = "project"

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    floor_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    contract_value_cny: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    supervision_start: Mapped[date | None]
    supervision_end: Mapped[date | None]
    construction_start: Mapped[date | None]
    construction_end: Mapped[date | None]
    created_at: Mapped[utc] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]
    parties: Mapped[list[ProjectParty]] = relationship(
        back_populates="project", cascade="all, delete-orphan", lazy="selectin"
    )


class ProjectParty(Base):
    """An enterprise's part in a project: builder (建设单位), contractor (施工单位), supervisor (监理单位)."""

    __tablename__ = "project_party"
    __table_args__ = (UniqueConstraint("project_id", "enterprise_code", "party_role"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    enterprise_code: Mapped[str] = mapped_column(String(18), index=True)
    party_role: Mapped[str] = mapped_column(String(40))
    project: Mapped[Project] = relationship(back_populates="parties")
