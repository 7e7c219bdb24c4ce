"""``renkou demography rates|lifetable|project --area CODE --period P``: the register instead of CSV."""

from __future__ import annotations

import json

import numpy as np
import pytest

from renkou.demography.cli import fertility_from_register, grouped_death_rates, main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rates_of_a_township_from_the_register_match_hand_counts(register, capsys):
    # 永靖镇 in 2005: 4 persons at the start, 3 at the end (mean 3.5); one boy born to a mother aged 25
    # (0.5 woman-years at 25: ASFR 2, TFR 2); one death
    code, out, err = run(capsys, "rates", "--area", "520122100", "--period", "2005")
    assert code == 0, err
    [r] = json.loads(out)
    assert (r["area"], r["name"], r["period"], r["basis"], r["years"]) == ("520122100000", "永靖镇", "2005",
                                                                            "resident", 1.0)
    assert r["population"] == 3.5 and r["births"] == 1 and r["deaths"] == 1
    assert r["crude_birth_rate"] == pytest.approx(1000 / 3.5)
    assert r["crude_death_rate"] == pytest.approx(1000 / 3.5)
    assert r["total_fertility_rate"] == pytest.approx(2.0)
    assert r["sex_ratio_at_birth"] is None  # one boy, no girls: no ratio
    assert r["unclassified"] == {}


def test_pooled_years_give_annual_rates(register, capsys):
    # 2004–2005: 2 years; the one birth becomes 0.5 a year
    code, out, _ = run(capsys, "rates", "--area", "520122", "--period", "2004-2005")
    [r] = json.loads(out)
    assert code == 0 and r["years"] == 2.0 and r["births"] == 0.5 and r["deaths"] == 0.5


def test_too_small_an_area_for_a_life_table_is_explained(register, capsys):
    code, out, err = run(capsys, "lifetable", "--area", "520122100201", "--period", "2005")
    assert code == 2 and out == ""
    assert "no exposure" in err and "pool" in err


def test_area_without_period_or_unknown_area_exit_2(register, capsys):
    code, _, err = run(capsys, "rates", "--area", "520122")
    assert code == 2 and "--period" in err
    code, _, err = run(capsys, "project", "--area", "529999", "--period", "2005")
    assert code == 2 and "no area 529999" in err
    code, _, err = run(capsys, "rates")
    assert code == 2 and "--population" in err and "--area" in err


def test_management_command_forwards_area_arguments(register, capsys):
    from renkou.core.management.commands.demography import Command

    Command().run_from_argv(["renkou", "demography", "rates", "--area", "520122", "--period", "2005",
                             "--basis", "registered"])
    [r] = json.loads(capsys.readouterr().out)
    assert r["basis"] == "registered" and r["area"] == "520122000000"


def test_grouped_death_rates_spread_abridged_rates_over_single_ages():
    deaths = np.zeros(101)
    exposures = np.full(101, 10.0)
    deaths[0], deaths[3], deaths[90] = 1, 2, 5  # 0: 1/10; 1–4: 2/40; 85+: 5/160
    m = grouped_death_rates(deaths, exposures)
    assert m[0] == 0.1 and (m[1:5] == 0.05).all() and (m[5:85] == 0).all()
    np.testing.assert_allclose(m[85:], 5 / 160)
    deaths[90] = 0  # no death at 85+: the open group moves down until it holds one
    deaths[72] = 1
    m = grouped_death_rates(deaths, exposures)
    np.testing.assert_allclose(m[70:], 1 / 310)
    with pytest.raises(ValueError, match="pool years"):
        grouped_death_rates(np.zeros(101), exposures)


def test_fertility_from_register_is_births_over_woman_years_at_15_to_49():
    births = np.zeros((2, 101))
    births[0, 20], births[1, 20], births[0, 55] = 3, 1, 1  # the birth at 55 is outside 15–49
    women = np.full(101, 8.0)
    f = fertility_from_register(births, women)
    assert f[20] == 0.5 and f.sum() == 0.5
