"""The seed panel compares the handbook's figures with stored indicator values, within the user's scope."""

from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_panel_shows_handbook_and_register_figures_with_links(client, seed_areas, make_user):
    from renkou.indicators.models import Indicator, IndicatorValue

    cbr = Indicator.objects.create(code="cbr", name_zh="出生率", name_en="crude birth rate", numerator="R{births}",
                                   denominator="R{mean_population}", indicator_type="per_thousand", decimals=1)
    pop = Indicator.objects.create(code="population_end", name_zh="期末户籍人口", name_en="population",
                                   numerator="R{population}", indicator_type="ratio", decimals=0)
    v1 = IndicatorValue.objects.create(indicator=cbr, area_id="520122000000", period="2005", value=9.2,
                                       numerator=2329, denominator=252546, definition_version=1)
    IndicatorValue.objects.create(indicator=pop, area_id="520122000000", period="2005", value=251900,
                                  numerator=251900, denominator=1, definition_version=1)
    client.force_login(make_user("xf", "county_officer", capture=[seed_areas["520122000000"]]))
    page = client.get("/").content.decode()
    assert "息烽县" in page and "251,900" in page
    assert f'href="/indicators/value/{v1.pk}/">9.2‰</a>' in page
    assert "改则县" not in page  # another county, outside this officer's scope
