"""The demo's Renqiu: its 40,000+ migrants and 10,000+ married women 15–49 counted from the records.

The synthetic micro-records of the full preset hold the seed's figures; the migrants step is run on
a Renqiu scaled down (20,000 registered persons, 6,000 migrants) to keep the test short."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.mark.slow
@pytest.mark.django_db
def test_renqiu_figures_come_from_the_records(seed_areas):
    from renkou import demo
    from renkou.migrants import demo as migrants_demo
    from renkou.migrants import services
    from renkou.migrants.models import Agreement, MigrantRecord, Party
    from renkou.registry.loader import load_synthetic
    from renkou.registry.models import Person
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset("renqiu").with_changes(persons=20_000, migrants_target=6_000,
                                           township_names=demo._real_townships("130982"))
    result = generate(params, 2005)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    ref = dt.date(2005, 12, 31)
    out = migrants_demo.run_county("130982", seed=7)
    s = services.summary("130982", as_of=ref)
    living_migrants = Person.objects.filter(registered_area=None, resident_area__code__startswith="130982",
                                            status="living").count()
    assert s["inflow"] == living_migrants == 6_000
    assert s["married_women_15_49"] == Person.objects.filter(
        registered_area=None, resident_area__code__startswith="130982", status="living", sex=2,
        marital_status__in=["20", "21", "22", "23"], birth_date__gt=dt.date(1955, 12, 31),
        birth_date__lte=dt.date(1990, 12, 31)).count() > 0
    assert s["inflow"] + s["by_state"]["inflow"].get("left", 0) == out["inflow"] == MigrantRecord.objects.count()
    states = s["by_state"]["inflow"]
    assert states["inflow"] > states["reconfirm"] > 0 and states.get("unconfirmed", 0) > 0
    assert s["agreements"] == out["agreements"] == Agreement.objects.count() > 6_000
    assert s["agreements_in_force"] == Agreement.objects.filter(start__year=2005).count()
    assert Party.objects.count() == out["parties"]
    assert not MigrantRecord.objects.filter(direction="inflow", state__in=["inflow", "unconfirmed"],
                                            party=None).exists()
    # again: nothing new
    again = migrants_demo.run_county("130982", seed=7)
    assert again["inflow"] == 0 and Agreement.objects.count() == out["agreements"]


@pytest.mark.slow
def test_the_synthetic_renqiu_has_the_seeds_migrants():
    """Renqiu 2005 in the micro-records the demo loads: 40,000+ resident migrants, 10,000+ of them
    married women of childbearing age (15–49 at the end of the year)."""
    import numpy as np

    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    result = generate(preset("renqiu"), 2005)
    P = result.persons
    migrant = (P["registration"] == "migrant") & (P["status"] == "present")
    born = P["birth_date"].astype("datetime64[D]")
    women = migrant & (P["sex"].astype(str) == "2") & np.isin(P["marital_status"].astype(str), ["20", "21", "22", "23"]) \
        & (born > np.datetime64("1955-12-31")) & (born <= np.datetime64("1990-12-31"))
    assert int(migrant.sum()) >= 40_000
    assert int(women.sum()) >= 10_000
