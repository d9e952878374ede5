"""Field rules of reference data, shared by the API services and the imports.

Each check returns ``field → message`` for what is wrong (empty when all is well), so an API
call answers field by field and an import reports every bad cell of every line.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from storage.reference import PARTY_ROLES

from .credit_code import InvalidCreditCode, validate_credit_code

PROJECT_CODE = re.compile(r"^[^\s,;]{1,64}$")
# Upper limits of the numeric columns: Numeric(14, 2) for areas, Numeric(18, 2) for money.
MAX_AREA = Decimal("1e12")
MAX_MONEY = Decimal("1e16")
TEXT_LIMITS = {"name": 300, "address": 300, "enterprise_name": 200, "kind": 40,
               "legal_representative": 100}
DATE_PAIRS = (("supervision_start", "supervision_end"), ("construction_start", "construction_end"))


def credit_code_problem(code: str) -> str | None:
    try:
        validate_credit_code(code)
    except InvalidCreditCode as exc:
        return f"not a valid unified social credit code: {exc}"
    return None


def amount_problem(value: Decimal, limit: Decimal, what: str) -> str | None:
    if not value.is_finite():
        return f"the {what} must be a number"
    if value < 0:
        return f"the {what} must not be negative"
    if value >= limit:
        return f"the {what} is too large"
    if value != value.quantize(Decimal("0.01")):
        return f"the {what} has at most two decimals"
    return None


def text_problem(value: str | None, limit: int, *, required: bool) -> str | None:
    if value is None or not value.strip():
        return "this field is required" if required else None
    if len(value) > limit:
        return f"at most {limit} characters"
    return None


def project_problems(values: Mapping[str, Any], districts: Collection[str]) -> dict[str, str]:
    """Problems of a project's typed values (keys as in the ``projects`` import layout).

    Only the keys present are checked, so an import without optional columns passes.
    """
    problems: dict[str, str] = {}
    if "code" in values:
        code = values["code"] or ""
        if not PROJECT_CODE.match(code):
            problems["code"] = "a project code has 1 to 64 characters without spaces, commas or semicolons"
    for key in ("name", "address"):
        if key in values:
            problem = text_problem(values[key], TEXT_LIMITS[key], required=key == "name")
            if problem:
                problems[key] = problem
    if "district" in values:
        district = values["district"]
        if not district:
            problems["district"] = "this field is required"
        elif district not in districts:
            problems["district"] = f"unknown district {district!r}; the districts are {'、'.join(districts)}"
    for key, limit, what in (("floor_area_m2", MAX_AREA, "floor area"),
                             ("contract_value_cny", MAX_MONEY, "contract value")):
        if values.get(key) is not None:
            problem = amount_problem(values[key], limit, what)
            if problem:
                problems[key] = problem
    for start_key, end_key in DATE_PAIRS:
        start, end = values.get(start_key), values.get(end_key)
        if end is not None and start is None and start_key in values:
            problems[start_key] = f"{end_key} is given, so {start_key} is required"
        elif isinstance(start, date) and isinstance(end, date) and end < start:
            problems[end_key] = f"{end_key} {end.isoformat()} is before {start_key} {start.isoformat()}"
    return problems


def party_problems(role: str, code: str) -> str | None:
    if role not in PARTY_ROLES:
        return f"unknown party role {role!r}; roles are {', '.join(PARTY_ROLES)}"
    return credit_code_problem(code)


def enterprise_problems(values: Mapping[str, Any], districts: Collection[str]) -> dict[str, str]:
    """Problems of an enterprise's typed values (keys as in the ``enterprises`` layout)."""
    problems: dict[str, str] = {}
    if "code" in values:
        problem = credit_code_problem(values["code"] or "")
        if problem:
            problems["code"] = problem
    if "name" in values:
        problem = text_problem(values["name"], TEXT_LIMITS["enterprise_name"], required=True)
        if problem:
            problems["name"] = problem
    for key in ("kind", "legal_representative", "address"):
        if key in values:
            limit = TEXT_LIMITS.get(key, 300)
            problem = text_problem(values[key], limit, required=False)
            if problem:
                problems[key] = problem
    district = values.get("district")
    if district and district not in districts:
        problems["district"] = f"unknown district {district!r}; the districts are {'、'.join(districts)}"
    return problems


def contains_pattern(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching values that contain ``text`` literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
