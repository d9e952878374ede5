"""A tree-walking interpreter for validated expression and script ASTs.

Python's ``eval``/``exec`` are never used: every node is dispatched here by its type, every
evaluated node costs one operation, and anything Python raises is translated into an
:class:`ExpressionError` with the line of the innermost node being evaluated.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from engine.expressions.errors import ExpressionError, reraise
from engine.expressions.functions import LimitedFunction
from engine.expressions.methods import CONSTANT_TIME_METHODS, find_method, get_attribute
from engine.expressions.operators import (
    binary, compare, format_value, iterate, materialize, to_repr, to_text, unary,
)
from engine.expressions.statements import ScriptRunner

_HASHED_CONTAINERS = (tuple, frozenset)


class Interpreter(ScriptRunner):
    """Evaluates one validated tree against variables and a function table.

    Constructed like :class:`ScriptRunner`; :meth:`eval` evaluates an expression,
    :meth:`ScriptRunner.run` runs the statements of a script.
    """

    def eval(self, node: ast.expr) -> Any:
        """Evaluate one expression node."""
        try:
            self.budget.tick()
            return _EVALUATORS[type(node)](self, node)
        except Exception as error:
            reraise(error, node.lineno)

    def _name(self, node: ast.Name) -> Any:
        return self._lookup(node.id)

    def _constant(self, node: ast.Constant) -> Any:
        if type(node.value) is int:
            self.budget.check_int(node.value)
        return node.value

    def _items(self, elements: list[ast.expr], *, ordered: bool) -> list[Any]:
        items: list[Any] = []
        for element in elements:
            if isinstance(element, ast.Starred):
                self.budget.tick()
                more = self.eval(element.value)
                items.extend(materialize(more, self.budget, ordered=ordered, what="'*'"))
                self.budget.check_length(len(items), text=False)
            else:
                items.append(self.eval(element))
        return items

    def _list(self, node: ast.List) -> list[Any]:
        return self._items(node.elts, ordered=True)

    def _tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self._items(node.elts, ordered=True))

    def _set(self, node: ast.Set) -> set[Any]:
        items = self._items(node.elts, ordered=False)
        self.budget.weigh(items)
        return set(items)

    def _dict(self, node: ast.Dict) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            if key_node is None:  # {**mapping}
                mapping = self.eval(value_node)
                if not isinstance(mapping, Mapping):
                    raise ExpressionError("'**' needs a dict")
                self.budget.check_length(len(result) + len(mapping), text=False)
                self.budget.charge(len(mapping) // 10)
                result.update(mapping)
            else:
                key = self.eval(key_node)
                self.budget.weigh(key)
                result[key] = self.eval(value_node)
        return result

    def _binop(self, node: ast.BinOp) -> Any:
        # Walk the left spine iteratively so that long chains (a + b + c ...) need no depth.
        spine = [node]
        while isinstance(spine[-1].left, ast.BinOp):
            spine.append(spine[-1].left)  # type: ignore[arg-type]
        value = self.eval(spine[-1].left)
        for step in reversed(spine):
            right = self.eval(step.right)
            try:
                if step is not node:
                    self.budget.tick()
                value = binary(type(step.op), value, right, self.budget)
            except Exception as error:
                reraise(error, step.lineno)
        return value

    def _unaryop(self, node: ast.UnaryOp) -> Any:
        return unary(type(node.op), self.eval(node.operand))

    def _boolop(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for operand in node.values:
            value = self.eval(operand)
            if bool(value) is not is_and:
                return value
        return value

    def _compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if not compare(type(op), left, right, self.budget):
                return False
            left = right
        return True

    def _ifexp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body if self.eval(node.test) else node.orelse)

    def _subscript(self, node: ast.Subscript) -> Any:
        return self._get_item(self.eval(node.value), self.eval(node.slice))

    def _slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.eval(part) for part in parts))

    def _attribute(self, node: ast.Attribute) -> Any:
        return get_attribute(self.eval(node.value), node.attr)

    def _starred(self, node: ast.Starred) -> Any:
        raise ExpressionError("'*' is not allowed here")

    # --- f-strings ------------------------------------------------------------------------

    def _joined_str(self, node: ast.JoinedStr) -> str:
        parts: list[str] = []
        total = 0
        for part in node.values:
            text = part.value if isinstance(part, ast.Constant) else self.eval(part)
            total += len(text)
            self.budget.check_length(total, text=True)
            parts.append(text)
        return self.budget.produced("".join(parts))  # type: ignore[no-any-return]

    def _formatted_value(self, node: ast.FormattedValue) -> str:
        value = self.eval(node.value)
        if node.conversion == ord("s"):
            value = to_text(value, self.budget)
        elif node.conversion in (ord("r"), ord("a")):
            value = to_repr(value, self.budget, chr(node.conversion))
        spec = ""
        if isinstance(node.format_spec, ast.JoinedStr):  # constant parts only (validated)
            parts = node.format_spec.values
            spec = "".join(part.value for part in parts if isinstance(part, ast.Constant))
        return format_value(value, spec, self.budget)

    # --- comprehensions -------------------------------------------------------------------

    def _list_comp(self, node: ast.ListComp) -> list[Any]:
        result: list[Any] = []
        for item in self._comprehension(node, ordered=True):
            result.append(item)
            self.budget.check_length(len(result), text=False)
        return result

    def _set_comp(self, node: ast.SetComp) -> set[Any]:
        result: set[Any] = set()
        for item in self._comprehension(node, ordered=False):
            self.budget.weigh(item)
            result.add(item)
            self.budget.check_length(len(result), text=False)
        return result

    def _dict_comp(self, node: ast.DictComp) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, value in self._comprehension(node, ordered=True):
            self.budget.weigh(key)
            result[key] = value
            self.budget.check_length(len(result), text=False)
        return result

    def _generator_exp(self, node: ast.GeneratorExp) -> Iterator[Any]:
        return self._comprehension(node, ordered=True)

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
                       *, ordered: bool) -> Iterator[Any]:
        # The first iterable is evaluated at once in the enclosing scope, as in Python.
        first = self.eval(node.generators[0].iter)
        chain = [*self.scopes, {}]
        return self._resumable(self._clauses(node, 0, first, chain[-1], ordered), chain)

    def _resumable(self, inner: Iterator[Any], chain: list[dict[str, Any]]) -> Iterator[Any]:
        """Run ``inner`` with its own scope chain, restoring the consumer's between items.

        A generator expression is consumed lazily (``any(...)`` stops early), possibly while
        another one is suspended, so each keeps its scopes and installs them only while it
        computes its next item.
        """
        while True:
            caller = self.scopes
            self.scopes = chain
            try:
                value = next(inner)
            except StopIteration:
                return
            finally:
                self.scopes = caller
            yield value

    def _clauses(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp,
                 index: int, iterable: Any, scope: dict[str, Any], ordered: bool) -> Iterator[Any]:
        clause = node.generators[index]
        try:
            items = iterate(iterable, "a comprehension") if ordered else iter(iterable)
        except Exception as error:
            reraise(error, clause.iter.lineno)
        last = index + 1 == len(node.generators)
        for item in items:
            self.budget.tick()
            self._assign(clause.target, item, scope)
            if not all(self.eval(condition) for condition in clause.ifs):
                continue
            if not last:
                following = self.eval(node.generators[index + 1].iter)
                yield from self._clauses(node, index + 1, following, scope, ordered)
            elif isinstance(node, ast.DictComp):
                yield self.eval(node.key), self.eval(node.value)
            else:
                yield self.eval(node.elt)

    # --- calls ----------------------------------------------------------------------------

    def _call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Name):
            function = self.functions.get(func.id)
            if function is None:
                if any(func.id in scope for scope in self.scopes) or func.id in self.variables:
                    raise ExpressionError(f"'{func.id}' is not a function")
                raise ExpressionError(f"unknown function '{func.id}'")
            if isinstance(function, LimitedFunction):
                args, kwargs = self._arguments(node, ordered=not function.order_insensitive)
                return function.invoke(self.budget, args, kwargs)
            args, kwargs = self._arguments(node, ordered=True)
            return function(*args, **kwargs)
        if not isinstance(func, ast.Attribute):
            raise ExpressionError("only named functions and methods can be called")
        receiver = self.eval(func.value)
        method = find_method(receiver, func.attr)
        args, kwargs = self._arguments(node, ordered=True)
        if func.attr not in CONSTANT_TIME_METHODS:
            self.budget.charge_sizes((receiver,))
        self.budget.charge_sizes(args)
        for arg in args:
            if isinstance(arg, _HASHED_CONTAINERS):
                self.budget.weigh(arg)
        try:
            return method(self.budget, receiver, *args, **kwargs)
        except TypeError as error:
            # Argument errors name our wrapper ("call()"); name the method instead.
            message = str(error)
            for prefix in ("call()", f"{getattr(method, '__name__', '')}()"):
                if message.startswith(prefix):
                    raise ExpressionError(f"{func.attr}(){message[len(prefix):]}") from error
            raise

    def _arguments(self, node: ast.Call, *, ordered: bool) -> tuple[list[Any], dict[str, Any]]:
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.budget.tick()
                more = self.eval(arg.value)
                args.extend(materialize(more, self.budget, ordered=ordered, what="'*'"))
                self.budget.check_length(len(args), text=False)
            elif isinstance(arg, ast.GeneratorExp):
                self.budget.tick()
                args.append(self._comprehension(arg, ordered=ordered))
            else:
                args.append(self.eval(arg))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is not None:
                kwargs[keyword.arg] = self.eval(keyword.value)
                continue
            mapping = self.eval(keyword.value)
            if not isinstance(mapping, Mapping):
                raise ExpressionError("'**' needs a dict")
            self.budget.charge(len(mapping) // 10)
            for key in mapping:
                if not isinstance(key, str) or key.startswith("_"):
                    raise ExpressionError(f"keyword argument {key!r} is not allowed")
                if key in kwargs:
                    raise ExpressionError(f"keyword argument '{key}' given twice")
                kwargs[key] = mapping[key]
        return args, kwargs


_EVALUATORS: dict[type, Callable[[Interpreter, Any], Any]] = {
    ast.Constant: Interpreter._constant,
    ast.Name: Interpreter._name,
    ast.List: Interpreter._list,
    ast.Tuple: Interpreter._tuple,
    ast.Set: Interpreter._set,
    ast.Dict: Interpreter._dict,
    ast.BinOp: Interpreter._binop,
    ast.UnaryOp: Interpreter._unaryop,
    ast.BoolOp: Interpreter._boolop,
    ast.Compare: Interpreter._compare,
    ast.IfExp: Interpreter._ifexp,
    ast.Subscript: Interpreter._subscript,
    ast.Slice: Interpreter._slice,
    ast.Attribute: Interpreter._attribute,
    ast.Starred: Interpreter._starred,
    ast.JoinedStr: Interpreter._joined_str,
    ast.FormattedValue: Interpreter._formatted_value,
    ast.ListComp: Interpreter._list_comp,
    ast.SetComp: Interpreter._set_comp,
    ast.DictComp: Interpreter._dict_comp,
    ast.GeneratorExp: Interpreter._generator_exp,
    ast.Call: Interpreter._call,
}
