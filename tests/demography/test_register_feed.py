"""Counting rules of the register layer, on a register small enough to count by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from renkou.core.periods import Period
from renkou.demography import register_feed as feed

from .conftest import VILLAGE_A

D = dt.date


def cells(array: np.ndarray) -> dict[tuple[int, int], float]:
    return {(int(s), int(a)): float(array[s, a]) for s, a in zip(*np.nonzero(array), strict=True)}


def test_population_on_a_day_counts_completed_years_and_presence(register):
    # 2004-12-31 in village A: mother 24, old man 72 (born 29 Feb 1932), mover 34; the merged record not
    assert cells(feed.population_by_age_sex(VILLAGE_A, D(2004, 12, 31))) == {(1, 24): 1, (0, 72): 1, (0, 34): 1}
    # the township holds villages A and B; B's woman turns 4 that very day
    assert cells(feed.population_by_age_sex("520122100", D(2004, 12, 31))) == {
        (1, 24): 1, (0, 72): 1, (0, 34): 1, (1, 4): 1}
    # 2005-12-31: the son is 0, the old man died, the mover left; C's man is 105: the 100+ cell
    assert cells(feed.population_by_age_sex("520122", D(2005, 12, 31))) == {
        (1, 25): 1, (0, 0): 1, (1, 5): 1, (0, 100): 1}


def test_birthday_on_29_february_is_reached_on_1_march_in_common_years(register):
    assert cells(feed.population_by_age_sex(VILLAGE_A, D(2005, 2, 28)))[(0, 72)] == 1
    assert cells(feed.population_by_age_sex(VILLAGE_A, D(2005, 3, 1))) == {(1, 24): 1, (0, 73): 1}  # mover left
    assert cells(feed.population_by_age_sex(VILLAGE_A, D(2004, 2, 29))) == {(1, 23): 1, (0, 72): 1, (0, 34): 1}


def test_registered_basis_places_persons_by_household_registration(register):
    assert cells(feed.population_by_age_sex("520122101", D(2005, 12, 31), basis="registered")) == {
        (1, 5): 1, (0, 100): 1}
    assert cells(feed.population_by_age_sex("520122101", D(2005, 12, 31), basis="resident")) == {(0, 100): 1}
    with pytest.raises(feed.FeedError, match="basis"):
        feed.population_by_age_sex("520122", D(2005, 1, 1), basis="hukou")


def test_events_count_current_unrejected_versions_by_age_at_the_event(register):
    assert cells(feed.births_by_mother_age("520122", D(2005, 1, 1), D(2005, 12, 31))) == {(0, 25): 1}
    assert cells(feed.deaths_by_age_sex("520122", D(2005, 1, 1), D(2005, 12, 31))) == {(0, 73): 1}
    assert feed.births_by_mother_age("520122101", D(2005, 1, 1), D(2005, 12, 31)).sum() == 0
    assert feed.deaths_by_age_sex("520122", D(2005, 9, 2), D(2005, 12, 31)).sum() == 0


def test_inputs_of_a_year_use_the_mean_population_as_exposure(register):
    inp = feed.inputs_for_area("520122100000", "2005")
    assert (inp.code, inp.prefix, inp.years, inp.births, inp.deaths) == ("520122100000", "520122100", 1.0, 1, 1)
    np.testing.assert_array_equal(inp.exposures, (inp.population_start + inp.population_end) / 2)
    assert inp.population_start.sum() == 4 and inp.population_end.sum() == 3
    assert cells(inp.exposures) == {(1, 24): 0.5, (1, 25): 0.5, (0, 72): 0.5, (0, 34): 0.5, (0, 0): 0.5,
                                    (1, 4): 0.5, (1, 5): 0.5}


def test_pooled_years_weigh_each_year_once(register):
    inp = feed.inputs_for_area("520122", "2004-2005")
    assert inp.years == 2.0 and inp.period == Period.range(D(2004, 1, 1), D(2005, 12, 31))
    days = [d for d, _ in feed.census_days(inp.period)]
    assert days == [D(2003, 12, 31), D(2004, 12, 31), D(2005, 12, 31)]
    quarter = feed.census_days(Period.parse("2005Q1"))
    assert quarter == [(D(2004, 12, 31), 0.0), (D(2005, 3, 31), pytest.approx(90 / 365.25))]


def test_unknown_area_or_period_is_a_clear_error(register):
    with pytest.raises(feed.FeedError, match="no area 999999"):
        feed.inputs_for_area("999999", "2005")
    with pytest.raises(feed.FeedError, match="period"):
        feed.inputs_for_area("520122", "2005X")
    with pytest.raises(feed.FeedError, match="ends before"):
        feed.parse_period("2005-2001")
