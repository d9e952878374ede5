"""Every route, API and pages, sent hostile input by an admin: never a 500, on both backends.

A smaller, permanent form of the sweep that found the cases in ``test_hostile_input``; a
route added later is swept too. CSRF is off here so form posts reach the views.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter, Rule

from storage import MAX_ID
from tests.fixtures.web import MakeUser, logged_in

HUGE = str(MAX_ID + 1)
INT_ARGS = ("1", str(MAX_ID), HUGE)
TEXT_ARGS = ("supervision_case", "a%00b", "%E2%80%AE" + "é" * 300)
QUERIES = ("", "page=0", "page=10000000000000000000000", "per_page=-1", "q=%00", "project_id=" + HUGE,
           "case_id=abc", "version=" + HUGE, "as_of=2026-02-30", "format=exe", "state=zzz&overdue=maybe")
BODIES: tuple[Any, ...] = ('"x"', "[]", "null", "[" * 5000, '{"data": {"a": "x\\u0000"}}',
                           '{"project_id": ' + HUGE + ', "case_id": ' + HUGE + "}", "not json")
FORMS: tuple[dict[str, str], ...] = ({}, {"name": "a\x00"}, {"date": "2026-02-30", "count": "-5", "decision": "zzz"})


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "WTF_CSRF_ENABLED": False}


def _paths(rule: Rule) -> Iterator[str]:
    converters = rule._converters  # noqa: SLF001 - werkzeug keeps a rule's converters there
    choices = [INT_ARGS if isinstance(converters[arg], IntegerConverter) else TEXT_ARGS for arg in rule.arguments]
    for values in itertools.islice(itertools.product(*choices), 6):
        path = rule.rule
        for arg, value in zip(rule.arguments, values):
            path = re.sub(r"<(?:[^:<>]+:)?%s>" % arg, value, path)
        yield path


def _sweep(app: Flask, send: Callable[[str, str, dict[str, Any]], int]) -> list[str]:
    failures = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in ("static", "auth.logout") or rule.endpoint.startswith("vendor"):
            continue
        for path in _paths(rule):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    attempts = [{"query_string": q} for q in QUERIES]
                else:
                    attempts = ([{"data": b, "content_type": "application/json"} for b in BODIES]
                                + [{"data": f} for f in FORMS])
                for kwargs in attempts:
                    status = send(method, path, kwargs)
                    if status >= 500:
                        failures.append(f"{method} {path} {kwargs!r:.120} → {status}")
    return failures


def test_no_route_answers_hostile_input_with_a_500(app: Flask, make_user: MakeUser,
                                                   make_token: Callable[[str], str]) -> None:
    make_user("root")
    headers = {"Authorization": f"Bearer {make_token('root')}"}
    browser: FlaskClient = logged_in(app, "root")

    def send(method: str, path: str, kwargs: dict[str, Any]) -> int:
        api = path.startswith("/api/")
        response = browser.open(path, method=method, headers=headers if api else None, **kwargs)
        response.close()  # streamed downloads end here
        return response.status_code

    failures = _sweep(app, send)
    assert not failures, "\n".join(failures)
