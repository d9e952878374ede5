"""Parsing and the static allow-list: which syntax an expression or script may use.

The walk is iterative (no recursion, whatever the nesting), reports every problem it finds with
its line, and measures the nesting depth the interpreter will need. Results are cached per
source text: the same gateway condition is evaluated many times.
"""
from __future__ import annotations

import ast
import textwrap
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from engine.expressions.errors import ExpressionError, ExpressionLimitExceeded
from engine.expressions.methods import ATTRIBUTE_NAMES, ITERABLE_METHODS, METHOD_NAMES
from engine.expressions.operators import BINARY_OPERATORS, UNARY_OPERATORS

Mode = Literal["eval", "exec"]
_SOURCE_NAME = "<expression>"

#: Longest source text accepted: far above any hand-written condition or script.
MAX_SOURCE_LENGTH = 100_000
#: Names that can never be called, even if a caller passes a function of that name.
DENIED_CALLS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "hasattr", "globals",
    "locals", "vars", "dir", "type", "object", "super", "input", "print", "breakpoint", "help",
    "exit", "quit", "memoryview", "classmethod", "staticmethod", "property", "format", "id",
    "hash", "iter", "next", "callable", "isinstance", "issubclass", "bytes", "bytearray",
})
_STATEMENTS = (ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass, ast.Expr, ast.Break,
               ast.Continue)
_EXPRESSIONS = (ast.Constant, ast.Name, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.BinOp,
                ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice,
                ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.JoinedStr,
                ast.FormattedValue, ast.Call, ast.Attribute, ast.Starred)
_CONSTANT_TYPES = (int, float, str, bool, type(None))
_SINGLETONS = (None, True, False)
_IGNORED = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
_REFUSED: dict[type, str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.FunctionDef: "defining functions is not allowed",
    ast.AsyncFunctionDef: "defining functions is not allowed",
    ast.ClassDef: "defining classes is not allowed",
    ast.While: "while loops are not allowed (they have no bound); use 'for ... in range(n)'",
    ast.Try: "try/except is not allowed",
    ast.With: "'with' is not allowed",
    ast.AsyncWith: "'with' is not allowed",
    ast.AsyncFor: "'async for' is not allowed",
    ast.Delete: "'del' is not allowed",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Raise: "'raise' is not allowed",
    ast.Assert: "'assert' is not allowed",
    ast.Return: "'return' is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.Match: "'match' is not allowed",
    ast.AnnAssign: "annotated assignments are not allowed",
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _REFUSED[ast.TryStar] = "try/except is not allowed"
_SYMBOLS: dict[type, str] = {
    ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^",
    ast.MatMult: "@", ast.Invert: "~",
}


@dataclass(frozen=True)
class Finding:
    """One static problem: its message, line, and whether it is a resource limit."""

    message: str
    line: int | None
    limit: bool = False

    def error(self) -> ExpressionError:
        """A fresh exception for this finding (cached findings are never raised twice)."""
        kind = ExpressionLimitExceeded if self.limit else ExpressionError
        return kind(self.message, self.line)


@dataclass(frozen=True)
class Parsed:
    """A parsed, validated source; ``tree`` is None when it could not be parsed.

    Attributes:
        tree: ``ast.Expression`` (mode ``eval``) or ``ast.Module`` (mode ``exec``).
        findings: every static problem, in line order.
        depth: nesting depth the interpreter needs, and ``depth_line`` where it peaks.
        refused: ``id()`` of the nodes with a finding (constant folding skips them).
    """

    tree: ast.AST | None
    findings: tuple[Finding, ...]
    depth: int = 0
    depth_line: int | None = None
    refused: frozenset[int] = frozenset()


@lru_cache(maxsize=512)
def parse(source: str, mode: Mode) -> Parsed:
    """Parse and validate ``source`` as an expression (``eval``) or a script (``exec``)."""
    if len(source) > MAX_SOURCE_LENGTH:
        return Parsed(None, (Finding(
            f"the source is too long ({len(source):,} characters, at most "
            f"{MAX_SOURCE_LENGTH:,} allowed)", None, limit=True),))
    if mode == "exec":
        tree, finding = _parse(textwrap.dedent(source), "exec", 0)
    else:
        # Conditions come out of XML with whitespace around them; keep line numbers right.
        stripped = source.strip()
        offset = source[: len(source) - len(source.lstrip())].count("\n")
        if not stripped:
            return Parsed(None, (Finding("syntax error: the expression is empty", None),))
        tree, finding = _parse(stripped, "eval", offset)
        if finding is not None and not finding.limit:
            statements, _ = _parse(textwrap.dedent(source), "exec", 0)
            if isinstance(statements, ast.Module) and statements.body:
                parsed = _validate(statements, script=True)
                first = Finding("expected an expression, found a statement", finding.line)
                return Parsed(None, (first, *parsed.findings))
    if tree is None:
        assert finding is not None
        return Parsed(None, (finding,))
    return _validate(tree, script=mode == "exec")


def _parse(source: str, mode: Mode, offset: int) -> tuple[ast.AST | None, Finding | None]:
    try:
        # Python only warns about some mistakes (an invalid escape such as '\d') and will
        # refuse them later: report them as errors, whatever the process's warning filters.
        # Recording (rather than raising) keeps other threads unaffected by the filter change.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            tree = ast.parse(source, _SOURCE_NAME, mode=mode)
    except SyntaxError as error:
        line = None if not error.lineno else error.lineno + offset
        return None, Finding(f"syntax error: {error.msg}", line)
    except ValueError as error:  # e.g. null bytes
        return None, Finding(f"syntax error: {error}", None)
    except (RecursionError, MemoryError):
        return None, Finding("the source is nested too deeply to parse", None, limit=True)
    for warning in caught:
        if warning.filename == _SOURCE_NAME:
            return None, Finding(f"syntax error: {warning.message}", warning.lineno + offset)
    if offset:
        ast.increment_lineno(tree, offset)
    return tree, None


def _validate(tree: ast.AST, *, script: bool) -> Parsed:
    findings: list[Finding] = []
    refused: set[int] = set()
    deepest, deepest_line = 0, None
    stack: list[tuple[ast.AST, ast.AST | None, int, bool]] = [(tree, None, 0, False)]
    while stack:
        node, parent, depth, in_loop = stack.pop()
        line = getattr(node, "lineno", None)
        if isinstance(node, (ast.expr, ast.stmt, ast.comprehension)):
            # A chain a + b + c + ... is evaluated iteratively: its left spine adds no depth.
            if not (isinstance(node, ast.BinOp) and isinstance(parent, ast.BinOp)
                    and parent.left is node):
                depth += 1
            if depth > deepest:
                deepest, deepest_line = depth, line or getattr(parent, "lineno", None)
        message, limit = _check(node, parent, script=script, in_loop=in_loop)
        allowed = message is None
        if message is not None:
            findings.append(Finding(message, line or getattr(parent, "lineno", None), limit))
            refused.add(id(node))
        children: list[tuple[ast.AST, ast.AST | None, int, bool]] = []
        for field, value in ast.iter_fields(node):
            for child in value if isinstance(value, list) else [value]:
                if not isinstance(child, ast.AST) or isinstance(child, _IGNORED):
                    continue
                if not allowed and not isinstance(child, (ast.expr, ast.stmt)):
                    continue  # e.g. the alias of an import: one message is enough
                looping = in_loop or (isinstance(node, ast.For) and field == "body")
                children.append((child, node, depth, looping))
        stack.extend(reversed(children))
    findings.sort(key=lambda finding: finding.line or 0)
    return Parsed(tree, tuple(dict.fromkeys(findings)), deepest, deepest_line, frozenset(refused))


def _check(node: ast.AST, parent: ast.AST | None, *, script: bool,
           in_loop: bool) -> tuple[str | None, bool]:
    """Return ``(message, is_limit)`` for a refused node, ``(None, False)`` for an allowed one."""
    kind = type(node)
    if kind in _REFUSED:
        return _REFUSED[kind], False
    if isinstance(node, (ast.Expression, ast.keyword)):
        if isinstance(node, ast.keyword) and node.arg is not None and node.arg.startswith("_"):
            return f"keyword argument '{node.arg}' is not allowed", False
        return None, False
    if isinstance(node, ast.Module):
        return (None if script else "statements are not allowed in an expression"), False
    if isinstance(node, ast.stmt):
        if not script or not isinstance(node, _STATEMENTS):
            return f"'{kind.__name__}' statements are not allowed", False
        if isinstance(node, (ast.Break, ast.Continue)) and not in_loop:
            return f"'{kind.__name__.lower()}' outside a loop", False
        return None, False
    if isinstance(node, ast.comprehension):
        if node.is_async:
            return "async comprehensions are not allowed", False
        if not _names_only(node.target):
            return "a comprehension can only assign to names", False
        return None, False
    if not isinstance(node, _EXPRESSIONS):
        return f"'{kind.__name__}' is not allowed", False
    return _check_expression(node, parent)


def _check_expression(node: ast.AST, parent: ast.AST | None) -> tuple[str | None, bool]:
    if isinstance(node, ast.Name):
        if node.id.startswith("_") and node.id != "_":
            return f"name '{node.id}' is not allowed (names starting with '_' are private)", False
    elif isinstance(node, ast.Attribute):
        return _check_attribute(node, parent), False
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in DENIED_CALLS:
            return f"calling '{node.func.id}' is not allowed", False
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return "only named functions and methods can be called", False
    elif isinstance(node, ast.Constant):
        return _check_constant(node.value)
    elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
        allowed = BINARY_OPERATORS if isinstance(node, ast.BinOp) else UNARY_OPERATORS
        if type(node.op) not in allowed:
            return f"operator '{_SYMBOLS.get(type(node.op), '?')}' is not allowed", False
    elif isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for index, op in enumerate(node.ops):
            if isinstance(op, (ast.Is, ast.IsNot)) and not any(
                isinstance(side, ast.Constant) and side.value in _SINGLETONS
                and type(side.value) in (bool, type(None))
                for side in operands[index:index + 2]
            ):
                return "'is' may only compare with None, True or False; use '=='", False
    elif isinstance(node, ast.GeneratorExp):
        if not _consumed_by_call(node, parent):
            return ("a generator expression may only be passed to a function, e.g. "
                    "any(x > 0 for x in items); otherwise use a list comprehension"), False
    elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
        spec = node.format_spec
        if not (isinstance(spec, ast.JoinedStr)
                and all(isinstance(part, ast.Constant) for part in spec.values)):
            return "format specs must be constant (no nested {...})", False
    elif isinstance(node, ast.Subscript):
        if isinstance(node.ctx, ast.Store) and isinstance(node.slice, ast.Slice):
            return "assigning to a slice is not allowed", False
    elif isinstance(node, ast.Starred):
        if not isinstance(parent, (ast.List, ast.Tuple, ast.Set, ast.Call)):
            return "'*' is not allowed here", False
    return None, False


def _check_attribute(node: ast.Attribute, parent: ast.AST | None) -> str | None:
    name = node.attr
    if name.startswith("_"):
        return f"attribute '{name}' is not allowed (names starting with '_' are private)"
    if not isinstance(node.ctx, ast.Load):
        return "assigning to attributes is not allowed"
    if isinstance(parent, ast.Call) and parent.func is node:
        if name == "format" or name == "format_map":
            return f"method '{name}' is not allowed; use an f-string"
        if name not in METHOD_NAMES:
            return f"method '{name}' is not allowed"
    elif name not in ATTRIBUTE_NAMES:
        if name in METHOD_NAMES:
            return f"method '{name}' must be called, e.g. x.{name}()"
        return f"attribute '{name}' is not allowed"
    return None


def _check_constant(value: object) -> tuple[str | None, bool]:
    if type(value) not in _CONSTANT_TYPES:
        if isinstance(value, bytes):
            return "bytes literals are not allowed", False
        if isinstance(value, complex):
            return "complex numbers are not allowed", False
        return f"the literal {value!r} is not allowed", False
    return None, False


def _consumed_by_call(node: ast.GeneratorExp, parent: ast.AST | None) -> bool:
    """A generator expression must be an argument of a function or an iterable-taking method."""
    if not (isinstance(parent, ast.Call) and any(arg is node for arg in parent.args)):
        return False
    func = parent.func
    return isinstance(func, ast.Name) or (
        isinstance(func, ast.Attribute) and func.attr in ITERABLE_METHODS)


def _names_only(target: ast.AST) -> bool:
    if isinstance(target, ast.Name):
        return True
    return isinstance(target, (ast.Tuple, ast.List)) and all(map(_names_only, target.elts))
