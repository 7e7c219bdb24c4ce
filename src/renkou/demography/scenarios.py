"""Projection assumptions and scenarios (预测方案): fertility paths, mortality improvement, momentum.

Pure NumPy, no Django.  Builds the inputs of :func:`renkou.demography.projection.project`:

* TFR paths: constant, linear to a target by a given year, and the low / medium
  / high variants (medium ∓/± 0.5 children per woman by default, as in the UN
  World Population Prospects);
* replacement fertility of the projection model (net reproduction rate 1) and
  population momentum (人口惯性): the ultimate stationary population reached with
  replacement fertility from now on, divided by the current population
  (Keyfitz 1971, "On the momentum of population growth", *Demography* 8:71–80);
* mortality improvement: survival ratios for each year such that life
  expectancy at birth moves linearly to a target (death rates scaled by a
  common factor found by bisection).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .lifetable import Sex, life_table_from_rates, survival_ratios
from .projection import (
    DEFAULT_SRB,
    FEMALE,
    Projection,
    fertility_by_single_age,
    net_reproduction_rate,
    project,
    scale_to_tfr,
)

SCENARIOS = ("constant", "low", "medium", "high", "target", "replacement")
DEFAULT_SPREAD = 0.5


def constant_tfr_path(tfr: ArrayLike, n_years: int) -> np.ndarray:
    """The same TFR every year: ``(n_years,)`` for a scalar, ``(n_years, A)`` for ``(A,)``."""
    t = np.asarray(tfr, dtype=float)
    return np.broadcast_to(t, (n_years,) + t.shape).copy()


def linear_tfr_path(start_tfr: ArrayLike, target_tfr: ArrayLike, n_years: int, years_to_target: int) -> np.ndarray:
    """TFR moving linearly from ``start_tfr`` to ``target_tfr``, reached in projection year
    ``years_to_target`` (year 1 is the first projected year) and constant afterwards.

    ``TFR_t = start + (target − start)·min(t / k, 1)`` for t = 1 … n_years, k = ``years_to_target``.
    """
    if years_to_target < 1:
        raise ValueError("years_to_target must be at least 1")
    start = np.asarray(start_tfr, dtype=float)
    target = np.asarray(target_tfr, dtype=float)
    share = np.minimum(np.arange(1, n_years + 1) / years_to_target, 1.0)
    share = share.reshape((n_years,) + (1,) * max(start.ndim, target.ndim))
    return start + (target - start) * share


def tfr_variants(path: ArrayLike, spread: float = DEFAULT_SPREAD) -> dict[str, np.ndarray]:
    """Low, medium and high variants: the path minus, as is, and plus ``spread`` (never below 0)."""
    p = np.asarray(path, dtype=float)
    return {"low": np.maximum(p - spread, 0.0), "medium": p, "high": p + spread}


def replacement_tfr(fertility: ArrayLike, survival_female: ArrayLike, srb: ArrayLike = DEFAULT_SRB) -> np.ndarray:
    """Replacement-level TFR 更替水平 of the model: the TFR, with the age pattern of ``fertility``,
    whose net reproduction rate is exactly 1 (about 2.1 where mortality is low).

    R0 is proportional to the TFR for a fixed pattern, so ``TFR_rep = 1 / R0(pattern with TFR 1)``.
    """
    return 1.0 / net_reproduction_rate(scale_to_tfr(fertility, 1.0), survival_female, srb)


def tfr_scenario(
    name: str,
    base_tfr: ArrayLike,
    n_years: int,
    *,
    target_tfr: ArrayLike | None = None,
    years_to_target: int | None = None,
    spread: float = DEFAULT_SPREAD,
    replacement: ArrayLike | None = None,
) -> np.ndarray:
    """TFR path of a named scenario, ``(n_years,)`` or ``(n_years, A)``.

    * ``constant``: ``base_tfr`` every year;
    * ``target``: linear from ``base_tfr`` to ``target_tfr`` by ``years_to_target``;
    * ``medium``: the target path if a target is given, else constant;
    * ``low`` / ``high``: medium − / + ``spread``;
    * ``replacement``: the given ``replacement`` TFR (see :func:`replacement_tfr`).
    """
    if name == "replacement":
        if replacement is None:
            raise ValueError("the replacement scenario needs the replacement TFR")
        return constant_tfr_path(replacement, n_years)
    if name == "target" and target_tfr is None:
        raise ValueError("the target scenario needs a target TFR")
    if target_tfr is not None and name != "constant":
        medium = linear_tfr_path(base_tfr, target_tfr, n_years, years_to_target or n_years)
    else:
        medium = constant_tfr_path(base_tfr, n_years)
    if name in ("constant", "target", "medium"):
        return medium
    if name in ("low", "high"):
        return tfr_variants(medium, spread)[name]
    raise ValueError(f"unknown scenario {name!r}: use one of {', '.join(SCENARIOS)}")


@dataclass(frozen=True)
class Momentum:
    """Population momentum: ``ratio`` = ultimate stationary population / current, per area."""

    ratio: np.ndarray
    replacement_tfr: np.ndarray
    projection: Projection


def population_momentum(
    population: ArrayLike,
    *,
    fertility: ArrayLike,
    survival: ArrayLike,
    srb: ArrayLike = DEFAULT_SRB,
    horizon: int = 300,
) -> Momentum:
    """Momentum of each area: project with replacement fertility from now, no migration.

    ``survival``: constant ratios ``(2, 101)`` or ``(A, 2, 101)``.  With NRR = 1 the
    population becomes stationary; ``horizon`` years (default 300) is long enough
    for single-year schedules to settle to about 1e-6.  ``ratio`` has shape ``(A,)``.
    """
    surv = np.asarray(survival, dtype=float)
    fert = fertility_by_single_age(fertility)
    rep = replacement_tfr(fert, surv[..., FEMALE, :], srb)
    tfr = constant_tfr_path(np.atleast_1d(rep), horizon)
    proj = project(population, survival=surv, fertility=fert, n_years=horizon, tfr=tfr, srb=srb)
    totals = proj.totals()
    return Momentum(ratio=totals[-1] / totals[0], replacement_tfr=np.atleast_1d(rep), projection=proj)


def scale_for_life_expectancy(
    mx: ArrayLike,
    e0_target: ArrayLike,
    *,
    sex: Sex = "both",
    a0_rule: str = "coale-demeny",
    tolerance: float = 1e-6,
) -> np.ndarray:
    """Factor k with ``e0(k·mx) = e0_target``, by bisection on ln k (vectorised).

    ``mx``: single-year death rates ``(..., 101)``; ``e0_target`` broadcasts against ``(...)``.
    e0 decreases as k grows, so the bracket ``k ∈ [e^-12, e^6]`` is halved until its
    width in e0 is below ``tolerance`` years.
    """
    m = np.asarray(mx, dtype=float)
    target = np.asarray(e0_target, dtype=float)
    shape = np.broadcast_shapes(m.shape[:-1], target.shape)
    lo, hi = np.full(shape, -12.0), np.full(shape, 6.0)
    ages = np.arange(m.shape[-1])
    for _ in range(80):
        mid = (lo + hi) / 2.0
        e0 = life_table_from_rates(m * np.exp(mid)[..., None], ages, sex=sex, a0_rule=a0_rule).e0
        too_long = e0 > target
        lo = np.where(too_long, mid, lo)
        hi = np.where(too_long, hi, mid)
        if np.all(hi - lo < 1e-12) or np.all(np.abs(e0 - target) < tolerance):
            break
    return np.exp((lo + hi) / 2.0)


def survival_path(
    mx: ArrayLike,
    n_years: int,
    *,
    e0_target: ArrayLike | None = None,
    years_to_target: int | None = None,
    a0_rule: str = "coale-demeny",
) -> np.ndarray:
    """Survival ratios for each projection year, ``(n_years, ..., 2, 101)``, from death rates
    ``mx`` of shape ``(..., 2, 101)`` (sex 0 male, 1 female).

    Without ``e0_target`` mortality stays constant.  With it (shape broadcasting to
    ``(..., 2)``, e.g. ``[78.0, 84.0]``), e0 of year t (t = 1 … n_years) moves linearly
    from the base e0 to the target, reached in year ``years_to_target`` and kept
    afterwards; each year's rates are ``k_t·mx`` (same age pattern).
    """
    m = np.asarray(mx, dtype=float)
    sexes = ("male", "female")
    base = life_table_from_rates(m, np.arange(m.shape[-1]), sex=sexes, a0_rule=a0_rule)
    if e0_target is None:
        return np.broadcast_to(survival_ratios(base), (n_years,) + m.shape).copy()
    targets = linear_tfr_path(base.e0, np.asarray(e0_target, dtype=float), n_years,
                              years_to_target or n_years)  # the same linear rule, for e0
    k = scale_for_life_expectancy(m[None], targets, sex=sexes, a0_rule=a0_rule)
    tables = life_table_from_rates(m[None] * k[..., None], np.arange(m.shape[-1]), sex=sexes,
                                   a0_rule=a0_rule)
    return survival_ratios(tables)
