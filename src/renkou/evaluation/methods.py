"""Weighting and multi-criteria methods for assessment schemes (权重与综合评价方法).

Pure NumPy/SciPy functions used when a bureau designs or audits a scheme:

* :func:`ahp_weights` — analytic hierarchy process (层次分析法), Saaty (1977, 1980):
  weights = principal eigenvector of a reciprocal pairwise comparison matrix,
  CI = (λmax − n)/(n − 1), CR = CI/RI; judgements with CR ≥ 0.10 are refused.
* :func:`entropy_weights` — entropy weight method (熵权法): indicators that
  vary more between units get more weight.
* :func:`topsis` — TOPSIS (逼近理想解排序法), Hwang & Yoon (1981): closeness to
  the ideal solution.
* :func:`composite_index` — weighted sum of min–max or z-score normalised
  indicators (综合指数).
* :func:`rank_stability` — how far each unit's rank moves between methods.

Matrices are units × indicators (rows = assessed units, columns = indicators).
``benefit[j]`` is True when a higher value of indicator j is better (效益型),
False for a cost indicator (成本型).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from renkou.evaluation.ranking import competition_ranks

# Saaty's random consistency index RI for n = 1 … 10 (Saaty 1980, The Analytic
# Hierarchy Process, McGraw-Hill, table 1.7).
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                  9: 1.45, 10: 1.49}
CR_LIMIT = 0.10


class InconsistentJudgementsError(ValueError):
    """The pairwise judgements are too inconsistent (CR ≥ 0.10) to give weights."""

    def __init__(self, result: AHPResult, pair: tuple[str, str], suggested: float) -> None:
        self.result = result
        self.pair = pair
        self.suggested = suggested
        a, b = pair
        super().__init__(
            f"判断矩阵一致性比率 CR = {result.cr:.3f} ≥ {CR_LIMIT:.2f}，不能用于计算权重；"
            f"最不一致的是“{a}”对“{b}”的判断，与其余判断相符的值约为 {suggested:.2f} / "
            f"the judgements are inconsistent: CR = {result.cr:.3f} ≥ {CR_LIMIT:.2f}; the most inconsistent "
            f"judgement is {a!r} versus {b!r}, the other judgements imply about {suggested:.2f}"
        )


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one pairwise comparison matrix."""

    weights: NDArray[np.float64]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    labels: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        return self.cr < CR_LIMIT


def ahp_analyse(matrix: ArrayLike, labels: Sequence[str] | None = None, *, tolerance: float = 0.01) -> AHPResult:
    """Weights, λmax, CI, RI and CR of a pairwise comparison matrix, without refusing.

    The matrix must be square (1 ≤ n ≤ 10), positive, with a_ii = 1 and reciprocal
    a_ji = 1/a_ij (relative ``tolerance``, so 0.333 passes for 1/3). Weights are the
    principal (Perron) eigenvector scaled to sum 1.
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape != (n, n) or n == 0:
        raise ValueError("判断矩阵必须是方阵 / the comparison matrix must be square")
    if n not in RANDOM_INDEX:
        raise ValueError(f"判断矩阵阶数 {n} 超出 1–10 / matrix order {n} outside 1–10 (no random index)")
    names = tuple(labels) if labels is not None else tuple(str(i + 1) for i in range(n))
    if len(names) != n:
        raise ValueError("标签数与矩阵阶数不符 / number of labels differs from the matrix order")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ValueError("判断矩阵的元素必须为正数 / every judgement must be a positive number")
    if not np.allclose(np.diag(a), 1.0, rtol=tolerance):
        raise ValueError("判断矩阵对角线必须为 1 / the diagonal must be 1")
    for i, j in combinations(range(n), 2):
        if abs(a[i, j] * a[j, i] - 1.0) > tolerance:
            raise ValueError(
                f"判断矩阵不互反：“{names[i]}”对“{names[j]}”为 {a[i, j]:g}，反向应为 {1 / a[i, j]:.4g} 而不是 "
                f"{a[j, i]:g} / the matrix is not reciprocal: {names[i]!r} vs {names[j]!r} is {a[i, j]:g}, "
                f"so the reverse must be {1 / a[i, j]:.4g}, not {a[j, i]:g}"
            )
    eigenvalues, eigenvectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lam = float(eigenvalues[k].real)
    w = np.abs(eigenvectors[:, k].real)
    w = w / w.sum()
    if n <= 2:
        lam, ci, cr = float(n), 0.0, 0.0  # every 1×1 and 2×2 reciprocal matrix is consistent
    else:
        ci = max(0.0, (lam - n) / (n - 1))
        cr = ci / RANDOM_INDEX[n]
    return AHPResult(w, lam, ci, RANDOM_INDEX[n], cr, names)


def ahp_weights(matrix: ArrayLike, labels: Sequence[str] | None = None, *, tolerance: float = 0.01) -> AHPResult:
    """AHP weights; raise :class:`InconsistentJudgementsError` when CR ≥ 0.10.

    The error names the most inconsistent judgement: for each pair (i, j) the
    other judgements imply a_ij ≈ geometric mean over k ≠ i, j of a_ik · a_kj
    (the indirect comparisons through every third criterion); the pair whose
    entered value departs most from that (largest |ln a_ij − ln implied|) is
    named, with the implied value as a suggestion.
    """
    result = ahp_analyse(matrix, labels, tolerance=tolerance)
    if result.consistent:
        return result
    log_a = np.log(np.asarray(matrix, dtype=float))
    n = log_a.shape[0]
    worst, pair, suggested = -1.0, (0, 1), 1.0
    for i, j in combinations(range(n), 2):
        others = [k for k in range(n) if k not in (i, j)]
        implied = float(np.mean([log_a[i, k] + log_a[k, j] for k in others]))
        gap = abs(log_a[i, j] - implied)
        if gap > worst:
            worst, pair, suggested = gap, (i, j), math.exp(implied)
    raise InconsistentJudgementsError(result, (result.labels[pair[0]], result.labels[pair[1]]), suggested)


def _as_matrix(x: ArrayLike) -> NDArray[np.float64]:
    m = np.asarray(x, dtype=float)
    if m.ndim != 2 or m.shape[0] < 2 or m.shape[1] < 1:
        raise ValueError("数据应为 单位 × 指标 矩阵（至少 2 个单位） / data must be units × indicators (≥ 2 units)")
    if not np.all(np.isfinite(m)):
        raise ValueError("数据含缺失或非有限值 / data contain missing or non-finite values")
    return m


def _benefit(benefit: Sequence[bool] | None, n: int) -> NDArray[np.bool_]:
    b = np.ones(n, dtype=bool) if benefit is None else np.asarray(benefit, dtype=bool)
    if b.shape != (n,):
        raise ValueError("benefit 的长度应等于指标数 / benefit must have one entry per indicator")
    return b


def minmax_normalise(data: ArrayLike, benefit: Sequence[bool] | None = None) -> NDArray[np.float64]:
    """(x − min)/(max − min) for benefit indicators, (max − x)/(max − min) for cost ones.

    A constant column (max = min) normalises to 0: it tells the units nothing apart.
    """
    x = _as_matrix(data)
    b = _benefit(benefit, x.shape[1])
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    z = np.where(b, (x - lo) / span, (hi - x) / span)
    return np.where(hi > lo, z, 0.0)


def entropy_weights(data: ArrayLike, benefit: Sequence[bool] | None = None) -> NDArray[np.float64]:
    """Entropy weights (熵权法).

    With m units and min–max normalised values x'_ij: p_ij = x'_ij / Σ_i x'_ij,
    e_j = −k Σ_i p_ij ln p_ij with k = 1/ln m and 0·ln 0 = 0, d_j = 1 − e_j,
    w_j = d_j / Σ_j d_j. A constant indicator has e_j = 1 and weight 0.
    Source: Shannon (1948); as applied in evaluation, e.g. Zou Zhihong et al.,
    J. Environ. Sci. 18(5) 2006.
    """
    z = minmax_normalise(data, benefit)
    m = z.shape[0]
    col = z.sum(axis=0)
    p = np.divide(z, col, out=np.zeros_like(z), where=col > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.where(col > 0, -plogp.sum(axis=0) / np.log(m), 1.0)
    d = 1.0 - e
    if d.sum() <= 0:
        raise ValueError("所有指标在各单位间都无差异，无法确定熵权 / no indicator varies between units")
    return d / d.sum()


def _weights(weights: ArrayLike, n: int) -> NDArray[np.float64]:
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("权重应为与指标数相同个数的非负数，且和大于 0 / weights: one non-negative number per indicator")
    return w / w.sum()


@dataclass(frozen=True)
class TopsisResult:
    closeness: NDArray[np.float64]
    d_plus: NDArray[np.float64]
    d_minus: NDArray[np.float64]
    ideal: NDArray[np.float64]
    anti_ideal: NDArray[np.float64]


def topsis(data: ArrayLike, weights: ArrayLike, benefit: Sequence[bool] | None = None) -> TopsisResult:
    """TOPSIS closeness (Hwang & Yoon 1981).

    r_ij = x_ij / √(Σ_i x_ij²); v_ij = w_j r_ij; ideal A⁺_j = max_i v_ij for
    benefit indicators (min for cost), anti-ideal A⁻ the opposite;
    D⁺_i = ‖v_i − A⁺‖, D⁻_i = ‖v_i − A⁻‖; closeness C_i = D⁻_i / (D⁺_i + D⁻_i)
    (1 = the ideal, 0 = the anti-ideal; 0.5 when all units are equal).
    """
    x = _as_matrix(data)
    b = _benefit(benefit, x.shape[1])
    w = _weights(weights, x.shape[1])
    norm = np.sqrt((x**2).sum(axis=0))
    r = np.divide(x, norm, out=np.zeros_like(x), where=norm > 0)
    v = r * w
    ideal = np.where(b, v.max(axis=0), v.min(axis=0))
    anti = np.where(b, v.min(axis=0), v.max(axis=0))
    d_plus = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - anti) ** 2).sum(axis=1))
    total = d_plus + d_minus
    c = np.divide(d_minus, total, out=np.full_like(total, 0.5), where=total > 0)
    return TopsisResult(c, d_plus, d_minus, ideal, anti)


def composite_index(data: ArrayLike, weights: ArrayLike, benefit: Sequence[bool] | None = None, *,
                    normalisation: str = "minmax") -> NDArray[np.float64]:
    """Composite index (综合指数) = Σ_j w_j z_ij with weights scaled to sum 1.

    ``minmax``: z in [0, 1] by :func:`minmax_normalise`, the index is in [0, 1].
    ``zscore``: z = (x − mean)/sd (population sd), sign flipped for cost
    indicators; a constant column gives 0.
    """
    x = _as_matrix(data)
    b = _benefit(benefit, x.shape[1])
    w = _weights(weights, x.shape[1])
    if normalisation == "minmax":
        z = minmax_normalise(x, b)
    elif normalisation == "zscore":
        sd = x.std(axis=0)
        z = np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=sd > 0)
        z = np.where(b, z, -z)
    else:
        raise ValueError(f"未知的标准化方法 {normalisation!r}（minmax 或 zscore） / unknown normalisation {normalisation!r}")
    return z @ w


@dataclass(frozen=True)
class RankStability:
    """Ranks of each unit under each method and how much they move."""

    ranks: dict[str, dict[str, int]]           # method → unit → rank (competition ranking)
    spread: dict[str, int]                     # unit → max rank − min rank
    kendall_tau: dict[tuple[str, str], float]  # (method a, method b) → Kendall's tau-b of the scores


def rank_stability(scores: Mapping[str, Mapping[str, float]]) -> RankStability:
    """Compare rankings of the same units under several methods (higher score = better).

    ``scores`` maps method → unit → score. Ranks are competition ranks ("1224");
    spread is max − min rank of a unit across methods; Kendall's tau-b (which
    handles ties) is computed for every pair of methods (1 = same order).
    """
    methods = sorted(scores)
    if len(methods) < 2:
        raise ValueError("至少需要两种方法 / at least two methods are needed")
    units = sorted(scores[methods[0]])
    for m in methods:
        if sorted(scores[m]) != units:
            raise ValueError(f"方法 {m} 的单位与其他方法不同 / method {m} covers different units")
    ranks = {m: competition_ranks(dict(scores[m])) for m in methods}
    spread = {u: max(ranks[m][u] for m in methods) - min(ranks[m][u] for m in methods) for u in units}
    tau = {}
    for a, b in combinations(methods, 2):
        t = stats.kendalltau([scores[a][u] for u in units], [scores[b][u] for u in units]).statistic
        tau[(a, b)] = float(t)
    return RankStability(ranks, spread, tau)
