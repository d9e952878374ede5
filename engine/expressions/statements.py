"""Script statements, assignment and name lookup: the part of the interpreter scripts add.

:class:`~engine.expressions.interpreter.Interpreter` extends :class:`ScriptRunner` with the
evaluation of expressions. Loops report ``break``/``continue`` as return values, not exceptions.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from engine.expressions.errors import ExpressionError, reraise
from engine.expressions.limits import Budget
from engine.expressions.operators import binary, iterate, materialize

_BREAK = "break"
_CONTINUE = "continue"


class ScriptRunner:
    """Runs statements and assigns values; expressions are evaluated by the subclass.

    Args:
        variables: the names user code reads; scripts also write top-level names into it,
            so it must then be a ``dict``.
        functions: the callable names (the default whitelist plus the caller's own).
        budget: the evaluation's budget.
    """

    def __init__(self, variables: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]],
                 budget: Budget) -> None:
        self.variables = variables
        self.functions = functions
        self.budget = budget
        #: Comprehension scopes, innermost last; swapped by suspended generators.
        self.scopes: list[dict[str, Any]] = []

    def eval(self, node: ast.expr) -> Any:
        """Evaluate one expression node (implemented by the interpreter)."""
        raise NotImplementedError

    def run(self, body: list[ast.stmt]) -> None:
        """Run the statements of a script."""
        self._block(body)

    # --- statements -----------------------------------------------------------------------

    def _block(self, body: list[ast.stmt]) -> str | None:
        for statement in body:
            try:
                self.budget.tick()
                signal = _EXECUTORS[type(statement)](self, statement)
            except Exception as error:
                reraise(error, statement.lineno)
            if signal is not None:
                return signal  # type: ignore[no-any-return]
        return None

    def _expr_statement(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def _pass(self, node: ast.stmt) -> str | None:
        if isinstance(node, ast.Break):
            return _BREAK
        if isinstance(node, ast.Continue):
            return _CONTINUE
        return None

    def _assign_statement(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self._assign(target, value, None)

    def _aug_assign(self, node: ast.AugAssign) -> None:
        target = node.target
        op = type(node.op)
        if isinstance(target, ast.Name):
            current = self._lookup(target.id)
            self._store(target.id, binary(op, current, self.eval(node.value), self.budget), None)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            key = self.eval(target.slice)
            current = self._get_item(container, key)
            value = binary(op, current, self.eval(node.value), self.budget)
            self._set_item(container, key, value)
        else:
            raise ExpressionError("cannot assign to this target")

    def _if(self, node: ast.If) -> str | None:
        return self._block(node.body if self.eval(node.test) else node.orelse)

    def _for(self, node: ast.For) -> str | None:
        iterable = self.eval(node.iter)
        for item in iterate(iterable, "a for loop"):
            self.budget.tick()
            self._assign(node.target, item, None)
            if self._block(node.body) == _BREAK:
                return None
        return self._block(node.orelse)

    # --- assignment -----------------------------------------------------------------------

    def _assign(self, target: ast.expr, value: Any, scope: dict[str, Any] | None) -> None:
        if isinstance(target, ast.Name):
            self._store(target.id, value, scope)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target.elts, value, scope)
        elif isinstance(target, ast.Subscript):
            self._set_item(self.eval(target.value), self.eval(target.slice), value)
        else:
            raise ExpressionError("cannot assign to this target")

    def _store(self, name: str, value: Any, scope: dict[str, Any] | None) -> None:
        if scope is not None:
            scope[name] = value
        else:
            self.variables[name] = value  # type: ignore[index]

    def _unpack(self, targets: list[ast.expr], value: Any, scope: dict[str, Any] | None) -> None:
        items = materialize(value, self.budget, what="unpacking")
        stars = [index for index, target in enumerate(targets) if isinstance(target, ast.Starred)]
        if not stars:
            if len(items) != len(targets):
                raise ExpressionError(
                    f"cannot unpack {len(items)} values into {len(targets)} targets")
            for target, item in zip(targets, items):
                self._assign(target, item, scope)
            return
        star = stars[0]
        after = len(targets) - star - 1
        if len(items) < star + after:
            raise ExpressionError(
                f"cannot unpack {len(items)} values into at least {star + after} targets")
        for target, item in zip(targets[:star], items[:star]):
            self._assign(target, item, scope)
        starred = targets[star]
        assert isinstance(starred, ast.Starred)
        self._assign(starred.value, items[star:len(items) - after], scope)
        for target, item in zip(targets[star + 1:], items[len(items) - after:]):
            self._assign(target, item, scope)

    def _get_item(self, container: Any, key: Any) -> Any:
        if not isinstance(container, (Mapping, Sequence)):
            raise ExpressionError(f"'{type(container).__name__}' value cannot be indexed")
        if isinstance(key, slice):
            return self.budget.produced(container[key])
        if isinstance(container, Mapping):
            self.budget.weigh(key)  # hashed
        return container[key]

    def _set_item(self, container: Any, key: Any, value: Any) -> None:
        if isinstance(container, dict):
            self.budget.weigh(key)
            if key not in container:
                self.budget.check_length(len(container) + 1, text=False)
            container[key] = value
        elif isinstance(container, list) and not isinstance(key, slice):
            container[key] = value
        else:
            raise ExpressionError(
                f"'{type(container).__name__}' value does not support item assignment")

    def _lookup(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            return self.variables[name]
        if name in self.functions:
            raise ExpressionError(f"'{name}' is a function; call it, e.g. {name}(...)")
        raise ExpressionError(f"name '{name}' is not defined")


_EXECUTORS: dict[type, Callable[[ScriptRunner, Any], Any]] = {
    ast.Expr: ScriptRunner._expr_statement,
    ast.Assign: ScriptRunner._assign_statement,
    ast.AugAssign: ScriptRunner._aug_assign,
    ast.If: ScriptRunner._if,
    ast.For: ScriptRunner._for,
    ast.Pass: ScriptRunner._pass,
    ast.Break: ScriptRunner._pass,
    ast.Continue: ScriptRunner._pass,
}
