"""The feeds demo on the synthetic Gaize 2005: the department files linked, the missing births found."""

from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.django_db
def test_gaize_2005_feeds_are_linked_and_reveal_the_births_the_register_lacks(seed_areas):
    from renkou import demo
    from renkou.feeds import demo as feeds_demo
    from renkou.feeds.models import FeedRecord
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset("gaize").with_changes(township_names=demo._real_townships("542526"))
    result = generate(params, 2005)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    t = feeds_demo.run_county("542526", 2005)
    assert t["year"] == 2005 and t["records"] == FeedRecord.objects.count() > 50
    assert t["precision"] >= 0.98 and t["recall"] >= 0.95
    births = t["totals"]["weisheng-birth-notice"]
    unregistered = FeedRecord.objects.filter(source__code="weisheng-birth-notice", status="not_found").count()
    assert births["missing"] == unregistered >= 1
    assert births["confirmed_events"] >= 0.9 * births["register_events"]
    # run again: every file was received before, nothing changes
    again = feeds_demo.run_county("542526", 2005)
    assert FeedRecord.objects.count() == t["records"] and again["totals"] == t["totals"]


@pytest.mark.slow
@pytest.mark.django_db
def test_the_births_the_feeds_find_missing_agree_with_the_sampled_verification(seed_areas, client):
    """Gaize 2005: the hospitals' notices of births in no register are the births the synthetic
    register really left out, and their share of the period's births lies within the interval of the
    under-reporting rate that the assessment's door-to-door sample estimates."""
    import datetime as dt

    from renkou import demo
    from renkou.core.models import User
    from renkou.evaluation import demo as evaluation_demo
    from renkou.evaluation import services as evaluation
    from renkou.feeds import demo as feeds_demo
    from renkou.feeds import services
    from renkou.feeds.models import FeedRecord
    from renkou.feeds.synthetic import missing_births_of
    from renkou.registry.loader import load_synthetic
    from renkou.registry.models import Event
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset("gaize").with_changes(township_names=demo._real_townships("542526"))
    result = generate(params, 2005)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    truth = missing_births_of(result)
    assert len(truth) == 3 and all(t["mother_id"] for t in truth)
    assert services.verification_comparison("542526") is None  # no sample yet

    admin = User.objects.create_superuser("root", password="x-Pass-2005!")
    scheme = evaluation.import_scheme(user=admin, text=evaluation_demo.demo_scheme_text("542526"), replace=True)
    sample = evaluation.draw_sample(user=admin, scheme=scheme, households_per_unit=200, seed=2005)
    found_by_visits = evaluation_demo.visit_from_truth(user=admin, sample=sample, result=result)
    t = feeds_demo.run_county("542526", 2005, result)
    assert t["precision"] >= 0.98

    cmp = services.verification_comparison("542526")
    assert cmp["period"] == "2005SY" and cmp["start"] == dt.date(2005, 1, 1) and cmp["end"] == dt.date(2005, 9, 30)
    in_window = [m for m in truth if cmp["start"] <= m["birth_date"] <= cmp["end"]]
    notices = FeedRecord.objects.filter(source__code="weisheng-birth-notice", status="not_found")
    assert sorted(r.name for r in notices) == sorted(m["name"] for m in truth)  # the very births left out
    assert cmp["feeds_missing"] == len(in_window)
    registered = Event.objects.filter(kind="birth", area__pk__startswith="542526", is_current=True,
                                      event_date__gte=cmp["start"], event_date__lte=cmp["end"]).count()
    assert cmp["feeds_births"] == registered + len(in_window)
    assert cmp["feeds_rate"] == pytest.approx(len(in_window) / (registered + len(in_window)))
    v = cmp["verification"]
    assert cmp["missed_in_sample"] == found_by_visits
    assert v.lower <= cmp["feeds_rate"] <= v.upper and cmp["consistent"] is True

    # the completeness page shows the comparison in words
    client.force_login(admin)
    page = client.get("/feeds/completeness/?area=542526&period=2005", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "抽样入户核查" in page and f"{cmp['feeds_missing']} / {cmp['feeds_births']:,}" in page
