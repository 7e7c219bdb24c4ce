"""The assessment API gives the same numbers as the pages and the command line."""

from __future__ import annotations

import pytest

from renkou.evaluation import services


@pytest.mark.django_db
def test_run_and_scorecard_through_the_api(client, evaluator, scored_run):
    run = services.publish_run(user=evaluator, run=scored_run)
    client.force_login(evaluator)
    body = client.get(f"/api/evaluation/runs/{run.pk}").json()
    assert body["hash_verified"] is True and body["content_hash"] == run.content_hash
    assert [u["rank"] for u in body["units"]][-3:] == [9, 10, 11]
    card = client.get(f"/api/evaluation/runs/{run.pk}/units/520122101").json()
    a2 = next(i for i in card["items"] if i["code"] == "A2")
    assert (a2["value"], a2["target"], a2["points"]) == (96.0, 100.0, 8.0)
    assert client.get(f"/api/evaluation/schemes/{run.scheme_id}/runs").json()[0]["status"] == "published"


@pytest.mark.django_db
def test_api_needs_aggregate_view(client, make_user, scored_run):
    client.force_login(make_user("peer", "machine_peer"))
    assert client.get(f"/api/evaluation/runs/{scored_run.pk}").status_code == 403
