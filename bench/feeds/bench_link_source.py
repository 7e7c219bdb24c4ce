"""End to end on a database: a synthetic county register, its department files received and linked by
``renkou.feeds.services`` (reading the register out of the database, the ID-number steps, Splink, the
writes), scored against the files' ground truth.

    .venv/bin/python bench/feeds/bench_link_source.py [--persons 100000] [--years 2005 2006 2007]

A temporary ``RENKOU_HOME`` (SQLite) is migrated, the ``xifeng`` preset resized to ``--persons`` is
generated and loaded, the feeds of each year are written (``renkou.feeds.synthetic``) and received
through the watched-folder path without linking (timed apart), then every source is linked once
(timed). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COUNTY = "520122"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--persons", type=int, default=100_000)
    ap.add_argument("--years", type=int, nargs="+", default=[2003, 2004, 2005])
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    home = tempfile.mkdtemp(prefix="renkou-bench-feeds-")
    os.environ["RENKOU_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from renkou import demo
    from renkou.feeds import services, synthetic
    from renkou.feeds.models import FeedRecord, Source
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    t0 = time.perf_counter()
    result = generate(preset("xifeng").with_changes(persons=a.persons), a.seed)
    with transaction.atomic():
        demo._ensure_upper_areas(COUNTY)
        demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    t_load = time.perf_counter() - t0
    services.install_shipped_sources(COUNTY)
    out = Path(home) / "feeds"
    truths = []
    for year in a.years:
        synthetic.generate(COUNTY, year, out / str(year), seed=a.seed + year)
        truths.append(out / str(year) / "ground_truth.json")
    t0 = time.perf_counter()
    for year in a.years:
        services.watch_folder(out / str(year), county_code=COUNTY, link=False)
    t_import = time.perf_counter() - t0
    records = FeedRecord.objects.count()
    t0 = time.perf_counter()
    counts = {s.code: services.link_source(user=None, source=s) for s in Source.objects.all()}
    t_link = time.perf_counter() - t0
    stats = [synthetic.evaluate(t)["all"] for t in truths]
    right = sum(s["right"] for s in stats)
    linked = sum(s["linked"] for s in stats)
    should = sum(s["right"] / s["recall"] for s in stats if s["recall"])
    from renkou.registry.models import Person

    print(json.dumps({"persons": Person.objects.count(), "records": records, "cores": os.cpu_count(),
                      "load_register_s": round(t_load, 1), "receive_s": round(t_import, 2),
                      "link_s": round(t_link, 2), "counts": counts,
                      "precision": round(right / linked, 4) if linked else None,
                      "recall": round(right / should, 4) if should else None}, indent=1))


if __name__ == "__main__":
    main()
