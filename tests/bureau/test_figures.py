"""The handbook's figures of the bureaus' own work, counted from the micro-records the demo builds."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from renkou.bureau import demo


def _persons(prefix_area: str, n: int):
    from renkou.registry.models import Person

    for k in range(n):
        Person.objects.create(name=f"居民{k}", sex=1 + k % 2, birth_date=dt.date(1970, 1, 1),
                              registered_area_id=prefix_area, resident_area_id=prefix_area, status="living",
                              source_key=f"xf{k}")


@pytest.mark.django_db
def test_gaize_association_sessions_trips_and_free_services(seed_areas):
    from renkou.bureau.models import AssociationMember, Event, VehicleTrip

    s = demo.run_gaize(7)
    assert s["association_members"] == 79 == AssociationMember.objects.filter(area__pk__startswith="542526").count()
    towns = s["townships"]
    assert towns and all(t["sessions"] >= 3 and t["reached"] >= 900 for t in towns.values())
    assert s["association_reached"] >= 5_300
    assert s["association_reached"] == sum(Event.objects.filter(organiser="association").values_list("reached", flat=True))
    assert (s["vehicle_trips"], s["vehicle_km"]) == (6, 4_320)
    assert sum(VehicleTrip.objects.values_list("km", flat=True)) == 4_320
    assert s["free_service_fen"] == 50_000_00
    assert s["allocated_fen"] == 60_000_00 and s["spent_share"] == pytest.approx(50_000 / 60_000)
    assert s["staff_qualified"] == s["staff"] == len(towns)


@pytest.mark.django_db
def test_free_services_are_ledger_postings_that_balance(seed_areas):
    from renkou.ledger import services as ledger
    from renkou.ledger.models import Transaction

    demo.run_gaize(7)
    assert Transaction.objects.filter(kind="bureau-spend").count() == 20
    assert ledger.trial_balance() == 0


@pytest.mark.django_db
def test_spending_beyond_the_budget_is_refused(seed_areas):
    from renkou.bureau import services
    from renkou.ledger.services import LedgerError

    line = services.fund_line("542526000000", 2005, "free_service", "test")
    services.allocate(line, 100_00, on=dt.date(2005, 1, 1))
    with pytest.raises(LedgerError):
        services.spend(line, 100_01, on=dt.date(2005, 2, 1), payee="x")
    assert services.line_figures(line) == {"allocated_fen": 100_00, "spent_fen": 0}


@pytest.mark.django_db
def test_chengguan_screening_774_329_280(seed_areas):
    from renkou.bureau.models import ScreeningRecord

    s = demo.run_chengguan(7)
    assert (s["screened"], s["found"], s["cured"]) == (774, 329, 280)
    assert ScreeningRecord.objects.filter(consent=False).count() == 0


@pytest.mark.django_db
def test_xifeng_five_yuan_per_head_ten_percent_down_and_self_governance(seed_areas):
    from renkou.core.models import Area

    township = seed_areas["520122100000"]
    for k in range(136):  # the seed's 3 villages and 136 more: 139 villages, 88 of them self-governing
        Area.objects.create(code=f"520122100{300 + k:03d}", name=f"村{k}", level=Area.Level.VILLAGE, parent=township,
                            urban_rural="220")
    _persons("520122100201", 45)
    s = demo.run_xifeng(7)
    assert s["population"] == 45
    assert s["per_head_budget"] == 5.0
    assert s["share_passed_down"] == pytest.approx(0.10, abs=0.001)
    assert (s["self_governing_villages"], s["villages"]) == (88, 139)
    assert round(s["self_governance_coverage"] * 100, 2) == 63.31


@pytest.mark.django_db
def test_renqiu_31_migrant_service_staff_two_or_three_a_township(seed_areas):
    from collections import Counter

    from renkou.bureau.models import StaffPost

    s = demo.run_renqiu(7)
    assert s["staff_migrant_service"] == 31
    per_town = Counter(StaffPost.objects.values_list("area_id", flat=True))
    assert set(per_town.values()) <= {2, 3}


@pytest.mark.django_db
def test_summary_command_prints_the_figures_as_json(seed_areas, capsys):
    from django.core.management import call_command

    demo.run_chengguan(7)
    call_command("bureau", "summary", "--area", "540102", "--year", "2005", "--format", "json")
    out = json.loads(capsys.readouterr().out)
    assert (out["screened"], out["found"], out["cured"]) == (774, 329, 280)


@pytest.mark.django_db
def test_figures_are_catalog_indicators_an_assessment_can_score(seed_areas):
    from decimal import Decimal

    from renkou.evaluation.sources import indicator_value
    from renkou.indicators import services as indicators

    demo.run_chengguan(7)
    demo.run_gaize(7)
    indicators.load_catalog()
    value, how = indicator_value("bureau_cure_rate", "540102", "2005")
    assert value == Decimal("85.1") and how["inputs"] == {"M{bureau.cured}": 280, "M{bureau.found}": 329}
    assert indicator_value("bureau_spent_share", "542526", "2005")[0] == Decimal("83.3")  # 50,000 ÷ 60,000
    assert indicator_value("bureau_staff_qualified", "542526", "2005")[0] == Decimal("100.0")


@pytest.mark.django_db
def test_an_area_without_records_gets_no_value_not_zero(seed_areas):
    from renkou.bureau import indicators as ops

    demo.run_chengguan(7)
    got = ops.operand_values("cured", ["540102", "542526"], dt.date(2005, 1, 1), dt.date(2005, 12, 31))
    assert got == [280, None]
    assert ops.operand_values("staff", ["540102"], dt.date(2005, 1, 1), dt.date(2005, 12, 31)) == [None]


@pytest.mark.django_db
def test_population_operand_counts_every_area_in_one_statement(seed_areas, django_assert_max_num_queries):
    """The engine's ``population`` operand equals :func:`services.population` area by area (the dead,
    the exited and those not yet entered left out), for every area with fund lines, from one grouped
    statement; an area without fund lines gets no value."""
    from renkou.bureau import indicators as ops
    from renkou.bureau import services
    from renkou.registry.models import Person

    demo.run_xifeng(7)
    for k, village in enumerate(["520122100201"] * 7 + ["520122101201"] * 5):  # 永靖镇 红岩村, 温泉镇 温泉村
        Person.objects.create(name=f"居民{k}", sex=1 + k % 2, birth_date=dt.date(1970, 1, 1), status="living",
                              registered_area_id=village, resident_area_id=village, source_key=f"pop{k}")
    end = dt.date(2005, 12, 31)
    gone = list(Person.objects.filter(registered_area_id="520122101201").order_by("pk")[:3])
    Person.objects.filter(pk=gone[0].pk).update(death_date=dt.date(2005, 6, 1), status="dead")
    Person.objects.filter(pk=gone[1].pk).update(exit_date=dt.date(2005, 3, 1))
    Person.objects.filter(pk=gone[2].pk).update(entry_date=dt.date(2006, 2, 1))  # arrives after the year
    prefixes = ["520122", "520122100", "520122101", "520122100201", "542526"]
    with django_assert_max_num_queries(2):  # the areas with fund lines, then the grouped count
        got = ops.operand_values("population", prefixes, dt.date(2005, 1, 1), end)
    assert got[0] == services.population("520122", end) == 7 + 2
    assert got[4] is None
    has_lines = [services.summary(p, 2005)["allocated_fen"] > 0 for p in prefixes[1:4]]
    assert got[1:4] == [services.population(p, end) if h else None for p, h in zip(prefixes[1:4], has_lines, strict=True)]
    assert services.populations(prefixes, end) == [9, 7, 2, 7, 0]
    # the summary the pages show still counts the population and its per-head figures
    assert services.summary("520122", 2005)["population"] == 9


@pytest.mark.django_db
def test_figures_of_many_areas_at_once_equal_each_area_counted_alone(seed_areas):
    """``figures`` (one grouped statement per kind of record, rolled up to every area: what the
    indicator engine asks for) equals the records counted area by area with plain filters."""
    from django.db.models import Sum

    from renkou.bureau import indicators as ops
    from renkou.bureau import services
    from renkou.bureau.models import Event, ScreeningRecord, StaffPost, VehicleTrip
    from renkou.core.models import Area

    demo.run_gaize(7)
    demo.run_chengguan(7)
    demo.run_renqiu(7)
    start, end = dt.date(2005, 1, 1), dt.date(2005, 12, 31)
    prefixes = ["5", "54", "542526", "540102", "130982"] + sorted(
        {a.prefix for a in Area.objects.filter(level__in=[Area.Level.TOWNSHIP, Area.Level.VILLAGE],
                                               code__regex=r"^(542526|540102|130982)")})[:40]
    got = services.figures(prefixes, 2005)
    for prefix, row in zip(prefixes, got, strict=True):
        staff = StaffPost.objects.filter(area__pk__startswith=prefix, started_on__lte=end).exclude(ended_on__lt=start)
        events = Event.objects.filter(area__pk__startswith=prefix, held_on__range=(start, end))
        scr = ScreeningRecord.objects.filter(area__pk__startswith=prefix, examined_on__range=(start, end))
        trips = VehicleTrip.objects.filter(area__pk__startswith=prefix, on__range=(start, end))
        assert (row["staff"], row["staff_qualified"]) == (staff.count(), staff.filter(qualified=True).count()), prefix
        assert (row["sessions"], row["reached"]) == (events.filter(kind="publicity").count(),
                                                     events.aggregate(r=Sum("reached"))["r"] or 0), prefix
        assert (row["screened"], row["cured"]) == (scr.count(), scr.filter(outcome="cured").count()), prefix
        assert (row["vehicle_trips"], row["vehicle_km"]) == (trips.count(), trips.aggregate(k=Sum("km"))["k"] or 0)
        assert row == {k: services.summary(prefix, 2005)[k] for k in services.FIGURES}, prefix
    assert got[prefixes.index("540102")]["cured"] == 280 and got[prefixes.index("542526")]["sessions"] > 0
    assert got[0]["screened"] == 774  # the province prefix "5" holds Chengguan's 774
    # the engine's operands: the same figures, and no value where an area has no record of the kind
    staff = ops.operand_values("staff", prefixes, start, end)
    assert staff[prefixes.index("130982")] == got[prefixes.index("130982")]["staff"] >= 31
    assert staff[prefixes.index("540102")] is None
