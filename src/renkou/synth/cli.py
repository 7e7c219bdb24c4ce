"""Command line of the synthetic county generator (``renkou synth``).

    synth --area CODE --persons N --years 2001-2005 --seed S --out DIR
          [--preset gaize|chengguan|xifeng|renqiu] [--no-imperfections] [--format csv,xlsx]
          [--header en|zh] [--townships streets.csv]

With ``--preset`` the preset's county, size and years are used unless given. The townships are the
county's real ones from the national table shipped with Renkou (or from ``--townships``), so the
area tree agrees with ``renkou areas import``; a county not in that table gets generated townships.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

from renkou.core.divisions import shipped_divisions

from .areas import read_township_list
from .generator import generate
from .params import PRESETS, CountyParams, preset
from .writers import write_result


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="synth", description="Generate a synthetic county population (合成人口).")
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--area", help="6-digit county code (GB/T 2260)")
    ap.add_argument("--persons", type=int, help="registered population at the end of the last year")
    ap.add_argument("--years", help="first-last year, e.g. 2001-2005")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--no-imperfections", action="store_true")
    ap.add_argument("--format", default="csv", help="comma-separated: csv, xlsx")
    ap.add_argument("--header", choices=("en", "zh"), default="en")
    ap.add_argument("--townships", help="streets.csv with real township codes and names for the county "
                                        "(default: the national table shipped with Renkou)")
    return ap


def params_from_args(args: argparse.Namespace) -> CountyParams:
    """The parameter set the arguments describe (preset first, then overrides)."""
    if args.preset:
        p = preset(args.preset)
    elif args.area:
        p = CountyParams(county_code=args.area)
    else:
        raise ValueError("give --area or --preset")
    changes: dict[str, object] = {}
    if args.area and args.area != p.county_code:
        changes["county_code"] = args.area
    if args.persons:
        changes["persons"] = args.persons
        for k in ("households_target", "migrants_target", "herders_target"):
            changes[k] = None
    if args.years:
        first, _, last = args.years.partition("-")
        changes["start_year"], changes["end_year"] = int(first), int(last or first)
    if args.no_imperfections:
        changes["imperfections"] = replace(p.imperfections, enabled=False)
    county = changes.get("county_code", p.county_code)
    if args.townships:
        changes["township_names"] = read_township_list(args.townships, county)
    elif not p.township_names:
        changes["township_names"] = read_township_list(shipped_divisions() / "streets.csv", county)
    return replace(p, **changes)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """Generate and write; prints a one-line summary. Returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        p = params_from_args(args)
        formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
        bad = set(formats) - {"csv", "xlsx"}
        if bad:
            raise ValueError(f"unknown format(s): {', '.join(sorted(bad))}")
        t0 = time.perf_counter()
        result = generate(p, args.seed)
        t1 = time.perf_counter()
        write_result(result, args.out, formats, args.header)
        t2 = time.perf_counter()
    except ValueError as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{k} {result.rows(k)}" for k in ("persons", "households", "events", "services", "activity"))
    print(f"{p.county_code} {p.start_year}-{p.end_year} seed {args.seed}: {counts}; "
          f"generated in {t1 - t0:.1f} s, written in {t2 - t1:.1f} s → {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
