"""The file format of an assessment scheme (考核方案文件格式), YAML or JSON.

A scheme file says which units are assessed for which year, the items grouped
by theme with their points, where each item's value comes from and how it is
scored, the peer groups, the grades and the warnings. :func:`parse_scheme`
turns the parsed mapping into frozen dataclasses and checks it completely;
every problem is reported at once, each naming the item and the field::

    项目 B2 (出生率)：规则 band 的 lo (12) 大于 hi (10) / item B2: rule band: lo (12) > hi (10)

The format is documented for users in ``docs/assessment-scheme-format.md``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from renkou.core.periods import Period
from renkou.evaluation.ranking import DEFAULT_GRADES, DEFAULT_WARNINGS, Grade, GradeScale, WarningRule
from renkou.evaluation.rules import Rule, RuleError, fmt, rule_from_dict, to_decimal
from renkou.indicators.expressions import ExpressionError, detect_cycles, parse

SOURCE_KINDS = ("indicator", "inspection", "verification", "computed", "feeds")
VERIFICATION_MEASURES = ("under_reporting_rate", "error_rate", "missed_births", "falsification_cases")
# what a department's feeds delivered (部门信息报送): see renkou.evaluation.sources.feeds_measure
FEEDS_MEASURES = ("months_delivered", "events_confirmed", "on_time")
# sources that measure an area; a department is assessed on inspections, its feeds and computed items
AREA_SOURCES = ("indicator", "verification")
PEER_CLASSES = ("subdistrict", "town", "township", "farm", "other")
UNIT_LEVELS = ("township", "village", "county", "department")


class SchemeError(ValueError):
    """All the problems found in one scheme file."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True)
class Source:
    """Where an item's value comes from.

    ``indicator``: code of an indicator (指标); ``inspection``: code of an
    inspection score sheet (检查评分); ``verification``: a measure of sampled
    verification (抽样核查); ``computed``: an expression over other items
    (``S{code}``), indicators and constants; ``feeds``: a measure of what a
    department's feeds delivered (``FEEDS_MEASURES``, departments only).
    """

    kind: str
    ref: str


@dataclass(frozen=True)
class Item:
    code: str
    name_zh: str
    name_en: str
    points: Decimal
    source: Source
    rule: Rule
    target: Decimal | None = None
    description_zh: str = ""
    description_en: str = ""

    @property
    def counts_in_total(self) -> bool:
        return self.rule.counts_in_total


@dataclass(frozen=True)
class Theme:
    code: str
    name_zh: str
    name_en: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class PeerGroup:
    """Units compared with each other (同类比较): by township class or listed codes."""

    code: str
    name_zh: str
    name_en: str
    classes: tuple[str, ...] = ()
    units: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnitSelector:
    """The units assessed: every unit of ``level`` under ``parent``, minus ``exclude``. For
    ``level: department`` the file says ``county`` (the county whose departments are assessed),
    read here as the parent."""

    parent: str
    level: str
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scheme:
    code: str
    name_zh: str
    name_en: str
    year: int
    period: Period | None
    level: str
    total_points: Decimal
    units: UnitSelector
    themes: tuple[Theme, ...]
    peer_groups: tuple[PeerGroup, ...]
    grades: GradeScale
    warnings: tuple[WarningRule, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for t in self.themes for i in t.items)

    def item(self, code: str) -> Item:
        for i in self.items:
            if i.code == code:
                return i
        raise KeyError(code)


# ---------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------

_SCHEME_KEYS = {"code", "name_zh", "name_en", "year", "period", "level", "total_points", "units", "themes",
                "peer_groups", "grades", "warnings"}
_THEME_KEYS = {"code", "name_zh", "name_en", "points", "items"}
_ITEM_KEYS = {"code", "name_zh", "name_en", "points", "source", "rule", "target", "description_zh",
              "description_en"}
_UNIT_KEYS = {"parent", "county", "level", "exclude"}
_GROUP_KEYS = {"code", "name_zh", "name_en", "classes", "units"}
_GRADE_KEYS = {"code", "name_zh", "name_en", "min_points"}
_WARNING_KEYS = {"code", "name_zh", "name_en", "below_points", "last_places", "scope", "on_veto"}


class _Collector:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, where_zh: str, where_en: str, zh: str, en: str) -> None:
        self.errors.append(f"{where_zh}：{zh} / {where_en}: {en}")

    def keys(self, d: Mapping[str, Any], allowed: set[str], required: set[str], wz: str, we: str) -> bool:
        if not isinstance(d, Mapping):
            self.add(wz, we, "应为键值表", "must be a mapping")
            return False
        for k in sorted(set(d) - allowed):
            self.add(wz, we, f"未知字段 {k}（可用：{', '.join(sorted(allowed))}）",
                     f"unknown field {k} (known: {', '.join(sorted(allowed))})")
        for k in sorted(required - set(d)):
            self.add(wz, we, f"缺少字段 {k}", f"missing field {k}")
        return True

    def text(self, d: Mapping[str, Any], key: str, wz: str, we: str, default: str = "") -> str:
        v = d.get(key, default)
        if not isinstance(v, str) or (key in ("code", "name_zh", "name_en") and not v.strip()):
            self.add(wz, we, f"{key} 应为非空文字", f"{key} must be non-empty text")
            return str(v) if v is not None else ""
        return v.strip() if key == "code" else v

    def number(self, d: Mapping[str, Any], key: str, wz: str, we: str, *, minimum: Decimal | None = None,
               optional: bool = False) -> Decimal | None:
        v = d.get(key)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            self.add(wz, we, f"{key}（{v!r}）应为数字", f"{key} ({v!r}) must be a number")
            return None
        try:
            n = to_decimal(v) if not isinstance(v, str) else Decimal(v.strip())
        except Exception:
            self.add(wz, we, f"{key}（{v!r}）应为数字", f"{key} ({v!r}) must be a number")
            return None
        if not n.is_finite() or (minimum is not None and n < minimum):
            self.add(wz, we, f"{key}（{fmt(n) if n.is_finite() else v}）不能小于 {fmt(minimum)}",
                     f"{key} ({fmt(n) if n.is_finite() else v}) must be ≥ {fmt(minimum)}")
            return None
        return n


def parse_scheme(data: Mapping[str, Any]) -> Scheme:
    """Check a scheme read from YAML/JSON and build it; raise :class:`SchemeError` listing every problem."""
    c = _Collector()
    if not c.keys(data, _SCHEME_KEYS, {"code", "name_zh", "name_en", "year", "level", "total_points", "units",
                                       "themes"}, "方案", "scheme"):
        raise SchemeError(c.errors)
    wz, we = "方案", "scheme"
    code = c.text(data, "code", wz, we)
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1949 <= year <= 2100:
        c.add(wz, we, f"year（{year!r}）应为 1949–2100 之间的整数", f"year ({year!r}) must be an integer in 1949–2100")
        year = 0
    period = None
    if data.get("period") is not None:
        try:
            period = Period.parse(str(data["period"]))
        except ValueError as err:
            c.add(wz, we, "period 无效", str(err))
    name_zh, name_en = c.text(data, "name_zh", wz, we), c.text(data, "name_en", wz, we)
    level = c.text(data, "level", wz, we)
    if level not in UNIT_LEVELS:
        c.add(wz, we, f"level（{level}）应为 {', '.join(UNIT_LEVELS)} 之一", f"level ({level}) must be one of "
              f"{', '.join(UNIT_LEVELS)}")
    total = c.number(data, "total_points", wz, we, minimum=Decimal(0)) or Decimal(0)
    units = _units(c, data.get("units", {}))
    if units.level and level in UNIT_LEVELS and units.level != level:
        c.add("参评单位 units", "units", f"level（{units.level}）与方案的 level（{level}）不同",
              f"level ({units.level}) differs from the scheme's level ({level})")
    themes = _themes(c, data.get("themes"))
    items = [i for t in themes for i in t.items]
    _check_sources_fit_level(c, items, level)
    _check_codes_and_totals(c, data.get("themes"), themes, items, total)
    _check_computed(c, items)
    groups = _peer_groups(c, data.get("peer_groups", []))
    grades = _grades(c, data.get("grades"), total)
    warnings = _warnings(c, data.get("warnings"))
    if c.errors:
        raise SchemeError(c.errors)
    return Scheme(code, name_zh, name_en, year, period, level, total, units, tuple(themes), groups, grades, warnings)


def _units(c: _Collector, d: Any) -> UnitSelector:
    wz, we = "参评单位 units", "units"
    if not c.keys(d, _UNIT_KEYS, {"level"}, wz, we):
        return UnitSelector("", "")
    level = str(d.get("level", ""))
    if level == "department":
        if "parent" in d:
            c.add(wz, we, "部门考核用 county 指明县，不用 parent", "a department scheme names its county, not a parent")
        parent = str(d.get("county", ""))
        if not parent.isdigit() or len(parent) not in (6, 12) or (len(parent) == 12 and parent[6:] != "000000"):
            c.add(wz, we, f"county（{parent}）应为 6 位县级区划代码", f"county ({parent}) must be a 6-digit county code")
    else:
        if "county" in d:
            c.add(wz, we, "county 只用于部门考核（level: department）",
                  "county is for department schemes only (level: department)")
        parent = str(d.get("parent", ""))
        if "parent" not in d:
            c.add(wz, we, "缺少字段 parent", "missing field parent")
        elif not parent.isdigit() or len(parent) not in (2, 4, 6, 9, 12):
            c.add(wz, we, f"parent（{parent}）应为 2、4、6、9 或 12 位区划代码",
                  f"parent ({parent}) must be a 2, 4, 6, 9 or 12 digit division code")
    if level not in UNIT_LEVELS:
        c.add(wz, we, f"level（{level}）应为 {', '.join(UNIT_LEVELS)} 之一",
              f"level ({level}) must be one of {', '.join(UNIT_LEVELS)}")
    exclude = d.get("exclude", [])
    if not isinstance(exclude, list):
        c.add(wz, we, "exclude 应为代码列表", "exclude must be a list of codes")
        exclude = []
    return UnitSelector(parent, level, tuple(str(x) for x in exclude))


def _themes(c: _Collector, raw: Any) -> list[Theme]:
    if not isinstance(raw, list) or not raw:
        c.add("方案", "scheme", "themes 应为非空列表", "themes must be a non-empty list")
        return []
    themes = []
    for n, t in enumerate(raw, start=1):
        wz, we = f"第 {n} 个主题", f"theme {n}"
        if isinstance(t, Mapping) and isinstance(t.get("code"), str) and t["code"].strip():
            wz, we = f"主题 {t['code'].strip()} ({t.get('name_zh', '')})", f"theme {t['code'].strip()}"
        if not c.keys(t, _THEME_KEYS, {"code", "name_zh", "name_en", "items"}, wz, we):
            continue
        code = c.text(t, "code", wz, we)
        items_raw = t.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            c.add(wz, we, "items 应为非空列表", "items must be a non-empty list")
            items_raw = []
        items = [i for i in (_item(c, x, n, k) for k, x in enumerate(items_raw, start=1)) if i is not None]
        themes.append(Theme(code, c.text(t, "name_zh", wz, we), c.text(t, "name_en", wz, we), tuple(items)))
    return themes


def _item(c: _Collector, d: Any, theme_n: int, n: int) -> Item | None:
    wz, we = f"第 {theme_n} 个主题第 {n} 个项目", f"theme {theme_n} item {n}"
    if isinstance(d, Mapping) and isinstance(d.get("code"), str) and d["code"].strip():
        wz, we = f"项目 {d['code'].strip()} ({d.get('name_zh', '')})", f"item {d['code'].strip()}"
    errors_before = len(c.errors)
    if not c.keys(d, _ITEM_KEYS, {"code", "name_zh", "name_en", "points", "source", "rule"}, wz, we):
        return None
    code = c.text(d, "code", wz, we)
    points = c.number(d, "points", wz, we, minimum=Decimal(0))
    target = c.number(d, "target", wz, we, optional=True)
    source = _source(c, d.get("source"), wz, we)
    rule: Rule | None = None
    try:
        rule = rule_from_dict(d.get("rule"))
    except RuleError as err:
        c.add(wz, we, err.message_zh, err.message_en)
    if rule is not None and points is not None:
        if rule.type == "veto" and points != 0:
            c.add(wz, we, f"一票否决项的 points 应为 0（现为 {fmt(points)}）", f"a veto item has 0 points (not {fmt(points)})")
        if rule.type != "veto" and points == 0:
            c.add(wz, we, "points 应大于 0", "points must be > 0")
    if rule is not None and source is not None:
        if rule.type == "veto" and source.kind == "indicator":
            c.add(wz, we, "一票否决只能依据核查或检查发现，不能依据指标值",
                  "a veto rests on findings of verification or inspection, not on an indicator value")
        if source.kind == "verification" and source.ref == "falsification_cases" and rule.type not in (
                "veto", "deduction_per_event"):
            c.add(wz, we, "弄虚作假件数只能用 veto 或 deduction_per_event 规则",
                  "falsification cases take a veto or deduction_per_event rule")
    if len(c.errors) > errors_before or rule is None or points is None or source is None:
        return None
    return Item(code, c.text(d, "name_zh", wz, we), c.text(d, "name_en", wz, we), points, source, rule, target,
                str(d.get("description_zh", "")), str(d.get("description_en", "")))


def _source(c: _Collector, d: Any, wz: str, we: str) -> Source | None:
    if not isinstance(d, Mapping) or len(d) != 1:
        c.add(wz, we, f"source 应恰好含一个键：{', '.join(SOURCE_KINDS)}",
              f"source must have exactly one key: {', '.join(SOURCE_KINDS)}")
        return None
    ((kind, ref),) = d.items()
    if kind not in SOURCE_KINDS:
        c.add(wz, we, f"source 的类型 {kind} 未知（可用：{', '.join(SOURCE_KINDS)}）",
              f"unknown source {kind} (known: {', '.join(SOURCE_KINDS)})")
        return None
    if not isinstance(ref, str) or not ref.strip():
        c.add(wz, we, f"source.{kind} 应为非空文字", f"source.{kind} must be non-empty text")
        return None
    if kind == "verification" and ref not in VERIFICATION_MEASURES:
        c.add(wz, we, f"source.verification（{ref}）应为 {', '.join(VERIFICATION_MEASURES)} 之一",
              f"source.verification ({ref}) must be one of {', '.join(VERIFICATION_MEASURES)}")
        return None
    if kind == "feeds" and ref not in FEEDS_MEASURES:
        c.add(wz, we, f"source.feeds（{ref}）应为 {', '.join(FEEDS_MEASURES)} 之一",
              f"source.feeds ({ref}) must be one of {', '.join(FEEDS_MEASURES)}")
        return None
    if kind == "computed":
        try:
            parse(ref, allowed={"item", "indicator", "constant"})
        except ExpressionError as err:
            c.add(wz, we, f"source.computed {err.message_zh}（第 {err.position + 1} 个字符）",
                  f"source.computed {err.message_en} (character {err.position + 1})")
            return None
    return Source(kind, ref.strip())


def _check_sources_fit_level(c: _Collector, items: list[Item], level: str) -> None:
    """A department is no area: indicators and household verification measure areas, feeds measure
    departments."""
    for i in items:
        wz, we = f"项目 {i.code} ({i.name_zh})", f"item {i.code}"
        if level == "department" and i.source.kind in AREA_SOURCES:
            c.add(wz, we, f"部门考核不能用 source.{i.source.kind}（可用：inspection、feeds、computed）",
                  f"a department scheme cannot use source.{i.source.kind} (use inspection, feeds, computed)")
        elif level != "department" and i.source.kind == "feeds":
            c.add(wz, we, "source.feeds 只用于部门考核（level: department）",
                  "source.feeds is for department schemes only (level: department)")
        elif level == "department" and i.source.kind == "computed" and "I{" in i.source.ref:
            c.add(wz, we, "部门考核的计算项目不能引用指标 I{…}", "a department scheme's computed items cannot use I{…}")


def _check_codes_and_totals(c: _Collector, raw_themes: Any, themes: list[Theme], items: list[Item],
                            total: Decimal) -> None:
    seen: set[str] = set()
    for t in themes:
        if t.code in seen:
            c.add(f"主题 {t.code}", f"theme {t.code}", "代码重复", "duplicate code")
        seen.add(t.code)
    seen_items: set[str] = set()
    for i in items:
        if i.code in seen_items:
            c.add(f"项目 {i.code} ({i.name_zh})", f"item {i.code}", "代码重复", "duplicate code")
        seen_items.add(i.code)
    if c.errors:
        return  # sums of a partly-read scheme would only add noise
    counted = sum((i.points for i in items if i.counts_in_total), Decimal(0))
    if counted != total:
        c.add("方案", "scheme", f"各项目分值之和 {fmt(counted)}（不含加分和一票否决项）不等于 total_points {fmt(total)}",
              f"item points add up to {fmt(counted)} (bonus and veto items excluded), not total_points {fmt(total)}")
    for t, raw in zip(themes, raw_themes, strict=False):
        if isinstance(raw, Mapping) and raw.get("points") is not None:
            declared = c.number(raw, "points", f"主题 {t.code}", f"theme {t.code}")
            got = sum((i.points for i in t.items if i.counts_in_total), Decimal(0))
            if declared is not None and declared != got:
                c.add(f"主题 {t.code} ({t.name_zh})", f"theme {t.code}", f"项目分值之和 {fmt(got)} 不等于 points {fmt(declared)}",
                      f"item points add up to {fmt(got)}, not points {fmt(declared)}")


def _check_computed(c: _Collector, items: list[Item]) -> None:
    codes = {i.code for i in items}
    defs = {}
    for i in items:
        if i.source.kind != "computed":
            continue
        expr = parse(i.source.ref, allowed={"item", "indicator", "constant"})
        for r in sorted(expr.references()):
            if r.kind == "item" and r.code not in codes:
                c.add(f"项目 {i.code} ({i.name_zh})", f"item {i.code}", f"source.computed 引用了不存在的项目 {r.code}",
                      f"source.computed refers to unknown item {r.code}")
        defs[i.code] = (expr, None)
    for i in items:
        if i.code not in defs:
            defs[i.code] = (parse("0"), None)
    for cycle in detect_cycles(defs, kind="item"):
        path = " → ".join([*cycle, cycle[0]])
        first = next(i for i in items if i.code == cycle[0])
        c.add(f"项目 {first.code} ({first.name_zh})", f"item {first.code}", f"计算项目循环引用：{path}",
              f"circular reference between computed items: {path}")


def _peer_groups(c: _Collector, raw: Any) -> tuple[PeerGroup, ...]:
    if not isinstance(raw, list):
        c.add("方案", "scheme", "peer_groups 应为列表", "peer_groups must be a list")
        return ()
    groups = []
    for n, g in enumerate(raw, start=1):
        wz, we = f"第 {n} 个同类组", f"peer group {n}"
        if not c.keys(g, _GROUP_KEYS, {"code", "name_zh", "name_en"}, wz, we):
            continue
        classes = tuple(g.get("classes", []) or [])
        units = tuple(str(u) for u in g.get("units", []) or [])
        bad = [x for x in classes if x not in PEER_CLASSES]
        if bad:
            c.add(wz, we, f"classes 含未知类别 {', '.join(map(str, bad))}（可用：{', '.join(PEER_CLASSES)}）",
                  f"unknown classes {', '.join(map(str, bad))} (known: {', '.join(PEER_CLASSES)})")
        if not classes and not units:
            c.add(wz, we, "classes 与 units 至少要给一个", "give classes, units or both")
        groups.append(PeerGroup(c.text(g, "code", wz, we), c.text(g, "name_zh", wz, we), c.text(g, "name_en", wz, we),
                                classes, units))
    taken: dict[str, str] = {}
    for g in groups:
        for cls in g.classes:
            if cls in taken:
                c.add(f"同类组 {g.code}", f"peer group {g.code}", f"类别 {cls} 已属于同类组 {taken[cls]}",
                      f"class {cls} already belongs to peer group {taken[cls]}")
            taken[cls] = g.code
    return tuple(groups)


def _grades(c: _Collector, raw: Any, total: Decimal) -> GradeScale:
    if raw is None:
        return DEFAULT_GRADES
    if not isinstance(raw, list) or not raw:
        c.add("等次 grades", "grades", "应为非空列表", "must be a non-empty list")
        return DEFAULT_GRADES
    grades = []
    for n, g in enumerate(raw, start=1):
        wz, we = f"第 {n} 个等次", f"grade {n}"
        if not c.keys(g, _GRADE_KEYS, {"code", "name_zh", "name_en"}, wz, we):
            continue
        minimum = c.number(g, "min_points", wz, we, minimum=Decimal(0), optional=True)
        if minimum is not None and minimum > total:
            c.add(wz, we, f"min_points {fmt(minimum)} 超过总分 {fmt(total)}", f"min_points {fmt(minimum)} exceeds the "
                  f"total {fmt(total)}")
        grades.append(Grade(c.text(g, "code", wz, we), c.text(g, "name_zh", wz, we), c.text(g, "name_en", wz, we),
                            minimum))
    try:
        return GradeScale(tuple(grades))
    except ValueError as err:
        zh, _, en = str(err).partition(" / ")
        c.add("等次 grades", "grades", zh, en)
        return DEFAULT_GRADES


def _warnings(c: _Collector, raw: Any) -> tuple[WarningRule, ...]:
    if raw is None:
        return DEFAULT_WARNINGS
    if not isinstance(raw, list):
        c.add("预警 warnings", "warnings", "应为列表", "must be a list")
        return ()
    out = []
    for n, w in enumerate(raw, start=1):
        wz, we = f"第 {n} 个预警", f"warning {n}"
        if not c.keys(w, _WARNING_KEYS, {"code", "name_zh", "name_en"}, wz, we):
            continue
        below = c.number(w, "below_points", wz, we, optional=True)
        last = w.get("last_places", 0)
        if isinstance(last, bool) or not isinstance(last, int) or last < 0:
            c.add(wz, we, "last_places 应为非负整数", "last_places must be a non-negative integer")
            last = 0
        on_veto = w.get("on_veto", False)
        if not isinstance(on_veto, bool):
            c.add(wz, we, "on_veto 应为 true 或 false", "on_veto must be true or false")
            on_veto = False
        try:
            out.append(WarningRule(c.text(w, "code", wz, we), c.text(w, "name_zh", wz, we), c.text(w, "name_en", wz, we),
                                   below, last, w.get("scope", "all"), on_veto))
        except ValueError as err:
            zh, _, en = str(err).partition(" / ")
            c.add(wz, we, zh, en)
    return tuple(out)


def load_scheme(path: str | Path) -> Scheme:
    """Read a scheme from a ``.yaml``/``.yml`` or ``.json`` file (UTF-8) and check it."""
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    return parse_scheme_text(text, "json" if p.suffix.lower() == ".json" else "yaml")


def parse_scheme_text(text: str, fmt_name: str = "yaml") -> Scheme:
    """Parse scheme text in ``yaml`` or ``json``; syntax errors become a :class:`SchemeError`."""
    try:
        data = json.loads(text) if fmt_name == "json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise SchemeError([f"文件无法解析：{err} / the file cannot be parsed: {err}"]) from err
    if not isinstance(data, Mapping):
        raise SchemeError(["方案：文件内容应为键值表 / scheme: the file must hold a mapping"])
    return parse_scheme(data)
