"""Periods: parsing, labels, navigation, nesting, the statistical year."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.core.periods import Period, iterate


@pytest.mark.parametrize(
    ("code", "kind", "start", "end"),
    [
        ("2005", "year", date(2005, 1, 1), date(2005, 12, 31)),
        ("2005S1", "half", date(2005, 1, 1), date(2005, 6, 30)),
        ("2005S2", "half", date(2005, 7, 1), date(2005, 12, 31)),
        ("2005Q3", "quarter", date(2005, 7, 1), date(2005, 9, 30)),
        ("2004Q1", "quarter", date(2004, 1, 1), date(2004, 3, 31)),
        ("200502", "month", date(2005, 2, 1), date(2005, 2, 28)),
        ("200402", "month", date(2004, 2, 1), date(2004, 2, 29)),
        ("2005SY", "stat_year", date(2004, 10, 1), date(2005, 9, 30)),
        ("20050715", "day", date(2005, 7, 15), date(2005, 7, 15)),
        ("20050101-20050315", "range", date(2005, 1, 1), date(2005, 3, 15)),
    ],
)
def test_parse_gives_kind_and_inclusive_bounds(code, kind, start, end):
    p = Period.parse(code)
    assert (p.kind, p.start, p.end, p.code) == (kind, start, end, code)


def test_parse_accepts_lower_case_and_spaces():
    assert Period.parse(" 2005q3 ") == Period.quarter(2005, 3)
    assert Period.parse("2005sy").code == "2005SY"


@pytest.mark.parametrize(
    "junk",
    ["xyz", "", "2005Q5", "2005Q0", "200513", "20050230", "2005S3", "05", "2005-07", "20050301-20050201"],
)
def test_junk_is_refused_with_a_bilingual_message(junk):
    with pytest.raises(ValueError) as err:
        Period.parse(junk)
    message = str(err.value)
    assert "无效的期间代码" in message and "invalid period code" in message


def test_non_string_is_refused():
    with pytest.raises(ValueError, match="invalid period code"):
        Period.parse(2005)  # type: ignore[arg-type]


def test_statistical_year_runs_october_to_september():
    sy = Period.parse("2005SY")
    assert sy.days == 365
    assert sy.contains(date(2004, 10, 1))
    assert sy.contains(date(2005, 9, 30))
    assert not sy.contains(date(2004, 9, 30))
    assert not sy.contains(date(2005, 10, 1))
    assert Period.containing("stat_year", date(2005, 10, 1)).code == "2006SY"
    assert Period.containing("stat_year", date(2005, 9, 30)).code == "2005SY"


def test_labels_in_both_languages():
    assert Period.parse("2005Q3").label("zh") == "2005年第3季度"
    assert Period.parse("2005Q3").label("en") == "2005 Q3"
    assert Period.parse("2005SY").label("zh") == "2005统计年度(2004-10-01至2005-09-30)"
    assert Period.parse("2005SY").label("en") == "statistical year 2005 (2004-10-01 to 2005-09-30)"
    assert Period.parse("2005").label() == "2005年"
    assert Period.parse("2005S2").label("zh") == "2005年下半年"
    assert Period.parse("2005S1").label("en") == "2005 H1"
    assert Period.parse("200507").label("zh") == "2005年7月"
    assert Period.parse("200507").label("en") == "Jul 2005"
    assert Period.parse("20050715").label("zh") == "2005年7月15日"
    assert Period.parse("20050101-20050315").label("en") == "2005-01-01 to 2005-03-15"


def test_previous_and_next_cross_year_boundaries():
    assert Period.parse("2005Q1").previous().code == "2004Q4"
    assert Period.parse("200512").next().code == "200601"
    assert Period.parse("2005SY").next().code == "2006SY"
    assert Period.parse("2005S1").previous().code == "2004S2"
    assert Period.parse("20050101").previous().code == "20041231"
    assert Period.parse("20050101-20050110").next().code == "20050111-20050120"
    assert Period.parse("20050111-20050120").previous().code == "20050101-20050110"


def test_parent_of_quarter_and_month():
    assert Period.parse("2005Q3").parent("year").code == "2005"
    assert Period.parse("2005Q3").parent("stat_year").code == "2005SY"
    assert Period.parse("2005Q4").parent("stat_year").code == "2006SY"
    assert Period.parse("200510").parent("stat_year").code == "2006SY"
    assert Period.parse("200507").parent("half").code == "2005S2"


def test_parent_that_straddles_is_refused():
    with pytest.raises(ValueError, match="straddles"):
        Period.parse("2005S2").parent("stat_year")
    with pytest.raises(ValueError, match="straddles"):
        Period.parse("2005SY").parent("year")


def test_children_tile_the_parent():
    quarters = Period.parse("2005SY").children("quarter")
    assert [q.code for q in quarters] == ["2004Q4", "2005Q1", "2005Q2", "2005Q3"]
    months = Period.parse("2005").children("month")
    assert len(months) == 12 and months[0].code == "200501" and months[-1].code == "200512"
    assert len(Period.parse("200402").children("day")) == 29


def test_children_that_do_not_tile_are_refused():
    with pytest.raises(ValueError, match="not an exact union"):
        Period.parse("2005").children("stat_year")
    with pytest.raises(ValueError, match="not an exact union"):
        Period.parse("2005SY").children("half")


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown or unusable period kind"):
        Period.parse("2005").children("week")


def test_periods_are_hashable_values_and_sort_by_start():
    assert {Period.parse("2005Q3"), Period.quarter(2005, 3)} == {Period.quarter(2005, 3)}
    codes = ["2005Q3", "2004", "200501", "2005SY"]
    assert [p.code for p in sorted(Period.parse(c) for c in codes)] == ["2004", "2005SY", "200501", "2005Q3"]


def test_iterate_months_of_a_range():
    codes = [p.code for p in iterate(date(2005, 11, 15), date(2006, 2, 1), "month")]
    assert codes == ["200511", "200512", "200601", "200602"]


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)),
       st.sampled_from(["day", "month", "quarter", "half", "stat_year", "year"]))
def test_containing_period_round_trips_and_neighbours_are_adjacent(d, kind):
    p = Period.containing(kind, d)
    assert p.contains(d)
    assert Period.parse(p.code) == p
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().end == p.start - timedelta(days=1)
    assert p.next().previous() == p


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2099, 12, 31)))
def test_every_day_is_in_exactly_one_statistical_year(d):
    sy = Period.containing("stat_year", d)
    assert sy.contains(d) and not sy.next().contains(d) and not sy.previous().contains(d)
    assert sy.days in (365, 366)
