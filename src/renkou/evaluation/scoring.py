"""Scoring a whole scheme for every unit (考核计分), pure: no database.

Input: a parsed :class:`~renkou.evaluation.scheme_format.Scheme`, the units, and one
:class:`ItemInput` per (unit, item) — the raw value, the target from the unit's contract, last
year's value and where the value came from. Output: every item score with its explanation, the
totals, ranks overall and within peer groups, grades, vetoes and warnings.

An item whose input says ``not_applicable`` (a department that delivers no feeds, for a feeds item)
is *n/a*: no points and no gap, and the unit's ordinary points are converted to the scheme's total
(折算): ordinary points × total ÷ points of the items that apply, bonus points added after.

Computed items (``source: {computed: "S{B1} + S{B2}"}``) are scored after the items they refer to;
``S{code}`` is the *points* of item ``code``, ``I{code}`` an indicator value supplied in the
inputs under ``("I", code)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from renkou.indicators.expressions import evaluate, parse

from .ranking import RankedUnit, Total, rank_units, total_points, township_peer_group
from .rules import ItemScore, round_points, to_decimal
from .scheme_format import Item, Scheme


@dataclass(frozen=True)
class ItemInput:
    """What is known of one item for one unit before scoring."""

    value: Decimal | None
    target: Decimal | None = None
    previous: Decimal | None = None
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoredItem:
    item: Item
    theme_code: str
    input: ItemInput
    target: Decimal | None
    score: ItemScore


@dataclass(frozen=True)
class UnitOutcome:
    code: str
    name: str
    items: tuple[ScoredItem, ...]
    ranked: RankedUnit


def peer_group_of(scheme: Scheme, unit_code: str) -> str | None:
    """The scheme's peer group of a unit: listed by code, or by its township class (乡级代码第 7–9 位)."""
    slug = unit_code.split("-", 1)[1] if "-" in unit_code else None  # a department: 520122-gongan
    for g in scheme.peer_groups:
        if unit_code in g.units or unit_code[:9] in g.units or (slug is not None and slug in g.units):
            return g.code
    if slug is not None:
        return None
    try:
        cls = township_peer_group(unit_code)
    except ValueError:
        return None
    for g in scheme.peer_groups:
        if cls in g.classes:
            return g.code
    return None


def effective_target(item: Item, contract: Decimal | None) -> Decimal | None:
    """The contract's target (责任书) when set, else the scheme's default target of the item."""
    return contract if contract is not None else item.target


def _computed_order(scheme: Scheme) -> list[Item]:
    """Items in an order where every computed item follows the items it uses (cycles are refused on parse)."""
    items = list(scheme.items)
    deps: dict[str, set[str]] = {}
    for i in items:
        if i.source.kind == "computed":
            refs = parse(i.source.ref, allowed={"item", "indicator", "constant"}).references()
            deps[i.code] = {r.code for r in refs if r.kind == "item"}
    done: list[Item] = []
    placed: set[str] = set()
    pending = items
    while pending:
        rest = []
        for i in pending:
            if deps.get(i.code, set()) <= placed:
                done.append(i)
                placed.add(i.code)
            else:
                rest.append(i)
        if len(rest) == len(pending):  # pragma: no cover - parse_scheme refuses cycles
            raise ValueError("circular computed items")
        pending = rest
    return done


def score_unit(scheme: Scheme, inputs: Mapping[str, ItemInput],
               indicators: Mapping[str, Decimal | None] | None = None) -> list[ScoredItem]:
    """Score every item of one unit, in scheme order."""
    theme_of = {i.code: t.code for t in scheme.themes for i in t.items}
    scored: dict[str, ScoredItem] = {}
    for item in _computed_order(scheme):
        given = inputs.get(item.code, ItemInput(None))
        if item.source.kind == "computed":
            def resolve(ref, _scored=scored):
                if ref.kind == "item":
                    s = _scored.get(ref.code)
                    return None if s is None or s.score.points is None else float(s.score.points)
                if ref.kind == "indicator":
                    v = (indicators or {}).get(ref.code)
                    return None if v is None else float(v)
                return None
            raw = evaluate(parse(item.source.ref, allowed={"item", "indicator", "constant"}), resolve)
            given = ItemInput(None if raw is None else to_decimal(round(raw, 6)), given.target, given.previous,
                              {"source": "computed", "expression": item.source.ref, **given.source})
        target = effective_target(item, given.target)
        if given.source.get("not_applicable"):
            score = ItemScore("n/a", None, item.points, "不适用于本单位，不计分，总分按适用项目折算",
                              "does not apply to this unit: not scored, the total is converted over the items "
                              "that apply", counts_in_total=item.counts_in_total)
        else:
            score = item.rule.score(given.value, target, item.points, previous=given.previous)
        scored[item.code] = ScoredItem(item, theme_of[item.code], given, target, score)
    return [scored[i.code] for i in scheme.items]


def evaluate_scheme(scheme: Scheme, units: Sequence[tuple[str, str]],
                    inputs: Mapping[tuple[str, str], ItemInput]) -> list[UnitOutcome]:
    """Score, total, rank and grade every unit; rows ordered by rank, then code."""
    per_unit = {}
    for code, _name in units:
        mine = {item: inp for (u, item), inp in inputs.items() if u == code}
        per_unit[code] = score_unit(scheme, mine)
    totals = {code: converted_total(scheme, per_unit[code]) for code, _ in units}
    groups = {code: g for code, _ in units if (g := peer_group_of(scheme, code)) is not None}
    ranked = rank_units(totals, groups=groups, grades=scheme.grades, warnings=scheme.warnings)
    names = dict(units)
    return [UnitOutcome(str(r.unit), names[str(r.unit)], tuple(per_unit[str(r.unit)]), r) for r in ranked]


def converted_total(scheme: Scheme, items: Sequence[ScoredItem]) -> Total:
    """The unit's total; with items that do not apply (n/a), its ordinary points converted to the
    scheme's total over the points of the items that apply (折算), bonus points added unconverted."""
    total = total_points(s.score for s in items)
    absent = sum((s.item.points for s in items if s.score.state == "n/a" and s.score.counts_in_total), Decimal(0))
    if not absent:
        return total
    applicable = scheme.total_points - absent
    ordinary = sum((s.score.points or Decimal(0) for s in items if s.score.counts_in_total and s.score.state != "n/a"),
                   Decimal(0))
    bonus = sum((s.score.points or Decimal(0) for s in items if not s.score.counts_in_total), Decimal(0))
    points = (ordinary * scheme.total_points / applicable) if applicable else Decimal(0)
    return Total(round_points(round_points(points) + bonus), total.incomplete, total.vetoed, total.missing_items)


def theme_shares(items: Sequence[ScoredItem]) -> dict[str, Decimal]:
    """Points obtained ÷ points available per theme (0–1), over items that count in the total."""
    got: dict[str, Decimal] = {}
    avail: dict[str, Decimal] = {}
    for s in items:
        if not s.score.counts_in_total:
            continue
        avail[s.theme_code] = avail.get(s.theme_code, Decimal(0)) + s.item.points
        got[s.theme_code] = got.get(s.theme_code, Decimal(0)) + (s.score.points or Decimal(0))
    return {t: (got[t] / avail[t] if avail[t] else Decimal(0)) for t in avail}


def describe_rule(rule, lang: str = "zh") -> str:
    """The standard an item is scored by, in one line, for contracts and scorecards (评分标准)."""
    from .rules import fmt

    zh = lang.startswith("zh")
    d = rule.to_dict()
    t = d["type"]
    if t == "band":
        lo = "-∞" if d["lo"] is None else fmt(d["lo"])
        hi = "+∞" if d["hi"] is None else fmt(d["hi"])
        return f"{lo} ≤ 值 ≤ {hi} 得满分，否则 0 分" if zh else f"full points when {lo} ≤ value ≤ {hi}, else 0"
    if t == "linear":
        better = d["direction"] == "higher_better"
        if zh:
            return f"{fmt(d['lower'])} 至 {fmt(d['upper'])} 之间线性计分（{'越高越好' if better else '越低越好'}）"
        return f"linear between {fmt(d['lower'])} and {fmt(d['upper'])} ({'higher' if better else 'lower'} is better)"
    if t == "deduction_per_unit":
        return (f"每差目标 {fmt(d['unit'])} 扣 {fmt(d['per_unit'])} 分，扣完为止" if zh else
                f"{fmt(d['per_unit'])} off per {fmt(d['unit'])} short of the target, down to 0")
    if t == "deduction_per_event":
        return (f"每发现 1 件扣 {fmt(d['per_event'])} 分" if zh else f"{fmt(d['per_event'])} off per event found")
    if t == "ratio_to_target":
        return (f"分值 × 完成值 ÷ 目标（上限 {fmt(d['cap'])}）" if zh else
                f"points × value ÷ target (cap {fmt(d['cap'])})")
    if t == "efficacy":
        return (f"功效系数法，满意值 {fmt(d['satisfactory'])}，不允许值 {fmt(d['unacceptable'])}" if zh else
                f"efficacy coefficient, satisfactory {fmt(d['satisfactory'])}, unacceptable {fmt(d['unacceptable'])}")
    if t == "level_progress":
        lv, pg = describe_rule(rule.level, lang), describe_rule(rule.progress, lang)
        return (f"水平 {fmt(d['level_weight'])}（{lv}）+ 进步 {fmt(d['progress_weight'])}（{pg}）" if zh else
                f"level {fmt(d['level_weight'])} ({lv}) + progress {fmt(d['progress_weight'])} ({pg})")
    if t == "bonus":
        return (f"每项加 {fmt(d['per_unit'])} 分，不计入总分" if zh else f"+{fmt(d['per_unit'])} each, outside the total")
    if t == "veto":
        return (f"值 {d['op']} {fmt(d['threshold'])} 时一票否决" if zh else
                f"one-vote veto when value {d['op']} {fmt(d['threshold'])}")
    return str(d)
