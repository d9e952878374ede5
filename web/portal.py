"""``/portal``: the enterprise's own page, made for a phone on site as much as for a desk.

Its projects, what it owes (its open tasks, soonest due first: logs, rectification replies),
the forms it may file (processes whose start event is in the ``enterprise`` lane) and the
history of what it filed.
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from engine import Forbidden, queries
from engine.case_view import display_names, open_tasks_of_case
from engine.inbox import InboxTab, inbox
from engine.portal import enterprise_codes, enterprise_projects, enterprises, submissions
from engine.starting import may_start, startable_processes

from .api.schemas import key_field
from .auth.decorators import roles_required
from .db import get_session
from .services import current_services
from .ui import actor, near_due_limit

bp = Blueprint("portal", __name__, url_prefix="/portal")
OBLIGATIONS_SHOWN = 50
PORTAL_ROLES = ("enterprise",)


class StartForm(Schema):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    project_id = key_field(load_default=None, allow_none=True)


@bp.get("")
@roles_required(*PORTAL_ROLES)
def index() -> ResponseReturnValue:
    who = actor()
    codes = enterprise_codes(who)
    now = current_services().clock.now()
    session = get_session()
    with session.begin():
        history = submissions(session, codes)
        obligations = inbox(session, who, InboxTab.ROLES, queries.TaskFilter(), now, per_page=OBLIGATIONS_SHOWN)
        context = {
            "companies": enterprises(session, codes),
            "codes": codes,
            "projects": enterprise_projects(session, codes),
            "obligations": obligations,
            "startable": startable_processes(session, who.roles),
            "history": history,
            "names": display_names(session, {h.by for h in history if h.by}),
            "now": now,
            "near_due": near_due_limit(),
        }
        return render_template("portal/index.html", **context)


@bp.post("/start")
@roles_required(*PORTAL_ROLES)
def start() -> ResponseReturnValue:
    """File a form: start a case of a process the enterprise may start, for one of its projects."""
    form = StartForm().load({k: v for k, v in request.form.items() if k in ("process_key", "project_id") and v})
    who = actor()
    engine = current_services().engine
    session = get_session()
    with session.begin():
        if not may_start(session, form["process_key"], who.roles):
            raise Forbidden(f"you may not start {form['process_key']!r}")
        project_id = form["project_id"]
        if project_id is not None and project_id not in {p.project.id for p in
                                                          enterprise_projects(session, enterprise_codes(who))}:
            raise Forbidden(f"project {project_id} is not one of your enterprise's projects")
        case = engine.start_case(session, form["process_key"], {}, who, project_id=project_id)
        first = open_tasks_of_case(session, who, case.id)
        case_id, task_id = case.id, (first[0].id if first else None)
    if task_id is not None:
        return redirect(url_for("tasks.show", task_id=task_id))
    flash(_("Filed. The case has started."), "success")
    return redirect(url_for("cases.show", case_id=case_id))
