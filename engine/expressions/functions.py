"""The default whitelist of functions callable from expressions and scripts.

Each entry is a :class:`LimitedFunction`: a plain callable for Python callers, which the
interpreter invokes with its budget so that sizes are checked before anything large is built.
``range``, ``enumerate``, ``zip`` return lists (plain data that a script may store in task
data). ``datetime(...)`` and ``parse_datetime(...)`` return timezone-aware UTC values, the
storage convention of the project; a naive ISO string is read as UTC.
"""
from __future__ import annotations

import ast
import datetime as dt
import decimal
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from engine.expressions.errors import ExpressionError, ExpressionLimitExceeded
from engine.expressions.limits import CONTAINERS, DEFAULT_LIMITS, ITEMS_PER_OPERATION, Budget
from engine.expressions.operators import binary, materialize, to_text

_MISSING: Any = object()
_NON_SCANNING = frozenset({"len", "bool", "str", "date", "datetime", "timedelta", "parse_date",
                           "parse_datetime"})
_NUMBERS = (int, float, decimal.Decimal)
#: ISO dates and datetimes are short; refuse long strings before parsing them.
_MAX_ISO_LENGTH = 64


class LimitedFunction:
    """A whitelisted function that checks its work against the evaluation's budget.

    Calling it directly (from Python) uses a fresh budget with the default limits.

    Attributes:
        name: the name user code calls it by.
        order_insensitive: its result does not depend on the order of an iterable argument,
            so a set may be passed to it (``sorted``, ``sum``, ``min`` ...).
        scans: its cost grows with the size of its arguments, which is charged to the budget
            (``len`` does not scan; ``str`` weighs what it converts itself).
    """

    __slots__ = ("name", "order_insensitive", "scans", "_implementation")

    def __init__(self, name: str, implementation: Callable[..., Any], *,
                 order_insensitive: bool = False, scans: bool = True) -> None:
        self.name = name
        self.order_insensitive = order_insensitive
        self.scans = scans
        self._implementation = implementation

    def invoke(self, budget: Budget, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call the function under ``budget``."""
        if self.scans:
            budget.charge_sizes(args)  # the function reads its arguments item by item
        try:
            return self._implementation(budget, *args, **kwargs)
        except TypeError as error:
            # Argument errors name the implementation ("_sorted()"); name the function instead.
            prefix = f"{self._implementation.__name__}()"
            message = str(error)
            if message.startswith(prefix):
                raise ExpressionError(f"{self.name}(){message[len(prefix):]}") from error
            raise

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.invoke(Budget(DEFAULT_LIMITS), list(args), kwargs)

    def __repr__(self) -> str:
        return f"<expression function {self.name}>"


def _int(budget: Budget, value: Any = 0, base: Any = _MISSING) -> int:
    if isinstance(value, str):
        # Parsing is quadratic in the number of digits: refuse long text before parsing.
        if len(value) > budget.limits.max_int_bits + 16:
            raise ExpressionLimitExceeded(
                f"text too long to convert to an integer ({len(value):,} characters)")
    elif isinstance(value, decimal.Decimal) and value.is_finite():
        if value.adjusted() > (budget.limits.max_int_bits * 77 >> 8) + 1:
            budget.check_bits(value.adjusted() * 10 // 3)
    result = int(value) if base is _MISSING else int(value, base)
    return budget.check_int(result)


def _float(budget: Budget, value: Any = 0.0) -> float:
    return float(value)


def _str(budget: Budget, value: Any = "") -> str:
    return to_text(value, budget)


def _bool(budget: Budget, value: Any = False) -> bool:
    return bool(value)


def _len(budget: Budget, value: Any) -> int:
    return len(value)


def _abs(budget: Budget, value: Any) -> Any:
    return budget.produced(abs(value))


def _round(budget: Budget, value: Any, ndigits: Any = None) -> Any:
    return budget.produced(round(value, ndigits))


def _sorted(budget: Budget, iterable: Any, *, reverse: bool = False) -> list[Any]:
    items = materialize(iterable, budget, ordered=False)
    budget.weigh(items)
    items.sort(reverse=reverse)
    return items


def _extreme(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(budget: Budget, *args: Any, default: Any = _MISSING) -> Any:
        if len(args) == 1:
            items = materialize(args[0], budget, ordered=False)
        else:
            items = list(args)
        budget.weigh(items)
        if default is _MISSING:
            return function(items)
        return function(items, default=default)

    return call


def _sum(budget: Budget, iterable: Any, start: Any = 0) -> Any:
    if isinstance(start, str):
        raise ExpressionError("sum() cannot add text; use ''.join(...) instead")
    items = materialize(iterable, budget, ordered=False)
    if isinstance(start, _NUMBERS) and all(isinstance(item, _NUMBERS) for item in items):
        # Numbers only: no single addition can outgrow its operands by more than one bit.
        return budget.produced(sum(items, start))
    total = start
    for item in items:
        budget.tick()
        total = binary(ast.Add, total, item, budget)
    return total


def _truth(function: Callable[[Any], bool]) -> Callable[..., bool]:
    def call(budget: Budget, iterable: Any) -> bool:
        if isinstance(iterable, (str, *CONTAINERS)):  # scanned item by item
            budget.charge(len(iterable) // ITEMS_PER_OPERATION)
        return function(iterable)

    return call


def _list(budget: Budget, iterable: Any = ()) -> list[Any]:
    return materialize(iterable, budget, what="list()")


def _tuple(budget: Budget, iterable: Any = ()) -> tuple[Any, ...]:
    return tuple(materialize(iterable, budget, what="tuple()"))


def _set(budget: Budget, iterable: Any = ()) -> set[Any]:
    items = materialize(iterable, budget, ordered=False)
    budget.weigh(items)
    return set(items)


def _dict(budget: Budget, iterable: Any = (), **kwargs: Any) -> dict[Any, Any]:
    if isinstance(iterable, Mapping):
        budget.check_length(len(iterable), text=False)
        budget.weigh(dict(iterable))
        result = dict(iterable)
    else:
        items = materialize(iterable, budget, what="dict()")
        budget.weigh(items)
        result = dict(items)
    budget.check_length(len(result) + len(kwargs), text=False)
    result.update(kwargs)
    return budget.produced(result)  # type: ignore[no-any-return]


def _range(budget: Budget, *args: Any) -> list[int]:
    span = range(*args)
    try:
        length = len(span)
    except OverflowError:  # more items than fit in a machine word
        length = budget.limits.max_sequence_length + 1
    budget.check_length(length, text=False)
    return budget.produced(list(span))  # type: ignore[no-any-return]


def _enumerate(budget: Budget, iterable: Any, start: int = 0) -> list[tuple[int, Any]]:
    items = materialize(iterable, budget, what="enumerate()")
    if isinstance(start, int):
        budget.check_int(start + len(items))
    return budget.produced(list(enumerate(items, start)))  # type: ignore[no-any-return]


def _zip(budget: Budget, *iterables: Any, strict: bool = False) -> list[tuple[Any, ...]]:
    columns = [materialize(iterable, budget, what="zip()") for iterable in iterables]
    return budget.produced(list(zip(*columns, strict=strict)))  # type: ignore[no-any-return]


def _timedelta(budget: Budget, *args: Any, **kwargs: Any) -> dt.timedelta:
    return dt.timedelta(*args, **kwargs)


def _date(budget: Budget, year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, day)


def _datetime(budget: Budget, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
              second: int = 0, microsecond: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=dt.timezone.utc)


def _iso_text(value: str, kind: str) -> str:
    if len(value) > _MAX_ISO_LENGTH:
        raise ExpressionError(f"not an ISO {kind}: text too long")
    return value.strip()


def _parse_date(budget: Budget, value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ExpressionError(f"parse_date() needs text, not '{type(value).__name__}'")
    try:
        return dt.date.fromisoformat(_iso_text(value, "date"))
    except ValueError:
        raise ExpressionError(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def _parse_datetime(budget: Budget, value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(_iso_text(value, "datetime"))
        except ValueError:
            raise ExpressionError(f"not an ISO datetime: {value!r}") from None
    else:
        raise ExpressionError(f"parse_datetime() needs text, not '{type(value).__name__}'")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def _build() -> Mapping[str, LimitedFunction]:
    plain: dict[str, Callable[..., Any]] = {
        "len": _len, "abs": _abs, "round": _round, "int": _int, "float": _float, "str": _str,
        "bool": _bool, "list": _list, "tuple": _tuple, "dict": _dict, "range": _range,
        "enumerate": _enumerate, "zip": _zip, "timedelta": _timedelta, "date": _date,
        "datetime": _datetime, "parse_date": _parse_date, "parse_datetime": _parse_datetime,
    }
    unordered: dict[str, Callable[..., Any]] = {
        "min": _extreme(min), "max": _extreme(max), "sum": _sum, "sorted": _sorted,
        "any": _truth(any), "all": _truth(all), "set": _set,
    }
    table = {name: LimitedFunction(name, impl, scans=name not in _NON_SCANNING)
             for name, impl in plain.items()}
    table.update({name: LimitedFunction(name, impl, order_insensitive=True)
                  for name, impl in unordered.items()})
    return MappingProxyType(dict(sorted(table.items())))


#: The default whitelist: name -> function. Callers add their own (e.g. ``now``) per call.
FUNCTIONS: Mapping[str, Callable[..., Any]] = _build()
