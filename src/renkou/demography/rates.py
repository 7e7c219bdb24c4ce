"""Demographic rates (人口指标) computed from counts and exposures.

Pure NumPy, no Django.  Every function takes arrays of counts (births, deaths,
persons) and returns arrays, so the same call serves one area or thousands:
the *last* axis is age (or parity), any leading axes (areas, years) broadcast.

Conventions shared with the rest of :mod:`renkou.demography`:

* single-year ages ``0 … 100`` where index 100 means 100 and over (101 ages);
* a population by sex has shape ``(..., 2, 101)`` with sex index 0 = male,
  1 = female (GB/T 2261.1 codes 1 and 2 are used only at the edges, in CSV);
* rates are per person (per woman) unless a ``per`` factor is given; crude
  rates use ``per=1000`` (‰) as in the national family-planning statistics.

Formulas follow DOMAIN.md §3 and Preston, Heuveline & Guillot (2001)
*Demography: Measuring and Modeling Population Processes*, chapters 1, 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import ArrayLike

N_AGES = 101
OPEN_AGE = 100
MALE, FEMALE = 0, 1
FERTILE_AGES = (15, 50)  # women aged 15 to 49 inclusive (育龄妇女)


def _safe_divide(numerator: ArrayLike, denominator: ArrayLike) -> np.ndarray:
    """numerator / denominator, with NaN where the denominator is zero."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


# --------------------------------------------------------------------------- crude
def mean_population(start: ArrayLike, end: ArrayLike) -> np.ndarray:
    """Mean population of a period (平均人口) = (start + end) / 2 (DOMAIN.md §3)."""
    return (np.asarray(start, dtype=float) + np.asarray(end, dtype=float)) / 2.0


def crude_rate(events: ArrayLike, mean_pop: ArrayLike, per: float = 1000.0) -> np.ndarray:
    """Crude rate = events / mean population × ``per`` (‰ by default)."""
    return _safe_divide(events, mean_pop) * per


def crude_birth_rate(births: ArrayLike, mean_pop: ArrayLike, per: float = 1000.0) -> np.ndarray:
    """Crude birth rate 出生率 = births / mean population × 1000."""
    return crude_rate(births, mean_pop, per)


def crude_death_rate(deaths: ArrayLike, mean_pop: ArrayLike, per: float = 1000.0) -> np.ndarray:
    """Crude death rate 死亡率 = deaths / mean population × 1000."""
    return crude_rate(deaths, mean_pop, per)


def natural_increase_rate(
    births: ArrayLike, deaths: ArrayLike, mean_pop: ArrayLike, per: float = 1000.0
) -> np.ndarray:
    """Rate of natural increase 自然增长率 = (births − deaths) / mean population × 1000."""
    return crude_rate(np.asarray(births, float) - np.asarray(deaths, float), mean_pop, per)


# --------------------------------------------------------------------------- fertility
def age_specific_fertility_rates(births: ArrayLike, women: ArrayLike) -> np.ndarray:
    """Age-specific fertility rates (分年龄生育率) ``f_x = B_x / W_x``.

    ``births``: births in the year by age of mother, shape ``(..., n_ages)``;
    ``women``: mean (mid-year) number of women by the same ages.  Returns births
    per woman-year; ages with no women give NaN.  Works for single-year or
    5-year groups alike (the width only matters for :func:`total_fertility_rate`).
    """
    return _safe_divide(births, women)


def group_ages(values: ArrayLike, start: int = 15, stop: int = 50, width: int = 5) -> np.ndarray:
    """Sum single-year values (last axis indexed by age 0…) into ``width``-year groups.

    Returns shape ``(..., (stop - start) // width)``; group k covers ages
    ``start + k·width … start + (k+1)·width − 1``.  Used to build 5-year ASFR
    (15–19, …, 45–49) from single-year births and women.
    """
    v = np.asarray(values, dtype=float)[..., start:stop]
    if (stop - start) % width:
        raise ValueError(f"ages {start}–{stop - 1} do not split into groups of {width} years")
    return v.reshape(*v.shape[:-1], (stop - start) // width, width).sum(axis=-1)


def five_year_fertility_rates(
    births_by_single_age: ArrayLike, women_by_single_age: ArrayLike
) -> np.ndarray:
    """5-year ASFR ``5f_x`` for 15–19 … 45–49 from single-year births and women (last axis = age 0…)."""
    return age_specific_fertility_rates(
        group_ages(births_by_single_age), group_ages(women_by_single_age)
    )


def total_fertility_rate(asfr: ArrayLike, width: float = 1.0) -> np.ndarray:
    """Total fertility rate 总和生育率 ``TFR = n · Σ_x nf_x`` (last axis = age group).

    ``width`` is the age-group width n (1 for single-year, 5 for 5-year rates).
    NaN rates (ages without women) count as zero.
    """
    return width * np.nansum(np.asarray(asfr, dtype=float), axis=-1)


def general_fertility_rate(
    births: ArrayLike, women_15_49: ArrayLike, per: float = 1000.0
) -> np.ndarray:
    """General fertility rate 一般生育率 = births / mean women aged 15–49 × 1000."""
    return crude_rate(births, women_15_49, per)


def women_of_childbearing_age(population: ArrayLike) -> np.ndarray:
    """Women aged 15–49 (育龄妇女) from a population ``(..., 2, 101)``."""
    pop = np.asarray(population, dtype=float)
    return pop[..., FEMALE, FERTILE_AGES[0] : FERTILE_AGES[1]].sum(axis=-1)


def mean_age_at_childbearing(
    asfr: ArrayLike, ages: ArrayLike | None = None, width: float = 1.0
) -> np.ndarray:
    """Mean age at childbearing 平均生育年龄 ``MAC = Σ (x + n/2)·f_x / Σ f_x``.

    ``ages`` are the lower bounds of the groups on the last axis (default
    ``0, 1, 2, …`` for single years); the mid-point ``x + n/2`` is used because
    a woman "aged x" is on average x + ½ years old (Preston et al. 2001, §5.3).
    """
    f = np.nan_to_num(np.asarray(asfr, dtype=float))
    x = np.arange(f.shape[-1], dtype=float) * width if ages is None else np.asarray(ages, float)
    return _safe_divide((f * (x + width / 2.0)).sum(axis=-1), f.sum(axis=-1))


def parity_progression_ratios(women_by_parity: ArrayLike) -> np.ndarray:
    """Parity progression ratios 孩次递进比 ``a_i = W(≥ i+1) / W(≥ i)``.

    ``women_by_parity[..., k]`` = women (usually aged 45–49 or 50+, a completed
    cohort) with exactly k children ever born, the last entry meaning "k or
    more".  Returns ``a_0 … a_{K-1}`` (shape ``(..., K)`` for K+1 parities):
    a_0 is the share of women who had a first child, a_1 the share of mothers
    of one who went on to a second, and so on (Preston et al. 2001, §5.6).
    """
    w = np.asarray(women_by_parity, dtype=float)
    at_least = np.flip(np.cumsum(np.flip(w, axis=-1), axis=-1), axis=-1)
    return _safe_divide(at_least[..., 1:], at_least[..., :-1])


# --------------------------------------------------------------------------- sex ratio
@dataclass(frozen=True)
class SexRatio:
    """Sex ratio at birth with a confidence interval (males per 100 females)."""

    ratio: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    confidence: float


def sex_ratio_at_birth(
    male_births: ArrayLike, female_births: ArrayLike, confidence: float = 0.95
) -> SexRatio:
    """Sex ratio at birth 出生人口性别比 = male births / female births × 100, with a CI.

    The interval is the **Wilson score interval** for the male share
    ``p = M / (M + F)`` (Wilson 1927; Brown, Cai & DasGupta 2001), mapped through
    the increasing function ``100·p / (1 − p)``.  Unlike the normal (Wald)
    interval it stays inside (0, ∞) and behaves for the small counts of a
    township.  Normal range of the ratio: 103–107.
    """
    m = np.asarray(male_births, dtype=float)
    f = np.asarray(female_births, dtype=float)
    n = m + f
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = _safe_divide(m, n)
    centre = _safe_divide(m + z * z / 2.0, n + z * z)
    half = _safe_divide(z * np.sqrt(n * p * (1 - p) + z * z / 4.0), n + z * z)

    def to_ratio(share: np.ndarray) -> np.ndarray:
        return 100.0 * _safe_divide(share, 1.0 - share)

    return SexRatio(
        ratio=100.0 * _safe_divide(m, f),
        lower=to_ratio(centre - half),
        upper=to_ratio(centre + half),
        confidence=confidence,
    )


# --------------------------------------------------------------------------- age structure
def _age_sum(population: ArrayLike, start: int, stop: int | None) -> np.ndarray:
    pop = np.asarray(population, dtype=float)
    return pop[..., start:stop].sum(axis=-1)


def _both_sexes(population: ArrayLike) -> np.ndarray:
    """Accept ``(..., 101)`` (already both sexes) or ``(..., 2, 101)``; return ``(..., 101)``."""
    pop = np.asarray(population, dtype=float)
    if pop.ndim >= 2 and pop.shape[-2] == 2:
        return pop.sum(axis=-2)
    return pop


@dataclass(frozen=True)
class DependencyRatios:
    """Dependency ratios 抚养比 (per 100 persons aged 15–64)."""

    child: np.ndarray  # 少儿抚养比 P0–14 / P15–64 × 100
    old_age: np.ndarray  # 老年抚养比 P65+ / P15–64 × 100
    total: np.ndarray  # 总抚养比


def dependency_ratios(population: ArrayLike) -> DependencyRatios:
    """Child, old-age and total dependency ratios (×100) from a population by single age.

    ``population``: ``(..., 101)`` both sexes or ``(..., 2, 101)`` by sex.
    Child = P0–14 / P15–64, old-age = P65+ / P15–64 (DOMAIN.md §3).
    """
    pop = _both_sexes(population)
    working = _age_sum(pop, 15, 65)
    child = 100.0 * _safe_divide(_age_sum(pop, 0, 15), working)
    old = 100.0 * _safe_divide(_age_sum(pop, 65, None), working)
    return DependencyRatios(child=child, old_age=old, total=child + old)


def ageing_index(population: ArrayLike) -> np.ndarray:
    """Ageing index 老化指数 = P65+ / P0–14 × 100 (single-year ages, last axis)."""
    pop = _both_sexes(population)
    return 100.0 * _safe_divide(_age_sum(pop, 65, None), _age_sum(pop, 0, 15))


def median_age(population: ArrayLike) -> np.ndarray:
    """Median age 年龄中位数 by linear interpolation within the single-year group.

    With ``C(x)`` the number of persons younger than x and ``P_x`` those aged x,
    the median lies in the first age m with ``C(m+1) ≥ N/2`` and equals
    ``m + (N/2 − C(m)) / P_m`` (persons spread evenly over [m, m+1)).
    ``population``: ``(..., 101)`` or ``(..., 2, 101)``.  Empty populations give NaN.
    """
    pop = _both_sexes(population)
    cum = np.cumsum(pop, axis=-1)
    half = cum[..., -1:] / 2.0
    m = np.argmax(cum >= half, axis=-1)[..., None]
    below = np.take_along_axis(cum, m, axis=-1) - np.take_along_axis(pop, m, axis=-1)
    at = np.take_along_axis(pop, m, axis=-1)
    result = (m + _safe_divide(half - below, at))[..., 0]
    return np.where(cum[..., -1] > 0, result, np.nan)
