"""Benchmark: `renkou areas import` of the national division files vs a raw bulk insert.

Both run in this process on fresh SQLite databases: the service (parsing, validation, orphan
check, bulk create in one transaction, audit record) and a baseline that inserts the same rows
with one ``executemany`` into a bare table. Prints JSON with both times and the ratio.

    .venv/bin/python bench/areas/bench_import.py [--divisions DIR]   (default: the shipped 2023 table)
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--divisions", default=None, help="NBS division files (default: the shipped 2023 table)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="renkou-bench-")
    os.environ["RENKOU_HOME"] = home
    os.environ.pop("RENKOU_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from renkou.core import services
    from renkou.core.divisions import shipped_divisions

    args.divisions = args.divisions or shipped_divisions(2023)

    rows = services.read_area_rows(args.divisions)
    t0 = time.perf_counter()
    result = services.import_areas(args.divisions)
    service_s = time.perf_counter() - t0

    db = sqlite3.connect(Path(home) / "baseline.sqlite3")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE area (code TEXT PRIMARY KEY, name TEXT, level INT, parent TEXT)")
    t0 = time.perf_counter()
    with db:
        db.executemany("INSERT INTO area VALUES (?,?,?,?)",
                       [(r.code, r.name, r.level, r.parent_code) for r in sorted(rows, key=lambda r: r.level)])
    baseline_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = services.import_areas(args.divisions)
    reimport_s = time.perf_counter() - t0
    print(json.dumps({
        "benchmark": "areas_import", "rows": result.created, "service_seconds": round(service_s, 3),
        "raw_executemany_seconds": round(baseline_s, 3), "ratio": round(service_s / baseline_s, 1),
        "reimport_seconds": round(reimport_s, 3), "reimport_changed": again.changed,
        "python": sys.version.split()[0],
    }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
