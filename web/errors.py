"""Error responses: JSON ``{"error", "message", "details"}`` under ``/api/``, pages elsewhere.

Never a stack trace: unexpected exceptions are logged and answered with a generic 500.

Engine errors map to one status each. ``EventNotDelivered`` (a message that matched no waiting
instance) is 409, not 404: the endpoint exists and the request is well formed, but nothing is
currently in a state to receive it, and the same request may succeed once an instance waits.

Collisions with concurrent transactions, which the database resolves by rolling one back, are
not internal errors either: a deadlock or a lock that could not be had is 503 with
``Retry-After`` (nothing was saved; the same request may succeed a moment later), and a row
saved twice at the same moment is 409.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    EngineError,
    EventNotDelivered,
    FieldErrors,
    Forbidden,
    ModelInvalid,
    NotFound,
    ScriptFailed,
    TaskBudgetExceeded,
)
from storage.errors import (
    DocumentCorrupted,
    DocumentEmpty,
    DocumentNotFound,
    DocumentTooLarge,
    DocumentTypeRefused,
    ObjectMissing,
    StorageError,
    is_contention,
    is_duplicate,
)
from storage.users import AccountError, DuplicateUser

from .auth.decorators import is_api_request

log = logging.getLogger(__name__)

# Checked in order: the first class an error is an instance of decides its status.
ENGINE_STATUS: tuple[tuple[type[EngineError], int], ...] = (
    (FieldErrors, 400),
    (ModelInvalid, 400),
    (NotFound, 404),
    (Forbidden, 403),
    (TaskBudgetExceeded, 409),
    (EventNotDelivered, 409),
    (Conflict, 409),
    (ScriptFailed, 422),
)
STORAGE_STATUS: tuple[tuple[type[StorageError], int], ...] = (
    (DocumentEmpty, 400),
    (DocumentTypeRefused, 400),
    (DocumentTooLarge, 413),
    (DocumentNotFound, 404),
    (ObjectMissing, 500),
    (DocumentCorrupted, 500),
)
HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "unprocessable", 429: "rate_limited", 500: "internal_error", 503: "busy",
}
RETRY_AFTER_SECONDS = 1  # a collision is over once the other transaction ends


class ApiError(Exception):
    """An error a route raises on purpose, rendered with its own status and code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def status_for(error: EngineError | StorageError) -> int:
    table: tuple[tuple[type[Exception], int], ...] = (
        ENGINE_STATUS if isinstance(error, EngineError) else STORAGE_STATUS
    )
    for cls, status in table:
        if isinstance(error, cls):
            return status
    return 500


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> tuple[Response, int]:
    """The API's error body, or the localized error page outside ``/api/``."""
    if is_api_request(request):
        response = jsonify({"error": code, "message": message, "details": details})
    else:
        response = _error_page(status, message)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response, status


def _error_page(status: int, message: str) -> Response:
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    try:
        return Response(render_template(template, status=status, message=message))
    except Exception:  # noqa: BLE001 - the page itself failed (e.g. the database is down)
        log.exception("cannot render the error page for status %s", status)
        return Response(f"{status}: {message}", mimetype="text/plain")


def handle_http(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="oversite"'
        return error_response(401, "unauthorized", _("Authentication required: log in or send a bearer token."),
                              headers=headers)
    if status == 413:
        limit = request.max_content_length
        return error_response(413, "too_large", _("The request is larger than the limit (%(limit)s bytes).",
                                                  limit=limit), {"max_bytes": limit}, headers)
    if status == 429:
        return error_response(429, "rate_limited", _("Too many attempts; wait a minute and try again."),
                              headers=headers)
    if status >= 500:
        return error_response(status, HTTP_CODES.get(status, "internal_error"), _("Internal error."))
    code = HTTP_CODES.get(status, f"http_{status}")
    return error_response(status, code, exc.description or code, headers=headers)


def handle_csrf(exc: CSRFError) -> tuple[Response, int]:
    return error_response(
        400, "csrf_failed",
        _("The form has expired or did not come from this site: reload the page and try again."),
        {"reason": exc.description},
    )


def handle_engine(exc: EngineError) -> tuple[Response, int]:
    return error_response(status_for(exc), exc.code, exc.message, exc.details)


def handle_storage(exc: StorageError) -> tuple[Response, int]:
    status = status_for(exc)
    if status >= 500:
        # Integrity problems are for the operators' log, not the caller.
        log.error("document store failure: %s (%s)", exc.message, exc.details)
        return error_response(500, exc.code, _("The document cannot be read; the operators have been told."))
    return error_response(status, exc.code, exc.message, exc.details)


def handle_validation(exc: ValidationError) -> tuple[Response, int]:
    return error_response(400, "validation_error", _("The submitted data is invalid."), exc.messages)


def handle_account(exc: AccountError) -> tuple[Response, int]:
    status = 409 if isinstance(exc, DuplicateUser) else 400
    details = {exc.field: [exc.message]} if exc.field else None
    return error_response(status, exc.code, exc.message, details)


def handle_api_error(exc: ApiError) -> tuple[Response, int]:
    return error_response(exc.status, exc.code, exc.message, exc.details)


def busy_message() -> str:
    """What a request refused for a collision (``storage.errors.is_contention``) is told."""
    return _("The same records were being changed by someone else at that moment; nothing was saved. Try again.")


def handle_database(exc: DBAPIError) -> tuple[Response, int]:
    if is_contention(exc):
        log.warning("%s %s collided with a concurrent transaction: %s", request.method, request.path, exc.orig)
        return error_response(503, "busy", busy_message(), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if is_duplicate(exc):
        log.warning("%s %s: duplicate refused by the database: %s", request.method, request.path, exc.orig)
        return error_response(409, "conflict", _("This was saved by someone else at the same moment; nothing of yours "
                                                 "was saved. Reload and check."))
    return handle_unexpected(exc)


def handle_unexpected(exc: Exception) -> tuple[Response, int]:
    if isinstance(exc, HTTPException):
        return handle_http(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "internal_error", _("Internal error."))


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(EngineError, handle_engine)
    app.register_error_handler(StorageError, handle_storage)
    app.register_error_handler(ValidationError, handle_validation)
    app.register_error_handler(AccountError, handle_account)
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(DBAPIError, handle_database)
    app.register_error_handler(Exception, handle_unexpected)
