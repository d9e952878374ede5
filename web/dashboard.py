"""``/dashboard``: the bureau's two usage tables on a chosen day, their ratios as bar charts.

The tables come from ``workflows.reports`` (the same cells as the API's JSON, CSV, XLSX and
DOCX); the export buttons link to ``/api/v1/reports/<name>?as_of=…&format=…``. The charts
(ECharts, drawn by ``static/dashboard.js``) show each percentage column by district.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from workflows.reference.districts import configured_districts
from workflows.reference.today import local_date
from workflows.reports import TABLES, TOTAL_LABEL, Report, build_report
from workflows.reports.tables import Kind

from .auth.decorators import roles_required
from .db import get_session
from .services import current_services
from .ui import query_args

bp = Blueprint("dashboard", __name__)
READERS = ("admin", "district_admin", "inspector", "auditor", "process_owner")
EXPORT_FORMATS = ("csv", "xlsx", "docx")
EARLIEST = date(2000, 1, 1)


class DashboardArgs(Schema):
    as_of = fields.Date(load_default=None, validate=validate.Range(min=EARLIEST))


def _ratio(text: str) -> float | None:
    try:
        return float(Decimal(text.rstrip("%")))
    except (InvalidOperation, ValueError):
        return None


def chart_data(report: Report) -> dict[str, Any]:
    """The percentage columns by district (the total row left out) for one bar chart."""
    districts = [row[0] for row in report.rows if row[0] != TOTAL_LABEL]
    series = []
    for index, kind in enumerate(report.kinds):
        if kind is Kind.PERCENT:
            series.append({"name": report.columns[index],
                           "data": [_ratio(row[index]) for row in report.rows if row[0] != TOTAL_LABEL]})
    return {"title": report.spec.title, "districts": districts, "series": series}


@bp.get("/dashboard")
@roles_required(*READERS)
def index() -> ResponseReturnValue:
    args, problems = query_args(DashboardArgs())
    services = current_services()
    today = local_date(services.clock.now(), services.config)
    as_of = args["as_of"] or today
    districts = configured_districts(services.config)
    with get_session() as session:
        reports = [build_report(session, name, as_of, districts) for name in TABLES]
    tables = [{"report": r, "name": r.spec.name, "chart": json.dumps(chart_data(r), ensure_ascii=False),
               "percent_columns": {i for i, k in enumerate(r.kinds) if k is Kind.PERCENT}} for r in reports]
    return render_template("dashboard/index.html", tables=tables, as_of=as_of, today=today, problems=problems,
                           formats=EXPORT_FORMATS)
