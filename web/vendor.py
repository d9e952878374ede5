"""Front-end packages installed by npm, served from ``node_modules`` (never from a CDN).

Only the files listed here are reachable: ``node_modules`` holds far more than the browser
needs (sources, maps, package metadata) and none of it should be served by accident.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, send_file
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

bp = Blueprint("vendor", __name__, url_prefix="/static/vendor")

ALLOWED_FILES = frozenset({
    "htmx.org/dist/htmx.min.js",
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js/dist/bpmn-modeler.production.min.js",
    "echarts/dist/echarts.min.js",
    # Process model diffs: bpmn-js-differ's ES module and the one module it imports by name
    # (resolved through the import map of the diff page, web/modeler/importmap.py).
    "bpmn-js-differ/dist/index.esm.js",
    "min-dash/dist/index.js",
})
# Whole directories (stylesheets and the icon font they reference).
ALLOWED_DIRS = ("bpmn-js/dist/assets/",)
MAX_AGE_SECONDS = 24 * 3600


def is_allowed(path: str) -> bool:
    if path in ALLOWED_FILES:
        return True
    return any(path.startswith(d) for d in ALLOWED_DIRS) and ".." not in path.split("/")


@bp.route("/<path:path>")
def asset(path: str) -> Response:
    if not is_allowed(path):
        abort(404)
    root = Path(current_app.config["NODE_MODULES_DIR"]).resolve()
    joined = safe_join(str(root), path)
    if joined is None:
        abort(404)
    target = Path(joined).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        abort(404)
    return send_file(target, max_age=MAX_AGE_SECONDS, conditional=True)
