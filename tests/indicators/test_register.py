"""Register-derived values on a hand-built register: populations at dates, births, deaths, late reports."""

from __future__ import annotations

import numpy as np

from renkou.indicators import register as reg

from .conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_B, VILLAGE_C, D


def test_population_by_age_sex_counts_age_in_completed_years(world):
    world.person(sex=1, born="2000-06-15")
    world.person(sex=2, born="2000-06-16")
    world.person(sex=2, born="1890-01-01")  # 100+
    pop = reg.population_by_age_sex("520122", D("2005-06-15"), "registered")
    assert pop.shape == (2, 101)
    assert pop[0, 5] == 1 and pop[1, 4] == 1 and pop[1, 100] == 1
    assert pop.sum() == 3


def test_population_excludes_the_unborn_dead_merged_and_not_yet_arrived(world):
    world.person(born="2005-07-01")  # born after the date
    world.person(died="2005-03-01")  # dead before
    world.person(died="2005-09-01")  # dead after: counts
    world.person(record="merged")
    newcomer = world.person()
    world.event("move_in", newcomer, "2005-08-01")
    leaver = world.person(status="moved_out")
    world.event("move_out", leaver, "2005-05-01")
    stayer_until_later = world.person(status="moved_out")
    world.event("move_out", stayer_until_later, "2005-12-01")
    assert reg.population_by_age_sex("520122", D("2005-06-30"), "registered").sum() == 2
    assert reg.population_by_age_sex("520122", D("2005-12-31"), "registered").sum() == 2  # newborn, newcomer


def test_bases_registered_resident_inflow_outflow(world):
    world.person(area=VILLAGE_A)                                     # registered and resident in A
    world.person(area=VILLAGE_A, registered=False, migrant="inflow")  # migrant living in A
    world.person(area=VILLAGE_A, migrant="outflow")                  # registered in A, living elsewhere
    world.person(area=VILLAGE_A, resident=VILLAGE_C)                 # registered in A, lives in C
    on = D("2005-12-31")
    total = {b: int(reg.population_by_age_sex(VILLAGE_A, on, b).sum()) for b in reg.BASES}
    assert total == {"registered": 3, "resident": 2, "inflow": 1, "outflow": 1}
    assert reg.population_by_age_sex("520122101", on, "resident").sum() == 1


def test_births_late_report_counts_in_the_period_found(world):
    mother = world.person(sex=2, born="1980-05-01", marital="21")
    world.birth(mother, "2004-03-01", registered="2004-03-20")            # 2004
    world.birth(mother, "2004-06-01", registered="2005-08-01", order=2)   # 426 days later: found in 2005
    world.birth(mother, "2004-12-20", registered="2005-01-10", order=3)   # timely enough: 2004
    world.birth(mother, "2005-12-30", state="declared", registered="2025-01-01")  # not yet registered: 2005
    assert reg.births("520122", D("2004-01-01"), D("2004-12-31")) == 2
    assert reg.births("520122", D("2005-01-01"), D("2005-12-31")) == 1  # the declared one is provisional
    assert reg.births("520122", D("2005-01-01"), D("2005-12-31"), status="provisional") == 1
    rows = reg.birth_rows("520122", D("2005-01-01"), D("2005-12-31"), status="all")
    assert sorted(rows["late"].tolist()) == [False, True]


def test_two_registered_births_and_one_declared_give_official_2_and_provisional_1(world):
    from renkou.indicators import cube as cb
    from renkou.indicators import services

    mother = world.person(sex=2, born="1980-05-01", marital="21")
    other = world.person(sex=2, born="1982-05-01", marital="21", area=VILLAGE_B)
    world.birth(mother, "2005-03-01", registered="2005-03-10")
    world.birth(other, "2005-06-01", sex=2, registered="2005-06-05")
    world.birth(other, "2005-11-20", state="declared")  # declared by the village, not yet registered
    start, end = D("2005-01-01"), D("2005-12-31")
    assert reg.births("520122", start, end, "registered") == 2
    assert reg.births("520122", start, end, "registered", status="provisional") == 1
    assert reg.births("520122", start, end, "registered", status="all") == 3
    services.load_catalog()
    services.compute("520122", "2005", level=4)
    cube = services.cube_of("520122", "2005")
    assert cube["births.registered"].sum() == 2 and cube["births_provisional.registered"].sum() == 1
    assert cube["births_timely.registered"].sum() == 2  # a declared birth is not "registered in time"
    from renkou.indicators.models import IndicatorValue

    got = {v.indicator.code: v.value for v in IndicatorValue.objects.filter(area_id=COUNTY, period="2005")
           .select_related("indicator")}
    assert got["births_count"] == 2 and got["births_provisional_count"] == 1
    assert services.provisional_beside("520122", "2005", "R{births}") == 1
    assert cb.PROVISIONAL["births"] == "births_provisional"


def test_verified_events_count_as_official_only_where_the_catalog_says_so(world):
    from renkou.indicators.models import Constant

    mother = world.person(sex=2, born="1980-05-01", marital="21")
    world.birth(mother, "2005-03-01", registered="2005-03-10")
    world.birth(mother, "2005-11-20", state="verified")
    death_of = world.person(born="1930-01-01")
    world.event("death", death_of, "2005-08-01", state="declared")
    start, end = D("2005-01-01"), D("2005-12-31")
    assert reg.official_states() == ("registered",)
    assert (reg.births("520122", start, end), reg.births("520122", start, end, status="provisional")) == (1, 1)
    assert (reg.deaths("520122", start, end), len(reg.death_rows("520122", start, end, status="provisional")["id"])) \
        == (0, 1)
    Constant.objects.create(code="verified_events_official", name_zh="已核实事件计入正式数", name_en="verified official",
                            value=1)
    assert reg.official_states() == ("verified", "registered")
    assert (reg.births("520122", start, end), reg.births("520122", start, end, status="provisional")) == (2, 0)
    assert reg.deaths("520122", start, end) == 0  # declared stays provisional


def test_births_by_mother_age_and_deaths_by_age(world):
    mother = world.person(sex=2, born="1980-05-01", area=VILLAGE_B)
    child, _ = world.birth(mother, "2005-05-01", sex=2)   # mother exactly 25
    world.birth(mother, "2005-04-30", sex=1, area=VILLAGE_B)  # twin-like record a day before: 24
    world.death(child, "2005-05-03")                       # newborn death: age 0
    b = reg.births_by_mother_age(TOWNSHIP[:9], D("2005-01-01"), D("2005-12-31"))
    assert b[1, 25] == 1 and b[0, 24] == 1 and b.sum() == 2
    d = reg.deaths_by_age_sex(COUNTY[:6], D("2005-01-01"), D("2005-12-31"))
    assert d[1, 0] == 1 and d.sum() == 1


def test_rejected_and_superseded_events_do_not_count(world):
    mother = world.person(sex=2, born="1980-05-01")
    child = world.person(born="2005-02-02", mother=mother)
    world.event("birth", child, "2005-02-02", rejected=True)
    world.event("birth", child, "2005-02-02", current=False)
    assert reg.births("520122", D("2005-01-01"), D("2005-12-31")) == 0


def test_ages_at_handles_birthdays():
    born = np.array(["2000-02-29", "2000-03-01"], dtype="datetime64[D]")
    assert reg.ages_at(born, D("2001-02-28")).tolist() == [0, 0]
    assert reg.ages_at(born, D("2001-03-01")).tolist() == [1, 1]


def test_cubes_of_an_older_layout_are_rebuilt_when_read(world):
    from renkou.indicators import services
    from renkou.indicators.models import RegisterCube

    mother = world.person(sex=2, born="1980-05-01", marital="21")
    world.birth(mother, "2005-03-01", registered="2005-03-10")
    services.load_catalog()
    services.compute("520122", "2005", level=4)
    RegisterCube.objects.update(data=b"\x01" + bytes(RegisterCube.objects.first().data)[1:])  # layout 1
    assert services.cube_of("520122", "2005")["births.registered"].sum() == 1
    assert {bytes(d)[0] for d in RegisterCube.objects.values_list("data", flat=True)} == {2}
