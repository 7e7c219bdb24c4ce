"""Life tables: closed forms for a constant hazard, a hand-worked table, Coale–Demeny a0."""

from __future__ import annotations

import numpy as np
import pytest

from renkou.demography import lifetable as lt


@pytest.mark.parametrize("mu", [0.005, 0.02, 0.1])
@pytest.mark.parametrize("a0_rule", ["half", "coale-demeny"])
def test_constant_hazard_gives_expectancy_one_over_mu_at_every_age(mu, a0_rule):
    # With a constant rate m the conversion keeps m = d/L in every row and L(ω+) = l(ω)/m,
    # so T(x) = l(x)/m and e(x) = 1/m exactly — the continuous closed form, whatever a0 is.
    table = lt.life_table_from_rates(np.full(101, mu), a0_rule=a0_rule)
    np.testing.assert_allclose(table.ex, 1.0 / mu, rtol=1e-12)


def test_constant_hazard_survivors_follow_the_pade_ratio():
    # ax = 1/2: q = μ/(1 + μ/2), so l(x) = radix·((1 − μ/2)/(1 + μ/2))^x — close to, not equal to, e^{−μx}
    mu = 0.02
    table = lt.life_table_from_rates(np.full(101, mu), a0_rule="half")
    ratio = (1 - mu / 2) / (1 + mu / 2)
    np.testing.assert_allclose(table.lx, 100_000 * ratio ** np.arange(101), rtol=1e-12)
    assert table.qx[0] == pytest.approx(0.0198019802)
    assert table.qx[0] - (1 - np.exp(-mu)) == pytest.approx(6.6e-7, abs=1e-7)


def test_abridged_table_of_constant_hazard():
    table = lt.abridged_life_table(np.full(19, 0.04), np.ones(19), open_age=85, a0_rule="half")
    np.testing.assert_allclose(table.ex, 25.0, rtol=1e-12)
    assert table.qx[2] == pytest.approx(5 * 0.04 / (1 + 2.5 * 0.04))


def test_hand_worked_three_row_table():
    # m = 0.1, 0.2, 0.5 for ages 0, 1, 2+, a = 1/2:
    # q0 = 0.1/1.05, l1 = 90 476.19; q1 = 0.2/1.1, l2 = 74 025.97
    # L0 = 95 238.10, L1 = 82 251.08, L2 = l2/0.5 = 148 051.95, T0 = 325 541.13, e0 = 3.255411
    table = lt.life_table_from_rates([0.1, 0.2, 0.5], ages=[0, 1, 2], a0_rule="half")
    np.testing.assert_allclose(table.lx, [100_000, 90_476.190, 74_025.974], rtol=1e-7)
    np.testing.assert_allclose(table.Lx, [95_238.095, 82_251.082, 148_051.948], rtol=1e-7)
    assert table.e0 == pytest.approx(3.2554113, rel=1e-7)
    assert table.qx[-1] == 1.0
    assert table.ax[-1] == pytest.approx(2.0)


def test_coale_demeny_separation_factors_preston_table_3_3():
    assert lt.coale_demeny_a0(0.05, "male") == pytest.approx(0.045 + 2.684 * 0.05)
    assert lt.coale_demeny_a0(0.05, "female") == pytest.approx(0.193)
    assert lt.coale_demeny_a0(0.2, "male") == pytest.approx(0.330)
    assert lt.coale_demeny_a0(0.2, "female") == pytest.approx(0.350)
    assert lt.coale_demeny_4a1(0.05, "male") == pytest.approx(1.5102)
    assert lt.coale_demeny_4a1(0.05, "female") == pytest.approx(1.4461)
    assert lt.coale_demeny_4a1(0.107, "female") == pytest.approx(1.361)
    np.testing.assert_allclose(lt.coale_demeny_a0([0.01, 0.01], ("male", "female")), [0.07184, 0.081])


def test_single_year_table_uses_coale_demeny_a0_by_sex_axis():
    mx = np.full((2, 101), 0.01)
    mx[:, 0] = 0.02
    table = lt.life_table_from_rates(mx, sex=("male", "female"))
    np.testing.assert_allclose(table.ax[:, 0], [0.045 + 2.684 * 0.02, 0.053 + 2.8 * 0.02])
    assert np.all(table.ax[:, 1:-1] == 0.5)


def test_abridged_table_from_single_year_data_groups_first():
    rng = np.random.default_rng(1)
    exposure = rng.uniform(500, 1000, 101)
    deaths = exposure * np.full(101, 0.01)
    deaths[0] = exposure[0] * 0.03
    table = lt.abridged_life_table(deaths, exposure, open_age=85, sex="female")
    assert table.ages.tolist() == [0, 1, *range(5, 86, 5)]
    assert table.mx[0] == pytest.approx(0.03)
    assert table.ax[1] == pytest.approx(1.522 - 1.518 * 0.03)
    np.testing.assert_allclose(table.mx[1:], 0.01)


def test_survival_ratios_of_constant_hazard():
    mu = 0.02
    table = lt.life_table_from_rates(np.full(101, mu), a0_rule="half")
    s = lt.survival_ratios(table)
    r = (1 - mu / 2) / (1 + mu / 2)
    assert s[0] == pytest.approx(2 / (2 + mu))  # L0/l0
    np.testing.assert_allclose(s[1:100], r)  # L(x)/L(x−1)
    # T100/T99 with T100 = l100/μ and T99 = L99 + T100
    assert s[100] == pytest.approx((r / mu) / (2 / (2 + mu) + r / mu))


def test_missing_exposure_is_reported_with_its_ages():
    deaths = np.ones(101)
    exposure = np.full(101, 100.0)
    exposure[[97, 98]] = 0
    with pytest.raises(ValueError, match=r"ages \[97, 98\]"):
        lt.single_year_life_table(deaths, exposure)


def test_tables_are_vectorised_over_leading_axes():
    rng = np.random.default_rng(7)
    mx = rng.uniform(0.001, 0.2, size=(3, 2, 101))
    batch = lt.life_table_from_rates(mx, sex=("male", "female"))
    for i in range(3):
        for s, name in enumerate(("male", "female")):
            one = lt.life_table_from_rates(mx[i, s], sex=name)
            np.testing.assert_allclose(batch.ex[i, s], one.ex)
