"""CSRF policy and security headers.

CSRF is checked for every state-changing request that a browser could forge: all page
requests, and API requests that carry the session cookie (their token comes in the
``X-CSRFToken`` header). API requests with ``Authorization: Bearer`` are exempt, and so are
API requests without any cookie: with no ambient credential there is nothing to forge.
"""
from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from .auth.decorators import is_api_request
from .auth.loading import has_bearer
from .extensions import csrf

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def needs_csrf_check() -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return False
    if has_bearer(request):
        return False
    if is_api_request(request):
        return current_app.config["SESSION_COOKIE_NAME"] in request.cookies
    return True


def check_csrf() -> None:
    if needs_csrf_check():
        csrf.protect(apply_exemptions=True)


def add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    if is_api_request(request):
        # API answers are per caller; no shared cache may keep them.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
    hops = int(app.config.get("TRUSTED_PROXIES", 0))
    if hops > 0:
        # Behind N reverse proxies: take the client address and scheme from their headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
