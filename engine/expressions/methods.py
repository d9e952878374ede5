"""The methods and attributes user code may reach, per value type.

Nothing is looked up with ``getattr`` on a user value: each allowed method is taken from its
base class when this module is imported (``str.lower``) and called with the value as its first
argument, so a name that is not in these tables simply does not exist for user code. Methods
that can build large results check their size before building them.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import Budget
from engine.expressions.operators import materialize

#: ``(budget, receiver, *args, **kwargs) -> result``
Method = Callable[..., Any]

_WHITESPACE_RUN = re.compile(r"\S+")


def _new(function: Callable[..., Any]) -> Method:
    """A method whose result is a new value: its size is checked and charged."""

    def call(budget: Budget, receiver: Any, *args: Any, **kwargs: Any) -> Any:
        return budget.produced(function(receiver, *args, **kwargs))

    return call


def _existing(function: Callable[..., Any]) -> Method:
    """A method returning a scalar or a value that already exists: nothing to charge."""

    def call(budget: Budget, receiver: Any, *args: Any, **kwargs: Any) -> Any:
        return function(receiver, *args, **kwargs)

    return call


def _scanning(function: Callable[..., Any]) -> Method:
    """A method that compares every element of its receiver (``count``, ``index``, ``sort``)."""

    def call(budget: Budget, receiver: Any, *args: Any, **kwargs: Any) -> Any:
        budget.weigh(receiver)
        return function(receiver, *args, **kwargs)

    return call


def _growing(function: Callable[..., Any], added: int = 1) -> Method:
    """A method adding ``added`` items to a container (``append``, ``add``, ``setdefault``)."""

    def call(budget: Budget, receiver: Any, *args: Any, **kwargs: Any) -> Any:
        budget.check_length(len(receiver) + added, text=False)
        return function(receiver, *args, **kwargs)

    return call


# --- text --------------------------------------------------------------------------------


def _split(budget: Budget, text: str, sep: str | None = None, maxsplit: int = -1,
           *, right: bool = False) -> list[str]:
    if isinstance(maxsplit, int) and maxsplit >= 0:
        pieces = maxsplit + 1
    elif isinstance(sep, str) and sep:
        pieces = text.count(sep) + 1
    elif len(text) // 2 + 1 <= budget.limits.max_sequence_length:
        pieces = len(text) // 2 + 1
    else:  # count whitespace-separated words without building them
        pieces = sum(1 for _ in _WHITESPACE_RUN.finditer(text))
    budget.check_length(min(pieces, len(text) + 1), text=False)
    method = str.rsplit if right else str.split
    return budget.produced(method(text, sep, maxsplit))  # type: ignore[no-any-return]


def _rsplit(budget: Budget, text: str, sep: str | None = None, maxsplit: int = -1) -> list[str]:
    return _split(budget, text, sep, maxsplit, right=True)


def _splitlines(budget: Budget, text: str, keepends: bool = False) -> list[str]:
    budget.check_length(min(text.count("\n") + text.count("\r") + 1, len(text) + 1), text=False)
    return budget.produced(str.splitlines(text, keepends))  # type: ignore[no-any-return]


def _replace(budget: Budget, text: str, old: str, new: str, count: int = -1) -> str:
    occurrences = str.count(text, old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        occurrences = min(occurrences, count)
    if isinstance(new, str):
        budget.check_length(len(text) + occurrences * (len(new) - len(old)), text=True)
    return budget.produced(str.replace(text, old, new, count))  # type: ignore[no-any-return]


def _join(budget: Budget, separator: str, iterable: Any) -> str:
    items = materialize(iterable, budget, what="join()")
    total = sum(len(item) for item in items if isinstance(item, str))
    budget.check_length(total + len(separator) * max(len(items) - 1, 0), text=True)
    return budget.produced(str.join(separator, items))  # type: ignore[no-any-return]


def _padding(function: Callable[..., str]) -> Method:
    def call(budget: Budget, text: str, width: int, *args: Any) -> str:
        if isinstance(width, int):
            budget.check_length(width, text=True)
        return budget.produced(function(text, width, *args))  # type: ignore[no-any-return]

    return call


# --- containers ----------------------------------------------------------------------------


def _list_index(budget: Budget, items: list[Any], value: Any, *args: Any) -> int:
    budget.weigh(items)
    if not args and value not in items:  # list.index would quote the whole value
        raise ExpressionError("value is not in the list")
    return list.index(items, value, *args)


def _extend(budget: Budget, items: list[Any], iterable: Any) -> None:
    more = materialize(iterable, budget, what="extend()")
    budget.check_length(len(items) + len(more), text=False)
    items.extend(more)


def _sort(budget: Budget, items: list[Any], *, reverse: bool = False) -> None:
    budget.weigh(items)
    items.sort(reverse=reverse)


def _dict_update(budget: Budget, mapping: dict[Any, Any], other: Any = (), **kwargs: Any) -> None:
    if not isinstance(other, dict):
        other = dict(materialize(other, budget, what="update()"))
    budget.weigh(other)
    budget.check_length(len(mapping) + len(other) + len(kwargs), text=False)
    mapping.update(other, **kwargs)


def _set_operation(function: Callable[..., Any]) -> Method:
    def call(budget: Budget, receiver: Any, *others: Any) -> Any:
        materialized = [materialize(other, budget, ordered=False) for other in others]
        for other in materialized:
            budget.weigh(other)
        budget.check_length(len(receiver) + sum(map(len, materialized)), text=False)
        return budget.produced(function(receiver, *materialized))

    return call


def _list_view(function: Callable[..., Any]) -> Method:
    """``keys()``/``values()``/``items()`` return lists: plain data, safe to store."""

    def call(budget: Budget, receiver: Any) -> list[Any]:
        return budget.produced(list(function(receiver)))  # type: ignore[no-any-return]

    return call


def _date_replace(budget: Budget, value: dt.date, **fields: int) -> dt.date:
    if "tzinfo" in fields or "fold" in fields:
        raise ExpressionError("replace() may only change the date and time fields")
    return value.replace(**fields)


_TEXT: dict[str, Method] = {
    **{name: _new(getattr(str, name)) for name in (
        "lower", "upper", "casefold", "title", "capitalize", "strip", "lstrip", "rstrip",
        "removeprefix", "removesuffix", "partition", "rpartition")},
    **{name: _existing(getattr(str, name)) for name in (
        "startswith", "endswith", "find", "rfind", "index", "rindex", "count", "isdigit",
        "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower", "isupper")},
    **{name: _padding(getattr(str, name)) for name in ("ljust", "rjust", "center", "zfill")},
    "split": _split,
    "rsplit": _rsplit,
    "splitlines": _splitlines,
    "replace": _replace,
    "join": _join,
}
_LIST: dict[str, Method] = {
    "append": _growing(list.append),
    "insert": _growing(list.insert),
    "extend": _extend,
    "pop": _existing(list.pop),
    "remove": _scanning(list.remove),
    "count": _scanning(list.count),
    "index": _list_index,
    "reverse": _existing(list.reverse),
    "sort": _sort,
    "copy": _new(list.copy),
    "clear": _existing(list.clear),
}
_TUPLE: dict[str, Method] = {"count": _scanning(tuple.count), "index": _scanning(tuple.index)}
_DICT: dict[str, Method] = {
    "get": _existing(dict.get),
    "keys": _list_view(dict.keys),
    "values": _list_view(dict.values),
    "items": _list_view(dict.items),
    "pop": _existing(dict.pop),
    "setdefault": _growing(dict.setdefault),
    "update": _dict_update,
    "copy": _new(dict.copy),
    "clear": _existing(dict.clear),
}
_SET_OPERATIONS = ("union", "intersection", "difference", "symmetric_difference")
_SET_TESTS = ("issubset", "issuperset", "isdisjoint")
_FROZENSET: dict[str, Method] = {
    "copy": _new(frozenset.copy),
    **{name: _set_operation(getattr(frozenset, name)) for name in _SET_OPERATIONS},
    **{name: _existing(getattr(frozenset, name)) for name in _SET_TESTS},
}
_SET: dict[str, Method] = {
    "add": _growing(set.add),
    "discard": _existing(set.discard),
    "remove": _existing(set.remove),
    "clear": _existing(set.clear),
    "copy": _new(set.copy),
    **{name: _set_operation(getattr(set, name)) for name in _SET_OPERATIONS},
    **{name: _existing(getattr(set, name)) for name in _SET_TESTS},
}
_DATE: dict[str, Method] = {
    "isoformat": _existing(dt.date.isoformat),
    "weekday": _existing(dt.date.weekday),
    "isoweekday": _existing(dt.date.isoweekday),
    "replace": _date_replace,
}
_DATETIME: dict[str, Method] = {
    "isoformat": _existing(dt.datetime.isoformat),
    "weekday": _existing(dt.datetime.weekday),
    "isoweekday": _existing(dt.datetime.isoweekday),
    "date": _existing(dt.datetime.date),
    "replace": _date_replace,
}
_TIMEDELTA: dict[str, Method] = {"total_seconds": _existing(dt.timedelta.total_seconds)}

#: Allowed methods per base type; a value's class is matched along its MRO, first hit wins.
METHODS: dict[type, dict[str, Method]] = {
    str: _TEXT, list: _LIST, tuple: _TUPLE, dict: _DICT, set: _SET, frozenset: _FROZENSET,
    dt.datetime: _DATETIME, dt.date: _DATE, dt.timedelta: _TIMEDELTA,
}
#: Allowed plain attributes per base type.
ATTRIBUTES: dict[type, frozenset[str]] = {
    dt.datetime: frozenset({"year", "month", "day", "hour", "minute", "second", "microsecond"}),
    dt.date: frozenset({"year", "month", "day"}),
    dt.timedelta: frozenset({"days", "seconds", "microseconds"}),
}
METHOD_NAMES = frozenset(name for table in METHODS.values() for name in table)
ATTRIBUTE_NAMES = frozenset(name for names in ATTRIBUTES.values() for name in names)
#: Methods whose cost does not grow with the size of their receiver (not charged for it).
CONSTANT_TIME_METHODS = frozenset({"append", "add", "get", "setdefault", "discard", "pop",
                                   "insert", "startswith", "endswith", "keys", "values",
                                   "items", "copy", "join", "update", "extend"})
#: Methods that consume an iterable argument and may take a generator expression.
ITERABLE_METHODS = frozenset({"join", "extend", "update", "union", "intersection",
                              "difference", "symmetric_difference", "issubset", "issuperset",
                              "isdisjoint"})


def _type_name(value: Any) -> str:
    return type(value).__name__


def find_method(receiver: Any, name: str) -> Method:
    """Return the allowed method ``name`` for ``receiver``'s type.

    Raises:
        ExpressionError: the type has no allowed method of that name.
    """
    for klass in type(receiver).__mro__:
        table = METHODS.get(klass)
        if table is not None:
            method = table.get(name)
            if method is not None:
                return method
            break
    raise ExpressionError(f"'{_type_name(receiver)}' value has no allowed method '{name}'")


def get_attribute(value: Any, name: str) -> Any:
    """Read the allowed attribute ``name`` of a date, datetime or timedelta.

    Raises:
        ExpressionError: the type has no allowed attribute of that name.
    """
    for klass in type(value).__mro__:
        names = ATTRIBUTES.get(klass)
        if names is not None:
            if name in names:
                return getattr(value, name)
            break
    if name in METHOD_NAMES:
        raise ExpressionError(f"method '{name}' must be called, e.g. x.{name}()")
    raise ExpressionError(f"'{_type_name(value)}' value has no allowed attribute '{name}'")
