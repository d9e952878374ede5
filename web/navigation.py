"""The main navigation: which links each role sees.

Entries whose endpoint the app does not (yet) serve are skipped, so later blueprints only
need to exist to appear; ``roles=None`` means every logged-in user.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, rendered in the request's language
    roles: frozenset[str] | None = None


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem("main.home", _l("Home")),
    NavItem("inbox.index", _l("Inbox"), frozenset({"inspector", "district_admin", "enterprise", "expert",
                                                    "process_owner", "admin"})),
    NavItem("cases.index", _l("Cases")),
    NavItem("models.index", _l("Process models"), frozenset({"process_owner", "admin"})),
    NavItem("dashboard.index", _l("Statistics"), frozenset({"district_admin", "admin", "auditor"})),
    NavItem("audit.index", _l("Audit trail"), frozenset({"auditor", "admin"})),
    NavItem("admin.users", _l("Users"), frozenset({"admin"})),
)


ROLE_LABELS = {
    "admin": _l("Administrator"),
    "process_owner": _l("Process owner"),
    "inspector": _l("Inspector"),
    "district_admin": _l("District administrator"),
    "enterprise": _l("Enterprise user"),
    "expert": _l("Evaluation expert"),
    "auditor": _l("Auditor"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def visible_nav() -> list[dict[str, object]]:
    """The links the current user may see, marked ``active`` for the current page."""
    if not current_user.is_authenticated:
        return []
    items = []
    for item in NAV_ITEMS:
        if item.endpoint not in current_app.view_functions:
            continue
        if item.roles is not None and not current_user.has_role(*item.roles):
            continue
        items.append({"url": url_for(item.endpoint), "label": item.label,
                      "active": request.endpoint == item.endpoint})
    return items


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": visible_nav, "role_label": role_label})
