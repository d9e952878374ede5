"""What every supervision operation needs: the case's project and parties, numbered documents.

Documents are rendered with ``storage.docx_render`` (official layout: title, 文号, a table of
parties and facts, body, numbered items, signature block and date), stored through the
document store port and linked to the case. Their numbers come from one gap-free series per
district, kind and year (``storage.doc_numbers``), e.g. ``甬建监（海曙区）整〔2026〕第0001号``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from sqlalchemy import func, select

from engine import FieldErrors, Forbidden, ServiceContext
from storage import Document, Enterprise, Finding, Project, next_number
from storage.docx_render import render_docx

from .policy import SupervisionPolicy
from .vocab import OWNER_PARTIES, PARTY_LABELS, DocKind

Operation = Callable[..., "Mapping[str, Any] | None"]


def bind(policy: SupervisionPolicy, func: Callable[..., Mapping[str, Any] | None]) -> Operation:
    """``func(policy, ctx, **params)`` as a service operation ``op(ctx, **params)``."""

    @wraps(func)
    def operation(ctx: ServiceContext, **params: Any) -> Mapping[str, Any] | None:
        return func(policy, ctx, **params)

    return operation


def date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class Party:
    role: str
    code: str
    name: str


@dataclass(frozen=True)
class ProjectView:
    """The case's project with its parties' names (for documents and ownership)."""

    project: Project
    parties: dict[str, Party]

    @property
    def district(self) -> str:
        return self.project.district or ""

    def owner(self) -> Party | None:
        """The enterprise that must rectify findings: the contractor, else the builder."""
        return next((self.parties[r] for r in OWNER_PARTIES if r in self.parties), None)

    def fields(self) -> list[tuple[str, str]]:
        rows = [("工程名称", self.project.name), ("工程地址", self.project.address or "—")]
        rows += [(label, self.parties[role].name if role in self.parties else "—")
                 for role, label in PARTY_LABELS.items()]
        return rows


def project_view(ctx: ServiceContext) -> ProjectView:
    """The case's project; a supervision case without one is refused field by field."""
    project = ctx.session.get(Project, ctx.case.project_id) if ctx.case.project_id is not None else None
    if project is None:
        raise FieldErrors({"project_id": ["A supervision case needs a registered project."]})
    codes = {p.party_role: p.enterprise_code for p in project.parties}
    names = dict(ctx.session.execute(
        select(Enterprise.code, Enterprise.name).where(Enterprise.code.in_(list(codes.values())))
    ).all())
    parties = {role: Party(role, code, names.get(code, code)) for role, code in codes.items()}
    return ProjectView(project, parties)


def actor_enterprises(ctx: ServiceContext) -> set[str]:
    return {s.enterprise_code for s in ctx.actor.scopes if s.role == "enterprise" and s.enterprise_code}


def require_enterprise(ctx: ServiceContext, allowed: set[str], what: str) -> None:
    """An enterprise user may act only for the enterprise concerned; staff act for anyone."""
    if not ctx.actor.has_role("enterprise") or ctx.actor.has_role("admin"):
        return
    if not actor_enterprises(ctx) & allowed:
        raise Forbidden(f"only the enterprise concerned may {what}")


def open_findings(ctx: ServiceContext) -> int:
    return ctx.session.scalar(
        select(func.count()).select_from(Finding).where(Finding.case_id == ctx.case.id, Finding.status == "open")
    ) or 0


@dataclass
class Draft:
    """A document to render: everything but its number and the issuing body."""

    kind: DocKind
    fields: list[tuple[str, str]]
    paragraphs: list[str]
    items: list[str] | None
    day: date


def issue_document(policy: SupervisionPolicy, ctx: ServiceContext, view: ProjectView,
                   draft: Draft) -> tuple[Document, str]:
    """Number, render, store and link one document; returns its row and 文号."""
    year = draft.day.year
    number = next_number(ctx.session, f"{view.district}/{draft.kind.series}", year)
    doc_number = f"{policy.doc_prefix}（{view.district}）{draft.kind.series}〔{year}〕第{number:04d}号"
    data = render_docx(draft.kind.title, doc_number, draft.fields, draft.paragraphs, draft.items,
                       policy.authority, date_text(draft.day))
    store = ctx.ports["documents"]
    document = store.store(ctx.session, data=data, filename=f"{draft.kind.title}-{doc_number}.docx",
                           kind=draft.kind.kind, case_id=ctx.case.id, author=ctx.actor.username,
                           created_at=ctx.clock.now())
    return document, doc_number
