"""``/api/v1/project-duties``: what the districts follow up (missing logs, self-inspection gaps)
and the suggestions a caller submitted or has to answer (DOMAIN §1.2).

Filing itself goes through cases and tasks (``/api/v1/cases``, ``/api/v1/tasks``) on the
``project_*`` models; these routes only read.
"""
from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from workflows.project import queries
from workflows.project.vocab import SuggestionStatus

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from .engine_schemas import PageArgs
from .openapi import API_PREFIX, operation
from .parsing import query_args

bp = Blueprint("api_project_duties", __name__, url_prefix=API_PREFIX + "/project-duties")


class DistrictArgs(PageArgs):
    district = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "one district; default: every district the caller may read"})


class MissingLogArgs(DistrictArgs):
    date = fields.Date(load_default=None, metadata={
        "description": "the log day (YYYY-MM-DD), late logs included; default: every log still missing"})


class GapArgs(DistrictArgs):
    week = fields.Date(load_default=None, metadata={"description": "the Monday of the week checked"})


class SuggestionArgs(PageArgs):
    status = fields.String(load_default=None, validate=validate.OneOf([s.value for s in SuggestionStatus]))


class MissingLogSchema(Schema):
    project_id = fields.Integer()
    project_code = fields.String()
    project_name = fields.String()
    district = fields.String(allow_none=True)
    party = fields.String(metadata={"description": "contractor | supervisor"})
    party_label = fields.String()
    enterprise_code = fields.String(allow_none=True)
    log_date = fields.Date()
    detected_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True, metadata={"description": "set when filed late"})
    resolved_case_id = fields.Integer(allow_none=True)


class InspectionGapSchema(Schema):
    project_id = fields.Integer()
    project_code = fields.String()
    project_name = fields.String()
    district = fields.String(allow_none=True)
    week_start = fields.Date()
    week_end = fields.Date()
    inspections = fields.Integer()
    required = fields.Integer()
    last_inspected_on = fields.Date(allow_none=True)
    detected_at = fields.AwareDateTime()


class SuggestionSchema(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    project_id = fields.Integer(allow_none=True)
    district = fields.String(allow_none=True)
    category = fields.String()
    title = fields.String()
    content = fields.String()
    submitted_by = fields.String()
    submitted_at = fields.AwareDateTime()
    status = fields.String()
    answer = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)


def _page_schema(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item)), "total": fields.Integer(),
                             "page": fields.Integer(), "per_page": fields.Integer()}, name=name)


MissingLogPage = _page_schema(MissingLogSchema, "MissingLogPage")
InspectionGapPage = _page_schema(InspectionGapSchema, "InspectionGapPage")
SuggestionPage = _page_schema(SuggestionSchema, "SuggestionPage")


@bp.get("/missing-logs")
@operation("Daily logs missing on working days (for district admins and inspectors)", tags=["project duties"],
           query=MissingLogArgs, responses={200: MissingLogPage})
@login_required
def missing_logs() -> ResponseReturnValue:
    args = query_args(MissingLogArgs())
    with get_session() as session:
        page = queries.missing_logs(session, current_actor(), district=args["district"], day=args["date"],
                                    page=args["page"], per_page=args["per_page"])
        return MissingLogPage().dump(page)


@bp.get("/self-inspection-gaps")
@operation("Weeks in which projects under construction were not self-inspected", tags=["project duties"],
           query=GapArgs, responses={200: InspectionGapPage})
@login_required
def self_inspection_gaps() -> ResponseReturnValue:
    args = query_args(GapArgs())
    with get_session() as session:
        page = queries.inspection_gaps(session, current_actor(), district=args["district"], week=args["week"],
                                       page=args["page"], per_page=args["per_page"])
        return InspectionGapPage().dump(page)


@bp.get("/suggestions")
@operation("The caller's suggestions with their answers (district staff: also their districts')",
           tags=["project duties"], query=SuggestionArgs, responses={200: SuggestionPage})
@login_required
def suggestions() -> ResponseReturnValue:
    args = query_args(SuggestionArgs())
    with get_session() as session:
        page = queries.suggestions_for(session, current_actor(), status=args["status"], page=args["page"],
                                       per_page=args["per_page"])
        return SuggestionPage().dump(page)
