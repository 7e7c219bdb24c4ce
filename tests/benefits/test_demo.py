"""The benefits demo on the synthetic Gaize 2005: 217 herder one-child households paid ¥21,700."""

from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.django_db
def test_gaize_2005_pays_217_households_21700_with_an_objection_and_a_reissued_payment(seed_areas, make_user):
    from renkou import demo
    from renkou.benefits import demo as benefits_demo
    from renkou.benefits.models import Objection, Payment, PaymentBatch
    from renkou.ledger import services as ledger
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset("gaize").with_changes(township_names=demo._real_townships("542526"))
    result = generate(params, 2005)
    demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    make_user("gaize", "county_officer", capture=[seed_areas["542526000000"]])
    from renkou.benefits import services

    services.install_shipped_programs()
    totals = benefits_demo.run_gaize(2005)
    assert (totals["households"], totals["units"], totals["paid_units"]) == (217, 217, 217)
    assert totals["paid_fen"] == 2_170_000 and totals["failed_fen"] == 0
    # one objection, raised during the notice and dismissed; one failed payment paid in batch 2
    (objection,) = Objection.objects.all()
    assert objection.state == "dismissed"
    assert list(PaymentBatch.objects.order_by("number").values_list("number", "count")) == [(1, 217), (2, 1)]
    failed = Payment.objects.get(state="failed")
    assert Payment.objects.get(entitlement=failed.entitlement, state="paid").batch.number == 2
    paid = ledger.account("benefits/gaize-herder-one-child/542526000000/paid/families")
    assert ledger.balance(paid) == 2_170_000 and ledger.trial_balance() == 0
