"""Identity numbers (GB 11643-1999): the standard's annex examples, legacy numbers, wrong check digits."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renkou.core import idnumber
from renkou.core.idnumber import IdState


def test_annex_example_female_born_1949_in_beijing_chaoyang():
    info = idnumber.inspect("11010519491231002X")
    assert info.state is IdState.VALID
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == 2
    assert info.birthplace_code == "110105"
    assert info.birthplace_name == "北京市朝阳区"
    assert info.expected_check == "X"


def test_annex_example_male_born_1880_in_guangdong():
    info = idnumber.inspect("440524188001010014")
    assert info.state is IdState.VALID
    assert info.birth_date == dt.date(1880, 1, 1)
    assert info.sex == 1
    assert info.birthplace_name.startswith("广东省")


def test_lowercase_x_and_spaces_are_normalised():
    assert idnumber.inspect(" 110105 19491231 002x ").number == "11010519491231002X"


def test_wrong_check_digit_is_flagged_with_the_expected_character():
    info = idnumber.inspect("110105194912310021")
    assert info.state is IdState.CHECK_DIGIT_MISMATCH
    assert info.needs_confirmation and info.usable
    assert info.expected_check == "X"
    assert "校验码应为 X" in info.explain("zh")
    assert "should be X" in info.explain("en")
    with pytest.raises(idnumber.IdNumberError):
        idnumber.validate("110105194912310021")


def test_fifteen_digit_legacy_number_converts_to_eighteen():
    assert idnumber.convert_15_to_18("110105491231002") == "11010519491231002X"
    info = idnumber.inspect("110105491231002")
    assert info.state is IdState.CONVERTED
    assert info.number == "11010519491231002X"
    assert info.sex == 2


@pytest.mark.parametrize("raw, code", [
    ("1101051949123100", "bad_format"),
    ("11010519491331002X", "bad_date"),  # month 13
    ("11010519490230002X", "bad_date"),  # 30 February
    ("99010519491231002X", "bad_region"),
    ("ABCDEFGHIJKLMNOPQR", "bad_format"),
    ("", "bad_format"),
])
def test_invalid_numbers_name_their_problem(raw, code):
    info = idnumber.inspect(raw)
    assert info.state is IdState.INVALID
    assert not info.usable
    assert info.problems[0].code == code


def test_code_assigned_after_the_birth_year_still_names_the_county():
    # 息烽县 has held 520122 since 1995 in the table; people born earlier carry the code too.
    info = idnumber.inspect("520122198001010016")
    assert info.birthplace_name == "贵州省息烽县"


def test_mask_keeps_region_and_last_four():
    assert idnumber.mask("11010519491231002X") == "110105********002X"
    assert idnumber.mask("") == ""
    assert idnumber.mask("12345") == "*****"


def test_agreement_with_recorded_birth_date_and_sex():
    info = idnumber.inspect("11010519491231002X")
    assert idnumber.agrees_with(info, dt.date(1949, 12, 31), 2) == []
    problems = idnumber.agrees_with(info, dt.date(1950, 1, 1), 1)
    assert [p.code for p in problems] == ["birth_date_mismatch", "sex_mismatch"]


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999))
def test_every_number_built_with_the_check_character_is_valid(born, seq):
    body = f"520122{born:%Y%m%d}{seq:03d}"
    number = body + idnumber.check_character(body)
    info = idnumber.inspect(number)
    assert info.state is IdState.VALID
    assert info.birth_date == born
    assert info.sex == (1 if seq % 2 else 2)
    # Changing the check character always breaks it: MOD 11-2 detects every single substitution.
    other = "0" if number[-1] != "0" else "1"
    assert idnumber.inspect(number[:-1] + other).state is IdState.CHECK_DIGIT_MISMATCH
