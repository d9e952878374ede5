"""``/api/v1/supervision``: the state of supervision cases (team, inspections, notices, findings).

Read-only: supervision advances through its tasks (``/api/v1/tasks``). Access follows the
case: a case or finding the caller may not read does not exist for it.
"""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from workflows.supervision import queries
from workflows.supervision.policy import policy_from

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .openapi import API_PREFIX, operation
from .parsing import query_args
from .supervision_schemas import FindingListArgs, FindingPageSchema, SupervisionCaseSchema

bp = Blueprint("api_supervision", __name__, url_prefix=API_PREFIX + "/supervision")


@bp.get("/cases/<int:case_id>")
@operation("A supervision case's team, inspections, notices with findings and rounds, reminders, acceptance",
           tags=["supervision"], responses={200: SupervisionCaseSchema})
@login_required
def case_summary(case_id: int) -> ResponseReturnValue:
    with get_session() as session:
        return SupervisionCaseSchema().dump(queries.case_summary(session, current_actor(), case_id))


@bp.get("/findings")
@operation("Findings the caller may read: open ones first, by due date", tags=["supervision"],
           query=FindingListArgs, responses={200: FindingPageSchema})
@login_required
def list_findings() -> ResponseReturnValue:
    args = query_args(FindingListArgs())
    services = current_services()
    today = policy_from(services.config).today(services.clock) if args["overdue"] else None
    flt = queries.FindingFilter(args["status"], args["project_id"], args["owner"], today)
    with get_session() as session:
        page = queries.list_findings(session, current_actor(), flt, args["page"], args["per_page"])
        return FindingPageSchema().dump({"items": queries.finding_rows(page), "total": page.total,
                                         "page": page.page, "per_page": page.per_page})
