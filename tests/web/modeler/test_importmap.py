"""The diff page's import map and the CSP that allows exactly it."""
from __future__ import annotations

import base64
import hashlib
import json

from flask import Flask

from web.modeler.importmap import MODULES, allow_inline_script, hash_source, import_map
from web.vendor import is_allowed

BASE = "default-src 'self'; object-src 'none'"


def test_hash_source_is_the_csp_sha256_of_the_text() -> None:
    digest = base64.b64encode(hashlib.sha256("abc".encode()).digest()).decode()
    assert hash_source("abc") == f"'sha256-{digest}'"


def test_script_src_inherits_default_src_and_adds_only_the_hash() -> None:
    policy = allow_inline_script(BASE, "x")
    assert policy == f"default-src 'self'; object-src 'none'; script-src 'self' {hash_source('x')}"


def test_an_existing_script_src_gets_the_hash_appended() -> None:
    policy = allow_inline_script("default-src 'none'; script-src 'self' https://cdn.invalid;", "x")
    assert policy == f"default-src 'none'; script-src 'self' https://cdn.invalid {hash_source('x')}"


def test_without_default_src_scripts_stay_same_origin() -> None:
    assert allow_inline_script("object-src 'none'", "x") == f"object-src 'none'; script-src 'self' {hash_source('x')}"


def test_import_map_points_at_served_vendor_files(app: Flask) -> None:
    with app.test_request_context():
        imports = json.loads(import_map())["imports"]
    assert set(imports) == set(MODULES)
    for name, url in imports.items():
        assert url == f"/static/vendor/{MODULES[name]}"
        assert is_allowed(MODULES[name])
