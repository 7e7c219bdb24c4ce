"""Pages write numbers the same way: counts with separators beside each other, rates with their decimals,
names rather than codes."""

from __future__ import annotations

from decimal import Decimal

import pytest


@pytest.mark.django_db
def test_home_page_figures_use_one_format_for_counts_and_rates(client, seed_areas, make_user):
    from renkou.indicators.models import Indicator, IndicatorValue

    def value(code, kind, decimals, v):
        ind = Indicator.objects.create(code=code, name_zh=code, name_en=code, numerator="R{births}",
                                       indicator_type=kind, decimals=decimals)
        return IndicatorValue.objects.create(indicator=ind, area_id="520122000000", period="2005", value=v,
                                             numerator=1, denominator=1, definition_version=1)

    value("population_end", "ratio", 0, Decimal("251900"))
    value("people_reached", "ratio", 0, Decimal("11576.000000"))
    value("cbr", "per_thousand", 2, Decimal("9.2"))
    client.force_login(make_user("xf", "county_officer", capture=[seed_areas["520122000000"]]))
    page = client.get("/").content.decode()
    assert '<div class="v">11,576</div>' in page  # the indicators panel: no "11576" …
    assert ">251,900</a>" in page  # … and the handbook panel's register figure likewise
    assert '<div class="v">9.20‰</div>' in page and '>9.20‰</a>' in page  # two decimals, as defined
    assert "11576" not in page


@pytest.mark.django_db
def test_scorecard_and_ranking_name_the_peer_group(client, scored_run, evaluator):
    client.force_login(evaluator)
    card = client.get(f"/evaluation/runs/{scored_run.pk}/units/520122100000/").content.decode()
    assert "组内排名 · 镇" in card and "towns" not in card
    ranking = client.get(f"/evaluation/runs/{scored_run.pk}/").content.decode()
    assert "<td>乡</td>" in ranking and "<td>townships</td>" not in ranking
