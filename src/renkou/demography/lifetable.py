"""Period life tables (生命表) from deaths and exposures.

Pure NumPy, no Django.  A table is built from age-specific death rates
``nmx = nDx / nKx`` (deaths over person-years, the mid-year population of a
one-year period) by the standard conversion of Preston, Heuveline & Guillot
(2001) *Demography*, §3.1–3.3:

* ``nqx = n·nmx / (1 + (n − nax)·nmx)`` (capped at 1), ``q = 1`` in the open interval;
* ``l0`` = radix 100 000, ``l(x+n) = lx·(1 − nqx)``, ``ndx = lx·nqx``;
* ``nLx = n·l(x+n) + nax·ndx``; open interval ``L(ω+) = l(ω) / m(ω+)``;
* ``Tx = Σ_{y≥x} nLy``, ``ex = Tx / lx``.

Separation factors ``nax`` (average years lived in the interval by those who
die in it): ``n/2`` except at ages 0 and 1–4, where the Coale–Demeny rules
as given in Preston et al. (2001), Table 3.3 apply (``a0_rule="coale-demeny"``,
the default), or ``n/2`` everywhere (``a0_rule="half"``).  For the open
interval ``a = 1/m``.

Every function is vectorised: the last axis is age, leading axes (areas,
sexes, years) broadcast.  When the axis just before age is sex, pass
``sex=("male", "female")`` so each row gets its own a0 rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

RADIX = 100_000.0
SINGLE_YEAR_AGES = np.arange(101)
ABRIDGED_AGES = np.array([0, 1, *range(5, 86, 5)])  # 0, 1–4, 5–9, …, 80–84, 85+

# Coale–Demeny separation factors from 1m0 (Preston et al. 2001, Table 3.3):
#   sex: (1a0 intercept, slope, value if 1m0 ≥ 0.107), (4a1 intercept, slope, value if ≥ 0.107)
_CD_THRESHOLD = 0.107
_CD_RULES = {
    "male": ((0.045, 2.684, 0.330), (1.651, -2.816, 1.352)),
    "female": ((0.053, 2.800, 0.350), (1.522, -1.518, 1.361)),
}
# both sexes together: the average of the male and female rules (Table 3.3 gives none for both sexes)
_CD_RULES["both"] = tuple(
    tuple((a + b) / 2 for a, b in zip(m, f, strict=True))
    for m, f in zip(_CD_RULES["male"], _CD_RULES["female"], strict=True)
)

Sex = str | Sequence[str]


def _rule_array(sex: Sex, which: int, part: int) -> np.ndarray:
    names = [sex] if isinstance(sex, str) else list(sex)
    try:
        values = [_CD_RULES[_normalise_sex(s)][which][part] for s in names]
    except KeyError as err:
        raise ValueError(f"unknown sex {err.args[0]!r}: use 'male', 'female' or 'both'") from None
    return np.asarray(values[0] if isinstance(sex, str) else values, dtype=float)


def _normalise_sex(sex: str) -> str:
    s = str(sex).strip().lower()
    return {"m": "male", "1": "male", "男": "male", "f": "female", "2": "female", "女": "female",
            "t": "both", "total": "both", "b": "both"}.get(s, s)


def coale_demeny_a0(m0: ArrayLike, sex: Sex = "both") -> np.ndarray:
    """Average years lived in [0, 1) by infants who die, ``1a0``, from ``1m0``.

    Coale & Demeny (1983) West model, as regression on 1m0 in Preston et al.
    (2001), Table 3.3: males ``0.045 + 2.684·1m0`` (0.330 if 1m0 ≥ 0.107),
    females ``0.053 + 2.800·1m0`` (0.350 if 1m0 ≥ 0.107); both sexes: average.
    """
    m0 = np.asarray(m0, dtype=float)
    a, b, high = (_rule_array(sex, 0, i) for i in range(3))
    return np.where(m0 >= _CD_THRESHOLD, high, a + b * m0)


def coale_demeny_4a1(m0: ArrayLike, sex: Sex = "both") -> np.ndarray:
    """``4a1`` for the 1–4 age group from ``1m0`` (Preston et al. 2001, Table 3.3).

    Males ``1.651 − 2.816·1m0`` (1.352 if 1m0 ≥ 0.107); females
    ``1.522 − 1.518·1m0`` (1.361 if 1m0 ≥ 0.107).
    """
    m0 = np.asarray(m0, dtype=float)
    a, b, high = (_rule_array(sex, 1, i) for i in range(3))
    return np.where(m0 >= _CD_THRESHOLD, high, a + b * m0)


@dataclass(frozen=True)
class LifeTable:
    """A period life table; every column has shape ``(..., n_ages)``.

    ``ages`` are the lower bounds of the intervals, ``widths`` their lengths n
    (``inf`` for the open interval).  Columns: ``mx`` death rate, ``qx``
    probability of dying, ``ax`` separation factor, ``lx`` survivors at exact
    age x (radix 100 000), ``dx`` deaths, ``Lx`` person-years lived, ``Tx``
    person-years above x, ``ex`` life expectancy (预期寿命) at x.
    """

    ages: np.ndarray
    widths: np.ndarray
    mx: np.ndarray
    qx: np.ndarray
    ax: np.ndarray
    lx: np.ndarray
    dx: np.ndarray
    Lx: np.ndarray
    Tx: np.ndarray
    ex: np.ndarray

    COLUMNS = ("mx", "qx", "ax", "lx", "dx", "Lx", "Tx", "ex")

    @property
    def e0(self) -> np.ndarray:
        """Life expectancy at birth 出生时预期寿命."""
        return self.ex[..., 0]


def separation_factors(
    mx: np.ndarray, ages: np.ndarray, widths: np.ndarray, sex: Sex, a0_rule: str
) -> np.ndarray:
    """``nax`` for every interval: n/2, Coale–Demeny at 0 and 1–4, ``1/m`` in the open interval."""
    ax = np.broadcast_to(np.where(np.isfinite(widths), widths / 2.0, 0.0), mx.shape).copy()
    if a0_rule == "coale-demeny":
        if ages[0] == 0 and widths[0] == 1:
            ax[..., 0] = coale_demeny_a0(mx[..., 0], sex)
            if len(ages) > 1 and ages[1] == 1 and widths[1] == 4:
                ax[..., 1] = coale_demeny_4a1(mx[..., 0], sex)
    elif a0_rule != "half":
        raise ValueError(f"unknown a0 rule {a0_rule!r}: use 'coale-demeny' or 'half'")
    with np.errstate(divide="ignore"):
        ax[..., -1] = 1.0 / mx[..., -1]
    return ax


def life_table_from_rates(
    mx: ArrayLike,
    ages: ArrayLike = SINGLE_YEAR_AGES,
    *,
    sex: Sex = "both",
    a0_rule: str = "coale-demeny",
    ax: ArrayLike | None = None,
    radix: float = RADIX,
) -> LifeTable:
    """Life table from death rates ``mx`` (shape ``(..., n_ages)``), the last interval open.

    ``ages``: lower bounds, e.g. ``0…100`` (single-year, 100+) or
    ``0, 1, 5, …, 85`` (abridged, 85+).  ``ax`` overrides the separation factors.
    Raises ``ValueError`` if a rate is missing (an age group with no exposure)
    or if the open-interval rate is zero (its person-years would be infinite).
    """
    m = np.asarray(mx, dtype=float)
    ages = np.asarray(ages, dtype=float)
    if m.shape[-1] != ages.size:
        raise ValueError(f"{m.shape[-1]} death rates for {ages.size} age groups")
    if np.isnan(m).any():
        bad = sorted({int(a) for a in ages[np.isnan(m).reshape(-1, ages.size).any(axis=0)]})
        raise ValueError(f"no exposure (person-years) at ages {bad}: pool areas or years first")
    if (m[..., -1] <= 0).any():
        raise ValueError(
            f"death rate of the open age group {int(ages[-1])}+ is zero: no life table can close"
        )
    widths = np.append(np.diff(ages), np.inf)
    a = separation_factors(m, ages, widths, sex, a0_rule) if ax is None else np.broadcast_to(
        np.asarray(ax, dtype=float), m.shape
    )
    n = widths[:-1]
    q = np.empty_like(m)
    q[..., :-1] = np.minimum(n * m[..., :-1] / (1.0 + (n - a[..., :-1]) * m[..., :-1]), 1.0)
    q[..., -1] = 1.0
    survive = np.cumprod(1.0 - q[..., :-1], axis=-1)
    lx = radix * np.concatenate([np.ones(m.shape[:-1] + (1,)), survive], axis=-1)
    dx = lx * q
    Lx = np.empty_like(m)
    Lx[..., :-1] = n * lx[..., 1:] + a[..., :-1] * dx[..., :-1]
    Lx[..., -1] = lx[..., -1] / m[..., -1]
    Tx = np.flip(np.cumsum(np.flip(Lx, axis=-1), axis=-1), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ex = Tx / lx
    return LifeTable(ages=ages, widths=widths, mx=m, qx=q, ax=np.asarray(a), lx=lx, dx=dx,
                     Lx=Lx, Tx=Tx, ex=ex)


def death_rates(deaths: ArrayLike, exposures: ArrayLike) -> np.ndarray:
    """Age-specific death rates ``nmx = nDx / nKx`` (NaN where there is no exposure)."""
    d = np.asarray(deaths, dtype=float)
    k = np.asarray(exposures, dtype=float)
    out = np.full(np.broadcast(d, k).shape, np.nan)
    np.divide(d, k, out=out, where=k > 0)
    return out


def single_year_life_table(
    deaths: ArrayLike,
    exposures: ArrayLike,
    *,
    sex: Sex = "both",
    a0_rule: str = "coale-demeny",
    radix: float = RADIX,
) -> LifeTable:
    """Single-year life table (ages 0 … ω−1 and ω+, ω = n_ages − 1, usually 100+).

    ``deaths``: deaths in the year by age; ``exposures``: mid-year population
    (person-years) by age; both ``(..., n_ages)``.
    """
    d = np.asarray(deaths, dtype=float)
    return life_table_from_rates(death_rates(d, exposures), np.arange(d.shape[-1]),
                                 sex=sex, a0_rule=a0_rule, radix=radix)


def abridged_ages(open_age: int = 85) -> np.ndarray:
    """Lower bounds 0, 1, 5, 10, …, ``open_age`` of an abridged table (``open_age`` a multiple of 5)."""
    if open_age % 5 or open_age < 5:
        raise ValueError("the open age of an abridged table must be a multiple of 5, at least 5")
    return np.array([0, 1, *range(5, open_age + 1, 5)])


def group_by_age(values: ArrayLike, ages: ArrayLike) -> np.ndarray:
    """Sum single-year values (last axis = age 0, 1, …) into groups starting at ``ages``; last group open."""
    v = np.asarray(values, dtype=float)
    starts = np.asarray(ages, dtype=int)
    if starts[-1] >= v.shape[-1]:
        raise ValueError(f"open age {starts[-1]} beyond the oldest age {v.shape[-1] - 1} in the data")
    return np.add.reduceat(v, starts, axis=-1)


def abridged_life_table(
    deaths: ArrayLike,
    exposures: ArrayLike,
    *,
    open_age: int = 85,
    sex: Sex = "both",
    a0_rule: str = "coale-demeny",
    radix: float = RADIX,
) -> LifeTable:
    """Abridged life table 简略生命表 for 0, 1–4, 5–9, …, ``open_age``+.

    Inputs are either already grouped (last axis of length ``len(abridged_ages(open_age))``)
    or by single year (last axis 0, 1, …, any length beyond ``open_age``), in which case
    they are summed into the groups first.
    """
    ages = abridged_ages(open_age)
    d = np.asarray(deaths, dtype=float)
    k = np.asarray(exposures, dtype=float)
    if d.shape[-1] != ages.size:
        d = group_by_age(d, ages)
    if k.shape[-1] != ages.size:
        k = group_by_age(k, ages)
    return life_table_from_rates(death_rates(d, k), ages, sex=sex, a0_rule=a0_rule, radix=radix)


def survival_ratios(table: LifeTable) -> np.ndarray:
    """Projection survival ratios 存活比 from a single-year table with open age ω (shape ``(..., ω+1)``).

    Indexed by the age reached at the end of the projection year:

    * ``S[0] = L0 / l0`` — births of the year alive at its end (aged 0);
    * ``S[x] = Lx / L(x−1)`` for x = 1 … ω−1 — persons aged x−1 who reach age x;
    * ``S[ω] = Tω / T(ω−1)`` — persons aged ω−1 *and* ω+ who are ω+ a year later.

    (Preston et al. 2001, §6.2, in one-year steps.)
    """
    if not np.all(table.widths[:-1] == 1):
        raise ValueError("projection survival ratios need a single-year life table")
    L, T = table.Lx, table.Tx
    s = np.empty_like(L)
    s[..., 0] = L[..., 0] / table.lx[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        s[..., 1:-1] = L[..., 1:-1] / L[..., :-2]
        s[..., -1] = T[..., -1] / T[..., -2]
    return np.nan_to_num(s, nan=0.0)


def life_expectancy(mx: ArrayLike, *, sex: Sex = "both", a0_rule: str = "coale-demeny") -> np.ndarray:
    """Life expectancy at birth e0 from single-year death rates ``(..., n_ages)``."""
    m = np.asarray(mx, dtype=float)
    return life_table_from_rates(m, np.arange(m.shape[-1]), sex=sex, a0_rule=a0_rule).e0
