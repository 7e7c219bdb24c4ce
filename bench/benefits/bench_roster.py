"""Benchmark: a benefits roster of a synthetic county computed and frozen vs a bare query of its persons.

Builds a synthetic county (Xifeng's preset resized to ``--persons``) into a fresh SQLite database,
then times, for each program: (a) a bare ``values_list`` of the same person columns the roster reads,
over the persons present in the county on the census date, and (b) ``services.compute_cycle`` — the
register's facts read, the rule evaluated for every unit, amounts, the roster frozen (rows written
with their facts and explanations). Prints JSON.

    PYTHONPATH=src .venv/bin/python bench/benefits/bench_roster.py --persons 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--programs", default="reward-support-2005,xifeng-ncms-premium")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions of each roster")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="renkou-bench-")
    os.environ["RENKOU_HOME"] = home
    os.environ.pop("RENKOU_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import transaction

    from renkou import demo
    from renkou.benefits import services
    from renkou.benefits.facts import _PERSON_FIELDS, _present
    from renkou.benefits.models import Program
    from renkou.registry.loader import load_synthetic
    from renkou.registry.models import Person
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    county = "520122"
    t0 = time.perf_counter()
    p = preset("xifeng").with_changes(persons=args.persons, cbr_target_permille=None)
    with transaction.atomic():
        demo._ensure_upper_areas(county)
    result = generate(p, args.seed)
    with transaction.atomic():
        demo._save_area_tree(result.areas)
    load_synthetic(result, find_duplicates=False)
    build_s = time.perf_counter() - t0
    services.install_shipped_programs()
    # the national reward support (valid from 2012) with the same rule from 2001, for the 2005 register
    reward = Program.objects.get(code="rural-reward-support")
    bench = Program.objects.create(code="reward-support-2005", name_zh=reward.name_zh, name_en=reward.name_en,
                                   unit=reward.unit, cycle=reward.cycle)
    v = reward.versions.get()
    services.save_version(None, bench, {"valid_from": "2001-01-01", "eligibility": v.eligibility,
                                        "amount": v.amount, "payee": v.payee})
    out = {"persons_in_register": Person.objects.count(), "build_s": round(build_s, 1), "programs": []}
    census = dt.date(p.end_year, 12, 31)
    for code in args.programs.split(","):
        program = Program.objects.get(code=code)
        t0 = time.perf_counter()
        bare = list(Person.objects.filter(_present(census), registered_area__pk__startswith=county)
                    .values_list(*_PERSON_FIELDS).iterator(chunk_size=20_000))
        bare_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        if args.profile:
            import cProfile
            import io
            import pstats

            prof = cProfile.Profile()
            cycle = prof.runcall(services.compute_cycle, None, program, county, str(p.end_year))
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
            print(buf.getvalue(), file=sys.stderr)
        else:
            cycle = services.compute_cycle(None, program, county, str(p.end_year))
        roster_s = time.perf_counter() - t0
        out["programs"].append({"program": code, "persons_read_by_bare_query": len(bare), "roster_units": cycle.units,
                                "roster_total_yuan": cycle.total_fen / 100, "bare_query_s": round(bare_s, 2),
                                "roster_computed_and_frozen_s": round(roster_s, 2),
                                "ratio": round(roster_s / bare_s, 2)})
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
