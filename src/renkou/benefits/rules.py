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


# -- the rule in words (资格条件的文字表述) -------------------------------------------------------------
OP_WORDS: dict[str, tuple[str, str]] = {
    "==": ("为", "is"), "!=": ("不为", "is not"), "<": ("小于", "under"), "<=": ("不超过", "at most"),
    ">": ("大于", "over"), ">=": ("不少于", "at least"), "in": ("属于", "is one of"),
    "not in": ("不属于", "is none of"), "has": ("持有", "includes"), "within": ("位于", "lies in"),
}
VALUE_WORDS: dict[str, tuple[str, str]] = {
    "one_child": ("独生子女父母光荣证", "one-child parents' certificate"),
    "disability": ("残疾证(一至三级)", "disability certificate (grade 1–3)"),
}
FACT_WORDS: dict[str, tuple[str, str]] = {
    "person.age": ("年龄", "age"), "person.age_at_start": ("期初年龄", "age at the start of the period"),
    "person.sex": ("性别", "sex"), "person.alive": ("健在", "alive"), "person.rural": ("农村人口", "rural"),
    "person.herder": ("牧业人口", "herder"), "person.area": ("户籍地", "registered area"),
    "person.birth_date": ("出生日期", "birth date"), "person.certificates": ("本人证件", "certificates held"),
    "children.count": ("生育子女数", "children ever born"), "children.living": ("存活子女数", "living children"),
    "children.dead": ("已故子女数", "children who died"), "children.sons": ("儿子数", "sons"),
    "children.daughters": ("女儿数", "daughters"), "children.disabled": ("残疾子女数", "children with a disability"),
    "children.youngest_age": ("最小子女年龄", "age of the youngest child"),
    "household.herder": ("牧业户", "herder household"), "household.rural": ("农村户", "rural household"),
    "household.area": ("户所在地", "area of the household"), "household.size": ("户内现有人数", "living members"),
    "household.certificates": ("户内证件", "certificates held in the household"),
}


def _value_words(fact: str, value: Any, zh: bool, area_name: Callable[[str], str] | None) -> str:
    if isinstance(value, list):
        return ("、" if zh else ", ").join(_value_words(fact, v, zh, area_name) for v in value)
    if fact == "person.sex" and value in (1, 2):
        return ("男", "male")[not zh] if value == 1 else ("女", "female")[not zh]
    if isinstance(value, str) and value in VALUE_WORDS:
        return VALUE_WORDS[value][0 if zh else 1]
    if FACTS.get(fact, ("",))[0] == "area" and area_name is not None:
        return area_name(str(value))
    return str(value)


def describe(rule: Any, lang: str = "zh-hans", area_name: Callable[[str], str] | None = None) -> str:
    """The rule as a sentence an officer reads: ``年龄不少于 60，且农村人口，且（生育子女数为 1，或…）``."""
    zh = lang.startswith("zh")

    def walk(node: Any, top: bool) -> str:
        if node is True:
            return "所有对象" if zh else "everyone"
        for key in ("all", "any"):
            if key in node:
                joiner = ("，且" if key == "all" else "，或") if zh else (" and " if key == "all" else " or ")
                text = joiner.join(walk(r, False) for r in node[key])
                if len(node[key]) == 1 or top:
                    return text
                return f"（{text}）" if zh else f"({text})"
        if "not" in node:
            return f"并非{walk(node['not'], False)}" if zh else f"not {walk(node['not'], False)}"
        fact, op, value = node["fact"], node["op"], node["value"]
        name = FACT_WORDS.get(fact, (fact, fact))[0 if zh else 1]
        kind = FACTS.get(fact, ("",))[0]
        if kind == "bool":
            yes = (value is True) == (op == "==")
            return (name if yes else f"非{name}") if zh else (name if yes else f"not {name}")
        words = _value_words(fact, value, zh, area_name)
        op_word = OP_WORDS[op][0 if zh else 1]
        return f"{name}{op_word}{words}" if zh else f"{name} {op_word} {words}"

    return walk(rule, True)
