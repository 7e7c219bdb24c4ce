"""Eligibility rules (资格条件) as data: a small declarative language stored as JSON, evaluated here.

Pure Python, no Django: a rule is checked once (:func:`parse`, errors name the path of the bad
node), compiled into a predicate over a unit's facts (a flat ``dict``: ``"person.age": 61``), and
:func:`trace` says, condition by condition, which facts decided. Never ``eval``.

Grammar::

    rule  := {"all": [rule, …]} | {"any": [rule, …]} | {"not": rule} | cond | true
    cond  := {"fact": NAME, "op": OP, "value": V}
    OP    := "==" "!=" "<" "<=" ">" ">=" "in" "not in" "has" "within"

``has``: a list fact (certificates) contains V; ``within``: an area code lies in the area V
(prefix of its significant digits, e.g. "542526").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

# name → (type, Chinese, English)
FACTS: dict[str, tuple[str, str, str]] = {
    "person.age": ("int", "年龄(周岁，普查日)", "age in years on the census date"),
    "person.age_at_start": ("int", "期初年龄(周岁)", "age in years at the start of the period (−1: born later)"),
    "person.sex": ("int", "性别(1男 2女)", "sex (1 male, 2 female)"),
    "person.alive": ("bool", "普查日健在", "alive on the census date"),
    "person.rural": ("bool", "农村", "rural (village area or agricultural registration)"),
    "person.herder": ("bool", "牧业人口", "herder"),
    "person.area": ("area", "户籍地", "registered area"),
    "person.birth_date": ("date", "出生日期", "birth date (YYYY-MM-DD)"),
    "person.certificates": ("list", "持有证件", "certificates held"),
    "children.count": ("int", "生育子女数(含已故)", "children ever born (including the dead)"),
    "children.living": ("int", "存活子女数", "living children"),
    "children.dead": ("int", "已故子女数", "children who died"),
    "children.sons": ("int", "儿子数", "sons"),
    "children.daughters": ("int", "女儿数", "daughters"),
    "children.disabled": ("int", "残疾子女数(持残疾证)", "children with a disability certificate"),
    "children.youngest_age": ("int", "最小子女年龄", "age of the youngest child"),
    "household.herder": ("bool", "牧业户", "herder household"),
    "household.rural": ("bool", "农村户", "rural household"),
    "household.area": ("area", "户所在地", "area of the household"),
    "household.size": ("int", "现有人数", "living members"),
    "household.certificates": ("list", "户内证件", "certificates held in the household"),
}

OPS = ("==", "!=", "<", "<=", ">", ">=", "in", "not in", "has", "within")


class RuleError(ValueError):
    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass(frozen=True)
class Cond:
    fact: str
    op: str
    value: Any


def _check_value(path: str, fact: str, op: str, value: Any) -> None:
    kind = FACTS[fact][0]
    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise RuleError(path, f"'{op}' 需要非空列表 / '{op}' needs a non-empty list")
        return
    if op == "has":
        if kind != "list":
            raise RuleError(path, f"'has' 只用于列表事实 / 'has' applies to list facts, not {fact}")
        return
    if op == "within":
        if kind != "area" or not isinstance(value, str) or not value.isdigit():
            raise RuleError(path, "'within' 需要区划事实和区划代码 / 'within' needs an area fact and a code")
        return
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise RuleError(path, f"{fact} 需要整数 / {fact} needs an integer, got {value!r}")
    if kind == "bool" and (not isinstance(value, bool) or op not in ("==", "!=")):
        raise RuleError(path, f"{fact} 只能用 == 或 != 比较 true/false / compare {fact} with == or != true/false")
    if kind in ("date", "area") and not isinstance(value, str):
        raise RuleError(path, f"{fact} 需要文本 / {fact} needs text")


def parse(rule: Any, path: str = "rule") -> Any:
    """Check a rule; returns it unchanged or raises :class:`RuleError` naming the bad node."""
    if rule is True:
        return rule
    if not isinstance(rule, dict):
        raise RuleError(path, "应为对象 / must be an object")
    keys = set(rule)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = rule[key]
        if not isinstance(items, list) or not items:
            raise RuleError(f"{path}.{key}", "需要非空列表 / needs a non-empty list")
        for i, item in enumerate(items):
            parse(item, f"{path}.{key}[{i}]")
        return rule
    if keys == {"not"}:
        parse(rule["not"], f"{path}.not")
        return rule
    if keys == {"fact", "op", "value"}:
        fact, op = rule["fact"], rule["op"]
        if fact not in FACTS:
            raise RuleError(f"{path}.fact", f"未知事实 / unknown fact {fact!r}; known: {', '.join(FACTS)}")
        if op not in OPS:
            raise RuleError(f"{path}.op", f"未知运算 / unknown operator {op!r}; use one of {' '.join(OPS)}")
        _check_value(path, fact, op, rule["value"])
        return rule
    raise RuleError(path, "应为 all / any / not 或 {fact, op, value} / must be all, any, not or {fact, op, value}")


def _test(op: str, actual: Any, value: Any) -> bool:
    if actual is None:
        return False
    if op == "==":
        return actual == value
    if op == "!=":
        return actual != value
    if op == "<":
        return actual < value
    if op == "<=":
        return actual <= value
    if op == ">":
        return actual > value
    if op == ">=":
        return actual >= value
    if op == "in":
        return actual in value
    if op == "not in":
        return actual not in value
    if op == "has":
        return value in actual
    if op == "within":
        return str(actual).startswith(value)
    raise RuleError("op", op)


def compile_rule(rule: Any) -> Predicate:
    """A predicate over facts (the rule is parsed first)."""
    parse(rule)
    return _compile(rule)


def _compile(rule: Any) -> Predicate:
    if rule is True:
        return lambda facts: True
    if "all" in rule:
        parts = [_compile(r) for r in rule["all"]]
        return lambda facts: all(p(facts) for p in parts)
    if "any" in rule:
        parts = [_compile(r) for r in rule["any"]]
        return lambda facts: any(p(facts) for p in parts)
    if "not" in rule:
        inner = _compile(rule["not"])
        return lambda facts: not inner(facts)
    fact, op, value = rule["fact"], rule["op"], rule["value"]
    return lambda facts: _test(op, facts.get(fact), value)


def trace(rule: Any, facts: Facts) -> tuple[bool, list[dict]]:
    """Whether the facts pass, and every condition with its actual value (the explanation)."""
    steps: list[dict] = []

    def walk(node: Any, depth: int) -> bool:
        if node is True:
            return True
        for key in ("all", "any"):
            if key in node:
                steps.append({"group": key, "depth": depth})
                idx = len(steps) - 1
                results = [walk(r, depth + 1) for r in node[key]]
                steps[idx]["ok"] = all(results) if key == "all" else any(results)
                return steps[idx]["ok"]
        if "not" in node:
            steps.append({"group": "not", "depth": depth})
            idx = len(steps) - 1
            ok = not walk(node["not"], depth + 1)
            steps[idx]["ok"] = ok
            return ok
        actual = facts.get(node["fact"])
        ok = _test(node["op"], actual, node["value"])
        steps.append({"fact": node["fact"], "op": node["op"], "value": node["value"], "actual": actual, "ok": ok,
                      "depth": depth})
        return ok

    return walk(rule, 0), steps


def failed_conditions(rule: Any, facts: Facts) -> list[dict]:
    """The leaf conditions that made the rule fail (why a unit is not, or no longer, eligible): under
    a failing ``all`` its failing members, under a failing ``any`` every member; nothing if it passes."""
    out: list[dict] = []

    def walk(node: Any) -> bool:
        if node is True:
            return True
        if "all" in node or "any" in node:
            key = "all" if "all" in node else "any"
            marks = [len(out)]
            results = []
            for r in node[key]:
                results.append(walk(r))
                marks.append(len(out))
            ok = all(results) if key == "all" else any(results)
            if ok:  # a passing group explains nothing: drop what its members noted
                del out[marks[0]:]
            return ok
        if "not" in node:
            start = len(out)
            inner = walk(node["not"])
            del out[start:]
            if inner:
                out.append({"fact": "not", "op": "not", "value": node["not"], "actual": None, "ok": False})
            return not inner
        actual = facts.get(node["fact"])
        ok = _test(node["op"], actual, node["value"])
        if not ok:
            out.append({"fact": node["fact"], "op": node["op"], "value": node["value"], "actual": actual, "ok": False})
        return ok

    return [] if walk(rule) else out


def facts_used(rule: Any) -> set[str]:
    """Names of the facts a rule reads (the service reads only what a rule needs)."""
    if rule is True:
        return set()
    out: set[str] = set()
    for key in ("all", "any"):
        for r in rule.get(key, []):
            out |= facts_used(r)
    if "not" in rule:
        out |= facts_used(rule["not"])
    if "fact" in rule:
        out.add(rule["fact"])
    return out


def age_bounds(rule: Any, fact: str = "person.age") -> tuple[int | None, int | None]:
    """Bounds (min, max inclusive) on ``fact`` every passing unit must meet, read from the top-level
    ``all`` (or a lone condition) — lets the service ask the database only for the candidates."""
    lo: int | None = None
    hi: int | None = None
    conds = rule["all"] if isinstance(rule, dict) and "all" in rule else [rule]
    for c in conds:
        if not isinstance(c, dict) or c.get("fact") != fact:
            continue
        op, v = c["op"], c["value"]
        if op in (">=", ">", "=="):
            b = v + 1 if op == ">" else v
            lo = b if lo is None else max(lo, b)
        if op in ("<=", "<", "=="):
            b = v - 1 if op == "<" else v
            hi = b if hi is None else min(hi, b)
    return lo, hi
