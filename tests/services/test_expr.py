"""The rule expression language: parsing, typing and evaluation, with property tests."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citybase.services import expr

TYPES = {"age": "number", "city": "string", "born": "date", "ok": "bool", "tags": "list"}


def run(source: str, **values: object) -> object:
    tree = expr.parse(source)
    expr.check(tree, TYPES)
    return expr.evaluate(tree, values).value


def test_precedence_and_functions() -> None:
    assert run("1 + 2 * 3 == 7") is True
    assert run("not ok or age >= 80", ok=True, age=81) is True
    assert (
        run(
            "(1 + 2) * 3",
        )
        == 9
    )
    assert run('starts_with(city, "示范市") and city in ["示范市东城区", "x"]', city="示范市东城区")
    born = dt.date(1940, 3, 5)
    assert run('years_between(born, date("2026-03-04"))', born=born) == 85
    assert run('years_between(born, date("2026-03-05"))', born=born) == 86
    assert run("age not in [1, 2]", age=3) is True
    assert run("present(age) and age > 1", age=None) is False


def test_short_circuit_never_reads_a_missing_input() -> None:
    assert run("false and age > 1") is False
    with pytest.raises(expr.MissingInput) as caught:
        run("age > 1")
    assert caught.value.name == "age"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("age >", "expected a value"),
        ("age >= 80 80", "unexpected '80'"),
        ("salary > 1", "unknown input 'salary'"),
        ("age == city", "compares number with string"),
        ("age and ok", "joins two conditions"),
        ('date("2026-13-01") > born', "not YYYY-MM-DD"),
        ("open(age)", "unknown function 'open'"),
        ("__import__('os')", "unknown function '__import__'"),
        ("age @ 2", "unexpected character '@'"),
        ("", "empty"),
    ],
)
def test_refusals_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(expr.ExprError) as caught:
        expr.check(expr.parse(source), TYPES)
    assert message in caught.value.message


numbers = st.integers(min_value=-10_000, max_value=10_000)


@st.composite
def arithmetic(draw: st.DrawFn, depth: int = 0) -> tuple[str, int]:
    if depth > 3 or draw(st.booleans()):
        n = draw(numbers)
        return (f"({n})" if n < 0 else str(n)), n
    (a, x), (b, y) = draw(arithmetic(depth + 1)), draw(arithmetic(depth + 1))
    op = draw(st.sampled_from(["+", "-", "*"]))
    value = {"+": x + y, "-": x - y, "*": x * y}[op]
    return f"({a} {op} {b})", value


@settings(max_examples=200, deadline=None)
@given(arithmetic())
def test_arithmetic_evaluates_like_python(case: tuple[str, int]) -> None:
    source, value = case
    assert run(source) == value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_or_is_refused_cleanly(source: str) -> None:
    """No input crashes the parser: it gives a tree or an ExprError with a position."""
    try:
        tree = expr.parse(source)
    except expr.ExprError as exc:
        assert 0 <= exc.position <= len(source)
        return
    with contextlib.suppress(expr.ExprError):
        expr.check(tree, TYPES)


@settings(max_examples=200, deadline=None)
@given(numbers, numbers, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
def test_comparisons_agree_with_python(a: int, b: int, op: str) -> None:
    expected = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b}[op]
    assert run(f"age {op} {b}", age=a) is expected
