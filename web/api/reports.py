"""``GET /api/v1/reports/{supervision-usage|project-usage}``: the bureau's usage tables on a day."""
from __future__ import annotations

import io

from flask import Blueprint, send_file
from flask.typing import ResponseReturnValue

from engine.errors import NotFound
from workflows.reference.districts import configured_districts
from workflows.reference.today import local_date
from workflows.reports import TABLES, as_json, build_report, render

from ..auth.decorators import roles_required
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import query_args
from .reference_schemas import ReportArgs, ReportSchema

bp = Blueprint("api_reports", __name__, url_prefix=API_PREFIX + "/reports")
READERS = ("admin", "district_admin", "inspector", "auditor", "process_owner")


@bp.get("/<name>")
@operation("A usage table (supervision-usage or project-usage) as of a day", tags=["reports"], query=ReportArgs,
           responses={200: ReportSchema},
           description="format=csv|xlsx|docx downloads a file with the same cell text (CSV: UTF-8 with BOM). "
                       "Nothing dated after as_of counts.")
@roles_required(*READERS)
def report(name: str) -> ResponseReturnValue:
    if name not in TABLES:
        raise NotFound(f"unknown report {name!r}; reports are {', '.join(TABLES)}")
    args = query_args(ReportArgs())
    services = current_services()
    as_of = args["as_of"] or local_date(services.clock.now(), services.config)
    with get_session() as session:
        table = build_report(session, name, as_of, configured_districts(services.config))
    if args["format"] == "json":
        return as_json(table)
    rendered = render(table, args["format"])
    return send_file(io.BytesIO(rendered.body), mimetype=rendered.content_type, as_attachment=True,
                     download_name=rendered.filename)
