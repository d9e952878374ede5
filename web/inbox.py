"""``/inbox``: my tasks, my roles' tasks, everything in my scope; claim and unclaim with htmx.

Filters travel in the query string, so a filtered inbox is a link. htmx replaces only the
result list when a filter changes and only a row when a task is claimed; without JavaScript
the same forms submit normally.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from engine import Conflict, Forbidden, queries
from engine.case_view import process_names
from engine.inbox import SORTS, InboxTab, inbox, rows_for

from .auth.decorators import is_safe_next, login_required
from .db import get_session
from .navigation import inbox_badge
from .services import current_services
from .ui import actor, is_htmx, near_due_limit, query_args

bp = Blueprint("inbox", __name__)
PER_PAGE = 25
MAX_DUE_DAYS = 366


class InboxArgs(Schema):
    tab = fields.String(load_default=InboxTab.ROLES.value, validate=validate.OneOf([t.value for t in InboxTab]))
    process = fields.String(load_default=None, validate=validate.Length(max=200))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    district = fields.String(load_default=None, validate=validate.Length(max=64))
    overdue = fields.Boolean(load_default=False)
    due_within = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_DUE_DAYS))
    sort = fields.String(load_default="due", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=queries.MAX_PAGE))


def task_filter(args: dict) -> queries.TaskFilter:  # type: ignore[type-arg]
    return queries.TaskFilter(process_key=args["process"], project_name=args["q"], district=args["district"],
                              overdue=args["overdue"], due_within_days=args["due_within"])


def _link_args(args: dict, **changes: object) -> str:  # type: ignore[type-arg]
    """The query string of the inbox with ``changes`` (defaults left out)."""
    merged = {**args, **changes}
    defaults = InboxArgs().load({})
    kept = {k: v for k, v in merged.items() if v not in (None, "", False) and v != defaults.get(k)}
    return "?" + urlencode({k: ("1" if v is True else v) for k, v in kept.items()}) if kept else ""


@bp.get("/inbox")
@login_required
def index() -> ResponseReturnValue:
    args, problems = query_args(InboxArgs())
    who = actor()
    now = current_services().clock.now()
    session = get_session()
    with session.begin():
        page = inbox(session, who, InboxTab(args["tab"]), task_filter(args), now, page=args["page"],
                     per_page=PER_PAGE, sort=args["sort"])
        processes = process_names(session)
        inbox_badge()  # the navigation's counts, in this transaction rather than another
    context = {"page": page, "args": args, "problems": problems, "now": now, "near_due": near_due_limit(),
               "processes": processes, "districts": current_app.config["DISTRICTS"], "link": _link_args,
               "tabs": [(InboxTab.MINE, _("Claimed by me")), (InboxTab.ROLES, _("For my roles")),
                        (InboxTab.SCOPE, _("Everything in my scope"))],
               "here": request.full_path if request.query_string else request.path}
    if is_htmx() and request.headers.get("HX-Target") == "inbox-results":
        return render_template("inbox/_results.html", **context)
    return render_template("inbox/index.html", **context)


def _act(task_id: int, verb: str) -> ResponseReturnValue:
    who = actor()
    engine = current_services().engine
    session = get_session()
    error = None
    try:
        with session.begin():
            getattr(engine, verb)(session, task_id, who)
    except (Conflict, Forbidden) as exc:
        error = _("The task was claimed by someone else or has changed; reload the inbox.") \
            if isinstance(exc, Conflict) else _("You may not do this with this task.")
    if is_htmx():
        now = current_services().clock.now()
        with session.begin():
            rows = rows_for(session, who, [task_id], all_workable=False)
        return render_template("inbox/_row_update.html", row=rows[0] if rows else None, error=error, now=now,
                               near_due=near_due_limit(), nav_counts=inbox_badge(), here=request.form.get("next"))
    if error:
        flash(error, "error")
    else:
        flash(_("Task claimed: it is now yours alone.") if verb == "claim"
              else _("Task released: it is open for your role again."), "info")
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("inbox.index"))


@bp.post("/inbox/tasks/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> ResponseReturnValue:
    return _act(task_id, "claim")


@bp.post("/inbox/tasks/<int:task_id>/unclaim")
@login_required
def unclaim(task_id: int) -> ResponseReturnValue:
    return _act(task_id, "unclaim")
