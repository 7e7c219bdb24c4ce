"""Indicator expressions: parsing, printing, evaluation, cycles, indicator values."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.indicators.expressions import (
    BinOp,
    Call,
    ExpressionError,
    Neg,
    Number,
    Ref,
    Reference,
    detect_cycles,
    evaluate,
    indicator_value,
    parse,
)

BIRTHS = Reference("element", "births")
POP_START = Reference("element", "pop_start")
POP_END = Reference("element", "pop_end")


def test_crude_birth_rate_numerator_and_denominator():
    num = parse("#{births}")
    den = parse("(#{pop_start} + #{pop_end}) / 2")
    values = {BIRTHS: 2300, POP_START: 250000, POP_END: 251800}
    assert evaluate(num, values) == 2300
    assert evaluate(den, values) == 250900
    assert indicator_value(evaluate(num, values), evaluate(den, values), "per_thousand", 2) == Decimal("9.17")


def test_operands_of_every_kind_are_recognised():
    e = parse("#{births.female} + R{population.sex=2,age=15-49} * C{days_in_year} - I{cbr} + R{births}")
    assert e.references() == {
        Reference("element", "births", disaggregation="female"),
        Reference("register", "population", params=(("age", "15-49"), ("sex", "2"))),
        Reference("constant", "days_in_year"),
        Reference("indicator", "cbr"),
        Reference("register", "births"),
    }


def test_register_parameters_are_order_independent():
    assert parse("R{population.age=15-49,sex=2}") == parse("R{population.sex=2, age=15-49}")
    assert str(parse("R{population.sex=2,age=15-49}")) == "R{population.age=15-49,sex=2}"


def test_precedence_and_associativity():
    assert evaluate(parse("2 + 3 * 4"), {}) == 14
    assert evaluate(parse("(2 + 3) * 4"), {}) == 20
    assert evaluate(parse("10 - 4 - 3"), {}) == 3
    assert evaluate(parse("24 / 4 / 2"), {}) == 3
    assert evaluate(parse("-2 * -3"), {}) == 6
    assert evaluate(parse("--5"), {}) == 5
    assert evaluate(parse("2 - -3"), {}) == 5


def test_chinese_operator_signs_are_accepted():
    assert parse("#{a} × 2 ÷ 4 − 1") == parse("#{a} * 2 / 4 - 1")


def test_functions_and_comparisons():
    assert evaluate(parse("min(3, 1, 2) + max(4, 5) + abs(-7)"), {}) == 13
    assert evaluate(parse("if(#{births} > 0, 1, 2)"), {BIRTHS: 5}) == 1
    assert evaluate(parse("if(#{births} > 0, 1, 2)"), {BIRTHS: 0}) == 2
    assert evaluate(parse("(1 < 2) + (2 <= 2) + (3 == 3) + (3 != 3) + (1 >= 2)"), {}) == 3


def test_division_by_zero_gives_none_not_an_exception():
    assert evaluate(parse("#{births} / (#{pop_start} - #{pop_end})"), {BIRTHS: 1, POP_START: 5, POP_END: 5}) is None
    assert indicator_value(1, 0, "percent") is None


def test_missing_value_propagates_in_strict_mode():
    assert evaluate(parse("#{births} + 1"), {}) is None
    assert evaluate(parse("min(#{births}, 3)"), {}) is None
    assert evaluate(parse("if(1, 4, #{births})"), {}) == 4  # the branch not taken does not matter
    assert evaluate(parse("if(#{births} > 1, 4, 5)"), {}) is None
    assert evaluate(parse("coalesce(#{births}, 0) + 1"), {}) == 1


def test_missing_counts_as_zero_in_zero_mode_unless_all_missing():
    expr = parse("#{births} + #{pop_start}")
    assert evaluate(expr, {POP_START: 4}, missing="zero") == 4
    assert evaluate(expr, {}, missing="zero") is None


def test_resolver_may_be_a_function():
    assert evaluate("#{births} * 2", lambda ref: 21 if ref == BIRTHS else None) == 42


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("#{births} +", 11, "operand expected"),
        ("#{births} + * 2", 12, "expected a number"),
        ("(1 + 2", 6, "expected ')'"),
        ("1 + 2)", 5, "unexpected ')'"),
        ("#{births", 0, "no closing"),
        ("sqrt(4)", 0, "unknown function"),
        ("abs(1, 2)", 0, "takes 1 argument"),
        ("if(1, 2)", 0, "takes 3 argument"),
        ("1 < 2 < 3", 6, "do not chain"),
        ("#{bad code}", 2, "invalid reference code"),
        ("R{population.sex}", 2, "key=value"),
        ("R{population.sex=1,sex=2}", 2, "repeated"),
        ("C{k.x}", 2, "no '.' suffix"),
        ("S{B1}", 0, "not allowed"),
        ("1 $ 2", 2, "unexpected character"),
        ("", 0, "empty expression"),
    ],
)
def test_errors_name_the_position_in_both_languages(text, position, fragment):
    with pytest.raises(ExpressionError) as err:
        parse(text)
    assert err.value.position == position
    assert fragment in str(err.value)
    assert f"第 {position + 1} 个字符" in str(err.value)


def test_item_references_when_allowed():
    e = parse("S{B1} - S{B2}", allowed={"item"})
    assert {r.code for r in e.references()} == {"B1", "B2"}


def test_detect_cycles():
    defs = {
        "a": ("I{b} + 1", "1"),
        "b": ("I{c}", "#{x}"),
        "c": ("1", "I{a}"),
        "d": ("I{d}", "1"),
        "e": ("I{a}", "I{unknown}"),
        "f": ("#{x}", "1"),
    }
    assert detect_cycles(defs) == [["a", "b", "c"], ["d"]]
    assert detect_cycles({"f": ("#{x}", "1")}) == []


@pytest.mark.parametrize(
    ("num", "den", "kind", "decimals", "expected"),
    [
        (46, 5000, "per_thousand", 1, "9.2"),
        (1, 8, "percent", 1, "12.5"),
        (1, 16, "percent", 2, "6.25"),
        (1, 400, "percent", 1, "0.3"),  # 0.25 rounds half up, not to even
        (3, 800, "percent", 2, "0.38"),  # 0.375 → 0.38
        (118, 100, "per_hundred", 0, "118"),
        (1, 3, "ratio", 3, "0.333"),
        (2, 3, "ratio", 3, "0.667"),
        (13, 52000, "per_100000", 2, "25.00"),
    ],
)
def test_indicator_value_rounds_half_up(num, den, kind, decimals, expected):
    assert indicator_value(num, den, kind, decimals) == Decimal(expected)


def test_unknown_indicator_type_is_refused():
    with pytest.raises(ValueError, match="unknown indicator type"):
        indicator_value(1, 2, "per_mille")


# ------------------------------------------------------------------ properties
VALUES = {
    Reference("element", "a"): 3.0,
    Reference("element", "b", disaggregation="f"): 0.0,
    Reference("register", "p", params=(("age", "15-49"), ("sex", "2"))): 7.5,
    Reference("constant", "k"): -2.0,
    Reference("indicator", "m"): None,  # a missing value
}


def _leaf():
    numbers = st.floats(min_value=0, max_value=1000, allow_nan=False).map(lambda v: (Number(v), v))
    refs = st.sampled_from(sorted(VALUES)).map(lambda r: (Ref(r), VALUES[r]))
    return numbers | refs


def _combine(children):
    def binop(op, pair):
        (left, lv), (right, rv) = pair
        if lv is None or rv is None:
            value = None
        elif op == "/":
            value = None if rv == 0 else lv / rv
        elif op in ("+", "-", "*"):
            value = {"+": lv + rv, "-": lv - rv, "*": lv * rv}[op]
        else:
            value = float({"<": lv < rv, ">=": lv >= rv, "==": lv == rv}[op])
        return BinOp(op, left, right), value

    def neg(p):
        return Neg(p[0]), None if p[1] is None else -p[1]

    def if_(triple):
        (c, cv), (a, av), (b, bv) = triple
        return Call("if", (c, a, b)), None if cv is None else (av if cv != 0 else bv)

    def minmax(name_pairs):
        name, pairs = name_pairs
        vals = [v for _, v in pairs]
        value = None if any(v is None for v in vals) else (min if name == "min" else max)(vals)
        return Call(name, tuple(e for e, _ in pairs)), value

    ops = st.sampled_from(["+", "-", "*", "/", "<", ">=", "=="])
    return (
        st.tuples(ops, st.tuples(children, children)).map(lambda t: binop(*t))
        | children.map(neg)
        | st.tuples(children, children, children).map(if_)
        | st.tuples(st.sampled_from(["min", "max"]), st.lists(children, min_size=1, max_size=3)).map(minmax)
    )


TREES = st.recursive(_leaf(), _combine, max_leaves=12)


@given(TREES)
@settings(max_examples=300, deadline=None)
def test_printing_then_parsing_gives_the_same_tree(pair):
    tree, _ = pair
    assert parse(str(tree), allowed={"element", "register", "constant", "indicator"}) == tree


@given(TREES)
@settings(max_examples=300, deadline=None)
def test_evaluation_equals_the_reference_computation(pair):
    tree, expected = pair
    if expected is not None and not math.isfinite(expected):
        expected = None
    got = evaluate(tree, VALUES)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(TREES)
@settings(max_examples=100, deadline=None)
def test_references_are_the_leaves(pair):
    tree, _ = pair

    def leaves(e):
        if isinstance(e, Ref):
            return {e.ref}
        kids = {Neg: lambda n: (n.operand,), BinOp: lambda n: (n.left, n.right), Call: lambda n: n.args}
        out = set()
        for kind, get in kids.items():
            if isinstance(e, kind):
                for k in get(e):
                    out |= leaves(k)
        return out

    assert tree.references() == leaves(tree)
