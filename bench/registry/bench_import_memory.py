"""Benchmark of the person import at full county size: time and peak memory, dry run and real.

Takes the folder a ``renkou synth --out DIR`` run wrote (or writes one: ``--preset``/``--persons``),
then, each step in its own child process so that its peak memory (``ru_maxrss``) is its own, on one
fresh database in a temporary ``RENKOU_HOME``:

1. **areas**: the shipped national rows of the county (``divisions.write_subset``) and the
   generator's area tree (``DIR/areas.csv``) through ``import_areas``;
2. **households**: ``import_file("households", DIR/households.csv)``;
3. **persons, dry run**: ``import_file("persons", DIR/persons.csv, mode="valid-rows", dry_run=True)``
   — every row read, checked, written and rolled back;
4. **persons**: the same, for real;
5. **baseline**: the person rows as written, read back and inserted with one ``executemany`` into a
   bare table with the same columns (no index, no constraint), in one transaction — the ratio
   import ÷ baseline is the figure (``docs/benchmarks.md``).

Prints JSON. Usage::

    .venv/bin/python bench/registry/bench_import_memory.py --dir /tmp/renqiu
    .venv/bin/python bench/registry/bench_import_memory.py --preset renqiu --persons 1170000 --dir /tmp/renqiu

``RENKOU_DATABASE_URL`` set to an empty scratch PostgreSQL database runs it there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def step(name: str, folder: Path, county: str) -> dict:
    _django()
    from django.core.management import call_command

    out: dict = {"step": name}
    if name == "areas":
        call_command("migrate", verbosity=0)
        from renkou.core import divisions, services

        with tempfile.TemporaryDirectory() as tmp:
            services.import_areas(divisions.write_subset(Path(tmp), (county,)))
        t0 = time.perf_counter()
        r = services.import_areas(folder / "areas.csv")
        out.update(seconds=round(time.perf_counter() - t0, 2), created=r.created, updated=r.updated)
    elif name in ("households", "persons-dry-run", "persons"):
        from renkou.registry.importer import import_file

        out["peak_before_mib"] = _peak_mib()
        kind = "households" if name == "households" else "persons"
        t0 = time.perf_counter()
        r = import_file(kind, folder / f"{kind}.csv", mode="valid-rows", dry_run=name == "persons-dry-run")
        out.update(seconds=round(time.perf_counter() - t0, 2), rows=r.total, created=r.created, rejected=r.rejected,
                   flagged=r.flagged, written=r.written)
    elif name == "baseline":
        from django.db import connection, transaction

        from renkou.registry.models import Person

        table = Person._meta.db_table
        cols = [connection.ops.quote_name(f.column) for f in Person._meta.concrete_fields]
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_bare_person")
            cur.execute(f'CREATE TABLE bench_bare_person AS SELECT * FROM "{table}" WHERE 1 = 0')
            cur.execute(f'SELECT {", ".join(cols)} FROM "{table}"')
            rows = cur.fetchall()
        sql = f'INSERT INTO bench_bare_person ({", ".join(cols)}) VALUES ({", ".join(["%s"] * len(cols))})'
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for i in range(0, len(rows), 5000):
                cur.executemany(sql, rows[i:i + 5000])
        out.update(seconds=round(time.perf_counter() - t0, 2), rows=len(rows))
        with connection.cursor() as cur:
            cur.execute("DROP TABLE bench_bare_person")
    out["peak_mib"] = _peak_mib()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="a folder written by 'renkou synth --out' (written if absent)")
    ap.add_argument("--preset", default="renqiu")
    ap.add_argument("--persons", type=int, default=None)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--county", help=argparse.SUPPRESS)
    args = ap.parse_args()
    folder = Path(args.dir)
    if args.step:
        print(json.dumps(step(args.step, folder, args.county)))
        return
    if not (folder / "persons.csv").exists():
        cmd = [sys.executable, "-m", "renkou.synth.cli", "--preset", args.preset, "--seed", str(args.seed),
               "--out", str(folder)] + (["--persons", str(args.persons)] if args.persons else [])
        subprocess.run(cmd, check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    with open(folder / "areas.csv", encoding="utf-8-sig") as fh:
        county = fh.readlines()[1].split(",")[0]
    report: dict = {"file": str(folder / "persons.csv"), "file_mib": round((folder / "persons.csv").stat().st_size
                                                                          / 2 ** 20, 1), "county": county}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "RENKOU_HOME": home}
        if os.environ.get("RENKOU_DATABASE_URL"):
            report["database"] = "postgresql"
        else:
            report["database"] = "sqlite"
        steps = []
        for name in ("areas", "households", "persons-dry-run", "persons", "baseline"):
            p = subprocess.run([sys.executable, __file__, "--dir", str(folder), "--step", name, "--county", county],
                               env=env, capture_output=True, text=True)
            if p.returncode:
                sys.stderr.write(p.stderr)
                raise SystemExit(f"step {name} failed")
            steps.append(json.loads(p.stdout.strip().splitlines()[-1]))
            print(json.dumps(steps[-1]), file=sys.stderr)
    by = {s["step"]: s for s in steps}
    report["steps"] = steps
    base = max(by["baseline"]["seconds"], 0.01)
    report["ratio_import_to_raw_executemany"] = round(by["persons"]["seconds"] / base, 1)
    report["ratio_dry_run_to_raw_executemany"] = round(by["persons-dry-run"]["seconds"] / base, 1)
    report["peak_mib_per_file_mib"] = round(max(by["persons"]["peak_mib"], by["persons-dry-run"]["peak_mib"])
                                            / report["file_mib"], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
