"""The demo's second node: a Renqiu scaled down (4,000 registered persons, 1,200 migrants), its
migrant records, then the exchange's demo step — the registration county of most of those
migrants as a second real node (its own data directory, SQLite database and `renkou serve`), and
enquiries, replies, feedback and notifications over HTTP between the two: this database served by
the test's live server, the second node by its own process."""

from __future__ import annotations

import os
import time
import urllib.request

import pytest


@pytest.mark.slow
def test_the_demo_runs_a_second_node_and_the_messages_flow_both_ways(live_server, seed_areas, make_user,
                                                                      settings, tmp_path):
    from django.utils import timezone

    from renkou import demo
    from renkou.exchange import demo as exchange_demo
    from renkou.exchange import services
    from renkou.exchange.models import Enquiry, Message, Peer
    from renkou.migrants import demo as migrants_demo
    from renkou.migrants.models import MigrantRecord
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    settings.HOME = tmp_path
    params = preset("renqiu").with_changes(persons=4_000, migrants_target=1_200,
                                           township_names=demo._real_townships("130982"))
    result = generate(params, 2005)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    migrants_demo.run_county("130982", seed=7)
    make_user("renqiu", role="county_officer", capture=["130982000000"])
    # the county where most of the migrants are registered, counted by hand from the records
    by_county: dict[str, int] = {}
    for code in MigrantRecord.objects.filter(direction="inflow").values_list("registration_code", flat=True):
        if code and not code.startswith(("130982", "520122", "542526", "540102")):
            by_county[code[:6]] = by_county.get(code[:6], 0) + 1
    most = max(by_county.values())
    expected = min(c for c, n in by_county.items() if n == most and c in exchange_demo.shipped_counties())

    ctx = demo.DemoContext(small=True, seed=7, port=8000)
    ctx.results["130982"] = result
    try:
        out = exchange_demo.run(ctx, main_url=live_server.url, sizes=(3, 2))
        code = f"county-{expected}"
        assert out["node"] == code and out["migrants"] == most
        home = tmp_path / "nodes" / code
        assert (home / "renkou.sqlite3").exists() and (home / "demo-accounts.txt").exists()
        # this node: three enquiries answered by a check result and closed by its feedback, one overdue
        cases = Enquiry.objects.filter(role="enquiring", registration_node=code)
        assert cases.count() == 4
        assert sorted(cases.values_list("state", flat=True)) == ["closed", "closed", "closed", "matched"]
        late = cases.get(state="matched")
        assert late.answered_on is None and late.found is True
        assert (late.deadline - late.opened_on).days == 30 and late.overdue
        assert [c.uid for c in services.overdue("130982", timezone.localdate())] == [late.uid]
        assert (out["sent"], out["answered"], out["closed"], out["overdue"], out["notifications"]) == (4, 3, 3, 1, 2)
        # what came in here came over HTTP from the second node: 4 match results, 3 check results
        inbox = Message.objects.filter(direction="in", sender=code)
        assert sorted(inbox.values_list("kind", "state")) == [("check", "applied")] * 3 + [("match", "applied")] * 4
        assert not Message.objects.filter(direction="out", state="pending").exists()
        assert Peer.objects.get(code=code).url == out["url"]
        # the second node's database: the enquiries received, the feedback, the notifications applied
        there = exchange_demo.call(home, "status")
        assert there["node"] == code and there["persons"] == out["registered"] > 0
        assert there["inbox"] == {"enquiry": {"applied": 4}, "feedback": {"applied": 3},
                                  "notification": {"applied": 2}}
        assert there["outbox"] == {"match": {"delivered": 4}, "check": {"delivered": 3}}
        assert there["cases"] == {"closed": 3, "matched": 1} and there["overdue"] == 1
        assert there["outflow"] == 2
        # delivered again, the notifications are applied once
        Message.objects.filter(direction="out", kind="notification").update(state="pending", next_attempt_at=None)
        assert services.deliver() == {"delivered": 2, "failed": 0}
        again = exchange_demo.call(home, "status")
        assert again["inbox"]["notification"] == {"applied": 2} and again["outflow"] == 2
        # the summary line, and the second node still serving until the demo stops it
        assert any(n.startswith(f"exchange: second node {code}") and "4 enquiries sent, 3 answered, 1 overdue, "
                   "2 arrival notifications" in n for n in ctx.notes)
        assert [c.name for c in ctx.companions] == [code, f"{code}-worker"]
        # the second node's exchange worker runs beside its server (its pid file names a live process)
        pid_file = home / "exchange" / "worker.pid"
        deadline = time.monotonic() + 90
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(int(pid_file.read_text()), 0)
        with urllib.request.urlopen(f"{out['url']}/api/exchange/node", timeout=10) as resp:
            assert b'"county-' in resp.read()
    finally:
        demo.stop_companions(ctx)
    assert ctx.companions == []


def test_a_demo_without_migrants_starts_no_second_node(db, settings, tmp_path):
    from renkou import demo
    from renkou.exchange import demo as exchange_demo
    from renkou.exchange.models import Node

    settings.HOME = tmp_path
    ctx = demo.DemoContext(small=True, seed=1)
    ctx.results["542526"] = object()
    assert exchange_demo.run(ctx) is None
    assert ctx.companions == [] and not (tmp_path / "nodes").exists() and not Node.objects.exists()
    assert ctx.notes == ["exchange: no county built has migrants (--small builds none): the second node is not "
                         "started; the full demo shows the two nodes"]
