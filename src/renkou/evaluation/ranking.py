"""Totals, ranking, grades and warnings of assessed units (综合排位、等次、预警).

Only government units (townships, villages, departments) are ranked.

* Totals add the points of every item that counts towards the total, plus
  bonus items; items with a missing value add nothing and mark the total
  ``incomplete`` so that no table shows it as if it were complete.
* Ranks are *standard competition ranks* ("1224" ranking): tied units share
  the best rank of the tie and the next unit's rank skips as many places as
  there were tied units (95, 90, 90, 80 → 1, 2, 2, 4).
* Peer groups (同类比较, e.g. subdistricts 街道 / towns 镇 / townships 乡) are
  ranked separately as well as overall.
* A veto (一票否决) voids the unit's grade whatever its points, and by default
  puts the unit after all units without a veto in the ranking.
* Warnings (通报批评, 黄牌警告, 诫勉谈话) fire from configurable rules: below a
  number of points, among the last N places, or on a veto.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar

from renkou.core.areacodes import township_kind
from renkou.evaluation.rules import ItemScore, round_points, to_decimal

K = TypeVar("K", bound=Hashable)


def competition_ranks(values: Mapping[K, Any], *, descending: bool = True) -> dict[K, int]:
    """Standard competition ranks ("1224"): rank = 1 + number of units strictly better.

    ``values`` are anything orderable (numbers, or tuples for compound keys).
    """
    ordered = sorted(values.values(), reverse=descending)
    first_position: dict[Any, int] = {}
    for position, v in enumerate(ordered, start=1):
        first_position.setdefault(v, position)
    return {unit: first_position[v] for unit, v in values.items()}


@dataclass(frozen=True)
class Total:
    """Sum of one unit's item scores."""

    points: Decimal
    incomplete: bool
    vetoed: bool
    missing_items: int = 0


def total_points(scores: Iterable[ItemScore]) -> Total:
    """Add item points (bonus items included, veto items carry none); note gaps and vetoes."""
    points, missing, vetoed = Decimal(0), 0, False
    for s in scores:
        vetoed = vetoed or s.veto
        if s.state == "n/a":  # does not apply to the unit: neither points nor a gap
            continue
        if s.points is None:
            missing += 1
        else:
            points += s.points
    return Total(round_points(points), missing > 0, vetoed, missing)


@dataclass(frozen=True)
class Grade:
    """One grade (等次) and the minimum points to reach it (``None``: the catch-all)."""

    code: str
    name_zh: str
    name_en: str
    min_points: Decimal | None = None


VETO_GRADE = Grade("veto", "一票否决（等次无效）", "vetoed (grade void)")


@dataclass(frozen=True)
class GradeScale:
    """Grades from best to worst; each unit gets the first grade whose minimum it reaches."""

    grades: tuple[Grade, ...]
    veto_grade: Grade = VETO_GRADE

    def __post_init__(self) -> None:
        if not self.grades:
            raise ValueError("等次表不能为空 / the grade scale is empty")
        mins = [g.min_points for g in self.grades[:-1]]
        if any(m is None for m in mins):
            raise ValueError("只有最后一个等次可以不设分数线 / only the last grade may have no minimum")
        if any(a <= b for a, b in zip(mins, mins[1:], strict=False)):  # type: ignore[operator]
            raise ValueError(
                "等次分数线必须从高到低严格递减 / grade minimums must be strictly decreasing from best to worst"
            )
        last = self.grades[-1].min_points
        if last is not None and mins and last >= mins[-1]:  # type: ignore[operator]
            raise ValueError(
                "等次分数线必须从高到低严格递减 / grade minimums must be strictly decreasing from best to worst"
            )

    def grade_for(self, points: Decimal | float, *, vetoed: bool = False) -> Grade | None:
        """The grade for ``points``; the veto grade when vetoed; ``None`` below every minimum."""
        if vetoed:
            return self.veto_grade
        p = to_decimal(points)
        for g in self.grades:
            if g.min_points is None or p >= g.min_points:
                return g
        return None


DEFAULT_GRADES = GradeScale((
    Grade("special", "特等", "special class", Decimal(95)),
    Grade("first", "一等", "first class", Decimal(85)),
    Grade("second", "二等", "second class", Decimal(75)),
    Grade("third", "三等", "third class", Decimal(60)),
    Grade("fail", "不合格", "not passed"),
))


@dataclass(frozen=True)
class WarningRule:
    """A warning (预警) given when any of its conditions holds.

    ``below_points``: total strictly below this; ``last_places``: among the last N
    places (units tied at the boundary all count) of ``scope`` (``all`` units or
    the unit's peer ``group``); ``on_veto``: the unit was vetoed.
    """

    code: str
    name_zh: str
    name_en: str
    below_points: Decimal | None = None
    last_places: int = 0
    scope: Literal["all", "group"] = "all"
    on_veto: bool = False

    def __post_init__(self) -> None:
        if self.last_places < 0:
            raise ValueError(f"预警 {self.code}：last_places 不能为负 / warning {self.code}: last_places < 0")
        if self.scope not in ("all", "group"):
            raise ValueError(f"预警 {self.code}：scope 应为 all 或 group / warning {self.code}: scope must be all or group")
        if self.below_points is None and self.last_places == 0 and not self.on_veto:
            raise ValueError(f"预警 {self.code}：没有任何触发条件 / warning {self.code}: no condition set")


DEFAULT_WARNINGS = (
    WarningRule("notice", "通报批评", "public notice of criticism", last_places=1),
    WarningRule("yellow_card", "黄牌警告", "yellow-card warning", below_points=Decimal(60)),
    WarningRule("admonition", "诫勉谈话", "admonitory talk", on_veto=True),
)


@dataclass(frozen=True)
class RankedUnit:
    """One line of the ranking table."""

    unit: Hashable
    group: str | None
    points: Decimal
    rank: int
    group_rank: int | None
    grade: Grade | None
    vetoed: bool
    incomplete: bool
    warnings: tuple[WarningRule, ...]


def rank_units(
    totals: Mapping[K, Total | Decimal | float],
    *,
    groups: Mapping[K, str] | None = None,
    vetoed: Iterable[K] = (),
    grades: GradeScale = DEFAULT_GRADES,
    warnings: Sequence[WarningRule] = DEFAULT_WARNINGS,
    veto_ranks_last: bool = True,
) -> list[RankedUnit]:
    """Rank units overall and within peer groups, grade them and raise warnings.

    ``totals`` maps each unit to a :class:`Total` (or bare points); a unit is
    vetoed when its Total says so or it is in ``vetoed``. Returns rows ordered
    by rank, then unit.
    """
    norm: dict[K, Total] = {
        u: t if isinstance(t, Total) else Total(round_points(to_decimal(t)), False, False) for u, t in totals.items()
    }
    extra_veto = set(vetoed)
    is_vetoed = {u: t.vetoed or u in extra_veto for u, t in norm.items()}
    groups = groups or {}

    def key(u: K) -> tuple[int, Decimal]:
        return (0 if (veto_ranks_last and is_vetoed[u]) else 1, norm[u].points)

    overall = competition_ranks({u: key(u) for u in norm})
    in_group: dict[K, int] = {}
    members: dict[str, list[K]] = {}
    for u in norm:
        if u in groups:
            members.setdefault(groups[u], []).append(u)
    for units in members.values():
        in_group.update(competition_ranks({u: key(u) for u in units}))

    def below_count(u: K, scope: Iterable[K]) -> int:
        return sum(1 for other in scope if key(other) < key(u))

    rows = []
    for u, t in norm.items():
        fired = []
        for w in warnings:
            scope = members.get(groups[u], []) if (w.scope == "group" and u in groups) else list(norm)
            if (
                (w.below_points is not None and t.points < w.below_points)
                # among the last N only when there are more than N to compare (a unit alone is not "last"),
                # except a vetoed unit, which ranks after every other by rule
                or (w.last_places > 0 and (len(scope) > w.last_places or is_vetoed[u])
                    and below_count(u, scope) < w.last_places)
                or (w.on_veto and is_vetoed[u])
            ):
                fired.append(w)
        rows.append(RankedUnit(
            unit=u, group=groups.get(u), points=t.points, rank=overall[u], group_rank=in_group.get(u),
            grade=grades.grade_for(t.points, vetoed=is_vetoed[u]), vetoed=is_vetoed[u],
            incomplete=t.incomplete, warnings=tuple(fired),
        ))
    rows.sort(key=lambda r: (r.rank, str(r.unit)))
    return rows


def township_peer_group(code: str) -> str:
    """Peer group of a township-level unit from its 9-digit statistical code (GB/T 10114 practice).

    Digits 7–9: 001–099 subdistrict (街道), 100–199 town (镇), 200–399 township (乡),
    400–599 farms and similar (农场等), other codes ``other``.
    """
    if len(code) < 9 or not code[6:9].isdigit():
        raise ValueError(f"不是乡级统计代码：{code!r} / not a township-level statistical code: {code!r}")
    return township_kind(code)
