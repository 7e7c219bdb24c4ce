"""``renkou bureau summary|import``: the bureau's own work from the shell.

``renkou bureau summary --area CODE --year Y [--format json|text]`` prints the figures counted from
the records (funding, staff, association, self-governance, events per township, vehicle trips,
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
        i = sub.add_parser("import", help="a file of records, all or nothing")
        i.add_argument("kind", choices=sorted(SPECS))
        i.add_argument("file")

    def handle(self, *args, **opts):
        from renkou.bureau import importer, services
        from renkou.core.models import Area

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
