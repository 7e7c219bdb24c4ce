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
