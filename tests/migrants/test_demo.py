"""The demo's Renqiu: its 40,000+ migrants and 10,000+ married women 15–49 counted from the records.

The registered population is scaled down (120,000 instead of 778,400) to keep the test short; the
migrants are the preset's ``migrants_target`` as in the demo."""

from __future__ import annotations

import datetime as dt
import time

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

    params = preset("renqiu").with_changes(persons=120_000, township_names=demo._real_townships("130982"))
    t0 = time.monotonic()
    result = generate(params, 2005)
    print(f"generated {time.monotonic() - t0:.1f}s", flush=True)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    print(f"loaded {time.monotonic() - t0:.1f}s", flush=True)
    ref = dt.date(2005, 12, 31)
    started = time.monotonic()
    out = migrants_demo.run_county("130982", seed=7)
    seconds = time.monotonic() - started
    s = services.summary("130982", as_of=ref)
    living_migrants = Person.objects.filter(registered_area=None, resident_area__code__startswith="130982",
                                            status="living").count()
    assert s["inflow"] == living_migrants == 40_612 >= 40_000
    assert s["married_women_15_49"] >= 10_000
    assert s["inflow"] + s["by_state"]["inflow"].get("left", 0) == out["inflow"] == MigrantRecord.objects.count()
    states = s["by_state"]["inflow"]
    assert states["inflow"] > states["reconfirm"] > 0 and states.get("unconfirmed", 0) > 0
    assert s["agreements"] == out["agreements"] == Agreement.objects.count() >= 60_000
    assert s["agreements_in_force"] == Agreement.objects.filter(start__year=2005).count()
    assert Party.objects.count() == out["parties"]
    assert not MigrantRecord.objects.filter(direction="inflow", state__in=["inflow", "unconfirmed"],
                                            party=None).exists()
    print(f"build {seconds:.1f}s, {out}")
    assert seconds < 60
    # again: nothing new
    again = migrants_demo.run_county("130982", seed=7)
    assert again["inflow"] == 0 and Agreement.objects.count() == out["agreements"]
