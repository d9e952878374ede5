"""Smart-site applications (智慧工地应用) a project declares, for those no device can show.

Seed 004 §3(2) lists eleven applications in a fixed order; star levels take the first 4, 7 or
all 11. Video, attendance, dust/noise, crane and power/water monitoring are shown by the
project's online devices; the others (wage account, quality-safety and testing supervision,
hazardous works, BIM, government coordination) are declared here by the enterprise or staff.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, intpk, utc

# Seed 004 §3(2), in the seed's order (the order defines the star levels).
SMART_SITE_APPLICATIONS = (
    "remote_video",                 # 远程视频监控
    "real_name_attendance",         # 人员实名制管理
    "dust_noise_monitoring",        # 扬尘噪声监测
    "wage_account",                 # 工资专用账户管理
    "crane_safety_monitoring",      # 起重机械安全监控
    "quality_safety_supervision",   # 工程安全质量监管
    "quality_testing_supervision",  # 工程质量检测监管
    "power_water_monitoring",       # 施工用电用水监测
    "hazardous_works_management",   # 危险性较大的分部分项工程安全管理
    "bim",                          # BIM施工
    "government_coordination",      # 政府协同联动
)


class SiteApplication(Base):
    """A declared application of one project, effective from ``declared_at``."""

    __tablename__ = "site_application"
    __table_args__ = (UniqueConstraint("project_id", "application"),)

    id: Mapped[intpk]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    application: Mapped[str] = mapped_column(String(40))
    declared_at: Mapped[utc]
    declared_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(500))
    withdrawn_at: Mapped[datetime | None]
