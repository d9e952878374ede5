"""Operators, text conversion and iteration, each checked against the budget before it runs.

Python's own operators are used for the actual work; this module only decides *whether* the
work may be done (sizes estimated from the operands) and charges it to the budget.
"""
from __future__ import annotations

import ast
import datetime as dt
import itertools
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import CHARS_PER_OPERATION, CONTAINERS, Budget

_SIMPLE_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Sub: operator.sub,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
BINARY_OPERATORS = frozenset({ast.Add, ast.Mod, ast.Mult, ast.Pow, *_SIMPLE_BINARY})
UNARY_OPERATORS = frozenset({ast.USub, ast.UAdd, ast.Not})

# Format specs: the standard mini-language for numbers and text, strftime codes for dates.
_NUMBER_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d+)?[,_]?(?:\.(?P<precision>\d+))?[bcdeEfFgGnosxX%]?",
    re.DOTALL,
)
_DATE_SPEC = re.compile(r"(?:[^%]|%[aAbBdHIjmMpSUwWyYzZfGuV%])*", re.DOTALL)
_SEQUENCES = (str, list, tuple)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)  # bool included, as in Python


def binary(op: type[ast.operator], left: Any, right: Any, budget: Budget) -> Any:
    """Apply a binary operator after checking the size of its result.

    Args:
        op: the ``ast`` operator class (``ast.Add`` ...).
        left: left operand.
        right: right operand.
        budget: the evaluation's budget.

    Returns:
        The result of the operation.

    Raises:
        ExpressionLimitExceeded: the result would be too large.
        ExpressionError: the operation is not allowed on these operands.
    """
    if op is ast.Add:
        for kind in _SEQUENCES:
            if isinstance(left, kind) and isinstance(right, kind):
                budget.check_length(len(left) + len(right), text=kind is str)
        return budget.produced(left + right)
    if op is ast.Mult:
        return budget.produced(_multiply(left, right, budget))
    if op is ast.Pow:
        return budget.produced(_power(left, right, budget))
    if op is ast.Mod:
        if isinstance(left, str):
            raise ExpressionError("'%' formatting of text is not allowed; use an f-string")
        return budget.produced(left % right)
    return budget.produced(_SIMPLE_BINARY[op](left, right))


def _multiply(left: Any, right: Any, budget: Budget) -> Any:
    if _is_int(left) and _is_int(right):
        budget.check_bits(left.bit_length() + right.bit_length())
        return left * right
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, _SEQUENCES) and _is_int(count):
            budget.check_length(len(sequence) * max(count, 0), text=isinstance(sequence, str))
            return sequence * count
    return left * right


def _power(base: Any, exponent: Any, budget: Budget) -> Any:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        # Estimate the width of the result from the operands, before computing it.
        budget.check_bits(math.floor(exponent * math.log2(abs(base))) + 1)
    result = base**exponent
    if isinstance(result, complex):
        raise ExpressionError("the result is a complex number, which is not supported")
    return result


def unary(op: type[ast.unaryop], operand: Any) -> Any:
    """Apply ``-``, ``+`` or ``not``."""
    if op is ast.Not:
        return not operand
    if op is ast.USub:
        return -operand
    return +operand


def compare(op: type[ast.cmpop], left: Any, right: Any, budget: Budget) -> bool:
    """Apply one comparison, charging the walk over any containers it traverses."""
    if op is ast.Is:
        return left is right
    if op is ast.IsNot:
        return left is not right
    if op is ast.In or op is ast.NotIn:
        if isinstance(right, (set, frozenset, dict)):
            budget.weigh(left)  # hashed
        elif isinstance(right, CONTAINERS):
            budget.weigh(left)
            budget.weigh(right)  # compared element by element
        else:
            budget.charge_sizes((right,))  # a substring search scans the text
        found = left in right
        return found if op is ast.In else not found
    if isinstance(left, CONTAINERS) or isinstance(right, CONTAINERS):
        budget.weigh(left)
        budget.weigh(right)
    elif isinstance(left, str) and isinstance(right, str):
        budget.charge(min(len(left), len(right)) // CHARS_PER_OPERATION)
    return bool(_COMPARE[op](left, right))


def to_text(value: Any, budget: Budget) -> str:
    """``str(value)``, refused when the text would be too long or depend on set order."""
    if type(value) is str:
        return value
    if isinstance(value, Iterator):  # its text would be a memory address
        raise ExpressionError("a generator cannot be converted to text; use list(...) first")
    budget.weigh(value, as_text=True)
    return budget.produced(str(value))  # type: ignore[no-any-return]


def to_repr(value: Any, budget: Budget, conversion: str = "r") -> str:
    """``repr(value)`` (or ``ascii`` for conversion ``'a'``) under the same checks as text."""
    if isinstance(value, Iterator):
        raise ExpressionError("a generator cannot be converted to text; use list(...) first")
    budget.weigh(value, as_text=True)
    text = ascii(value) if conversion == "a" else repr(value)
    return budget.produced(text)  # type: ignore[no-any-return]


def format_value(value: Any, spec: str, budget: Budget) -> str:
    """``format(value, spec)`` for f-strings, accepting only simple format specs.

    Numbers and text take the standard mini-language with bounded width and precision; dates
    and times take strftime codes (``{due:%Y-%m-%d}``) without width flags.
    """
    if not spec:
        return to_text(value, budget)
    if isinstance(value, (dt.date, dt.time)):
        if _DATE_SPEC.fullmatch(spec) is None:
            raise ExpressionError(f"unsupported date format {spec!r}")
    else:
        match = _NUMBER_SPEC.fullmatch(spec)
        if match is None:
            raise ExpressionError(f"unsupported format spec {spec!r}")
        for group in ("width", "precision"):
            if match[group] is not None:
                # Cheap to check as text before int(): a 10,000-digit width is just refused.
                if len(match[group]) > 9:
                    budget.check_length(10**9, text=True)
                budget.check_length(int(match[group]), text=True)
        budget.weigh(value, as_text=True)
    return budget.produced(format(value, spec))  # type: ignore[no-any-return]


def _unordered(what: str) -> ExpressionError:
    return ExpressionError(
        f"a set has no defined order, so {what} cannot go through it; use sorted(...) first"
    )


def iterate(value: Any, what: str = "a loop") -> Iterator[Any]:
    """Iterate a value in order; sets are refused because their order is not deterministic."""
    if isinstance(value, (set, frozenset)):
        raise _unordered(what)
    if not isinstance(value, Iterable):
        raise ExpressionError(f"'{type(value).__name__}' object is not iterable")
    return iter(value)


def materialize(
    value: Any, budget: Budget, *, ordered: bool = True, what: str = "this function"
) -> list[Any]:
    """Copy an iterable into a list, refusing it before it grows past the sequence limit.

    Args:
        value: any iterable (a generator produced by a generator expression included).
        budget: the evaluation's budget.
        ordered: the caller depends on the order, so sets are refused.
        what: how to name the caller in error messages.
    """
    if ordered:
        iterator = iterate(value, what)
    else:
        iterator = iter(value)
    if isinstance(value, (str, list, tuple, dict, set, frozenset)):
        budget.check_length(len(value), text=False)
        items = list(iterator)
    else:
        limit = budget.limits.max_sequence_length
        items = list(itertools.islice(iterator, limit + 1))
        budget.check_length(len(items), text=False)
    return budget.produced(items)  # type: ignore[no-any-return]
