"""Tests of engine.expressions: the restricted evaluator for conditions and scripts."""
from __future__ import annotations

import datetime as dt
import operator
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.expressions import (
    DEFAULT_LIMITS,
    FUNCTIONS,
    ExpressionError,
    ExpressionLimitExceeded,
    Limits,
    check_expression,
    check_script,
    evaluate,
    execute,
)
from engine.expressions import validator

UTC = dt.timezone.utc
CLOCK = dt.datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
ENGINE_FUNCTIONS = {"now": lambda: CLOCK}


def error_of(source: str, variables: dict[str, Any] | None = None,
             **kwargs: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, variables or {}, **kwargs)
    return caught.value


def script_error(source: str, variables: dict[str, Any] | None = None,
                 **kwargs: Any) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        execute(source, variables if variables is not None else {}, **kwargs)
    return caught.value


# --- happy paths: conditions --------------------------------------------------------------

CASE = {
    "accepted": True,
    "issues": ["crack", "no helmet"],
    "amount": 150,
    "district": "海曙区",
    "score": 87.5,
    "project": {"name": "Bridge", "stage": "foundation", "tags": ["steel"]},
    "empty": [],
    "nothing": None,
    "due": "2024-05-01",
}


@pytest.mark.parametrize(("source", "expected"), [
    ("accepted == True and len(issues) > 0", True),
    ("amount >= 100 and district in ['海曙区', '江北区']", True),
    ("amount >= 200 or district not in ('海曙区',)", False),
    ("not accepted", False),
    ("nothing is None and accepted is not None", True),
    ("issues", ["crack", "no helmet"]),
    ("empty or 'default'", "default"),
    ("'high' if len(issues) > 2 else 'low'", "low"),
    ("1 < amount <= 150 < 151", True),
    ("amount * 2 - 10 / 4 + 7 // 2 - 7 % 3 + 2 ** 3", 300 - 2.5 + 3 - 1 + 8),
    ("-amount + +1", -149),
    ("project['name'].lower()", "bridge"),
    ("project.get('missing', 'n/a')", "n/a"),
    ("issues[0][:3] + issues[-1][::-1]", "cratemleh on"),
    ("[i.upper() for i in issues if 'c' in i]", ["CRACK"]),
    ("{k: len(v) for k, v in project.items() if k != 'tags'}", {"name": 6, "stage": 10}),
    ("{len(i) for i in issues}", {5, 9}),
    ("[(a, b) for a in range(2) for b in range(a, 2)]", [(0, 0), (0, 1), (1, 1)]),
    ("any(len(i) > 5 for i in issues) and not all(len(i) > 5 for i in issues)", True),
    ("sum(x * x for x in range(4))", 14),
    ("sorted(issues, reverse=True)", ["no helmet", "crack"]),
    ("min(3, 1, 2) + max([4, 5]) + abs(-2) + round(2.567, 1)", 1 + 5 + 2 + 2.6),
    ("int('42') + float('0.5') + int(True)", 43.5),
    ("str(12) + str(None) + str([1, 'a'])", "12None[1, 'a']"),
    ("bool(empty) or bool(issues)", True),
    ("list('ab') + list(tuple([1])) + sorted(set([2, 2]))", ["a", "b", 1, 2]),
    ("dict([('a', 1)], b=2)", {"a": 1, "b": 2}),
    ("list(enumerate(['x', 'y'], 1))", [(1, "x"), (2, "y")]),
    ("list(zip([1, 2], 'ab'))", [(1, "a"), (2, "b")]),
    ("range(1, 7, 2)", [1, 3, 5]),
    ("[*issues, *range(2)]", ["crack", "no helmet", 0, 1]),
    ("{**project, 'name': 'X'}['name']", "X"),
    ("', '.join(issues).title()", "Crack, No Helmet"),
    ("'a-b-c'.split('-', 1) + 'x y'.split()", ["a", "b-c", "x", "y"]),
    ("' pad '.strip().replace('a', 'o').startswith('po')", True),
    ("'3'.zfill(3) + 'ab'.rjust(4, '.')", "003..ab"),
    ("project['tags'].count('steel') + project['tags'].index('steel')", 1),
    ("len(project.keys()) + len(project.values())", 6),
    ("(1, 2) + (3,)", (1, 2, 3)),
    ("'ab' * 2 + 'c' * 0", "abab"),
    ("[0] * 3", [0, 0, 0]),
    ("10 ** 3 + 2 ** -1", 1000.5),
    (" + ".join(["1"] * 300), 300),  # long chains do not count as nesting
    ("\n   accepted\n", True),  # whitespace from the XML around a condition
])
def test_conditions(source: str, expected: Any) -> None:
    assert evaluate(source, CASE) == expected
    assert check_expression(source) == []


def test_evaluate_does_not_modify_variables() -> None:
    variables = {"items": [3, 1, 2]}
    assert evaluate("sorted(items)", variables) == [1, 2, 3]
    assert variables == {"items": [3, 1, 2]}


def test_comprehension_variables_do_not_leak() -> None:
    variables = {"x": "outer"}
    assert evaluate("[x for x in range(3)] and x", variables) == "outer"


def test_lazy_generators_keep_their_own_scope() -> None:
    # Two generator expressions consumed together: each sees its own 'x'.
    source = "list(zip((x for x in 'ab'), (x * 2 for x in range(2))))"
    assert evaluate(source, {}) == [("a", 0), ("b", 2)]
    # any() stops at the first true item, so the failing item is never reached.
    assert evaluate("any(x > 1 for x in [2, 'a'])", {}) is True


# --- f-strings and dates -------------------------------------------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ("f'{name} owes {amount:,.2f} yuan'", "Li owes 12,345.68 yuan"),
    ("f'{name!r:>6}|{count:03d}|{ratio:.1%}'", "  'Li'|007|25.0%"),
    ("f'{due:%Y/%m/%d}'", "2024/05/08"),
    ("f'{count=}'", "count=7"),
    ("f'{[count, name]}'", "[7, 'Li']"),
])
def test_f_strings(source: str, expected: str) -> None:
    variables = {"name": "Li", "amount": 12345.678, "count": 7, "ratio": 0.25,
                 "due": dt.date(2024, 5, 8)}
    assert evaluate(source, variables) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("parse_date(d) + timedelta(days=7)", dt.date(2024, 5, 8)),
    ("(parse_date('2024-05-31') - parse_date(d)).days", 30),
    ("parse_date(d).year * 100 + parse_date(d).month", 202405),
    ("parse_date(d).isoformat()", "2024-05-01"),
    ("parse_date(d).replace(day=15).weekday()", 2),
    ("date(2024, 2, 29) + timedelta(days=1) == date(2024, 3, 1)", True),
    ("datetime(2024, 5, 1, 9) - now() == timedelta(hours=1)", True),
    ("parse_datetime('2024-05-01T16:00:00+08:00') == now()", True),
    ("parse_datetime('2024-05-01T08:00:00') == now()", True),  # naive text is read as UTC
    ("now() + timedelta(hours=72) > parse_datetime(d)", True),
    ("now().date() == parse_date(d) and now().hour == 8", True),
    ("timedelta(days=1, hours=12).total_seconds()", 129600.0),
])
def test_dates(source: str, expected: Any) -> None:
    assert evaluate(source, {"d": "2024-05-01"}, functions=ENGINE_FUNCTIONS) == expected


@pytest.mark.parametrize(("source", "message"), [
    ("parse_date('2024-02-30')", "not an ISO date"),
    ("parse_date(20240501)", "parse_date() needs text"),
    ("parse_datetime('x' * 100)", "text too long"),
    ("date(9999, 12, 31) + timedelta(days=1)", "number too large"),
    ("timedelta(days=10**10)", "number too large"),
    ("date(2024, 1, 1).replace(tzinfo=None)", "replace() may only change"),
    ("date(2024, 1, 1).strftime('%Y')", "method 'strftime' is not allowed"),
    ("'abc'.pop()", "'str' value has no allowed method 'pop'"),
    ("f'{date(2024, 1, 1):%10000Y}'", "unsupported date format"),
])
def test_date_errors(source: str, message: str) -> None:
    assert message in str(error_of(source))


# --- scripts ---------------------------------------------------------------------------------

def test_script_assignments_loops_and_branches() -> None:
    variables: dict[str, Any] = {"issues": ["a", "b", "c"], "scores": {"a": 1}}
    execute("""
issues_found = len(issues) > 0
risk_level = 'high' if len(issues) > 2 else 'low'
total = 0
for i, name in enumerate(issues):
    if name == 'b':
        continue
    elif name == 'z':
        pass
    else:
        total += i
for n in range(10):
    if n == 2:
        break
else:
    total = -1
scores['b'] = 2
scores['a'] += 10
first, *rest = issues
pair = (x, y) = [1, 2]
names = []
names.append(first.upper())
names.extend(r for r in rest)
""", variables)
    assert variables["issues_found"] is True
    assert variables["risk_level"] == "high"
    assert variables["total"] == 2
    assert variables["scores"] == {"a": 11, "b": 2}
    assert (variables["first"], variables["rest"]) == ("a", ["b", "c"])
    assert (variables["pair"], variables["x"], variables["y"]) == ([1, 2], 1, 2)
    assert variables["names"] == ["A", "b", "c"]


def test_for_else_runs_when_the_loop_does_not_break() -> None:
    variables: dict[str, Any] = {}
    execute("found = False\nfor n in [1, 2]:\n    pass\nelse:\n    found = True", variables)
    assert variables["found"] is True


def test_script_written_in_indented_xml() -> None:
    variables: dict[str, Any] = {}
    execute("\n        a = 1\n        if a:\n            b = 2\n    ", variables)
    assert variables == {"a": 1, "b": 2}


def test_failed_script_writes_no_top_level_names() -> None:
    variables: dict[str, Any] = {"a": 0}
    error = script_error("a = 1\nb = missing + 1", variables)
    assert str(error) == "line 2: name 'missing' is not defined"
    assert (error.message, error.line) == ("name 'missing' is not defined", 2)
    assert variables == {"a": 0}


@pytest.mark.parametrize(("source", "expected"), [
    ("x = 1\ny = x / 0", "line 2: division by zero"),
    ("d = {}\n\nv = d['k']", "line 3: key 'k' not found"),
    ("l = [1]\nl[5] = 2", "line 2: index out of range (list assignment index out of range)"),
    ("s = 'a' + 1", "line 1: can only concatenate str (not \"int\") to str"),
    ("t = (1, 2)\nt[0] = 3", "line 2: 'tuple' value does not support item assignment"),
    ("a, b = [1, 2, 3]", "line 1: cannot unpack 3 values into 2 targets"),
    ("for n in 5:\n    pass", "line 1: 'int' object is not iterable"),
    ("x = len\n", "line 1: 'len' is a function; call it, e.g. len(...)"),
    ("x = 1\nx()", "line 2: 'x' is not a function"),
    ("foo(1)", "line 1: unknown function 'foo'"),
    ("x = sorted([1], key=1)", "line 1: sorted() got an unexpected keyword argument 'key'"),
    ("x = 'a'.split(1, 2, 3, 4)", "line 1: split() takes from 2 to 4 positional arguments"),
    ("x = max([])", "line 1: max() arg is an empty sequence"),
    ("x = int('abc', 10)", "line 1: invalid literal for int() with base 10: 'abc'"),
    ("x = 'abc'.pop()", "line 1: 'str' value has no allowed method 'pop'"),
    ("x = (1).year", "line 1: 'int' value has no allowed attribute 'year'"),
    ("x = [1].index(5)", "line 1: value is not in the list"),
    ("x = [1].index(5, 0)", "line 1: 5 is not in list"),
    ("x = {}\ny = x[('k' * 1000,)]", "line 2: key ('kkkkkkkkkkkkkkkkkkkkkkkkk"),
    ("x = float('y' * 100000)", "line 1: could not convert string to float: 'yyyy"),
    ("x = 2.0 ** 10000", "line 1: number too large (numerical result out of range)"),
    ("x = (-8) ** 0.5", "line 1: the result is a complex number, which is not supported"),
    ("x = '%s' % 1", "line 1: '%' formatting of text is not allowed; use an f-string"),
])
def test_runtime_errors_are_expression_errors_with_lines(source: str, expected: str) -> None:
    error = script_error(source)
    assert str(error).startswith(expected)
    assert len(error.message) <= 300  # user values quoted by Python are shortened


# --- functions -------------------------------------------------------------------------------

def test_default_function_whitelist() -> None:
    assert set(FUNCTIONS) == {
        "len", "min", "max", "sum", "abs", "round", "int", "float", "str", "bool", "sorted",
        "any", "all", "list", "dict", "set", "tuple", "range", "enumerate", "zip",
        "timedelta", "date", "datetime", "parse_date", "parse_datetime",
    }
    assert FUNCTIONS["sorted"]([3, 1]) == [1, 3]  # plain callables for Python code too
    with pytest.raises(ExpressionLimitExceeded):
        FUNCTIONS["range"](10**12)


def test_caller_functions_extend_the_whitelist() -> None:
    calls: list[int] = []

    def record(value: int) -> int:
        calls.append(value)
        return value * 2

    assert evaluate("record(*[21])", {}, functions={"record": record}) == 42
    assert calls == [21]
    assert evaluate("now().year", {}, functions=ENGINE_FUNCTIONS) == 2024
    assert "unknown function 'now'" in str(error_of("now()"))


def test_caller_function_failures_become_expression_errors() -> None:
    def broken() -> None:
        raise RuntimeError("disk on fire")

    assert str(error_of("broken()", functions={"broken": broken})) == \
        "line 1: RuntimeError: disk on fire"


@pytest.mark.parametrize("name", ["eval", "getattr", "_secret", "open", "not a name"])
def test_dangerous_functions_cannot_be_offered(name: str) -> None:
    with pytest.raises(ValueError):
        evaluate("1", {}, functions={name: print})


def test_objects_in_task_data_expose_nothing() -> None:
    # Even if task data held a module or a callable, user code could not reach into it.
    assert "method 'system' is not allowed" in str(error_of("m.system('id')", {"m": os}))
    assert "'module' value has no allowed method 'get'" in str(error_of("m.get('id')", {"m": os}))
    assert "'module' value has no allowed attribute 'year'" in str(error_of("m.year", {"m": os}))
    assert "'f' is not a function" in str(error_of("f()", {"f": print}))


# --- hostile input: refused statically, nothing executed ------------------------------------

HOSTILE = [
    ("__import__('os')", "name '__import__' is not allowed"),
    ("import os", "imports are not allowed"),
    ("open('/etc/passwd')", "calling 'open' is not allowed"),
    ("eval('1')", "calling 'eval' is not allowed"),
    ("exec('x = 1')", "calling 'exec' is not allowed"),
    ("globals()", "calling 'globals' is not allowed"),
    ("getattr(x, '__class__')", "calling 'getattr' is not allowed"),
    ("().__class__.__mro__[1].__subclasses__()", "attribute '__class__' is not allowed"),
    ("x.__class__", "attribute '__class__' is not allowed"),
    ("[].__class__", "attribute '__class__' is not allowed"),
    ("x._private", "attribute '_private' is not allowed"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("'{0.__class__}'.format(1)", "method 'format' is not allowed; use an f-string"),
    ("'{x}'.format_map(d)", "method 'format_map' is not allowed"),
    ("f'{x.__class__}'", "attribute '__class__' is not allowed"),
    ("lambda: 1", "lambda is not allowed"),
    ("(lambda: 1)()", "only named functions and methods can be called"),
    ("x[0]()", "only named functions and methods can be called"),
    ("(y := 1)", "':=' is not allowed"),
    ("x.lower", "method 'lower' must be called"),
    ("x.nonexistent()", "method 'nonexistent' is not allowed"),
    ("x is 1", "'is' may only compare with None, True or False"),
    ("1 << 10000", "operator '<<' is not allowed"),
    ("~1", "operator '~' is not allowed"),
    ("b'bytes'", "bytes literals are not allowed"),
    ("1j", "complex numbers are not allowed"),
    ("...", "the literal Ellipsis is not allowed"),
    ("(x for x in y)", "a generator expression may only be passed to a function"),
    ("[].append(x for x in y)", "a generator expression may only be passed to a function"),
    ("f'{x:>{w}}'", "format specs must be constant"),
    ("dict(__class__=1)", "keyword argument '__class__' is not allowed"),
    ("[x async for x in y]", "async comprehensions are not allowed"),
    ("x = 1", "expected an expression, found a statement"),
]


@pytest.mark.parametrize(("source", "message"), HOSTILE)
def test_hostile_expressions_are_refused_before_running(source: str, message: str) -> None:
    calls: list[str] = []
    spy = {"spy": lambda: calls.append("ran") or True}
    problems = check_expression(source)
    assert problems and all(isinstance(problem, ExpressionError) for problem in problems)
    assert any(message in str(problem) for problem in problems), problems
    guarded = f"spy() and ({source})" if "\n" not in source and "=" not in source else source
    error = error_of(guarded, {"x": "s", "y": [1], "d": {}, "w": 3}, functions=spy)
    assert error.line == 1
    assert calls == []


@pytest.mark.parametrize(("source", "message"), [
    ("while True:\n    pass", "while loops are not allowed (they have no bound)"),
    ("def f():\n    pass", "defining functions is not allowed"),
    ("class A:\n    pass", "defining classes is not allowed"),
    ("try:\n    pass\nexcept Exception:\n    pass", "try/except is not allowed"),
    ("with x:\n    pass", "'with' is not allowed"),
    ("del x", "'del' is not allowed"),
    ("global x", "'global' is not allowed"),
    ("nonlocal x", "'nonlocal' is not allowed"),
    ("raise ValueError", "'raise' is not allowed"),
    ("assert x", "'assert' is not allowed"),
    ("return 1", "'return' is not allowed"),
    ("yield 1", "'yield' is not allowed"),
    ("x: int = 1", "annotated assignments are not allowed"),
    ("x.attr = 1", "assigning to attributes is not allowed"),
    ("x[1:2] = [1]", "assigning to a slice is not allowed"),
    ("break", "'break' outside a loop"),
    ("match x:\n    case 1:\n        pass", "'match' is not allowed"),
    ("from os import path", "imports are not allowed"),
    ("async def f():\n    await g()", "defining functions is not allowed"),
    ("[x for x.a in y]", "a comprehension can only assign to names"),
])
def test_hostile_statements_are_refused(source: str, message: str) -> None:
    problems = check_script(source)
    assert any(message in str(problem) for problem in problems), problems
    calls: list[str] = []
    variables: dict[str, Any] = {"x": 1}
    script_error("spy()\n" + source, variables, functions={"spy": lambda: calls.append("ran")})
    assert calls == [] and variables == {"x": 1}


def test_a_script_reports_all_its_problems_with_lines() -> None:
    script = "\n".join([
        "import os",
        "x = __import__('os')",
        "while True: pass",
        "def f(): pass",
        "y = lambda: 1",
        "z = ().__class__",
        "del x",
        "global g",
        "w = 'a'.format(1)",
        "v = 10 ** 10 ** 10",
    ])
    problems = check_script(script)
    assert [problem.line for problem in problems] == list(range(1, 11))
    assert str(problems[0]) == "line 1: imports are not allowed"
    assert str(problems[2]).startswith("line 3: while loops are not allowed")
    assert isinstance(problems[9], ExpressionLimitExceeded)
    assert all(not isinstance(problem, ExpressionLimitExceeded) for problem in problems[:9])
    variables: dict[str, Any] = {}
    assert str(script_error(script, variables)) == "line 1: imports are not allowed"
    assert variables == {}


def test_statement_given_as_expression_reports_the_statement_problems() -> None:
    problems = check_expression("while True: pass")
    assert [p.message for p in problems][:1] == ["expected an expression, found a statement"]
    assert any("while loops are not allowed" in p.message for p in problems)


@pytest.mark.parametrize("source", ["", "1 +", "(", "x = = 1", "a b", "'unterminated", "\0",
                                    "'\\d'"])
def test_syntax_errors(source: str) -> None:
    problems = check_expression(source)
    assert len(problems) >= 1 and "syntax error" in problems[0].message
    error_of(source)


# --- resource limits --------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "message"), [
    ("10**10**10", "integer result too large"),
    ("'x' * 10**10", "text too long"),
    ("10**10 * 'x'", "text too long"),
    ("[0] * 10**9", "sequence too long"),
    ("(0,) * 10**6", "sequence too long"),
    ("'x' * 10**6 + 'y'", "text too long"),
    ("range(10**12)", "sequence too long"),
    ("range(10**30)", "sequence too long"),
    ("int('9' * 5000)", "text too long to convert"),
    ("2 ** 4096 * 2 ** 4096", "integer result too large"),
    ("f'{1.0:.1000000000f}'", "text too long"),
    ("'ab'.replace('', 'x' * 600000)", "text too long"),
    ("'x'.zfill(10**9)", "text too long"),
    ("0x" + "f" * 1100, "integer too large"),
])
def test_literal_bombs_are_refused_at_check_and_at_run_time(source: str, message: str) -> None:
    problems = check_expression(source)
    assert len(problems) == 1 and isinstance(problems[0], ExpressionLimitExceeded)
    assert message in problems[0].message
    error = error_of(source)
    assert isinstance(error, ExpressionLimitExceeded) and message in error.message


@pytest.mark.parametrize(("source", "variables"), [
    ("n ** n", {"n": 10**6}),
    ("s * n", {"s": "x", "n": 10**10}),
    ("l * n", {"l": [0], "n": 10**9}),
    ("range(n)", {"n": 10**12}),
    ("sum(1 for a in range(1000) for b in range(1000))", {}),
    ("[[0] * 100000 for _ in range(1000)]", {}),
    ("[[x for x in range(500)] for y in range(500)]", {}),
    ("str([[[1] * 1000] * 1000] * 1000)", {}),
    ("[[[1] * 1000] * 1000] * 1000 == [[[1] * 1000] * 1000] * 1000", {}),
    ("sorted([[[1] * 1000] * 1000] * 100)", {}),
    ("', '.join(['x' * 100000] * 100)", {}),
    ("'a b ' * 400000 and ('a ' * 400000).split()", {}),
])
def test_runtime_limits(source: str, variables: dict[str, Any]) -> None:
    assert isinstance(error_of(source, variables), ExpressionLimitExceeded)


def test_script_loops_are_bounded_by_the_operation_budget() -> None:
    error = script_error("total = 0\nfor a in range(100000):\n    for b in range(100000):\n"
                         "        total += 1")
    assert isinstance(error, ExpressionLimitExceeded)
    assert "operations" in error.message and error.line in (2, 3, 4)


def test_growing_a_list_while_iterating_it_is_bounded() -> None:
    error = script_error("l = [1]\nfor x in l:\n    l.append(x)")
    assert isinstance(error, ExpressionLimitExceeded)


def test_self_containing_values_cannot_be_converted_or_compared() -> None:
    for tail in ("s = str(l)", "same = l == [l]"):
        error = script_error("l = []\nl.append(l)\n" + tail)
        assert isinstance(error, ExpressionLimitExceeded) and error.line == 3


@pytest.mark.parametrize("source", [
    "(" * 500 + "1" + ")" * 500,
    "[" * 500 + "]" * 500,
    "-" * 10000 + "1",
    "not " * 3000 + "x",
    "a" + "[0]" * 5000,
    "+".join(["1"] * 45000),
])
def test_deeply_nested_sources(source: str) -> None:
    problems = check_expression(source)
    assert len(problems) == 1
    error_of(source, {"a": [], "x": 1})


def test_nesting_depth_limit() -> None:
    nested = "[" * 60 + "]" * 60
    problems = check_expression(nested)
    assert len(problems) == 1 and isinstance(problems[0], ExpressionLimitExceeded)
    assert "nested too deeply (60 levels, at most 50 allowed)" in problems[0].message
    assert isinstance(error_of(nested), ExpressionLimitExceeded)
    assert evaluate(nested, {}, limits=Limits(max_depth=100)) is not None
    assert isinstance(error_of("[[[1]]]", limits=Limits(max_depth=3)), ExpressionLimitExceeded)


def test_custom_limits() -> None:
    assert evaluate("2 ** 100", {}, limits=Limits(max_int_bits=128)) == 2**100
    assert isinstance(error_of("2 ** 200", limits=Limits(max_int_bits=128)),
                      ExpressionLimitExceeded)
    assert isinstance(error_of("'x' * 11", limits=Limits(max_string_length=10)),
                      ExpressionLimitExceeded)
    assert isinstance(error_of("[0] * 11", limits=Limits(max_sequence_length=10)),
                      ExpressionLimitExceeded)
    assert isinstance(error_of("[x for x in range(10)]", limits=Limits(max_operations=20)),
                      ExpressionLimitExceeded)
    assert evaluate("[x for x in range(10)]", {}, limits=Limits(max_operations=60)) == \
        list(range(10))
    assert DEFAULT_LIMITS == Limits()
    with pytest.raises(ValueError):
        Limits(max_operations=0)
    with pytest.raises(ValueError):
        Limits(max_depth=2.5)  # type: ignore[arg-type]


def test_source_length_limit() -> None:
    source = "1" + " + 1" * 30000
    problems = check_expression(source)
    assert isinstance(problems[0], ExpressionLimitExceeded)
    assert "source is too long" in problems[0].message


def test_literal_errors_are_reported_at_check_time() -> None:
    source = "x + 1 / (1 - 1) + int('abc') + parse_date('no')"
    messages = [problem.message for problem in check_expression(source)]
    assert messages == ["division by zero", "invalid literal for int() with base 10: 'abc'",
                        "not an ISO date (YYYY-MM-DD): 'no'"]
    # Nothing is reported for expressions that depend on variables.
    assert check_expression("x / y + int(z) + 'a'.join(w)") == []


# --- determinism -------------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "[x for x in s]", "list(s)", "tuple(s)", "','.join(s)", "str(s)", "f'{s}'",
    "list(enumerate(s))", "[*s]", "{x: 1 for x in s}",
])
def test_set_order_never_leaks(source: str) -> None:
    assert "a set has no defined order" in str(error_of(source, {"s": {"b", "a"}}))


def test_order_insensitive_uses_of_sets_are_allowed() -> None:
    variables = {"s": {"b", "a"}}
    assert evaluate("sorted(s) + [len(s), min(s), max(s)]", variables) == ["a", "b", 2, "a", "b"]
    assert evaluate("{x.upper() for x in s} == set(['A', 'B']) and 'a' in s", variables) is True
    assert evaluate("any(x == 'a' for x in s) and sum(1 for x in s) == 2", variables) is True
    assert "a set has no defined order" in str(script_error("for x in s:\n    pass", variables))


# --- caching ---------------------------------------------------------------------------------

def test_parsing_is_cached() -> None:
    source = "amount > 100  # cached"
    evaluate(source, {"amount": 1})
    hits = validator.parse.cache_info().hits
    assert evaluate(source, {"amount": 101}) is True
    assert validator.parse.cache_info().hits == hits + 1


def test_cached_problems_are_fresh_exceptions() -> None:
    first, second = check_expression("import os"), check_expression("import os")
    assert [str(p) for p in first] == [str(p) for p in second]
    assert first[0] is not second[0]


# --- properties ------------------------------------------------------------------------------

VARIABLES = {"x": [1, 2, 3], "s": "ab", "d": {"a": 1}, "n": 3, "f": 0.5, "z": None,
             "t": dt.date(2024, 1, 31)}
ATOMS = st.sampled_from([
    "x", "s", "d", "n", "f", "z", "t", "0", "1", "-7", "10", "2.5", "'a'", "''", "None", "True",
    "[]", "[1, 2]", "{}", "{'k': 1}", "(1,)", "missing", "__class__", "len", "10**100",
])
UNARY = st.sampled_from(["-{}", "not {}", "({})", "[{}]", "len({})", "str({})", "int({})",
                         "sorted({})", "sum({})", "range({})", "{}.lower()", "{}.__class__",
                         "{}.year", "{}[0]", "{}[1:]", "{}['a']", "f'{{{}}}'", "list({})",
                         "[v for v in {}]", "any(v for v in {})", "{}.items()",
                         "set({})", "parse_date({})", "timedelta(days={})", "{}.split()"])
BINARY = st.sampled_from(["{} + {}", "{} * {}", "{} ** {}", "{} / {}", "{} // {}", "{} % {}",
                          "{} - {}", "{} == {}", "{} < {}", "{} in {}", "{} and {}",
                          "{} or {}", "{} if {} else 0", "min({}, {})", "{}[{}]",
                          "({}, {})", "{{{}: {}}}", "zip({}, {})", "{}.get({})"])
EXPRESSIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.tuples(UNARY, inner).map(lambda pair: pair[0].format(pair[1])),
        st.tuples(BINARY, inner, inner).map(lambda parts: parts[0].format(parts[1], parts[2])),
    ),
    max_leaves=12,
)
TOKENS = st.sampled_from(["(", ")", "[", "]", "{", "}", ".", ",", ":", "**", "*", "+", "-",
                          "x", "s", "d", "for", "in", "if", "else", "lambda", "import",
                          "__class__", "'", "f'", "10", "0", "=", "\n", "    ", "not", "len",
                          "range", "while", "is", "None", "#", "\\", "@", "!r", "{x}"])
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])


def only_expression_errors(run: Any) -> None:
    try:
        run()
    except ExpressionError as error:
        assert isinstance(error.message, str) and error.message
        assert error.line is None or error.line >= 1


@PROPERTY_SETTINGS
@given(EXPRESSIONS)
def test_random_expressions_raise_only_expression_errors(source: str) -> None:
    assert all(isinstance(p, ExpressionError) for p in check_expression(source))
    only_expression_errors(lambda: evaluate(source, VARIABLES))


@PROPERTY_SETTINGS
@given(st.lists(st.one_of(TOKENS, st.text(max_size=3)), max_size=25).map(" ".join))
def test_random_text_raises_only_expression_errors(source: str) -> None:
    assert all(isinstance(p, ExpressionError) for p in check_expression(source))
    assert all(isinstance(p, ExpressionError) for p in check_script(source))
    only_expression_errors(lambda: evaluate(source, VARIABLES))
    only_expression_errors(lambda: execute(source, dict(VARIABLES)))


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "x[0]", "d['k']"]), EXPRESSIONS),
                min_size=1, max_size=4))
def test_random_scripts_raise_only_expression_errors(lines: list[tuple[str, str]]) -> None:
    source = "\n".join(f"{target} = {value}" for target, value in lines)
    variables = {**VARIABLES, "x": [0], "d": {}}
    only_expression_errors(lambda: execute(source, variables))


ARITHMETIC = st.recursive(
    st.integers(-20, 20).map(lambda value: (str(value), value)),
    lambda inner: st.tuples(st.sampled_from(["+", "-", "*", "//", "%", "<", "=="]), inner, inner),
    max_leaves=10,
)
_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv,
              "%": operator.mod, "<": operator.lt, "==": operator.eq}


def _render(tree: Any) -> tuple[str, Any]:
    """Source text and expected value of a random arithmetic tree (None: division by zero)."""
    if len(tree) == 2:
        return f"({tree[0]})", tree[1]
    symbol, left, right = tree
    left_text, left_value = _render(left)
    right_text, right_value = _render(right)
    if left_value is None or right_value is None or (symbol in "//%" and right_value == 0):
        value = None
    else:
        value = _OPERATORS[symbol](left_value, right_value)
    return f"({left_text} {symbol} {right_text})", value


@PROPERTY_SETTINGS
@given(ARITHMETIC)
def test_arithmetic_matches_python_semantics(tree: Any) -> None:
    source, expected = _render(tree)
    if expected is None:
        assert error_of(source).message == "division by zero"
    else:
        assert evaluate(source, {}) == expected
