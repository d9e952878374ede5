"""The two exceptions an expression can raise, and the translation of Python's own errors.

User code never sees a raw Python exception: anything raised while evaluating is turned into an
:class:`ExpressionError` carrying a message a process owner can act on and the line it came from.
"""
from __future__ import annotations

import reprlib
from typing import NoReturn

_MAX_MESSAGE = 300
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


class ExpressionError(Exception):
    """An expression or script is invalid or failed while running.

    Attributes:
        message: what went wrong, without the line number.
        line: the 1-based line in the source, or ``None`` when unknown.
    """

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, line={self.line!r})"


class ExpressionLimitExceeded(ExpressionError):
    """A resource limit (operations, sizes, nesting depth) was hit."""


def reraise(error: Exception, line: int | None) -> NoReturn:
    """Raise ``error`` translated by :func:`from_python_error`, chained to the original."""
    translated = from_python_error(error, line)
    if translated is error:
        raise error
    raise translated from error


def from_python_error(error: Exception, line: int | None) -> ExpressionError:
    """Translate an exception raised by Python while running user code.

    Args:
        error: the exception Python raised.
        line: the line of the node being evaluated.

    Returns:
        An :class:`ExpressionError` (or :class:`ExpressionLimitExceeded` for exhausted
        resources) whose message names the problem in the user's terms.
    """
    if isinstance(error, ExpressionError):
        if error.line is None:
            error.line = line
        return error
    if isinstance(error, RecursionError):
        return ExpressionLimitExceeded("the expression is nested too deeply", line)
    if isinstance(error, MemoryError):
        return ExpressionLimitExceeded("the expression needs too much memory", line)
    if isinstance(error, ZeroDivisionError):
        return ExpressionError("division by zero", line)
    if isinstance(error, KeyError):
        key = error.args[0] if error.args else None
        return ExpressionError(f"key {_REPR.repr(key)} not found", line)
    if isinstance(error, IndexError):
        return ExpressionError(f"index out of range ({_shorten(str(error))})", line)
    if isinstance(error, OverflowError):
        detail = error.args[-1] if error.args and isinstance(error.args[-1], str) else ""
        return ExpressionError(f"number too large ({detail.lower() or 'out of range'})", line)
    if isinstance(error, (TypeError, ValueError)):
        return ExpressionError(_shorten(str(error)) or type(error).__name__, line)
    if isinstance(error, ArithmeticError):  # decimal.InvalidOperation and friends
        return ExpressionError(f"arithmetic error ({type(error).__name__})", line)
    return ExpressionError(f"{type(error).__name__}: {_shorten(str(error))}", line)


def _shorten(text: str) -> str:
    """Python quotes user values in some messages: keep them readable in logs and the UI."""
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"

