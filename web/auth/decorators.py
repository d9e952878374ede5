"""Access decorators: 401/403 JSON under ``/api/``, a redirect to the login page elsewhere."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Request, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from storage import ROLES

F = TypeVar("F", bound=Callable[..., Any])


def is_api_request(req: Request) -> bool:
    return req.path == "/api" or req.path.startswith("/api/")


def is_safe_next(target: str | None) -> bool:
    """True for a local path such as ``/cases/3?tab=history`` (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def requested_path(req: Request) -> str:
    """The path to come back to after logging in (with its query string, if any)."""
    return req.full_path if req.query_string else req.path


def htmx_page_path(req: Request) -> str | None:
    """The page an htmx request was made from (its ``HX-Current-URL``), as a local path."""
    current = req.headers.get("HX-Current-URL")
    if not current:
        return None
    parts = urlsplit(current)
    if parts.netloc and parts.netloc != req.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if is_safe_next(path) else None


def unauthorized() -> Response:
    """401 for the API, a redirect to the login page (remembering where to return) otherwise.

    An htmx request (a claim button, a filter) cannot follow a redirect into the page part it
    replaces: it gets 401 with ``HX-Redirect``, so the whole page goes to the login form and
    comes back to the page the user was on, not to the fragment's URL.
    """
    if is_api_request(request):
        abort(401)
    flash(_("Please log in to see this page."), "info")
    if request.headers.get("HX-Request") == "true":
        login = url_for("auth.login", next=htmx_page_path(request) or url_for("main.home"))
        return Response("", status=401, headers={"HX-Redirect": login})
    return redirect(url_for("auth.login", next=requested_path(request)))


def login_required(view: F) -> F:
    """Allow only authenticated callers (session cookie or bearer token)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return unauthorized()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only callers holding at least one of ``roles`` (403 otherwise).

    Raises:
        ValueError: at import time, for a role name that does not exist.
    """
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"roles_required needs known roles, got {sorted(unknown) or 'none'}")

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
