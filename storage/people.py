"""People: inspectors (监督员) and enterprises' key personnel (项目经理, 总监理工程师 …).

An inspector belongs to a district and may be linked to the user account they log in with;
key personnel belong to an enterprise and are named on projects through ``project_person``.
"""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, utc, utcnow

PERSON_KINDS = (
    "inspector",      # 监督员 of the bureau
    "key_personnel",  # 关键岗位人员 of an enterprise
)
PROJECT_POSITIONS = (
    "project_manager",      # 项目经理 (contractor)
    "technical_lead",       # 技术负责人 (contractor)
    "safety_officer",       # 专职安全员 (contractor)
    "chief_supervisor",     # 总监理工程师 (supervising engineer)
    "builder_representative",  # 建设单位项目负责人
)


class Person(Base):
    """A person the bureau deals with, identified by a certificate or staff number."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("kind", "identifier"),)

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    # Staff number for inspectors, registration certificate number for key personnel.
    identifier: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    district: Mapped[str | None] = mapped_column(String(64), index=True)
    enterprise_code: Mapped[str | None] = mapped_column(String(18), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[utc] = mapped_column(default=utcnow)


class ProjectPerson(Base):
    """A person's position on a project (e.g. the contractor's project manager)."""

    __tablename__ = "project_person"
    __table_args__ = (UniqueConstraint("project_id", "person_id", "position"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(40))
