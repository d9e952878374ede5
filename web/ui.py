"""Small helpers shared by the server-rendered pages (inbox, task, case, portal, audit, dashboard)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from engine.access import READ_ONLY_ROLES
from engine.actor import Actor

from .auth.principal import current_actor
from .services import current_services
from .task_form import flatten_errors


def is_htmx() -> bool:
    """The request comes from htmx (it wants a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def actor() -> Actor:
    """The engine actor of the logged-in caller (pages call this behind ``login_required``)."""
    found = current_actor()
    assert found is not None, "page views run behind login_required"
    return found


def read_only(who: Actor) -> bool:
    """The caller only reads (auditors): pages show no action buttons."""
    return not (who.roles - READ_ONLY_ROLES)


def query_args(schema: Schema) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The query string through ``schema``; invalid parameters are dropped and reported.

    A page never fails on a bad filter: it shows what it can and says what it ignored.
    """
    given = {k: v for k, v in request.args.items() if v != ""}
    try:
        return schema.load(given, unknown="exclude"), {}
    except ValidationError as exc:
        errors = exc.normalized_messages()
        bad = set(errors) if isinstance(errors, dict) else set()
        kept = {k: v for k, v in given.items() if k not in bad}
        return schema.load(kept, unknown="exclude"), flatten_errors(errors if isinstance(errors, dict) else {})


def near_due_limit() -> datetime:
    """Open tasks due before this time are highlighted as near due (policy INBOX_NEAR_DUE_DAYS)."""
    return current_services().clock.now() + timedelta(days=int(current_app.config["INBOX_NEAR_DUE_DAYS"]))


PARTY_LABELS = {
    "builder": _l("Builder"),
    "contractor": _l("Contractor"),
    "supervisor": _l("Supervising engineer"),
}

ACTION_LABELS = {
    "case.started": _l("Case started"),
    "case.completed": _l("Case closed"),
    "case.cancelled": _l("Case cancelled"),
    "case.archive_exported": _l("Case archive exported"),
    "instance.started": _l("Process started"),
    "instance.suspended": _l("Process suspended"),
    "instance.resumed": _l("Process resumed"),
    "instance.failed": _l("Process failed"),
    "task.claimed": _l("Task claimed"),
    "task.unclaimed": _l("Task released"),
    "task.completed": _l("Task completed"),
    "document.upload": _l("Document uploaded"),
    "signal.delivered": _l("Signal received"),
    "message.delivered": _l("Message received"),
    "timer.fired": _l("Deadline reached"),
    "model.deployed": _l("Model deployed"),
}


def party_label(role: str | None) -> str:
    return str(PARTY_LABELS.get(role or "", role or ""))


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def init_app(app: Flask) -> None:
    """Template helpers of the pages: party and action labels."""
    app.add_template_global(party_label, "party_label")
    app.add_template_global(action_label, "action_label")
