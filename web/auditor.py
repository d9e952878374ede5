"""``/audit``: the auditors' pages. Search cases, read them without any action, verify the
audit chain, export a case's archive (ZIP with history, documents and a SHA-256 manifest).

Auditors change nothing; what they look at is still recorded (an export is an audit event).
"""
from __future__ import annotations

import dataclasses

from flask import Blueprint, Response, render_template, stream_with_context
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from engine import queries
from engine.archive import plan_archive, stream_archive
from engine.case_view import CaseSearch, process_names, search_cases
from engine.status import CaseStatus
from storage.audit import verify_chain

from .audit_trail import record
from .auth.decorators import roles_required
from .cases import case_page_context
from .db import get_session
from .services import current_services
from .ui import actor, is_htmx, local_tz, query_args

bp = Blueprint("audit", __name__, url_prefix="/audit")
AUDITORS = ("auditor", "admin")
PER_PAGE = 50


class CaseSearchArgs(Schema):
    project = fields.String(load_default=None, validate=validate.Length(max=100))
    enterprise = fields.String(load_default=None, validate=validate.Length(max=100))
    process = fields.String(load_default=None, validate=validate.Length(max=200))
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in CaseStatus]))
    date_from = fields.Date(load_default=None, data_key="from")
    date_to = fields.Date(load_default=None, data_key="to")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=queries.MAX_PAGE))

    @validates_schema
    def _range(self, data: dict, **_kw: object) -> None:  # type: ignore[type-arg]
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("the start date is after the end date", "to")


@bp.get("")
@roles_required(*AUDITORS)
def index() -> ResponseReturnValue:
    args, problems = query_args(CaseSearchArgs())
    search = CaseSearch(project=args["project"], enterprise=args["enterprise"], process_key=args["process"],
                        status=args["status"], created_from=args["date_from"], created_to=args["date_to"])
    searched = any(v for k, v in args.items() if k != "page")
    session = get_session()
    with session.begin():
        page = search_cases(session, actor(), search, local_tz(), page=args["page"], per_page=PER_PAGE)
        processes = process_names(session)
    return render_template("audit/index.html", page=page, args=args, problems=problems, processes=processes,
                           statuses=[s.value for s in CaseStatus], searched=searched)


@bp.get("/cases/<int:case_id>")
@roles_required(*AUDITORS)
def case(case_id: int) -> ResponseReturnValue:
    session = get_session()
    with session.begin():
        context = case_page_context(session, actor(), case_id, readonly=True)
        return render_template("audit/case.html", **context)


@bp.post("/verify")
@roles_required(*AUDITORS)
def verify() -> ResponseReturnValue:
    """Recompute the whole hash chain (POST: it is long work, never to be prefetched)."""
    session = get_session()
    with session.begin():
        report = verify_chain(session)
    template = "audit/_chain.html" if is_htmx() else "audit/chain.html"
    return render_template(template, report=dataclasses.asdict(report),
                           checked_at=current_services().clock.now())


@bp.get("/cases/<int:case_id>/archive.zip")
@roles_required(*AUDITORS)
def archive(case_id: int) -> ResponseReturnValue:
    """The case's archive, streamed: history (JSON, CSV), every document, manifest.json."""
    who = actor()
    services = current_services()
    session = get_session()
    with session.begin():
        found = queries.case_for(session, who, case_id)
        plan = plan_archive(session, found, generated_at=services.clock.now(), generated_by=who.username)
        record(session, "case.archive_exported", actor=who.username, role=who.role_for_audit, case_id=case_id,
               data={"documents": len(plan.documents)})

    def chunks():  # type: ignore[no-untyped-def]
        # Documents are read one at a time while the response streams, each in a short session.
        def read(document_id: int) -> bytes:
            with services.session_factory() as reader:
                return services.documents.read(reader, document_id)[1]

        yield from stream_archive(plan, read)

    filename = f"case-{case_id}-archive.zip"
    return Response(stream_with_context(chunks()), mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
