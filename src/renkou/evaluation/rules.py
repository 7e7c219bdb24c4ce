"""Scoring rules of target-responsibility assessment (目标管理责任制考核评分规则).

Each rule is a frozen dataclass whose parameters are checked when it is built.
``rule.score(value, target, points, previous=None)`` turns one unit's value of
one assessment item into an :class:`ItemScore`: the points *and* a sentence in
Chinese and in English saying how they were obtained, so every score on a
published table can be explained to the unit that received it.

Conventions
-----------
* Points are ``Decimal`` rounded to 2 decimals, half up (``ROUND_HALF_UP``):
  the rounding taught in Chinese schools and used on printed score sheets.
  Inputs are read through their shortest decimal form (``9.2`` stays 9.2).
* A missing value (``None``) gives ``state="missing"`` and ``points=None`` —
  never 0 silently. The scheme decides what a missing item means.
* Only government units are assessed; values are rates and counts of a
  township or village, never marks against a person.

Rules (``type`` in a scheme file → class):

======================  ==================================================================
``band``                full points inside [lo, hi] (both ends included), 0 outside
``linear``              0 … full points linearly between two thresholds, either direction
``deduction_per_unit``  full points minus ``per_unit`` for each ``unit`` short of target
``deduction_per_event`` full points minus ``per_event`` for each event found (e.g. missed births)
``ratio_to_target``     points × min(value ÷ target, cap)
``efficacy``            efficacy coefficient (功效系数法) d = 60 + 40·(x − x_s)/(x_h − x_s)
``level_progress``      blend of a level score and an improvement score (e.g. 7:3)
``bonus``               extra points (加分), ``per_unit`` × value up to the item's points
``veto``                one-vote veto (一票否决): the condition voids the unit's grade
======================  ==================================================================
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

Number = int | float | Decimal
ScoreState = Literal["scored", "missing", "n/a"]  # n/a: the item does not apply to the unit

CENT = Decimal("0.01")
DIRECTIONS = ("higher_better", "lower_better")
_DIRECTION_ZH = {"higher_better": "越高越好", "lower_better": "越低越好"}


class RuleError(ValueError):
    """An invalid rule parameter; ``field`` names it (``lo``, ``level.hi`` …)."""

    def __init__(self, rule_type: str, field: str, message_zh: str, message_en: str) -> None:
        self.rule_type = rule_type
        self.field = field
        self.message_zh = f"规则 {rule_type} 的 {message_zh}"
        self.message_en = f"rule {rule_type}: {message_en}"
        super().__init__(f"{self.message_zh} / {self.message_en}")


@dataclass(frozen=True)
class ItemScore:
    """The result of scoring one item for one unit."""

    state: ScoreState
    points: Decimal | None
    max_points: Decimal
    explanation_zh: str
    explanation_en: str
    veto: bool = False
    counts_in_total: bool = True


def to_decimal(x: Number) -> Decimal:
    """Decimal from the shortest decimal form of ``x`` (so ``0.1`` is exactly 0.1)."""
    if isinstance(x, Decimal):
        return x
    if isinstance(x, bool):
        raise TypeError("a boolean is not a number")
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)  # float(): NumPy scalars too


def round_points(x: Decimal) -> Decimal:
    """Points rounded to 2 decimals, half up."""
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(x: Number | None) -> str:
    """A number as people write it: ``10``, ``9.2``, ``0.25`` (no trailing zeros)."""
    if x is None:
        return "—"
    d = to_decimal(x)
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")


def _clamp(x: Decimal, lo: Decimal, hi: Decimal) -> Decimal:
    return max(lo, min(hi, x))


class Rule:
    """Base of the scoring rules."""

    type: ClassVar[str] = ""
    counts_in_total: ClassVar[bool] = True
    uses_target: ClassVar[bool] = False

    def score(self, value: Number | None, target: Number | None, points: Number, *,
              previous: Number | None = None) -> ItemScore:
        """Score ``value`` against ``target`` for an item worth ``points``."""
        p = to_decimal(points)
        if value is None:
            return self._result(None, p, "无数据，未评分", "no value: not scored", state="missing")
        return self._score(to_decimal(value), None if target is None else to_decimal(target), p,
                           None if previous is None else to_decimal(previous))

    def _score(self, x: Decimal, target: Decimal | None, p: Decimal, previous: Decimal | None) -> ItemScore:
        raise NotImplementedError

    def _result(self, points: Decimal | None, p: Decimal, zh: str, en: str, *,
                state: ScoreState = "scored", veto: bool = False) -> ItemScore:
        return ItemScore(state, None if points is None else round_points(points), p, zh, en, veto,
                         self.counts_in_total)

    def _error(self, field: str, zh: str, en: str) -> RuleError:
        return RuleError(self.type, field, zh, en)

    def _check_direction(self, direction: str) -> None:
        if direction not in DIRECTIONS:
            raise self._error("direction", f"direction（{direction}）应为 higher_better 或 lower_better",
                              f"direction ({direction}) must be higher_better or lower_better")

    def _check_positive(self, field: str, value: Number) -> None:
        if to_decimal(value) <= 0:
            raise self._error(field, f"{field}（{fmt(value)}）必须大于 0", f"{field} ({fmt(value)}) must be > 0")

    def _check_non_negative(self, field: str, value: Number) -> None:
        if to_decimal(value) < 0:
            raise self._error(field, f"{field}（{fmt(value)}）不能为负", f"{field} ({fmt(value)}) must be ≥ 0")

    def to_dict(self) -> dict[str, Any]:
        """The rule as it is written in a scheme file."""
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = v.to_dict() if isinstance(v, Rule) else v
        return out


@dataclass(frozen=True)
class Band(Rule):
    """Full points when lo ≤ value ≤ hi, 0 otherwise; either bound may be open (None)."""

    lo: float | None = None
    hi: float | None = None
    type: ClassVar[str] = "band"

    def __post_init__(self) -> None:
        if self.lo is None and self.hi is None:
            raise self._error("lo", "lo 与 hi 至少要给一个", "give lo, hi or both")
        if self.lo is not None and self.hi is not None and to_decimal(self.lo) > to_decimal(self.hi):
            raise self._error("lo", f"lo ({fmt(self.lo)}) 大于 hi ({fmt(self.hi)})",
                              f"lo ({fmt(self.lo)}) > hi ({fmt(self.hi)})")

    def _interval(self) -> str:
        lo = "-∞" if self.lo is None else fmt(self.lo)
        hi = "+∞" if self.hi is None else fmt(self.hi)
        return f"[{lo}, {hi}]"

    def _score(self, x, target, p, previous):
        inside = (self.lo is None or x >= to_decimal(self.lo)) and (self.hi is None or x <= to_decimal(self.hi))
        band = self._interval()
        if inside:
            return self._result(p, p, f"值 {fmt(x)} 在 {band} 之内，得满分 {fmt(p)} 分",
                                f"value {fmt(x)} is within {band}: full {fmt(p)} points")
        return self._result(Decimal(0), p, f"值 {fmt(x)} 不在 {band} 之内，得 0 分",
                            f"value {fmt(x)} is outside {band}: 0 points")


@dataclass(frozen=True)
class Linear(Rule):
    """Points rise linearly from 0 to full between ``lower`` and ``upper``.

    higher_better: x ≤ lower → 0, x ≥ upper → full, between: points × (x − lower)/(upper − lower).
    lower_better: x ≤ lower → full, x ≥ upper → 0, between: points × (upper − x)/(upper − lower).
    """

    lower: float
    upper: float
    direction: str = "higher_better"
    type: ClassVar[str] = "linear"

    def __post_init__(self) -> None:
        self._check_direction(self.direction)
        if to_decimal(self.lower) >= to_decimal(self.upper):
            raise self._error("lower", f"lower ({fmt(self.lower)}) 应小于 upper ({fmt(self.upper)})",
                              f"lower ({fmt(self.lower)}) must be < upper ({fmt(self.upper)})")

    def _score(self, x, target, p, previous):
        lo, hi = to_decimal(self.lower), to_decimal(self.upper)
        share = _clamp((x - lo) / (hi - lo), Decimal(0), Decimal(1))
        if self.direction == "lower_better":
            share = 1 - share
        got = p * share
        return self._result(
            got, p,
            f"值 {fmt(x)}，在 {fmt(lo)} 与 {fmt(hi)} 之间按线性计分（{_DIRECTION_ZH[self.direction]}），"
            f"{fmt(p)} × {fmt(round(share, 4))} = {fmt(round_points(got))} 分",
            f"value {fmt(x)}, scored linearly between {fmt(lo)} and {fmt(hi)} ({self.direction.replace('_', ' ')}): "
            f"{fmt(p)} × {fmt(round(share, 4))} = {fmt(round_points(got))} points",
        )


def _needs_target(rule: Rule, target: Decimal | None, p: Decimal) -> ItemScore | None:
    if target is None:
        return rule._result(None, p, "未设定目标值，未评分", "no target set: not scored", state="missing")
    return None


@dataclass(frozen=True)
class DeductionPerUnit(Rule):
    """Full points minus ``per_unit`` for each ``unit`` by which the value misses the target.

    Shortfall = target − x (higher_better) or x − target (lower_better), 0 when the
    target is met; deduction = per_unit × shortfall ÷ unit, proportional for part
    of a unit; the points never go below 0. The target is the one given to
    :meth:`score` (per unit, from the responsibility contract) or else ``target``.
    Example: −0.2 per percentage point below a 90 % hospital delivery rate.
    """

    per_unit: float
    unit: float = 1
    direction: str = "higher_better"
    target: float | None = None
    type: ClassVar[str] = "deduction_per_unit"
    uses_target: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self._check_positive("per_unit", self.per_unit)
        self._check_positive("unit", self.unit)
        self._check_direction(self.direction)

    def _score(self, x, target, p, previous):
        target = target if target is not None else (None if self.target is None else to_decimal(self.target))
        if (missing := _needs_target(self, target, p)) is not None:
            return missing
        assert target is not None
        gap = target - x if self.direction == "higher_better" else x - target
        shortfall = max(Decimal(0), gap)
        deduction = to_decimal(self.per_unit) * shortfall / to_decimal(self.unit)
        got = max(Decimal(0), p - deduction)
        if shortfall == 0:
            return self._result(p, p, f"值 {fmt(x)} 达到目标 {fmt(target)}，得满分 {fmt(p)} 分",
                                f"value {fmt(x)} meets the target {fmt(target)}: full {fmt(p)} points")
        return self._result(
            got, p,
            f"值 {fmt(x)} 距目标 {fmt(target)} 差 {fmt(shortfall)}，每 {fmt(self.unit)} 扣 {fmt(self.per_unit)} 分，"
            f"扣 {fmt(round_points(deduction))} 分，得 {fmt(round_points(got))} 分（最低 0 分）",
            f"value {fmt(x)} misses the target {fmt(target)} by {fmt(shortfall)}; {fmt(self.per_unit)} off per "
            f"{fmt(self.unit)}: −{fmt(round_points(deduction))}, {fmt(round_points(got))} points (floor 0)",
        )


@dataclass(frozen=True)
class DeductionPerEvent(Rule):
    """Full points minus ``per_event`` for each event found (e.g. −0.5 per missed birth).

    The value is a count ≥ 0; the deduction is capped at ``max_deduction`` when
    given and never takes the item below 0.
    """

    per_event: float
    max_deduction: float | None = None
    type: ClassVar[str] = "deduction_per_event"

    def __post_init__(self) -> None:
        self._check_positive("per_event", self.per_event)
        if self.max_deduction is not None:
            self._check_positive("max_deduction", self.max_deduction)

    def _score(self, x, target, p, previous):
        if x < 0:
            raise ValueError(f"事件数不能为负（{fmt(x)}） / the count of events cannot be negative ({fmt(x)})")
        deduction = to_decimal(self.per_event) * x
        cap = p if self.max_deduction is None else min(p, to_decimal(self.max_deduction))
        deduction = min(deduction, cap)
        got = p - deduction
        return self._result(
            got, p,
            f"发现 {fmt(x)} 件，每件扣 {fmt(self.per_event)} 分，扣 {fmt(round_points(deduction))} 分，"
            f"得 {fmt(round_points(got))} 分",
            f"{fmt(x)} found, {fmt(self.per_event)} off each: −{fmt(round_points(deduction))}, "
            f"{fmt(round_points(got))} points",
        )


@dataclass(frozen=True)
class RatioToTarget(Rule):
    """points × min(value ÷ target, cap) (lower_better: target ÷ value), never below 0.

    ``cap`` = 1 gives at most the item's points; a cap above 1 rewards exceeding
    the target. The target must be > 0.
    """

    cap: float = 1
    direction: str = "higher_better"
    target: float | None = None
    type: ClassVar[str] = "ratio_to_target"
    uses_target: ClassVar[bool] = True

    def __post_init__(self) -> None:
        self._check_positive("cap", self.cap)
        self._check_direction(self.direction)
        if self.target is not None:
            self._check_positive("target", self.target)

    def _score(self, x, target, p, previous):
        target = target if target is not None else (None if self.target is None else to_decimal(self.target))
        if (missing := _needs_target(self, target, p)) is not None:
            return missing
        assert target is not None
        if target <= 0:
            raise ValueError(f"目标值必须大于 0（{fmt(target)}） / the target must be > 0 ({fmt(target)})")
        cap = to_decimal(self.cap)
        if self.direction == "higher_better":
            ratio = x / target
        else:
            ratio = cap if x <= 0 else target / x
        share = _clamp(ratio, Decimal(0), cap)
        got = p * share
        return self._result(
            got, p,
            f"值 {fmt(x)} 与目标 {fmt(target)} 之比 {fmt(round(ratio, 4))}（上限 {fmt(cap)}），"
            f"{fmt(p)} × {fmt(round(share, 4))} = {fmt(round_points(got))} 分",
            f"value {fmt(x)} against target {fmt(target)}: ratio {fmt(round(ratio, 4))} (cap {fmt(cap)}), "
            f"{fmt(p)} × {fmt(round(share, 4))} = {fmt(round_points(got))} points",
        )


@dataclass(frozen=True)
class EfficacyCoefficient(Rule):
    """Efficacy coefficient method (功效系数法): d = 60 + 40·(x − x_s)/(x_h − x_s).

    x_h = ``satisfactory`` (满意值) scores d = 100, x_s = ``unacceptable`` (不允许值)
    scores d = 60. For a cost indicator (lower is better) give x_h < x_s: the same
    formula then rises as x falls, which is the usual inversion
    d = 60 + 40·(x_s − x)/(x_s − x_h). The item gets points × d ÷ 100.

    Clamping: d is capped at 100 (no item gives more than its points; use a
    bonus item to reward more) and floored at ``floor`` (default 0; set 60 to
    give every unit at least 60 % of the points as in the textbook method).
    """

    satisfactory: float
    unacceptable: float
    floor: float = 0
    type: ClassVar[str] = "efficacy"

    def __post_init__(self) -> None:
        if to_decimal(self.satisfactory) == to_decimal(self.unacceptable):
            raise self._error("satisfactory", f"满意值 satisfactory 与不允许值 unacceptable 相同（{fmt(self.satisfactory)}）",
                              f"satisfactory equals unacceptable ({fmt(self.satisfactory)})")
        if not Decimal(0) <= to_decimal(self.floor) <= Decimal(100):
            raise self._error("floor", f"floor（{fmt(self.floor)}）应在 0 与 100 之间",
                              f"floor ({fmt(self.floor)}) must be between 0 and 100")

    def _score(self, x, target, p, previous):
        xh, xs = to_decimal(self.satisfactory), to_decimal(self.unacceptable)
        raw = 60 + 40 * (x - xs) / (xh - xs)
        d = _clamp(raw, to_decimal(self.floor), Decimal(100))
        got = p * d / 100
        return self._result(
            got, p,
            f"功效系数 d = 60 + 40 × ({fmt(x)} − {fmt(xs)}) / ({fmt(xh)} − {fmt(xs)}) = {fmt(round(raw, 2))}"
            f"，取 {fmt(round(d, 2))}（范围 {fmt(self.floor)}–100），{fmt(p)} × {fmt(round(d, 2))}% = "
            f"{fmt(round_points(got))} 分",
            f"efficacy coefficient d = 60 + 40 × ({fmt(x)} − {fmt(xs)}) / ({fmt(xh)} − {fmt(xs)}) = "
            f"{fmt(round(raw, 2))}, taken as {fmt(round(d, 2))} (range {fmt(self.floor)}–100), "
            f"{fmt(p)} × {fmt(round(d, 2))}% = {fmt(round_points(got))} points",
        )


@dataclass(frozen=True)
class LevelProgressBlend(Rule):
    """Blend of a level score and a progress score (水平与进步): e.g. 7:3.

    The ``level`` rule scores this year's value; the ``progress`` rule scores the
    improvement over last year (x − previous for higher_better, previous − x for
    lower_better). Both are scored on the item's full points and combined as
    level_weight × level + progress_weight × progress (weights sum to 1). A
    missing last-year value makes the item missing.
    """

    level: Rule
    progress: Rule
    level_weight: float = 0.7
    progress_weight: float = 0.3
    direction: str = "higher_better"
    type: ClassVar[str] = "level_progress"

    def __post_init__(self) -> None:
        self._check_direction(self.direction)
        for name in ("level", "progress"):
            sub = getattr(self, name)
            if not isinstance(sub, Rule) or isinstance(sub, LevelProgressBlend | Bonus | Veto):
                raise self._error(name, f"{name} 必须是普通评分规则", f"{name} must be a plain scoring rule")
        self._check_non_negative("level_weight", self.level_weight)
        self._check_non_negative("progress_weight", self.progress_weight)
        total = to_decimal(self.level_weight) + to_decimal(self.progress_weight)
        if total != 1:
            raise self._error("level_weight", f"level_weight 与 progress_weight 之和应为 1（现为 {fmt(total)}）",
                              f"level_weight + progress_weight must be 1 (is {fmt(total)})")

    def _score(self, x, target, p, previous):
        if previous is None:
            return self._result(None, p, "缺少上年数值，无法计算进步分", "no value for last year: progress not scored",
                                state="missing")
        level = self.level.score(x, target, p)
        change = x - previous if self.direction == "higher_better" else previous - x
        progress = self.progress.score(change, None, p)
        if level.points is None or progress.points is None:
            return self._result(None, p, f"水平：{level.explanation_zh}；进步：{progress.explanation_zh}",
                                f"level: {level.explanation_en}; progress: {progress.explanation_en}", state="missing")
        wl, wp = to_decimal(self.level_weight), to_decimal(self.progress_weight)
        got = wl * level.points + wp * progress.points
        return self._result(
            got, p,
            f"水平分 {fmt(level.points)}（{level.explanation_zh}）；进步 {fmt(change)}，进步分 {fmt(progress.points)}"
            f"（{progress.explanation_zh}）；{fmt(wl)} × {fmt(level.points)} + {fmt(wp)} × {fmt(progress.points)}"
            f" = {fmt(round_points(got))} 分",
            f"level {fmt(level.points)} ({level.explanation_en}); improvement {fmt(change)}, progress "
            f"{fmt(progress.points)} ({progress.explanation_en}); {fmt(wl)} × {fmt(level.points)} + {fmt(wp)} × "
            f"{fmt(progress.points)} = {fmt(round_points(got))} points",
        )


@dataclass(frozen=True)
class Bonus(Rule):
    """Extra points (加分项): ``per_unit`` × value, at most the item's points.

    Bonus items do not count towards the scheme's declared total.
    """

    per_unit: float
    type: ClassVar[str] = "bonus"
    counts_in_total: ClassVar[bool] = False

    def __post_init__(self) -> None:
        self._check_positive("per_unit", self.per_unit)

    def _score(self, x, target, p, previous):
        if x < 0:
            raise ValueError(f"加分依据不能为负（{fmt(x)}） / the bonus base cannot be negative ({fmt(x)})")
        raw = to_decimal(self.per_unit) * x
        got = min(raw, p)
        return self._result(
            got, p,
            f"{fmt(x)} × {fmt(self.per_unit)} = {fmt(raw)}，加 {fmt(round_points(got))} 分（上限 {fmt(p)} 分）",
            f"{fmt(x)} × {fmt(self.per_unit)} = {fmt(raw)}: +{fmt(round_points(got))} points (cap {fmt(p)})",
        )


_VETO_OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True)
class Veto(Rule):
    """One-vote veto (一票否决): when ``value op threshold`` the unit's grade is void.

    Default: vetoed when the count found is > 0 (e.g. one case of data
    falsification 弄虚作假 found in field verification). The item carries no
    points; the veto acts on the grade (see ``ranking.py``) whatever the total.
    """

    op: str = ">"
    threshold: float = 0
    type: ClassVar[str] = "veto"
    counts_in_total: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.op not in _VETO_OPS:
            raise self._error("op", f"op（{self.op}）应为 {' '.join(_VETO_OPS)} 之一",
                              f"op ({self.op}) must be one of {' '.join(_VETO_OPS)}")

    def _score(self, x, target, p, previous):
        hit = _VETO_OPS[self.op](x, to_decimal(self.threshold))
        cond = f"{fmt(x)} {self.op} {fmt(self.threshold)}"
        if hit:
            return self._result(Decimal(0), p, f"{cond}：一票否决，本单位等次无效",
                                f"{cond}: one-vote veto, the unit's grade is void", veto=True)
        return self._result(Decimal(0), p, f"值 {fmt(x)} 未触发一票否决", f"value {fmt(x)} does not trigger the veto")


RULES: dict[str, type[Rule]] = {
    cls.type: cls
    for cls in (Band, Linear, DeductionPerUnit, DeductionPerEvent, RatioToTarget, EfficacyCoefficient,
                LevelProgressBlend, Bonus, Veto)
}


def rule_from_dict(d: Mapping[str, Any], *, path: str = "") -> Rule:
    """Build a rule from its scheme-file form ``{"type": "band", "lo": 8, "hi": 12}``.

    Raises :class:`RuleError` naming the field for an unknown type, an unknown
    or missing parameter, a parameter of the wrong type, or a parameter value
    the rule refuses. ``path`` prefixes field names of nested rules.
    """
    if not isinstance(d, Mapping):
        raise RuleError("?", path or "rule", "定义应为键值表（type 及参数）", "definition must be a mapping")
    rule_type = d.get("type")
    if rule_type not in RULES:
        raise RuleError(str(rule_type), f"{path}type", f"type 未知（可用：{', '.join(RULES)}）",
                        f"unknown type (known: {', '.join(RULES)})")
    cls = RULES[rule_type]
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in d.items():
        if key == "type":
            continue
        if key not in fields:
            raise RuleError(rule_type, f"{path}{key}", f"{key} 参数未知（可用：{', '.join(fields)}）",
                            f"unknown parameter {key} (known: {', '.join(fields)})")
        kwargs[key] = _convert(rule_type, f"{path}{key}", str(fields[key].type), value)
    for name, f in fields.items():
        if name not in kwargs and f.default is dataclasses.MISSING:
            raise RuleError(rule_type, f"{path}{name}", f"{name} 参数缺失", f"missing parameter {name}")
    try:
        return cls(**kwargs)
    except RuleError as err:
        if path and not err.field.startswith(path):
            raise RuleError(rule_type, f"{path}{err.field}", err.message_zh.split(" 的 ", 1)[-1],
                            err.message_en.split(": ", 1)[-1]) from err
        raise


def _convert(rule_type: str, field: str, annotation: str, value: Any) -> Any:
    if annotation == "Rule":
        return rule_from_dict(value, path=f"{field}.")
    if annotation == "str":
        if not isinstance(value, str):
            raise RuleError(rule_type, field, f"{field} 应为文字", f"{field} must be text")
        return value
    if value is None and "None" in annotation:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise RuleError(rule_type, field, f"{field}（{value!r}）应为数字", f"{field} ({value!r}) must be a number")
    try:
        number = to_decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except InvalidOperation:
        raise RuleError(rule_type, field, f"{field}（{value!r}）应为数字", f"{field} ({value!r}) must be a number") from None
    if not number.is_finite():
        raise RuleError(rule_type, field, f"{field}（{value!r}）应为有限数字", f"{field} ({value!r}) must be finite")
    return value if isinstance(value, int | float) else float(number)
