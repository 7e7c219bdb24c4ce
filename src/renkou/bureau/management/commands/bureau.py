"""``renkou bureau summary|list|import``: the bureau's own work from the shell.

``renkou bureau list REGISTER --area CODE [--year Y] [--format json|text]`` prints the rows of one
register (see ``renkou.bureau.registers``) and its totals row;
``renkou bureau summary --area CODE --year Y [--format json|text]`` prints the figures counted from the
records (funding, staff, association, self-governance, events per township, vehicle trips,
screening, free services); ``renkou bureau import KIND FILE`` reads a file of ``events``, ``staff``
or ``screening`` all or nothing (errors name row, field and rule; exit status 1 when refused).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as


class Command(BaseCommand):
    help = "计生局自身工作 / the bureau's own work: summary of an area and year, imports"

    def add_arguments(self, parser):
        from renkou.bureau.importer import SPECS

        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("summary", help="figures of an area and year")
        s.add_argument("--area", required=True)
        s.add_argument("--year", type=int, required=True)
        s.add_argument("--format", choices=("text", "json"), default="text")
        from renkou.bureau.registers import REGISTERS

        r = sub.add_parser("list", help="the rows of a register and its totals")
        r.add_argument("register", choices=sorted(REGISTERS))
        r.add_argument("--area", required=True)
        r.add_argument("--year", type=int)
        r.add_argument("--format", choices=("text", "json"), default="text")
        i = sub.add_parser("import", help="a file of records, all or nothing")
        i.add_argument("kind", choices=sorted(SPECS))
        i.add_argument("file")

    def handle(self, *args, **opts):
        from renkou.bureau import importer, services
        from renkou.core.models import Area

        if opts["action"] == "list":
            return self._list(opts)
        if opts["action"] == "summary":
            code = opts["area"]
            if not Area.objects.filter(pk__startswith=code).exists():
                raise CommandError(f"没有区划 {code} / no area {code}")
            s = services.summary(code, opts["year"])
            if opts["format"] == "json":
                self.stdout.write(json.dumps(s, ensure_ascii=False, indent=2, default=str))
            else:
                for k, v in s.items():
                    if k != "townships":
                        self.stdout.write(f"{k}: {v}")
                for t, f in s["townships"].items():
                    self.stdout.write(f"  {t} {f['name']}: {f['sessions']} sessions, {f['reached']} reached")
            return
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"没有文件 / no file: {path}")
        with acting_as(None, via="cli"):
            res = importer.import_file(None, opts["kind"], filename=path.name, content=path.read_bytes())
        for e in res["errors"]:
            self.stderr.write(f"第 {e['row']} 行 / row {e['row']}: {e['message']}")
        self.stdout.write(json.dumps({k: res[k] for k in ("ok", "written", "created", "unchanged")}))
        if not res["ok"]:
            raise SystemExit(1)

    def _list(self, opts):
        from renkou.bureau import registers
        from renkou.core.models import Area

        code = opts["area"]
        area = Area.objects.filter(pk=code.ljust(12, "0")).first() or Area.objects.filter(pk=code).first()
        if area is None:
            raise CommandError(f"没有区划 {code} / no area {code}")
        with acting_as(None, via="cli"):
            data = registers.table(None, registers.get(opts["register"]), area=area.code, year=opts["year"])
            if opts["register"] == "supplies":
                data["stock"] = registers.stock_table(None, area=area.code)
        if opts["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str))
            return
        names = [c["name"] for c in data["columns"]]
        self.stdout.write("\t".join(c["label"] for c in data["columns"]))
        for row in data["rows"]:
            self.stdout.write("\t".join("" if row[n] is None else str(row[n]) for n in names))
        self.stdout.write("\t".join(str(data["totals"].get(n, "")) for n in names))
