"""Checking, evaluating and executing user expressions and scripts.

``check_*`` report every static problem (disallowed syntax, and literal subexpressions that
would fail or exceed a limit, found by evaluating them once under the default limits).
``evaluate``/``execute`` refuse a source with any static problem before running anything.
"""
from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from engine.expressions.errors import ExpressionError, ExpressionLimitExceeded
from engine.expressions.functions import FUNCTIONS
from engine.expressions.interpreter import Interpreter
from engine.expressions.limits import DEFAULT_LIMITS, Budget, Limits
from engine.expressions.validator import DENIED_CALLS, Finding, Mode, Parsed, parse

#: Nodes that may be part of a literal subexpression folded at check time.
_FOLDABLE = (ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.BinOp, ast.UnaryOp,
             ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice, ast.JoinedStr,
             ast.FormattedValue, ast.Call, ast.Attribute, ast.Starred)


def check_expression(source: str) -> list[ExpressionError]:
    """Statically validate a single expression (a gateway condition, a timer value ...).

    Args:
        source: the expression text.

    Returns:
        Every problem found, in line order; an empty list when the expression is fine.
    """
    return [finding.error() for finding in _static_findings(_text(source), "eval")]


def check_script(source: str) -> list[ExpressionError]:
    """Statically validate a script (the body of a script task), reporting every problem.

    Args:
        source: the script text, one statement per line.

    Returns:
        Every problem found, each with its line, in line order; ``[]`` when fine.
    """
    return [finding.error() for finding in _static_findings(_text(source), "exec")]


def evaluate(source: str, variables: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS,
             functions: Mapping[str, Callable[..., Any]] | None = None) -> Any:
    """Evaluate an expression against ``variables``.

    Args:
        source: the expression text.
        variables: the names it may read (task data); never modified.
        limits: resource limits of this evaluation.
        functions: extra callable names (e.g. ``now`` bound to the engine's clock), added to
            :data:`FUNCTIONS`.

    Returns:
        The value of the expression.

    Raises:
        ExpressionError: the expression is invalid or failed; ``ExpressionLimitExceeded``
            when it hit a resource limit. Nothing else, whatever the input.
        ValueError: ``functions`` names something that may not be callable from user code.
    """
    tree = _runnable(source, "eval", limits)
    assert isinstance(tree, ast.Expression)
    interpreter = Interpreter(variables, _function_table(functions), Budget(limits))
    try:
        return interpreter.eval(tree.body)
    except RecursionError:
        raise ExpressionLimitExceeded("the expression is nested too deeply") from None


def execute(source: str, variables: dict[str, Any], *, limits: Limits = DEFAULT_LIMITS,
            functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
    """Run a script; its assignments to top-level names are written into ``variables``.

    Top-level names are written back only when the whole script succeeded. Containers the
    script mutates in place (``d['k'] = v``) are the caller's objects: a caller that must be
    able to roll back passes copies.

    Args:
        source: the script text.
        variables: task data, read and updated.
        limits: resource limits of this run.
        functions: extra callable names, added to :data:`FUNCTIONS`.

    Raises:
        ExpressionError: the script is invalid or failed (``ExpressionLimitExceeded`` for a
            resource limit); the message names the line.
        ValueError: ``functions`` names something that may not be callable from user code.
    """
    tree = _runnable(source, "exec", limits)
    assert isinstance(tree, ast.Module)
    scope = dict(variables)
    interpreter = Interpreter(scope, _function_table(functions), Budget(limits))
    try:
        interpreter.run(tree.body)
    except RecursionError:
        raise ExpressionLimitExceeded("the script is nested too deeply") from None
    variables.update(scope)


def _text(source: str) -> str:
    if not isinstance(source, str):
        raise TypeError(f"source must be str, not {type(source).__name__}")
    return source


def _runnable(source: str, mode: Mode, limits: Limits) -> ast.AST:
    parsed = parse(_text(source), mode)
    if parsed.findings:
        raise parsed.findings[0].error()
    if parsed.depth > limits.max_depth:
        raise _depth_finding(parsed, limits).error()
    assert parsed.tree is not None
    return parsed.tree


def _depth_finding(parsed: Parsed, limits: Limits) -> Finding:
    return Finding(f"nested too deeply ({parsed.depth} levels, at most {limits.max_depth} "
                   "allowed)", parsed.depth_line, limit=True)


def _function_table(
    functions: Mapping[str, Callable[..., Any]] | None,
) -> Mapping[str, Callable[..., Any]]:
    if not functions:
        return FUNCTIONS
    for name, function in functions.items():
        if not (isinstance(name, str) and name.isidentifier()) or name.startswith("_") \
                or name in DENIED_CALLS:
            raise ValueError(f"{name!r} cannot be offered to expressions as a function")
        if not callable(function):
            raise ValueError(f"functions[{name!r}] is not callable")
    return {**FUNCTIONS, **functions}


@lru_cache(maxsize=512)
def _static_findings(source: str, mode: Mode) -> tuple[Finding, ...]:
    parsed = parse(source, mode)
    findings = list(parsed.findings)
    if parsed.tree is not None:
        if parsed.depth > DEFAULT_LIMITS.max_depth:
            findings.append(_depth_finding(parsed, DEFAULT_LIMITS))
        else:  # folding evaluates recursively: only within the depth limit
            findings.extend(_fold(parsed))
    findings.sort(key=lambda finding: finding.line or 0)
    return tuple(dict.fromkeys(findings))


def _fold(parsed: Parsed) -> list[Finding]:
    """Evaluate each maximal literal subexpression once, reporting those that fail.

    This is how ``10**10**10`` or ``'x' * 10**10`` are refused when a model is deployed
    rather than when a case reaches the gateway.
    """
    findings = []
    for root in _literal_roots(parsed):
        interpreter = Interpreter({}, FUNCTIONS, Budget(DEFAULT_LIMITS))
        try:
            interpreter.eval(root)
        except ExpressionError as error:
            limit = isinstance(error, ExpressionLimitExceeded)
            findings.append(Finding(error.message, error.line, limit))
    return findings


def _literal_roots(parsed: Parsed) -> list[ast.expr]:
    assert parsed.tree is not None
    order: list[ast.AST] = []
    stack: list[ast.AST] = [parsed.tree]
    while stack:  # iterative pre-order: reversed, it visits children before parents
        node = stack.pop()
        order.append(node)
        stack.extend(ast.iter_child_nodes(node))
    literal: dict[int, bool] = {}
    for node in reversed(order):
        literal[id(node)] = _is_literal(node, literal, parsed.refused)
    roots: list[ast.expr] = []
    walk: list[tuple[ast.AST, ast.AST | None]] = [(parsed.tree, None)]
    while walk:
        node, parent = walk.pop()
        method = isinstance(parent, ast.Call) and parent.func is node
        if (isinstance(node, ast.expr) and literal[id(node)] and not method
                and not isinstance(node, ast.Starred)):
            roots.append(node)
            continue
        walk.extend(reversed([(child, node) for child in ast.iter_child_nodes(node)]))
    return roots


def _is_literal(node: ast.AST, literal: dict[int, bool], refused: frozenset[int]) -> bool:
    if id(node) in refused or not isinstance(node, _FOLDABLE):
        return False
    if isinstance(node, ast.Call):
        func = node.func
        callable_ = (isinstance(func, ast.Name) and func.id in FUNCTIONS) or (
            isinstance(func, ast.Attribute) and literal[id(func)])
        return callable_ and all(literal[id(arg)] for arg in node.args) and all(
            literal[id(keyword.value)] for keyword in node.keywords)
    return all(literal[id(child)] for child in ast.iter_child_nodes(node)
               if isinstance(child, ast.expr))
