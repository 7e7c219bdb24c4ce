"""Amounts of an entitlement (待遇金额): fixed, tiered, pro rata by months, capped per household.

Pure Python, no Django. Amounts are integers of fen (:mod:`renkou.ledger.money`).

Months (按月折算): a month of the period counts when the person is entitled on part of it — from the
month of birth (or of the parameters' start) to the month *before* the one in which the person
reaches ``age_below`` (the childcare subsidy stops at the third birthday: a child born 2022-05-10
counts January–April 2025, 4 months, ¥1,200), and up to the month of death.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from renkou.ledger.money import split_pro_rata, to_fen

from .rules import compile_rule, parse


def _month_index(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def birthday(birth: dt.date, years: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return dt.date(birth.year + years, 3, 1)


def months_entitled(start: dt.date, end: dt.date, *, birth: dt.date | None = None, age_below: int | None = None,
                    died: dt.date | None = None, valid_from: dt.date | None = None,
                    valid_to: dt.date | None = None) -> int:
    """Number of months of ``start``…``end`` (whole months of the period) the person is entitled to."""
    first, last = _month_index(start), _month_index(end)
    if valid_from is not None:
        first = max(first, _month_index(valid_from))
    if valid_to is not None:
        last = min(last, _month_index(valid_to))
    if birth is not None:
        first = max(first, _month_index(birth))
        if age_below is not None:
            last = min(last, _month_index(birthday(birth, age_below)) - 1)
    if died is not None:
        last = min(last, _month_index(died))
    return max(0, last - first + 1)


def months_in(start: dt.date, end: dt.date) -> int:
    return _month_index(end) - _month_index(start) + 1


@dataclass(frozen=True)
class AmountSpec:
    """Parameters of a program version that give the amount of one unit for one cycle."""

    amount_fen: int = 0
    tiers: tuple[tuple[Callable, int, Any], ...] = ()  # (predicate, fen, rule as data)
    prorate_months: bool = False
    age_below: int | None = None
    cap_household_fen: int | None = None

    @classmethod
    def from_params(cls, amount: Any, tiers: Sequence[Mapping] | None, prorate: Mapping | None,
                    cap_household: Any) -> AmountSpec:
        compiled = []
        for i, t in enumerate(tiers or ()):
            parse(t["when"], f"tiers[{i}].when")
            compiled.append((compile_rule(t["when"]), to_fen(t["amount"]), t["when"]))
        prorate = prorate or {}
        return cls(amount_fen=to_fen(amount or 0), tiers=tuple(compiled),
                   prorate_months=prorate.get("by") == "month", age_below=prorate.get("age_below"),
                   cap_household_fen=None if cap_household in (None, "") else to_fen(cap_household))


def unit_amount(spec: AmountSpec, facts: Mapping[str, Any], *, period_start: dt.date, period_end: dt.date,
                birth: dt.date | None, died: dt.date | None, valid_from: dt.date | None,
                valid_to: dt.date | None) -> tuple[int, dict]:
    """(fen, how) for one eligible unit: the tier or fixed amount, then the months pro rata."""
    base, tier = spec.amount_fen, None
    for i, (pred, fen, _rule) in enumerate(spec.tiers):
        if pred(facts):
            base, tier = fen, i
            break
    else:
        if spec.tiers:
            return 0, {"base_fen": 0, "tier": None, "note": "no tier applies"}
    how: dict[str, Any] = {"base_fen": base, "tier": tier}
    if not spec.prorate_months:
        return base, how
    of = months_in(period_start, period_end)
    months = months_entitled(period_start, period_end, birth=birth, age_below=spec.age_below, died=died,
                             valid_from=valid_from, valid_to=valid_to)
    how.update({"months": months, "of": of})
    return split_pro_rata(base, months, of), how


def cap_per_household(amounts: Sequence[tuple[object, int]], cap_fen: int | None) -> dict[object, int]:
    """Cap the sum of one household's amounts at ``cap_fen``: units in the given order are paid in full
    until the cap is reached, the next one gets the rest and later ones nothing (the cap is met to
    the fen, no unit gets a fraction of a fen)."""
    out: dict[object, int] = {}
    left = None if cap_fen is None else cap_fen
    for key, fen in amounts:
        if left is None:
            out[key] = fen
            continue
        take = min(fen, left)
        out[key] = take
        left -= take
    return out
