"""Sampled door-to-door verification (抽样入户核查): samples and estimators.

Field teams visit a random sample of households, count the vital events that
really happened (surveyed) and compare them with the register (reported).

* :func:`stratified_sample` — reproducible stratified simple random sample of
  households without replacement.
* :func:`sample_size_for_proportion` — households needed to estimate a
  proportion within a margin, with finite population correction.
* :func:`wilson_interval` — Wilson score interval for a binomial proportion.
* :func:`under_reporting_rate` — missed ÷ true events (漏报率).
* :func:`error_rate` — |reported − surveyed| ÷ surveyed (差错率).

Choice of interval. Events are counted per *household*, and a household
with several births contributes several correlated events: the household,
not the event, is the sampling unit. The rates are therefore ratio
estimators R = Σy / Σx over the sampled households (y = missed or wrong
events, x = true events), with the Taylor linearisation variance of a ratio
under stratified simple random sampling of households (Cochran 1977,
*Sampling Techniques*, §6.11; Lohr, *Sampling: Design and Analysis*, §4.1):

    V(R) = 1/X̂² · Σ_h N_h² (1 − n_h/N_h) s²_{d,h} / n_h,   d_i = y_i − R x_i

and the 95 % interval R ± 1.96 √V, cut to [0, 1] for the under-reporting rate.
When each sampled unit is a single event (x_i = 1 for all i) use
:func:`wilson_interval`, which stays inside [0, 1] and behaves well for rates
near 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"置信水平应在 0 与 1 之间（{confidence}） / confidence must be between 0 and 1")
    return float(stats.norm.ppf(0.5 + confidence / 2))


# ---------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------

def stratified_sample(frame: Iterable[tuple[str, str]], sizes: Mapping[str, int] | int,
                      seed: int) -> dict[str, list[str]]:
    """Draw households per stratum without replacement, reproducibly.

    ``frame`` yields (stratum, household_id) — e.g. (village code, household
    number). ``sizes`` gives the number to draw per stratum (a single int for
    every stratum); a stratum smaller than its size is taken whole.

    Stable ordering: strata are processed in sorted order of their codes and
    the households of each stratum are sorted by id before drawing, all from
    one ``numpy.random.default_rng(seed)`` stream. The same seed and the same
    frame (in any order) therefore give the same sample. Returned ids are
    sorted within each stratum.
    """
    by_stratum: dict[str, set[str]] = {}
    for stratum, household in frame:
        by_stratum.setdefault(str(stratum), set()).add(str(household))
    rng = np.random.default_rng(seed)
    sample: dict[str, list[str]] = {}
    for stratum in sorted(by_stratum):
        ids = sorted(by_stratum[stratum])
        n = sizes if isinstance(sizes, int) else sizes.get(stratum, 0)
        if n < 0:
            raise ValueError(f"层 {stratum} 的样本量为负 / negative sample size for stratum {stratum}")
        n = min(n, len(ids))
        chosen = rng.choice(len(ids), size=n, replace=False) if n else np.array([], dtype=int)
        sample[stratum] = sorted(ids[i] for i in chosen)
    return sample


def proportional_allocation(total: int, stratum_sizes: Mapping[str, int], *, minimum: int = 1) -> dict[str, int]:
    """Split ``total`` sample households over strata in proportion to their sizes.

    Largest-remainder rounding (ties broken by stratum code), at least
    ``minimum`` per non-empty stratum and never more than the stratum holds.
    """
    strata = sorted(s for s, n in stratum_sizes.items() if n > 0)
    population = sum(stratum_sizes[s] for s in strata)
    if total < 0 or not strata:
        return {s: 0 for s in stratum_sizes}
    total = min(total, population)
    quotas = {s: total * stratum_sizes[s] / population for s in strata}
    alloc = {s: min(stratum_sizes[s], max(minimum, math.floor(quotas[s]))) for s in strata}
    remaining = total - sum(alloc.values())
    order = sorted(strata, key=lambda s: (-(quotas[s] - math.floor(quotas[s])), s))
    while remaining > 0 and any(alloc[s] < stratum_sizes[s] for s in strata):
        for s in order:
            if remaining > 0 and alloc[s] < stratum_sizes[s]:
                alloc[s] += 1
                remaining -= 1
    return {s: alloc.get(s, 0) for s in stratum_sizes}


def sample_size_for_proportion(margin: float, *, proportion: float = 0.5, confidence: float = 0.95,
                               population: int | None = None, design_effect: float = 1.0) -> int:
    """Sample size to estimate a proportion within ± ``margin``.

    n₀ = z² p(1 − p) / e² × deff; with a population of N, the finite
    population correction n = n₀ / (1 + (n₀ − 1)/N); rounded up. With p = 0.5,
    e = 0.05, 95 %: n₀ = 384.1 → 385; for N = 1000 → 278 (Cochran 1977, §4.4).
    """
    if not 0 < margin < 1:
        raise ValueError(f"允许误差应在 0 与 1 之间（{margin}） / margin must be between 0 and 1")
    if not 0 < proportion < 1:
        raise ValueError(f"预估比例应在 0 与 1 之间（{proportion}） / proportion must be between 0 and 1")
    if design_effect < 1:
        raise ValueError("设计效应不应小于 1 / design effect must be ≥ 1")
    z = _z(confidence)
    n0 = z * z * proportion * (1 - proportion) / (margin * margin) * design_effect
    if population is not None:
        if population < 1:
            raise ValueError("总体数必须为正 / population must be positive")
        n0 = n0 / (1 + (n0 - 1) / population)
        return min(population, math.ceil(n0 - 1e-9))
    return math.ceil(n0 - 1e-9)


# ---------------------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Estimate:
    """A rate with its confidence interval."""

    rate: float | None
    lower: float | None
    upper: float | None
    numerator: float
    denominator: float
    method: str
    confidence: float = 0.95


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) for a binomial proportion x/n.

    centre = (p̂ + z²/2n) / (1 + z²/n), half-width = z/(1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²).
    """
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"需要 0 ≤ x ≤ n 且 n > 0（x={successes}, n={n}） / need 0 ≤ x ≤ n, n > 0")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # at x = 0 and x = n the exact bounds are 0 and 1; rounding could leave 1e-17
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def ratio_estimate(y: Sequence[float], x: Sequence[float], *, strata: Sequence[str] | None = None,
                   stratum_population: Mapping[str, int] | None = None, confidence: float = 0.95,
                   clip_to_unit: bool = False) -> Estimate:
    """Combined ratio estimator R = Ŷ/X̂ with linearisation variance (see module docstring).

    ``y`` and ``x`` are per-household values; ``strata`` gives each household's
    stratum (default: one stratum); ``stratum_population`` the number of
    households N_h in each stratum (default: no finite population correction
    and equal weights, i.e. N_h = n_h, which reduces to a simple ratio).
    """
    yv, xv = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    if yv.shape != xv.shape or yv.ndim != 1:
        raise ValueError("y 与 x 的长度必须相同 / y and x must have the same length")
    labels = np.asarray(strata if strata is not None else ["all"] * len(yv))
    if labels.shape != yv.shape:
        raise ValueError("strata 的长度必须与样本相同 / strata must have one entry per household")
    totals_y = totals_x = 0.0
    groups = []
    for h in sorted(set(labels.tolist())):
        mask = labels == h
        n_h = int(mask.sum())
        big_n = n_h if stratum_population is None else stratum_population[h]
        if big_n < n_h:
            raise ValueError(f"层 {h} 的总体户数小于样本户数 / stratum {h}: population smaller than sample")
        weight = big_n / n_h
        totals_y += weight * yv[mask].sum()
        totals_x += weight * xv[mask].sum()
        groups.append((mask, n_h, big_n))
    method = "ratio estimator, linearisation variance"
    if totals_x <= 0:
        return Estimate(None, None, None, totals_y, totals_x, method, confidence)
    r = totals_y / totals_x
    d = yv - r * xv
    var = 0.0
    for mask, n_h, big_n in groups:
        if n_h > 1:
            fpc = 1 - n_h / big_n if stratum_population is not None else 1.0
            var += big_n * big_n * fpc * d[mask].var(ddof=1) / n_h
    se = math.sqrt(var) / totals_x
    z = _z(confidence)
    lo, hi = r - z * se, r + z * se
    if clip_to_unit:
        lo, hi = max(0.0, lo), min(1.0, hi)
    else:
        lo = max(0.0, lo)
    return Estimate(r, lo, hi, totals_y, totals_x, method, confidence)


def under_reporting_rate(missed: Sequence[int], true_events: Sequence[int], **kwargs: object) -> Estimate:
    """Under-reporting rate (漏报率) = events missing from the register ÷ true events found.

    Per sampled household: ``missed`` (true events not in the register) and
    ``true_events`` (all events the visit found). Ratio estimator over
    households; interval cut to [0, 1]. Keyword arguments go to :func:`ratio_estimate`.

    When no sampled household has a missed event (or every event was missed) the linearised variance
    is zero and its interval would shrink to the point — "0 % ± 0" from a sample that simply saw no
    omission. The interval is then Wilson's on the events the sample saw (x missed of n found,
    unweighted), after Korn and Graubard (1998), who use the actual sample size when the estimated
    variance degenerates; the point estimate stays the ratio estimator's. A census (every household of
    every stratum visited) has no sampling error and keeps its interval of no width.
    """
    m, t = np.asarray(missed), np.asarray(true_events)
    if np.any(m < 0) or np.any(m > t):
        raise ValueError("每户漏报数应在 0 与实际事件数之间 / per household 0 ≤ missed ≤ true events")
    est = ratio_estimate(m, t, clip_to_unit=True, **kwargs)  # type: ignore[arg-type]
    n, x = int(t.sum()), int(m.sum())
    strata, sizes = kwargs.get("strata"), kwargs.get("stratum_population")
    census = sizes is not None and all(
        list(strata if strata is not None else ["all"] * len(m)).count(h) >= sizes[h]  # type: ignore[index]
        for h in set(strata if strata is not None else ["all"]))  # every household visited: no sampling error
    if est.rate is not None and x in (0, n) and n > 0 and not census:
        lo, hi = wilson_interval(x, n, est.confidence)
        return Estimate(est.rate, lo, hi, est.numerator, est.denominator,
                        est.method + "; Wilson interval on the events seen (variance zero)", est.confidence)
    return est


def error_rate(reported: Sequence[int], surveyed: Sequence[int], **kwargs: object) -> Estimate:
    """Error rate (差错率) = Σ|reported − surveyed| ÷ Σ surveyed over sampled households.

    The differences are taken household by household (gross error), so an
    over-count in one household does not hide an under-count in another. Ratio
    estimator; may exceed 1. Keyword arguments go to :func:`ratio_estimate`.
    """
    r, s = np.asarray(reported, dtype=float), np.asarray(surveyed, dtype=float)
    if r.shape != s.shape or np.any(r < 0) or np.any(s < 0):
        raise ValueError("登记数与核查数应为等长的非负数 / reported and surveyed: equal-length non-negative counts")
    return ratio_estimate(np.abs(r - s), s, **kwargs)  # type: ignore[arg-type]


def proportion_estimate(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """A proportion of independently sampled events with its Wilson interval."""
    lo, hi = wilson_interval(successes, n, confidence)
    return Estimate(successes / n, lo, hi, successes, n, "Wilson score interval", confidence)
