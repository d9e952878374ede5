"""Smart-site data by project: the open-data readings interface, declared applications, the star report.

- ``GET /api/v1/projects/{id}/readings``: an enterprise reads its own sites' readings free of
  charge (seed 004); staff read their district's.
- ``GET|POST /api/v1/projects/{id}/site-applications`` and ``DELETE …/{application}``:
  the applications no device can show.
- ``GET /api/v1/reports/smart-sites?as_of=``: star levels, shortfalls, online rates per district.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from engine import FieldErrors, queries
from workflows.devices.access import readable_project
from workflows.devices.queries import DAY, readings_query
from workflows.devices.site_applications import declare, declared, withdraw
from workflows.devices.star_rating import resolve_as_of, smart_site_report

from ..auth.decorators import login_required
from ..auth.principal import current_actor
from ..db import get_session
from ..services import current_services
from .device_schemas import (
    ReadingListArgs, ReadingPageSchema, SiteApplicationInSchema, SiteApplicationSchema, SmartSiteArgs,
    SmartSiteReportSchema,
)
from .devices import device_policy
from .openapi import API_PREFIX, operation
from .parsing import json_body, query_args

bp = Blueprint("api_smart_sites", __name__, url_prefix=API_PREFIX)
MAX_RANGE = timedelta(days=31)


@bp.get("/projects/<int:project_id>/readings")
@operation("Readings of a project's devices, newest first (the free open-data interface)", tags=["devices"],
           query=ReadingListArgs, responses={200: ReadingPageSchema},
           description="An enterprise reads the projects it is a party to; 'from'/'to' span at most 31 days "
                       "(default: the last 24 hours).")
@login_required
def project_readings(project_id: int) -> ResponseReturnValue:
    args = query_args(ReadingListArgs())
    # By default up to now, including readings of device clocks running a little ahead.
    end = args["end"] or current_services().clock.now() + device_policy().max_future
    start = args["start"] or end - DAY
    if not start < end or end - start > MAX_RANGE:
        raise FieldErrors({"from": ["'from' must be before 'to', at most 31 days apart"]})
    with get_session() as session:
        readable_project(session, current_actor(), project_id)
        page = queries.paginate(session, readings_query(project_id, args["quantity"], args["device_id"], start, end),
                                args["page"], args["per_page"])
        return ReadingPageSchema().dump(page)


@bp.get("/projects/<int:project_id>/site-applications")
@operation("Smart-site applications declared for a project", tags=["devices"],
           responses={200: SiteApplicationSchema(many=True)})
@login_required
def list_site_applications(project_id: int) -> ResponseReturnValue:
    with get_session() as session:
        readable_project(session, current_actor(), project_id)
        return SiteApplicationSchema(many=True).dump(declared(session, project_id))


@bp.post("/projects/<int:project_id>/site-applications")
@operation("Declare a smart-site application no device shows (wage account, BIM…)", tags=["devices"],
           body=SiteApplicationInSchema, responses={201: SiteApplicationSchema})
@login_required
def declare_site_application(project_id: int) -> ResponseReturnValue:
    args = json_body(SiteApplicationInSchema())
    session = get_session()
    with session.begin():
        project = readable_project(session, current_actor(), project_id)
        row = declare(session, current_actor(), project, args["application"], args["note"],
                      current_services().clock.now())
        return SiteApplicationSchema().dump(row), 201


@bp.delete("/projects/<int:project_id>/site-applications/<application>")
@operation("Withdraw a declared smart-site application", tags=["devices"], responses={200: SiteApplicationSchema})
@login_required
def withdraw_site_application(project_id: int, application: str) -> ResponseReturnValue:
    session = get_session()
    with session.begin():
        project = readable_project(session, current_actor(), project_id)
        row = withdraw(session, current_actor(), project, application, current_services().clock.now())
        return SiteApplicationSchema().dump(row)


@bp.get("/reports/smart-sites")
@operation("Smart-site star levels, projects falling short and online rates per district", tags=["reports"],
           query=SmartSiteArgs, responses={200: SmartSiteReportSchema},
           description="as_of: a date (the end of that day, local time) or a time; default now. Covers the "
                       "projects under construction the caller may read.")
@login_required
def smart_sites() -> ResponseReturnValue:
    args = query_args(SmartSiteArgs())
    policy = device_policy()
    as_of = resolve_as_of(args["as_of"], current_services().clock.now(), policy)
    with get_session() as session:
        report = smart_site_report(session, current_actor(), policy, as_of, current_app.config["DISTRICTS"])
        body = {"as_of": report.as_of, "projects": report.projects, "short": report.short,
                "districts": report.districts, "total": report.total}
        return SmartSiteReportSchema().dump(body)
