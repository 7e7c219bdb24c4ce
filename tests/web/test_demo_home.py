"""`renkou demo` on one seed county end to end: the handbook's total appears on the home page,
traceable to the register; accounts of every role are created."""

from __future__ import annotations

import re

import pytest


@pytest.mark.slow
@pytest.mark.django_db
def test_demo_of_gaize_shows_the_handbook_total_on_the_home_page(client, monkeypatch):
    from renkou import demo
    from renkou.core.models import User

    monkeypatch.setattr(demo, "COUNTIES", [("gaize", "542526", True)])
    import renkou.indicators.demo as indicators_demo

    monkeypatch.setattr(indicators_demo, "DEMO_PERIODS", {"542526": ("2005",)})
    ctx = demo.build(small=True, seed=2005, progress=lambda label: (lambda done, total: None))
    accounts = {user: (role, areas) for user, _p, role, areas in ctx.credentials}
    # the last step recomputes what the later steps changed: no stored value is older than the register
    from renkou.indicators.models import DirtyCell

    assert ctx.timings[-1][0] == "indicators-refresh" and not DirtyCell.objects.exists()
    assert any(n.startswith("indicators brought up to date") for n in ctx.notes)
    # Every role has an account, in the county that was built (the home county falls back to Gaize).
    assert {role for role, _a in accounts.values()} == {
        "county_officer", "township_officer", "village_officer", "evaluator", "auditor", "machine_peer",
        "superuser"}
    assert accounts["village"][1].startswith("542526") and len(accounts["village"][1]) == 12
    assert "loans" not in accounts and "renqiu" not in accounts  # their counties were not built

    client.force_login(User.objects.get(username="gaize"))
    page = client.get("/").content.decode()
    row = re.search(r'<a href="/areas/542526000000/">改则县</a>.*?</tr>', page, re.S).group(0)
    assert "18,689" in row  # the handbook's figure …
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    assert cells[0] == "18,689"
    assert re.search(r'href="/indicators/value/\d+/">18,689</a>', cells[1])  # … and the register's, linked

    # The logic checks ran over the first township; the check report counts what they found.
    from renkou.registry.models import Finding

    note = next(n for n in ctx.notes if n.startswith("logic checks of"))
    errors, warnings = (int(x) for x in re.search(r"(\d+) errors, (\d+) warnings", note).groups())
    town = re.search(r"area=(\d+)", note).group(1)
    found = Finding.objects.filter(status="open", area__pk__startswith=town[:9])
    assert errors + warnings > 0
    assert found.filter(severity="error").count() == errors and found.filter(severity="warning").count() == warnings
    page = client.get(f"/registry/checks/?area={town}").content.decode()
    assert f"{errors + warnings}" in page
