"""``renkou indicators compute|load-catalog|recompute-dirty|columnar|export``: the indicators engine from the shell.

``renkou indicators compute --area 520122 --period 2005 --level 4 --format csv`` computes (full
recompute) and prints, for each indicator and area, code, name, area, period, value, numerator and
denominator.
"""

from __future__ import annotations

import csv
import json
import sys

from django.core.management.base import BaseCommand, CommandError

LEVELS = {"province": 1, "prefecture": 2, "county": 3, "township": 4, "village": 5}
FIELDS = ("code", "name", "area", "area_name", "period", "value", "unit", "numerator", "denominator")


def _level(text: str | None) -> int | None:
    if text is None:
        return None
    if text.isdigit() and 1 <= int(text) <= 5:
        return int(text)
    if text in LEVELS:
        return LEVELS[text]
    raise CommandError(f"--level {text!r}: 应为 1–5 或 {'/'.join(LEVELS)} / expected 1–5 or {'/'.join(LEVELS)}")


class Command(BaseCommand):
    help = "指标计算 / compute indicators, load the catalog, recompute changed cells, export ADX/JSON"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        c = sub.add_parser("compute", help="compute and print indicator values")
        c.add_argument("--area", required=True, help="area code (6, 9 or 12 digits)")
        c.add_argument("--period", required=True, action="append",
                       help="period code: 2005, 2005SY, 2005Q3, 200507 … (repeatable)")
        c.add_argument("--level", help="deepest level to compute and print: 3..5 or county/township/village")
        c.add_argument("--format", choices=("json", "csv", "table"), default="table")
        c.add_argument("--indicator", action="append", help="only these indicator codes (repeatable)")
        c.add_argument("--lang", choices=("zh", "en"), default="zh")
        c.add_argument("--no-compute", action="store_true", help="print stored values without recomputing")
        lc = sub.add_parser("load-catalog", help="load the default catalog or a YAML file")
        lc.add_argument("path", nargs="?")
        rd = sub.add_parser("recompute-dirty", help="recompute the cells changed since the last computation")
        rd.add_argument("--every", type=float, metavar="SECONDS",
                        help="keep running: recompute every SECONDS until stopped (or until the parent process "
                             "ends, when started by renkou serve)")
        rd.add_argument("--rounds", type=int, help="with --every: stop after this many rounds")
        rd.add_argument("--parent", type=int, metavar="PID",
                        help="with --every: stop when this process (the server that started it) ends")
        col = sub.add_parser("columnar", help="the columnar copy of the register the counts read: "
                                               "rebuild, status, sync (replay the change log), drop")
        col.add_argument("what", choices=("rebuild", "status", "sync", "drop"))
        e = sub.add_parser("export", help="export aggregate values as ADX (XML) or a JSON data value set")
        e.add_argument("--area", required=True)
        e.add_argument("--period", required=True)
        e.add_argument("--format", choices=("adx", "json"), default="adx")
        e.add_argument("--dataset")

    def handle(self, *args, **o):
        from renkou.indicators import services

        action = o["action"]
        if action == "load-catalog":
            try:
                counts = services.load_catalog(o.get("path"))
            except (OSError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(counts, ensure_ascii=False))
            return
        if action == "recompute-dirty":
            if o.get("every") is None:
                self.stdout.write(json.dumps({"values": services.recompute_dirty()}))
                return
            if o["every"] <= 0:
                raise CommandError("--every must be a positive number of seconds")
            import os

            # the server that started the loop names itself: read here, a parent gone during start-up would
            # already have been replaced by the reaper
            parent = o.get("parent") or os.getppid()

            def say(line):
                self.stdout.write(line)
                self.stdout.flush()

            try:
                total = services.recompute_dirty_every(o["every"], rounds=o.get("rounds"),
                                                       alive=lambda: os.getppid() == parent, log=say)
            except KeyboardInterrupt:  # Ctrl+C on the terminal of `renkou serve` reaches this process too
                return
            self.stdout.write(json.dumps({"values": total}))
            return
        if action == "columnar":
            from renkou.indicators import columnar

            what = o["what"]
            if what == "rebuild":
                result = {"rows": columnar.rebuild(), **columnar.status()}
            elif what == "sync":
                result = columnar.sync()
            elif what == "drop":
                result = {"dropped": columnar.drop()}
            else:
                result = columnar.status()
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        if action == "export":
            from renkou.indicators import exchange

            try:
                text = exchange.export(o["area"], o["period"], fmt=o["format"], dataset=o.get("dataset"))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(text)
            return
        self._compute(services, o)

    def _compute(self, services, o) -> None:
        from renkou.core.models import Area

        level = _level(o.get("level"))
        rows = []
        try:
            from renkou.indicators.models import Indicator

            if not Indicator.objects.exists():
                services.load_catalog()
            for period in o["period"]:
                root_level = None
                if not o["no_compute"]:
                    services.compute(o["area"], period, level=level or None)
                root_level = level or Area.objects.get(code=o["area"].ljust(12, "0")).level
                rows += services.value_rows(o["area"], period, level=root_level, indicators=o.get("indicator"),
                                            lang=o["lang"])
        except Area.DoesNotExist as exc:
            raise CommandError(f"区划 {o['area']} 不存在 / no area {o['area']}") from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout
        if o["format"] == "json":
            out.write(json.dumps(rows, ensure_ascii=False, indent=1))
        elif o["format"] == "csv":
            w = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        else:
            for r in rows:
                value = "—" if r["value"] is None else f"{r['value']:g}{r['unit']}"
                out.write(f"{r['area']} {r['area_name']:<10} {r['period']:<7} {r['code']:<28} {r['name']:<14} "
                          f"{value:>12}  = {r['numerator']} / {r['denominator']}")
        sys.stdout.flush()
