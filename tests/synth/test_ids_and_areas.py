"""ID numbers (GB 11643) and generated area codes."""

from __future__ import annotations

import numpy as np
from stdnum.cn import ric

from renkou.core.divisions import shipped_divisions
from renkou.synth.areas import (
    LEVEL_GROUP,
    LEVEL_TOWNSHIP,
    LEVEL_VILLAGE,
    address_code_valid_in,
    county_name,
    generate_area_tree,
    read_township_list,
)
from renkou.synth.ids import assign_id_numbers, year_start_days_for_test
from renkou.synth.params import preset

STREETS = shipped_divisions(2023) / "streets.csv"


def test_county_names_come_from_stdnum_table():
    assert county_name("542526") == "改则县"
    assert county_name("520122") == "息烽县"
    assert county_name("130982") == "任丘市"


def test_birth_before_code_change_uses_the_code_valid_then():
    assert address_code_valid_in("520122", 2000) == "520122"
    assert address_code_valid_in("520122", 1990) == "522523"  # 息烽县 before 1995
    assert address_code_valid_in("130982", 1980) == "132933"  # 任丘县 before 1986
    assert address_code_valid_in("540102", 1970) in ("540100", "540120")


def test_ids_are_valid_unique_and_carry_sex_parity():
    rng = np.random.default_rng(0)
    n = 5000
    birth = year_start_days_for_test(1960) + rng.integers(0, 40 * 365, n)
    birth[:300] = birth[0]  # many people born the same day in the same county
    sex = rng.integers(1, 3, n).astype(np.int8)
    county = np.where(rng.random(n) < 0.8, 520122, 130982)
    ids = assign_id_numbers(county, birth, sex, rng)
    assert len(set(ids)) == n
    for number, s in zip(ids, sex, strict=True):
        assert ric.validate(number) == number
        assert int(number[16]) % 2 == (1 if s == 1 else 0)


def test_xifeng_structure_has_the_seed_counts_and_valid_ranges():
    p = preset("xifeng")
    nodes = generate_area_tree(p.county_code, p.structure, np.random.default_rng(1))
    towns = [n for n in nodes if n.level == LEVEL_TOWNSHIP]
    villages = [n for n in nodes if n.level == LEVEL_VILLAGE]
    assert sum(100 <= int(t.code[6:9]) < 200 for t in towns) == 4
    assert sum(200 <= int(t.code[6:9]) < 400 for t in towns) == 6
    assert sum(int(v.code[9:12]) >= 200 for v in villages) == 161
    assert sum(1 <= int(v.code[9:12]) < 200 for v in villages) == 8
    assert sum(n.level == LEVEL_GROUP for n in nodes) == 1575
    assert all(len(v.code) == 12 and v.code.startswith(v.parent_code[:9]) for v in villages)
    assert {v.urban_rural for v in villages} <= {"111", "112", "121", "122", "123", "210", "220"}
    assert len({n.code for n in nodes}) == len(nodes)


def test_real_township_list_is_used():
    towns = read_township_list(STREETS, "542526")
    assert towns[0] == ("542526100", "改则镇") and len(towns) == 7
    p = preset("gaize")
    nodes = generate_area_tree(p.county_code, p.structure, np.random.default_rng(1), towns)
    assert [n.name for n in nodes if n.level == LEVEL_TOWNSHIP] == [t[1] for t in towns]
