"""Cohort-component population projection (人口预测, 队列要素法) by single year of age and sex.

Pure NumPy, no Django.  One annual step takes the population on 1 January of
year t, ``P`` with shape ``(n_areas, 2, 101)`` (sex 0 = male, 1 = female; age
100 = 100+), to 1 January of year t+1 — for all areas at once:

1. **Survivors** (存活): ``P'[x] = P[x−1]·S[x]`` for x = 1…99 and
   ``P'[100] = (P[99] + P[100])·S[100]``, with the survival ratios ``S`` of
   :func:`renkou.demography.lifetable.survival_ratios`.
2. **Net migration** (净迁移) is added at the end of the year, as counts or
   as rates times the population at the start of the year; where emigration
   would make a cell negative it is clipped to zero and the migration actually
   applied is reported.
3. **Births** (出生) to women aged x: ``B = Σ_x f_x · (W_x(t) + W_x(t+1)) / 2``,
   the rate times the women-years of the year (average of start and end,
   Preston, Heuveline & Guillot 2001, §6.3).  Boys get the share
   ``SRB / (SRB + 100)``; the newborns alive on 1 January are ``B_s·S[0]``,
   plus any net migration at age 0.

Deaths are what the year removed: ``D = P(t) + B − survivors``, so that
``P(t+1) = P(t) + B − D + M`` holds exactly, by sex and area.

Births depend on women only (female-dominant model), so with no migration the
female part of a step is the Leslie matrix of :func:`leslie_matrix`; the
stable growth rate of a projection with constant rates is the log of its
dominant eigenvalue (Leslie 1945; Caswell 2001, *Matrix Population Models*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

N_AGES = 101
OPEN_AGE = 100
MALE, FEMALE = 0, 1
DEFAULT_SRB = 105.0  # males per 100 females; the biological norm is about 103–107
FERTILE_START, FERTILE_STOP = 15, 50  # ASFR given for ages 15–49


@dataclass(frozen=True)
class Projection:
    """Result of :func:`project`.

    ``population``: ``(n_years+1, n_areas, 2, 101)``, on 1 January of each of
    ``years``; ``births``, ``deaths``, ``net_migration``: ``(n_years, n_areas, 2)``,
    the flows of each projection year (row t takes ``years[t]`` to ``years[t+1]``);
    births by sex of the child.
    """

    years: np.ndarray
    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    net_migration: np.ndarray

    def totals(self) -> np.ndarray:
        """Total population by year and area, ``(n_years+1, n_areas)``."""
        return self.population.sum(axis=(-2, -1))

    def growth_rates(self) -> np.ndarray:
        """Annual growth rates ``r_t = ln(N(t+1)/N(t))``, ``(n_years, n_areas)``."""
        n = self.totals()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(n[1:] / n[:-1])

    def balance_error(self) -> np.ndarray:
        """``P(t+1) − (P(t) + births − deaths + net migration)`` by year, area and sex (≈ 0)."""
        p = self.population.sum(axis=-1)
        return p[1:] - (p[:-1] + self.births - self.deaths + self.net_migration)


def fertility_by_single_age(asfr: ArrayLike) -> np.ndarray:
    """Pad ASFR given for ages 15–49 (last axis of length 35) to ages 0…100; pass 101-long through."""
    f = np.asarray(asfr, dtype=float)
    if f.shape[-1] == N_AGES:
        return f
    if f.shape[-1] == FERTILE_STOP - FERTILE_START:
        out = np.zeros(f.shape[:-1] + (N_AGES,))
        out[..., FERTILE_START:FERTILE_STOP] = f
        return out
    raise ValueError(f"ASFR must cover ages 15–49 (35 values) or 0–100 (101 values), not {f.shape[-1]}")


def scale_to_tfr(asfr: ArrayLike, tfr: ArrayLike) -> np.ndarray:
    """ASFR with the age pattern of ``asfr`` and total ``tfr``: ``f_x · TFR / Σ f``.

    ``asfr``: ``(..., 101)``; ``tfr`` broadcasts against the leading axes, e.g.
    ``(n_years, n_areas)`` with ``asfr`` of shape ``(n_areas, 101)`` gives
    ``(n_years, n_areas, 101)``.
    """
    f = fertility_by_single_age(asfr)
    total = f.sum(axis=-1, keepdims=True)
    pattern = np.divide(f, total, out=np.zeros_like(f), where=total > 0)
    return pattern * np.asarray(tfr, dtype=float)[..., None]


def male_share_at_birth(srb: ArrayLike) -> np.ndarray:
    """Share of boys among births, ``SRB / (SRB + 100)``."""
    s = np.asarray(srb, dtype=float)
    return s / (s + 100.0)


def leslie_matrix(fertility: ArrayLike, survival_female: ArrayLike, srb: ArrayLike = DEFAULT_SRB) -> np.ndarray:
    """Female-dominant Leslie matrix 莱斯利矩阵 of the annual step of :func:`project`.

    ``fertility``: ASFR by single age ``(..., 101)`` (or 15–49); ``survival_female``:
    ratios ``(..., 101)`` indexed as in :func:`~renkou.demography.lifetable.survival_ratios`.
    Returns ``(..., 101, 101)`` with

    * first row ``A[0, y] = φ·S[0]·(f_y + S[y+1]·f_{y+1}) / 2``, φ = 100/(SRB+100) the
      share of girls (births from women aged y now and from those who reach y+1);
    * sub-diagonal ``A[x, x−1] = S[x]``; ``A[100, 100] = S[100]`` (the open age group).
    """
    f = fertility_by_single_age(fertility)
    s = np.asarray(survival_female, dtype=float)
    shape = np.broadcast_shapes(f.shape, s.shape)
    f, s = np.broadcast_to(f, shape), np.broadcast_to(s, shape)
    girls = (1.0 - male_share_at_birth(srb))[..., None]
    a = np.zeros(shape[:-1] + (N_AGES, N_AGES))
    next_f = np.concatenate([f[..., 1:] * s[..., 1:], np.zeros(shape[:-1] + (1,))], axis=-1)
    a[..., 0, :] = girls * s[..., :1] * (f + next_f) / 2.0
    x = np.arange(1, N_AGES)
    a[..., x, x - 1] = s[..., 1:]
    a[..., OPEN_AGE, OPEN_AGE] = s[..., OPEN_AGE]
    return a


def net_reproduction_rate(
    fertility: ArrayLike, survival_female: ArrayLike, srb: ArrayLike = DEFAULT_SRB
) -> np.ndarray:
    """Net reproduction rate 净再生产率 R0 of the projection model: daughters per newborn girl.

    ``R0 = Σ_y A[0, y]·ℓ_y`` with ``ℓ_y = Π_{k=1..y} S[k]`` the chance that a girl aged 0
    on 1 January reaches age y (fertile ages are all below the open age).  The Leslie
    matrix has dominant eigenvalue 1 exactly when R0 = 1.
    """
    first_row = leslie_matrix(fertility, survival_female, srb)[..., 0, :]
    s = np.broadcast_to(np.asarray(survival_female, dtype=float), first_row.shape)
    ell = np.concatenate([np.ones(s.shape[:-1] + (1,)), np.cumprod(s[..., 1:OPEN_AGE], axis=-1)], axis=-1)
    return (first_row[..., :OPEN_AGE] * ell).sum(axis=-1)


def _per_year(value: np.ndarray | None, ndim_constant: int, t: int) -> np.ndarray | None:
    """Select year t of an input that may be constant (``ndim ≤ ndim_constant``) or per year."""
    if value is None:
        return None
    return value[t] if value.ndim > ndim_constant else value


def project(
    population: ArrayLike,
    *,
    survival: ArrayLike,
    fertility: ArrayLike,
    n_years: int,
    tfr: ArrayLike | None = None,
    srb: ArrayLike = DEFAULT_SRB,
    net_migration: ArrayLike | None = None,
    net_migration_rate: ArrayLike | None = None,
    start_year: int = 0,
) -> Projection:
    """Project ``population`` ``n_years`` years ahead, one-year steps, all areas at once.

    Shapes (A = n_areas; a 1 in place of A broadcasts to every area):

    * ``population``: ``(A, 2, 101)``, or ``(2, 101)`` for one area (treated as A = 1);
    * ``survival``: ``(2, 101)`` or ``(A, 2, 101)`` constant, or ``(n_years, A, 2, 101)``
      per year (e.g. improving mortality from :func:`renkou.demography.scenarios.survival_path`);
    * ``fertility``: ASFR ``(101,)``/``(A, 101)`` (or 15–49 only) constant, or
      ``(n_years, A, 101)`` per year;
    * ``tfr``: optional ``(n_years,)`` or ``(n_years, A)``: rescales the fertility
      pattern to this total fertility rate in each year;
    * ``srb``: scalar or ``(A,)``, males per 100 females at birth;
    * ``net_migration``: counts per year ``(2, 101)``/``(A, 2, 101)`` or ``(n_years, A, 2, 101)``;
      ``net_migration_rate``: the same shapes, per person alive at the start of the year.

    Returns a :class:`Projection` whose ``years`` run ``start_year … start_year + n_years``.
    """
    p0 = np.asarray(population, dtype=float)
    if p0.ndim == 2:
        p0 = p0[None]
    if p0.shape[1:] != (2, N_AGES):
        raise ValueError(f"population must have shape (n_areas, 2, {N_AGES}), not {p0.shape}")
    n_areas = p0.shape[0]
    surv = np.asarray(survival, dtype=float)
    fert = fertility_by_single_age(fertility)
    if tfr is not None:
        t = np.asarray(tfr, dtype=float)
        fert = scale_to_tfr(fert, t if t.ndim == 2 else t[:, None])  # (n_years, A|1, 101)
    elif fert.ndim < 3:
        fert = fert if fert.ndim == 2 else fert[None]
    boys = male_share_at_birth(np.broadcast_to(np.asarray(srb, dtype=float), (n_areas,)))
    sex_share = np.stack([boys, 1.0 - boys], axis=-1)  # (A, 2)
    mig = None if net_migration is None else np.asarray(net_migration, dtype=float)
    mig_rate = None if net_migration_rate is None else np.asarray(net_migration_rate, dtype=float)

    pop = np.empty((n_years + 1, n_areas, 2, N_AGES))
    pop[0] = p0
    births = np.empty((n_years, n_areas, 2))
    deaths = np.empty((n_years, n_areas, 2))
    moved = np.zeros((n_years, n_areas, 2))
    for t in range(n_years):
        _step(pop[t], pop[t + 1], births[t], deaths[t], moved[t],
              survival=_per_year(surv, 3, t), fertility=_per_year(fert, 2, t), sex_share=sex_share,
              migration=_per_year(mig, 3, t), migration_rate=_per_year(mig_rate, 3, t))
    years = np.arange(start_year, start_year + n_years + 1)
    return Projection(years=years, population=pop, births=births, deaths=deaths, net_migration=moved)


def _step(
    p: np.ndarray,
    out: np.ndarray,
    births: np.ndarray,
    deaths: np.ndarray,
    moved: np.ndarray,
    *,
    survival: np.ndarray,
    fertility: np.ndarray,
    sex_share: np.ndarray,
    migration: np.ndarray | None,
    migration_rate: np.ndarray | None,
) -> None:
    """One projection year for all areas: writes ``out`` (A, 2, 101) and the flows (A, 2)."""
    survivors = np.empty_like(p)
    np.multiply(p[..., :-1], survival[..., 1:], out=survivors[..., 1:])
    survivors[..., OPEN_AGE] += p[..., OPEN_AGE] * survival[..., OPEN_AGE]
    survivors[..., 0] = 0.0  # newborns are added once births are known
    out[...] = survivors
    if migration is not None:
        out += migration
    if migration_rate is not None:
        out += migration_rate * p
    np.maximum(out[..., 1:], 0.0, out=out[..., 1:])
    women_years = (p[:, FEMALE] + out[:, FEMALE]) / 2.0
    total_births = (fertility * women_years).sum(axis=-1)  # (A,)
    np.multiply(total_births[:, None], sex_share, out=births)
    newborns = births * survival[..., 0]
    survivors[..., 0] = newborns
    out[..., 0] = np.maximum(out[..., 0] + newborns, 0.0)
    survivor_totals = survivors.sum(axis=-1)
    np.subtract(p.sum(axis=-1) + births, survivor_totals, out=deaths)
    np.subtract(out.sum(axis=-1), survivor_totals, out=moved)
