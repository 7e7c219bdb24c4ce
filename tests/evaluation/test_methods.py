"""Weighting methods: AHP consistency, entropy weights, TOPSIS, composite index, rank stability."""

from __future__ import annotations

import math

import numpy as np
import pytest

from renkou.evaluation.methods import (
    RANDOM_INDEX,
    InconsistentJudgementsError,
    ahp_analyse,
    ahp_weights,
    composite_index,
    entropy_weights,
    minmax_normalise,
    rank_stability,
    topsis,
)

# ------------------------------------------------------------------ AHP
# The 3×3 judgement matrix [[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]] is the textbook
# example reproduced in many AHP tutorials, with published weights 0.637, 0.258,
# 0.105, λmax ≈ 3.039 and CR ≈ 0.033 (RI = 0.58, Saaty 1980). The test also
# recomputes them by power iteration, a method independent of numpy.linalg.eig.
CLASSIC = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]


def _power_iteration(a, steps=200):
    a = np.asarray(a, dtype=float)
    w = np.ones(len(a)) / len(a)
    for _ in range(steps):
        w = a @ w
        w = w / w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


def test_ahp_classic_three_by_three_matches_published_weights_and_cr():
    r = ahp_weights(CLASSIC, ["births", "services", "groundwork"])
    assert r.weights == pytest.approx([0.637, 0.258, 0.105], abs=5e-4)
    assert r.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert r.ci == pytest.approx((r.lambda_max - 3) / 2)
    assert r.cr == pytest.approx(0.033, abs=5e-4)
    w, lam = _power_iteration(CLASSIC)
    assert r.weights == pytest.approx(w, abs=1e-9)
    assert r.lambda_max == pytest.approx(lam, abs=1e-9)


def test_ahp_perfectly_consistent_matrix_returns_the_generating_weights():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    r = ahp_weights(w[:, None] / w[None, :])
    assert r.weights == pytest.approx(w, abs=1e-12)
    assert r.lambda_max == pytest.approx(4.0, abs=1e-9)
    assert r.cr == pytest.approx(0.0, abs=1e-9)


def test_saaty_random_index_table():
    assert [RANDOM_INDEX[n] for n in range(3, 11)] == [0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


def test_two_by_two_is_always_consistent():
    r = ahp_weights([[1, 4], [0.25, 1]])
    assert r.weights == pytest.approx([0.8, 0.2]) and r.cr == 0


def test_ahp_refuses_inconsistent_judgements_and_names_the_worst_pair():
    w = np.array([0.4, 0.3, 0.2, 0.1])
    a = w[:, None] / w[None, :]
    a[0, 3], a[3, 0] = 1 / 4, 4  # reversed: A should be 4 times D, entered as 1/4
    with pytest.raises(InconsistentJudgementsError) as err:
        ahp_weights(a, ["A", "B", "C", "D"])
    assert err.value.pair == ("A", "D")
    assert err.value.result.cr >= 0.10
    assert err.value.suggested == pytest.approx(4.0)  # via B: 4/3 × 3, via C: 2 × 2
    assert "CR =" in str(err.value) and "“A”对“D”" in str(err.value)


def test_ahp_analyse_reports_without_refusing():
    r = ahp_analyse([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])  # a cycle: A > B > C > A
    assert not r.consistent and r.cr > 1


def test_ahp_cr_just_under_and_over_the_limit():
    # [[1, x, 1], [1/x, 1, 1], [1, 1, 1]]: CR grows with x; 2 passes, 4 fails
    assert ahp_weights([[1, 2, 1], [1 / 2, 1, 1], [1, 1, 1]]).cr < 0.10
    with pytest.raises(InconsistentJudgementsError):
        ahp_weights([[1, 4, 1], [1 / 4, 1, 1], [1, 1, 1]])


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        ([[1, 3], [3, 1]], "not reciprocal"),
        ([[1, 3, 1], [1 / 3, 1, 1]], "square"),
        ([[2, 1], [1, 2]], "diagonal"),
        ([[1, -1], [-1, 1]], "positive"),
        (np.ones((11, 11)), "outside 1–10"),
    ],
)
def test_ahp_validates_the_matrix(matrix, fragment):
    with pytest.raises(ValueError, match=fragment):
        ahp_analyse(matrix)


def test_reciprocal_with_rounded_thirds_is_accepted():
    assert ahp_weights([[1, 3], [0.333, 1]]).weights[0] == pytest.approx(0.75, abs=1e-3)


# ------------------------------------------------------------------ entropy
DATA = [[1, 10], [2, 10], [3, 40]]


def test_entropy_weights_hand_computed():
    # column 1 normalises to 0, 0.5, 1 → p = 0, 1/3, 2/3 → e = 1 − (2/3)·log3(2), d = (2/3)·log3(2)
    # column 2 normalises to 0, 0, 1 → p = 0, 0, 1 → e = 0, d = 1
    d1 = (2 / 3) * math.log(2) / math.log(3)
    assert entropy_weights(DATA) == pytest.approx([d1 / (1 + d1), 1 / (1 + d1)], abs=1e-12)


def test_entropy_weights_cost_indicator():
    # column 2 as cost: (40 − x)/30 → 1, 1, 0 → p = ½, ½, 0 → e = ln2/ln3
    d1 = (2 / 3) * math.log(2) / math.log(3)
    d2 = 1 - math.log(2) / math.log(3)
    assert entropy_weights(DATA, [True, False]) == pytest.approx([d1 / (d1 + d2), d2 / (d1 + d2)], abs=1e-12)


def test_constant_indicator_gets_no_entropy_weight():
    assert entropy_weights([[1, 5], [2, 5], [4, 5]]) == pytest.approx([1.0, 0.0])
    with pytest.raises(ValueError, match="no indicator varies"):
        entropy_weights([[5, 5], [5, 5]])


# ------------------------------------------------------------------ TOPSIS
def test_topsis_hand_computed_with_a_cost_indicator():
    # norms 5 and 5; v = [[.3, .4], [.4, .3], [0, 0]]; benefit col 1, cost col 2
    # A+ = (.4, 0), A- = (0, .4); unit 1: D+ = √.17, D- = .3; unit 2 mirrored; unit 3: .4 and .4
    r = topsis([[3, 4], [4, 3], [0, 0]], [1, 1], [True, False])
    s = math.sqrt(0.17)
    assert r.closeness == pytest.approx([0.3 / (0.3 + s), s / (0.3 + s), 0.5], abs=1e-12)
    assert r.ideal == pytest.approx([0.4, 0.0]) and r.anti_ideal == pytest.approx([0.0, 0.4])


def test_topsis_all_benefit():
    r = topsis([[3, 4], [4, 3], [0, 0]], [0.5, 0.5])
    # A+ = (.4, .4), A- = (0, 0); unit 1: D+ = .1, D- = .5 → 5/6; unit 3 is the anti-ideal → 0
    assert r.closeness == pytest.approx([5 / 6, 5 / 6, 0.0], abs=1e-12)


def test_topsis_rejects_bad_weights():
    with pytest.raises(ValueError, match="weights"):
        topsis([[1, 2], [3, 4]], [1, -1])


# ------------------------------------------------------------------ composite index
def test_composite_index_minmax_and_zscore():
    data = [[80, 2], [90, 4], [100, 6]]
    # min–max: col1 0, .5, 1; col2 (cost) 1, .5, 0; weights .75/.25
    assert composite_index(data, [3, 1], [True, False]) == pytest.approx([0.25, 0.5, 0.75])
    z = composite_index(data, [1, 1], [True, True], normalisation="zscore")
    s = math.sqrt(2 / 3)
    assert z == pytest.approx([-1 / s, 0, 1 / s])


def test_minmax_of_a_constant_column_is_zero():
    assert minmax_normalise([[1, 7], [2, 7]]).tolist() == [[0.0, 0.0], [1.0, 0.0]]


# ------------------------------------------------------------------ rank stability
def test_rank_stability_spread_and_kendall_tau():
    scores = {
        "ahp": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6},
        "topsis": {"a": 0.9, "b": 0.7, "c": 0.8, "d": 0.6},
        "entropy": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6},
    }
    st = rank_stability(scores)
    assert st.ranks["topsis"] == {"a": 1, "c": 2, "b": 3, "d": 4}
    assert st.spread == {"a": 0, "b": 1, "c": 1, "d": 0}
    assert st.kendall_tau[("ahp", "entropy")] == pytest.approx(1.0)
    # one discordant pair out of 6: tau = (5 − 1)/6
    assert st.kendall_tau[("ahp", "topsis")] == pytest.approx(4 / 6)


def test_rank_stability_needs_the_same_units():
    with pytest.raises(ValueError, match="different units"):
        rank_stability({"x": {"a": 1, "b": 2}, "y": {"a": 1}})
