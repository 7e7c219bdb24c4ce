"""Synthetic department files of a synthetic county, through the command line: watch, link, evaluate."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def county():
    from renkou.synth import generator as synth
    from renkou.synth.params import CountyParams, ImperfectionParams

    p = CountyParams("520122", persons=1500, imperfections=ImperfectionParams(missing_births=0))
    return synth.generate(p, 11)


def _json(capsys, *args) -> object:
    capsys.readouterr()
    call_command("feeds", *args, "--format", "json")
    return json.loads(capsys.readouterr().out)


def test_synthetic_feeds_are_linked_with_high_precision_and_recall(db, seed_areas, county, tmp_path, capsys):
    from renkou.feeds.models import FeedRecord
    from renkou.registry.loader import load_synthetic
    from renkou.registry.models import Event

    load_synthetic(county)
    year = max(Event.objects.filter(kind="birth").dates("event_date", "year")).year
    _json(capsys, "sources", "--county", "520122", "--install")
    counts = _json(capsys, "synth", "--county", "520122", "--year", str(year), "--out", str(tmp_path / "in"))
    assert counts["weisheng-birth-notice"] > 5 and counts["gongan-hukou"] > counts["weisheng-birth-notice"] // 2
    truth = json.loads((tmp_path / "in" / "ground_truth.json").read_text(encoding="utf-8"))
    assert sum(1 for t in truth["records"] if t["person"] is None) >= 1
    got = _json(capsys, "watch", str(tmp_path / "in"), "--county", "520122")
    assert got and all(g["ok"] and not g["repeated"] for g in got)
    assert FeedRecord.objects.count() == len(truth["records"])
    again = _json(capsys, "watch", str(tmp_path / "in"), "--county", "520122")
    assert all(g["repeated"] for g in again) and FeedRecord.objects.count() == len(truth["records"])
    stats = _json(capsys, "evaluate", str(tmp_path / "in" / "ground_truth.json"))
    assert stats["all"]["precision"] >= 0.98 and stats["all"]["recall"] >= 0.9, stats
    unregistered = stats["unregistered"]
    assert unregistered["wrong"] == 0 and unregistered["linked"] == 0
    report = _json(capsys, "completeness", "--area", "520122", "--period", str(year))
    by = {t["source"]: t for t in report["totals"]}
    births = by["weisheng-birth-notice"]
    assert births["received"] == counts["weisheng-birth-notice"]
    assert births["missing"] >= unregistered["records"]
    assert births["register_events"] == Event.objects.filter(kind="birth", event_date__year=year,
                                                             is_current=True, flag_rejected=False).count()
