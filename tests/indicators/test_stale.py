"""Values the register has moved past: marked on the pages until the changed cells are recomputed,
and recomputed by the loop that `renkou serve` runs beside the web server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from renkou.core.models import Area
from renkou.indicators import services
from renkou.indicators.models import DirtyCell, IndicatorValue

from .conftest import COUNTY, TOWNSHIP, VILLAGE_A, VILLAGE_C
from .test_pages import computed  # noqa: F401


@pytest.mark.django_db
def test_stale_since_is_the_earliest_change_under_the_area_within_the_period(seed_areas):
    services.mark_dirty([VILLAGE_A], [dt.date(2005, 3, 1)])
    services.mark_dirty([VILLAGE_C], [dt.date(2004, 7, 1)])
    county, township = Area.objects.get(code=COUNTY), Area.objects.get(code=TOWNSHIP)  # 永靖镇 holds village A only
    assert services.stale_since(county, "2005") == dt.date(2004, 7, 1)
    assert services.stale_since(county, "2004") == dt.date(2004, 7, 1)
    assert services.stale_since(county, "2003") is None  # ended before either change
    assert services.stale_since(township, "2005") == dt.date(2005, 3, 1)
    assert services.stale_since(township, "2004") is None
    assert services.stale_since(township, "200502") is None and services.stale_since(township, "200503")
    assert services.stale_since(county, "junk") is None


def test_the_value_and_its_table_say_they_are_stale_until_the_loop_recomputes(client, computed, world):  # noqa: F811
    cbr = IndicatorValue.objects.get(indicator__code="cbr", area_id=COUNTY, period="2005")
    assert not DirtyCell.objects.exists()
    client.force_login(computed["county"])
    assert 'id="stale"' not in client.get(f"/indicators/value/{cbr.pk}/").content.decode()
    # a woman registered in village C, born 1984 (the register's signals mark the cell from her birth on),
    # and her child born in 2005
    mother = world.person(sex=2, born="1984-01-01", marital="21", area=VILLAGE_C)
    world.birth(mother, "2005-06-01", sex=1)
    assert DirtyCell.objects.get().since == dt.date(1984, 1, 1)
    notice = '<p class="stale" id="stale">登记库自 1984-01-01 起有变动，本值尚未计入；有变动的地区每隔几分钟自动重算。</p>'
    assert notice in client.get(f"/indicators/value/{cbr.pk}/").content.decode()
    table = client.get("/indicators/?area=520122&period=2005&group=vital").content.decode()
    assert '<p class="stale" id="stale">登记库自 1984-01-01 起有变动，下表数值尚未计入' in table
    # one round of the loop `renkou serve` runs: the changed cell recomputed, the notice gone
    said = []
    assert services.recompute_dirty_every(300, rounds=1, log=said.append) > 0
    assert said and "values recomputed from the changed cells" in said[0]
    cbr.refresh_from_db()
    # mean population (6 + 9) / 2 = 7.5 with the mother at both ends and her child at the end, 3 births → 400.0‰
    assert cbr.value == Decimal("400.0")
    assert 'id="stale"' not in client.get(f"/indicators/value/{cbr.pk}/").content.decode()
    assert 'id="stale"' not in client.get("/indicators/?area=520122&period=2005&group=vital").content.decode()


@pytest.mark.django_db
def test_the_loop_outlives_a_failed_round_and_sleeps_between_rounds(monkeypatch):
    calls, slept, said = [], [], []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return 7

    monkeypatch.setattr(services, "recompute_dirty", flaky)
    total = services.recompute_dirty_every(60, rounds=3, sleep=slept.append, log=said.append)
    assert total == 14 and len(calls) == 3 and slept == [60, 60]
    assert said[0] == "indicators: recompute of the changed cells failed, retried in 60 s: database is locked"
    assert said[1:] == ["indicators: 7 values recomputed from the changed cells"] * 2
    alive = iter([True, False])
    assert services.recompute_dirty_every(1, alive=lambda: next(alive), sleep=slept.append, log=said.append) == 7


@pytest.mark.django_db
def test_the_command_runs_the_given_rounds_and_refuses_a_bad_interval(capsys):
    from django.core.management import CommandError

    call_command("indicators", "recompute-dirty", "--every", "0.01", "--rounds", "2")
    assert capsys.readouterr().out.strip().endswith('{"values": 0}')
    with pytest.raises(CommandError, match="--every must be a positive"):
        call_command("indicators", "recompute-dirty", "--every", "0")
