"""Benchmark of the indicators engine: full recompute and incremental update, beside DuckDB.

Builds a synthetic county (``--preset``, default ``xifeng``, at its own size or resized to
``--persons``; every township and
village is an area of the run), loads it into a fresh database, then:

1. **full**: ``services.compute`` of the whole catalog for the county, every township and every
   village, for one year;
2. **DuckDB**: the same register counts (registered population at the start and end by village ×
   sex × age, births by village × sex, deaths by village × sex, with the same presence and
   late-report rules) from the same rows exported to Parquet in this run, by one hand-written SQL
   query per figure; the script checks that both give the same crude birth and death rates for
   every area before it reports;
3. **columnar copy** (``renkou.indicators.columnar``): the copy built from the database, then the
   same full recompute reading it (the computation the pages and the command line run when the copy
   exists), compared value for value with the database path — once over the values the database
   path stored (a recompute: unchanged values keep their rows) and once with none stored (a first
   compute: every value inserted);
4. **incremental**: 1,000 new birth events in the villages of one township, saved one by one
   (the signals mark their cells dirty, the triggers log the rows for the copy), then
   ``services.recompute_dirty`` (which replays the log into the copy first);
5. **drill-down**: the persons behind the county's (or first county's) population aged 15–64, first
   page of 50 records, from the copy;
6. **peak RSS** of the process after each phase, and of each phase alone (from the size it started at).

Prints JSON. Usage: ``python bench/indicators/bench_indicators.py [--preset renqiu] [--persons N] [--seed 7]``.
Set ``RENKOU_DATABASE_URL`` to run on PostgreSQL (default: SQLite in a temporary ``RENKOU_HOME``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def setup(home: str) -> None:
    os.environ.setdefault("RENKOU_HOME", home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def resized(params, persons: int):
    """The preset at ``persons``: its totals scaled alike, villages and residents' committees too (so
    that a village keeps its size — the unit an incremental update recomputes)."""
    from dataclasses import replace

    f = persons / params.persons
    changes: dict = {"persons": persons}
    for name in ("households_target", "migrants_target", "herders_target"):
        if getattr(params, name):
            changes[name] = round(getattr(params, name) * f)
    st = params.structure
    changes["structure"] = replace(st, villages=max(1, round(st.villages * f)),
                                   residents_committees=max(1, round(st.residents_committees * f)))
    return params.with_changes(**changes)


# Counties of 沧州市 (Cangzhou, Hebei), beside 任丘市: the codes of a multi-county run (--counties)
CANGZHOU = ("130982", "130981", "130983", "130984", "130921", "130922", "130923", "130924", "130925",
            "130926", "130927", "130928", "130929", "130930", "130902", "130903")


def build(persons: int | None, seed: int, preset_name: str = "xifeng", counties: int = 1):
    """Generate and load the synthetic register: one county, or ``counties`` counties of the preset
    (each with ``persons / counties`` persons and its own code) forming one prefecture."""
    from django.db import transaction

    from renkou import demo
    from renkou.core.actor import acting_as
    from renkou.registry.loader import load_synthetic
    from renkou.synth.generator import generate
    from renkou.synth.params import preset

    params = preset(preset_name)
    codes = [params.county_code] if counties == 1 else list(CANGZHOU[:counties])
    each = persons // counties if persons else None
    for i, county in enumerate(codes):
        p = (resized(params, each) if each else params).with_changes(county_code=county)
        with acting_as(None, via="system"):
            with transaction.atomic():
                demo._ensure_upper_areas(county)
            result = generate(p, seed + i)
            with transaction.atomic():
                demo._save_area_tree(result.areas)
            load_synthetic(result, find_duplicates=False)
            del result
    return codes


DUCK_SQL = {
    "population": """
        WITH m AS (
          SELECT subject_id,
            MIN(CASE WHEN kind IN ('move_in','migrant_arrival') THEN event_date END) AS first_arr,
            MAX(CASE WHEN kind IN ('move_in','migrant_arrival') AND event_date <= $t THEN event_date END) AS last_arr,
            MAX(CASE WHEN kind IN ('move_out','migrant_departure') AND event_date <= $t THEN event_date END) AS last_dep,
            MAX(CASE WHEN kind IN ('move_out','migrant_departure') THEN 1 ELSE 0 END) AS any_dep,
            MAX(CASE WHEN kind = 'death' AND event_date <= $t THEN 1 ELSE 0 END) AS died
          FROM events WHERE is_current AND NOT flag_rejected GROUP BY subject_id)
        SELECT substr(p.registered_area_id, 1, 12) AS cell, p.sex, count(*) AS n
        FROM persons p LEFT JOIN m ON m.subject_id = p.id
        WHERE p.registered_area_id IS NOT NULL AND p.sex IN (1, 2) AND p.birth_date <= $t
          AND p.record_state <> 'merged' AND (p.death_date IS NULL OR p.death_date > $t)
          AND coalesce(m.died, 0) = 0 AND (m.first_arr IS NULL OR m.last_arr IS NOT NULL)
          AND (m.last_dep IS NULL OR m.last_arr > m.last_dep)
          AND (coalesce(m.any_dep, 0) = 1 OR p.status <> 'moved_out' OR p.exit_date > $t)
        GROUP BY ALL""",
    "vital": """
        SELECT substr(e.area_id, 1, 12) AS cell, e.kind, p.sex, count(*) AS n
        FROM events e JOIN persons p ON p.id = e.subject_id
        WHERE e.is_current AND NOT e.flag_rejected AND e.kind IN ('birth', 'death') AND e.state = 'registered'
          AND p.registered_area_id IS NOT NULL AND p.sex IN (1, 2)
          AND (CASE WHEN e.state = 'registered' AND date_diff('day', e.event_date, e.registration_date) > 365
                    THEN e.registration_date ELSE e.event_date END) BETWEEN $s AND $e
        GROUP BY ALL""",
}


def duckdb_rates(tmp: Path, start: dt.date, end: dt.date) -> tuple[dict[str, tuple[float, float]], dict]:
    """Export persons and events to Parquet, then crude birth and death rates per area prefix with DuckDB."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq
    from django.db import connection

    from renkou.registry.models import Event, Person

    t0 = time.perf_counter()
    for name, model, cols in (
        ("persons", Person, ["id", "sex", "birth_date", "death_date", "exit_date", "status", "record_state",
                             "registered_area_id"]),
        ("events", Event, ["id", "kind", "event_date", "registration_date", "state", "area_id", "subject_id",
                           "is_current", "flag_rejected"]),
    ):
        with connection.cursor() as cur:
            cur.execute(f"SELECT {', '.join(cols)} FROM {model._meta.db_table}")
            rows = cur.fetchall()
        table = pa.table({c: [r[i] for r in rows] for i, c in enumerate(cols)})
        for c in ("birth_date", "death_date", "exit_date", "event_date", "registration_date"):
            if c in table.column_names:
                table = table.set_column(table.column_names.index(c), c,
                                         table[c].cast(pa.string()).cast(pa.date32()))
        for c in ("is_current", "flag_rejected"):
            if c in table.column_names:
                table = table.set_column(table.column_names.index(c), c, table[c].cast(pa.bool_()))
        pq.write_table(table, tmp / f"{name}.parquet")
    export = time.perf_counter() - t0

    con = duckdb.connect()
    con.execute(f"CREATE VIEW persons AS SELECT * FROM '{tmp / 'persons.parquet'}'")
    con.execute(f"CREATE VIEW events AS SELECT * FROM '{tmp / 'events.parquet'}'")
    t0 = time.perf_counter()
    before = con.execute(DUCK_SQL["population"], {"t": start - dt.timedelta(days=1)}).fetchall()
    after = con.execute(DUCK_SQL["population"], {"t": end}).fetchall()
    vital = con.execute(DUCK_SQL["vital"], {"s": start, "e": end}).fetchall()
    query = time.perf_counter() - t0
    return _rates_by_prefix(before, after, vital), {"export_s": round(export, 3), "query_s": round(query, 3)}


def bare_read() -> float:
    """Seconds to read the person and event columns the counts need with plain SELECTs (no computation):
    the floor of any computation that starts from the database rather than from a columnar copy."""
    from django.db import connection

    from renkou.registry.models import Event, Person

    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, registered_area_id, resident_area_id, sex, birth_date, death_date, exit_date, "
                    f"migrant_status, marital_status, status, record_state FROM {Person._meta.db_table}")
        cur.fetchall()
        cur.execute(f"SELECT subject_id, kind, event_date, registration_date, state, area_id FROM "
                    f"{Event._meta.db_table} WHERE is_current = %s AND flag_rejected = %s", [True, False])
        cur.fetchall()
    return time.perf_counter() - t0


def _rates_by_prefix(before, after, vital) -> dict[str, tuple[float, float]]:
    pop: dict[str, float] = {}
    counts: dict[tuple[str, str], int] = {}
    for rows in (before, after):
        for cell, _sex, n in rows:
            for p in _prefixes(cell):
                pop[p] = pop.get(p, 0) + n / 2
    for cell, kind, _sex, n in vital:
        for p in _prefixes(cell):
            counts[(p, kind)] = counts.get((p, kind), 0) + n
    from renkou.indicators.expressions import indicator_value

    out = {}
    for p, mean in pop.items():
        if mean:  # the counts are DuckDB's; the rounding (half up, in decimal) is the catalog's rule
            out[p] = tuple(float(indicator_value(counts.get((p, kind), 0), mean, "per_thousand", 1))
                           for kind in ("birth", "death"))
    return out


def _prefixes(cell: str) -> list[str]:
    return [cell[:6], cell[:9], cell[:12]]


_PEAK = [0.0]


def peak_rss_mib() -> float:
    """The process's peak so far (the kernel's own is reset at each phase, so kept here)."""
    import resource

    _PEAK[0] = max(_PEAK[0], round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))
    return _PEAK[0]


def _status_mib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class Phase:
    """The peak RSS of one phase alone (Linux: VmHWM reset through /proc/self/clear_refs), with the
    resident size it started from; None where the kernel does not offer the reset."""

    def __init__(self):
        self.peaks: dict[str, dict] = {}

    def start(self) -> None:
        peak_rss_mib()
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
            self._from = _status_mib("VmRSS")
        except OSError:
            self._from = None

    def end(self, name: str) -> None:
        self.peaks[name] = {"from": self._from, "peak": _status_mib("VmHWM") if self._from is not None else None}


def values_snapshot(period: str) -> dict:
    from renkou.indicators.models import IndicatorValue

    return {(i, a): (v, n, d) for i, a, v, n, d in IndicatorValue.objects.filter(period=period).values_list(
        "indicator_id", "area_id", "value", "numerator", "denominator")}


def drill_first_page(county: str, period: str) -> dict:
    from renkou.core.models import User
    from renkou.indicators import drill
    from renkou.indicators.expressions import Reference
    from renkou.indicators.models import IndicatorValue

    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("bench", password="x")
    value = IndicatorValue.objects.select_related("indicator", "area").get(
        indicator__code="child_dependency", area_id=county.ljust(12, "0"), period=period)
    ref = Reference("register", "population", params=(("age", "15-64"),))
    t0 = time.perf_counter()
    kind, rows = drill.records(user, value, ref)
    page = list(rows[0:50])
    elapsed = time.perf_counter() - t0
    return {"area": value.area_id, "persons": len(rows), "page": len(page), "first_page_s": round(elapsed, 3),
            "denominator_stored": value.denominator}


def incremental(n_events: int, seed: int, county: str = "520122") -> dict:
    import numpy as np

    from renkou.core.models import Area
    from renkou.indicators import services
    from renkou.indicators.models import DirtyCell
    from renkou.registry.models import Event, Person

    rng = np.random.default_rng(seed)
    town = Area.objects.filter(code__startswith=county, level=4).order_by("code").first()
    mothers = list(Person.objects.filter(resident_area__pk__startswith=town.prefix, sex=2, status="living",
                                         birth_date__gte=dt.date(1970, 1, 1), birth_date__lte=dt.date(1985, 1, 1))
                   .order_by("pk")[:n_events])
    t0 = time.perf_counter()
    for i in range(n_events):
        mother = mothers[i % len(mothers)]
        day = dt.date(2005, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        child = Person.objects.create(name="新生儿", sex=int(rng.integers(1, 3)), birth_date=day,
                                      registered_area_id=mother.resident_area_id,
                                      resident_area_id=mother.resident_area_id, mother=mother)
        Event.objects.create(kind="birth", event_date=day, registration_date=day + dt.timedelta(days=10),
                             area_id=mother.resident_area_id, subject=child, mother=mother, birth_order=2,
                             state="registered")
    writes = time.perf_counter() - t0
    cells = DirtyCell.objects.count()
    t0 = time.perf_counter()
    stored = services.recompute_dirty()
    elapsed = time.perf_counter() - t0
    return {"events": n_events, "township": town.code, "dirty_cells": cells, "values_stored": stored,
            "writes_s": round(writes, 2), "recompute_dirty_s": round(elapsed, 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=None,
                    help="resize the preset to this many registered persons (default: the preset's own size)")
    ap.add_argument("--preset", default="xifeng", help="synthetic county preset (xifeng, renqiu, …)")
    ap.add_argument("--counties", type=int, default=1, choices=range(1, 17),
                    help="several counties of the preset (codes of Cangzhou prefecture), --persons in all")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--period", default="2005")
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--profile-drill", action="store_true",
                    help="also a cProfile of a second drill-down to the first page (its top functions)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as home:
        setup(home)
        from django.db import connection

        from renkou.core.models import Area
        from renkou.core.periods import Period
        from renkou.indicators import services
        from renkou.indicators.models import IndicatorValue
        from renkou.registry.models import Event, Person

        t0 = time.perf_counter()
        codes = build(args.persons, args.seed, args.preset, args.counties)
        county = codes[0] if len(codes) == 1 else codes[0][:4]  # the county, or the prefecture of several
        load_s = time.perf_counter() - t0
        services.load_catalog()
        period = Period.parse(args.period)
        from renkou.indicators import columnar, register

        columnar.drop()  # the database path first
        rss = {"after_load": peak_rss_mib()}
        import gc

        gc.collect()
        phase = Phase()
        read_s = bare_read()
        phase.start()
        t0 = time.perf_counter()
        register.build_stack(county, period.start, period.end)
        cubes_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        stored = services.compute(county, period.code, level=Area.Level.VILLAGE)
        full_s = time.perf_counter() - t0
        rss["after_database_recompute"] = peak_rss_mib()
        phase.end("database_recompute")
        from_db = values_snapshot(period.code)
        phase.start()
        t0 = time.perf_counter()
        rows = columnar.rebuild()
        rebuild_s = time.perf_counter() - t0
        rss["after_copy_rebuild"] = peak_rss_mib()
        phase.end("copy_rebuild")
        phase.start()
        t0 = time.perf_counter()
        services.register_stack(county, period.start, period.end)
        copy_cubes_s = time.perf_counter() - t0
        from renkou.indicators import providers

        spent = {"module_operands_s": 0.0}
        plain_values = providers.values

        def timed_values(*a, **k):  # time of the other modules' operands (M{…}), counted apart
            t = time.perf_counter()
            try:
                return plain_values(*a, **k)
            finally:
                spent["module_operands_s"] += time.perf_counter() - t

        providers.values = timed_values
        t0 = time.perf_counter()
        services.compute(county, period.code, level=Area.Level.VILLAGE)
        copy_full_s = time.perf_counter() - t0
        providers.values = plain_values
        rss["after_copy_recompute"] = peak_rss_mib()
        phase.end("copy_recompute")
        from_copy = values_snapshot(period.code)
        if from_copy != from_db:
            bad = [k for k in from_db if from_copy.get(k) != from_db[k]][:10]
            print(json.dumps({"error": "copy and database disagree", "values": [str(k) for k in bad]}))
            return 1
        # the same from the copy with no value of the period stored: every value is inserted (the
        # recompute above finds the values stored and rewrites only their computation time)
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {IndicatorValue._meta.db_table} WHERE period = %s", [period.code])
        phase.start()
        t0 = time.perf_counter()
        services.compute(county, period.code, level=Area.Level.VILLAGE)
        copy_first_s = time.perf_counter() - t0
        phase.end("copy_first_compute")
        if values_snapshot(period.code) != from_db:
            print(json.dumps({"error": "copy (first compute) and database disagree"}))
            return 1
        duck, duck_t = duckdb_rates(Path(home), period.start, period.end)
        ours = {}
        for v in IndicatorValue.objects.filter(period=period.code, indicator__code__in=("cbr", "cdr")) \
                .select_related("indicator", "area"):
            ours.setdefault(v.area.prefix, {})[v.indicator.code] = None if v.value is None else float(v.value)
        mismatches = [p for p, (cbr, cdr) in duck.items()
                      if p in ours and (ours[p].get("cbr"), ours[p].get("cdr")) != (cbr, cdr)]
        if mismatches:
            print(json.dumps({"error": "DuckDB and the engine disagree",
                              "areas": {p: {"duckdb": duck[p], "engine": ours[p]} for p in mismatches[:10]}}))
            return 1
        phase.start()
        inc = incremental(args.events, args.seed, codes[0])
        rss["after_incremental"] = peak_rss_mib()
        phase.end("incremental")
        phase.start()
        drilled = drill_first_page(codes[0], period.code)
        rss["after_drill_down"] = peak_rss_mib()
        phase.end("drill_down")
        if args.profile_drill:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
            again = drill_first_page(codes[0], period.code)
            prof.disable()
            stats = pstats.Stats(prof).sort_stats("cumulative")
            drilled["second_first_page_s"] = again["first_page_s"]
            drilled["profile"] = [
                {"function": f"{Path(f).name}:{line}:{name}", "calls": nc, "tottime_s": round(tt, 3),
                 "cumtime_s": round(ct, 3)}
                for (f, line, name), (_cc, nc, tt, ct, _callers) in sorted(
                    stats.stats.items(), key=lambda kv: -kv[1][3])[:25]]
        out = {
            "benchmark": "indicators", "database": connection.vendor, "persons": Person.objects.count(),
            "events": Event.objects.count(), "areas": len(ours), "period": period.code,
            "indicators_stored": stored, "load_s": round(load_s, 1), "full_recompute_s": round(full_s, 2),
            "of_which_register_cubes_s": round(cubes_s, 2), "bare_read_of_the_rows_s": round(read_s, 2),
            "ratio_full_to_bare_read": round(full_s / read_s, 2),
            "duckdb": duck_t, "ratio_full_to_duckdb_query": round(full_s / duck_t["query_s"], 1),
            "ratio_full_to_duckdb_export_and_query": round(full_s / (duck_t["export_s"] + duck_t["query_s"]), 2),
            "columnar": {"rebuild_s": round(rebuild_s, 2), "rows": rows,
                         "full_recompute_s": round(copy_full_s, 2), "of_which_register_cubes_s": round(copy_cubes_s, 2),
                         "ratio_full_to_duckdb_query": round(copy_full_s / duck_t["query_s"], 2),
                         "first_compute_s": round(copy_first_s, 2),
                         "ratio_first_compute_to_duckdb_query": round(copy_first_s / duck_t["query_s"], 2),
                         "of_which_module_operands_s": round(spent["module_operands_s"], 2),
                         "ratio_full_without_module_operands_to_duckdb_query": round(
                             (copy_full_s - spent["module_operands_s"]) / duck_t["query_s"], 2),
                         "values_equal_to_database_path": len(from_copy)},
            "areas_compared_with_duckdb": len(duck), "incremental": inc, "drill_down": drilled,
            "peak_rss_mib": rss, "rss_of_each_phase_mib": phase.peaks,
        }
        print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
