"""`renkou demo` on one seed county end to end: the handbook's total appears on the home page,
traceable to the register; accounts of every role are created."""

from __future__ import annotations

import re

import pytest


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_demo_of_gaize_shows_the_handbook_total_on_the_home_page(client, monkeypatch):
    from renkou import demo
    from renkou.core.models import User

    monkeypatch.setattr(demo, "COUNTIES", [("gaize", "542526", True)])
    import renkou.indicators.demo as indicators_demo

    monkeypatch.setattr(indicators_demo, "DEMO_PERIODS", {"542526": ("2005",)})
    ctx = demo.build(small=True, seed=2005, progress=lambda label: (lambda done, total: None))
    roles = {role for _u, _p, role, _a in ctx.credentials}
    assert {"county_officer", "loan_officer", "superuser"} <= roles

    client.force_login(User.objects.get(username="gaize"))
    page = client.get("/").content.decode()
    row = re.search(r"改则县.*?</tr>", page, re.S).group(0)
    assert "18,689" in row  # the handbook's figure …
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    assert cells[0] == "18,689"
    assert re.search(r'href="/indicators/value/\d+/">18,689</a>', cells[1])  # … and the register's, linked
