"""The summary page, the events list, the XLSX export and the API, by area."""

from __future__ import annotations

import io

import pytest

from renkou.bureau import demo


@pytest.mark.django_db
def test_pages_show_the_figures_of_the_readers_area_only(seed_areas, make_user, client):
    from openpyxl import load_workbook

    demo.run_gaize(7)
    county = make_user("gaize", "county_officer", capture=[seed_areas["542526000000"]],
                       view=[seed_areas["542526000000"]])
    other = make_user("xifeng", "county_officer", capture=[seed_areas["520122000000"]],
                      view=[seed_areas["520122000000"]])
    client.force_login(county)
    page = client.get("/bureau/?area=542526000000&year=2005").content.decode()
    assert 'data-figure="members">79<' in page and "¥50,000.00" in page
    events = client.get("/bureau/events/?area=542526000000&year=2005").content.decode()
    assert "改则县城广场" in events
    wb = load_workbook(io.BytesIO(client.get("/bureau/export.xlsx?area=542526000000&year=2005").content))
    figures = {r[0].value: r[1].value for r in wb.worksheets[1].iter_rows()}
    assert 79 in figures.values() and 4_320 in figures.values()
    api = client.get("/api/bureau/summary?area=542526000000&year=2005").json()
    assert (api["vehicle_trips"], api["vehicle_km"], api["association_members"]) == (6, 4_320, 79)
    client.force_login(other)
    assert client.get("/bureau/?area=542526000000&year=2005").status_code == 403
    assert client.get("/api/bureau/summary?area=542526000000&year=2005").status_code == 403
