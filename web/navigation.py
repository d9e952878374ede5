"""The main navigation: which links each role sees, with the inbox's open-task count.

Entries whose endpoint the app does not (yet) serve are skipped, so later blueprints only
need to exist to appear; ``roles=None`` means every logged-in user.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.inbox import InboxCounts, inbox_counts

from .auth.principal import current_actor
from .db import get_session
from .services import current_services

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, rendered in the request's language
    roles: frozenset[str] | None = None
    # Endpoints under this item mark it as the current section (e.g. a task page: the inbox).
    section: tuple[str, ...] = ()


WORKER_ROLES = frozenset({"inspector", "district_admin", "enterprise", "expert", "process_owner", "admin"})

NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("main.home", _l("Home")),
    NavItem("portal.index", _l("Enterprise portal"), frozenset({"enterprise"})),
    NavItem("inbox.index", _l("Inbox"), WORKER_ROLES, section=("inbox.", "tasks.")),
    NavItem("cases.index", _l("Cases"), frozenset(WORKER_ROLES - {"enterprise"}), section=("cases.",)),
    NavItem("models.index", _l("Process models"), frozenset({"process_owner", "admin"}), section=("models.",)),
    NavItem("dashboard.index", _l("Statistics"), frozenset({"district_admin", "admin", "auditor"}),
            section=("dashboard.",)),
    NavItem("sites.index", _l("Smart sites"), frozenset({"inspector", "district_admin", "enterprise", "admin",
                                                        "auditor"}), section=("sites.",)),
    NavItem("audit.index", _l("Audit trail"), frozenset({"auditor", "admin"}), section=("audit.",)),
    NavItem("admin.users", _l("Users"), frozenset({"admin"}), section=("admin.",)),
)


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "process_owner": _l("Process owner"),
    "inspector": _l("Inspector"),
    "district_admin": _l("District administrator"),
    "enterprise": _l("Enterprise user"),
    "expert": _l("Evaluation expert"),
    "auditor": _l("Auditor"),
    "system": _l("System"),
}


def role_label(role: str | None) -> str:
    if not role:
        return ""
    return str(ROLE_LABELS.get(role, role))


def _is_current(item: NavItem) -> bool:
    endpoint = request.endpoint or ""
    return endpoint == item.endpoint or any(endpoint.startswith(prefix) for prefix in item.section)


def inbox_badge() -> InboxCounts | None:
    """Open tasks claimed by and offered to the caller (computed once per request)."""
    if "_nav_inbox_counts" not in g:
        counts = None
        who = current_actor()
        if who is not None:
            try:
                counts = inbox_counts(get_session(), who, current_services().clock.now())
            except Exception:  # noqa: BLE001 - a count must never break the page (e.g. on an error page)
                log.exception("cannot count the inbox for the navigation")
        g._nav_inbox_counts = counts
    return g._nav_inbox_counts  # type: ignore[no-any-return]


def visible_nav() -> list[dict[str, object]]:
    """The links the current user may see, marked ``active`` for the current section."""
    if not current_user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.endpoint not in current_app.view_functions:
            continue
        if item.roles is not None and not current_user.has_role(*item.roles):
            continue
        entry: dict[str, object] = {"url": url_for(item.endpoint), "label": item.label,
                                    "active": _is_current(item), "current": request.endpoint == item.endpoint,
                                    "endpoint": item.endpoint, "count": None}
        if item.endpoint == "inbox.index":
            entry["count"] = inbox_badge()
        items.append(entry)
    return items


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": visible_nav, "role_label": role_label})
