"""Restricted evaluation of user-written conditions and scripts (ARCHITECTURE §2 rule 6).

Process owners write gateway conditions and script tasks in the browser. They are parsed with
``ast.parse``, checked against an allow-list and run by a small tree-walking interpreter under
resource limits; Python's ``eval``/``exec`` are never used. See ``engine/README.md``.
"""
from __future__ import annotations

from engine.expressions.api import check_expression, check_script, evaluate, execute
from engine.expressions.errors import ExpressionError, ExpressionLimitExceeded
from engine.expressions.functions import FUNCTIONS
from engine.expressions.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "FUNCTIONS",
    "ExpressionError",
    "ExpressionLimitExceeded",
    "Limits",
    "check_expression",
    "check_script",
    "evaluate",
    "execute",
]
