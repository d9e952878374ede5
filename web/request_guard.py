"""Refuse hostile input before any view sees it, with a 400 instead of a 500.

* The NUL character: PostgreSQL's text and JSONB cannot store U+0000. A NUL in a path, a
  query parameter, a form field or a JSON body used to fail deep inside a query; it is one
  clear 400 now, naming where it was, on every backend alike.
* JSON nested deeper than Python's parser can follow (``[[[[…``): its RecursionError was a
  500; it is now invalid JSON like any other.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext as _

from storage import NUL, nul_path

from .errors import ApiError

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, keeping the order of keys as written, and bounded nesting on input."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError as exc:  # Flask answers a ValueError as invalid JSON (400)
            raise ValueError("JSON nested too deeply") from exc


def init_app(app: Flask) -> None:
    app.json = JSONProvider(app)
    app.before_request(refuse_nul)


def refuse_nul() -> None:
    """400 if the request carries a NUL anywhere a view would read it."""
    where = next(_nul_places(), None)
    if where is not None:
        raise ApiError(400, "bad_request", _("NUL characters (U+0000) are not accepted (%(where)s).", where=where),
                       {where: [_("contains a NUL character")]})


def _nul_places() -> Iterator[str]:
    if NUL in request.path:
        yield "path"
    for key, value in request.args.items(multi=True):
        if NUL in key or NUL in value:
            yield key.replace(NUL, "") or "query"
    if request.mimetype in _FORM_TYPES:
        for key, value in request.form.items(multi=True):
            if NUL in key or NUL in value:
                yield key.replace(NUL, "") or "form"
        for key, upload in request.files.items(multi=True):
            if NUL in key or NUL in (upload.filename or ""):
                yield key.replace(NUL, "") or "file"
    elif request.is_json:
        where = nul_path(request.get_json(silent=True))
        if where is not None:
            yield where or "body"
