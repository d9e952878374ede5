"""An import map for the ES modules served from ``node_modules``, allowed by the page's CSP.

``bpmn-js-differ`` ships an ES module that imports ``min-dash`` by its bare name; browsers
resolve such names only through an import map, which must be inline. Rather than weakening
the Content-Security-Policy, the page that carries the map allows exactly that inline text
by its SHA-256 (CSP Level 2 hash source): no bundler, no build step, nothing else inline.
"""
from __future__ import annotations

import base64
import hashlib
import json

from flask import url_for

# Bare module name -> file under node_modules (each also listed in web/vendor.py).
MODULES = {
    "bpmn-js-differ": "bpmn-js-differ/dist/index.esm.js",
    "min-dash": "min-dash/dist/index.js",
}


def import_map() -> str:
    """The import map's exact text (its hash goes into the CSP header)."""
    imports = {name: url_for("vendor.asset", path=path) for name, path in MODULES.items()}
    return json.dumps({"imports": imports}, sort_keys=True)


def hash_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def allow_inline_script(policy: str, text: str) -> str:
    """``policy`` with the one inline script ``text`` allowed (and nothing else loosened).

    An existing ``script-src`` gets the hash; otherwise a ``script-src`` is added with the
    sources of ``default-src`` (which it would have inherited) plus the hash.
    """
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    names = [d.split()[0].lower() for d in directives]
    source = hash_source(text)
    if "script-src" in names:
        i = names.index("script-src")
        directives[i] = f"{directives[i]} {source}"
    else:
        default = directives[names.index("default-src")].split()[1:] if "default-src" in names else ["'self'"]
        directives.append(" ".join(["script-src", *default, source]))
    return "; ".join(directives)
