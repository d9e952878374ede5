"""The self-inspection record (日常检查记录): rendered when an inspection is recorded, stored with its case.

It is the enterprise's own record, so it carries no bureau document number (文号); it is signed
by the inspecting enterprise and lists the findings with their rectification deadline.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from engine import ServiceContext
from storage import Document, Enterprise, Project, SelfInspection
from storage.docx_render import render_docx

from .vocab import HAZARD_LEVEL_LABELS, INSPECTION_ITEM_LABELS, LOG_PARTY_LABELS

KIND = "self_inspection_record"
TITLE = "日常检查记录"


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def self_inspection_record(ctx: ServiceContext, project: Project, inspection: SelfInspection) -> Document:
    """Render, store and link the record of ``inspection`` to the step's case."""
    enterprise = None
    if inspection.enterprise_code:
        enterprise = ctx.session.scalar(select(Enterprise.name).where(Enterprise.code == inspection.enterprise_code))
    signer = enterprise or LOG_PARTY_LABELS[inspection.party]
    fields = [
        ("工程名称", project.name),
        ("工程编号", project.code),
        ("检查单位", signer),
        ("检查人", inspection.inspector),
        ("检查日期", date_text(inspection.inspected_on)),
        ("检查内容", "、".join(INSPECTION_ITEM_LABELS[item] for item in inspection.items)),
    ]
    if inspection.findings:
        assert inspection.rectify_by is not None
        fields.append(("隐患等级", HAZARD_LEVEL_LABELS[inspection.hazard_level]))
        fields.append(("整改期限", date_text(inspection.rectify_by)))
        paragraphs = [f"本次检查发现问题{len(inspection.findings)}项，责任单位须在整改期限内整改完毕，"
                      "上传整改证据并经复查合格后闭环。"]
    else:
        paragraphs = ["本次检查未发现问题。"]
    data = render_docx(TITLE, None, fields, paragraphs, list(inspection.findings) or None, signer,
                       date_text(inspection.inspected_on))
    return ctx.ports["documents"].store(  # type: ignore[no-any-return]
        ctx.session, data=data, filename=f"{TITLE}-{project.code}-{inspection.inspected_on.isoformat()}.docx",
        kind=KIND, case_id=ctx.case.id, author=ctx.actor.username, created_at=ctx.clock.now())
