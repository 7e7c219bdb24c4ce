"""``renkou migrants summary --area CODE [--period P] [--as-of DATE] [--format json|text]``: inflow, outflow, by
state, agreements and enquiries of an area; ``renkou migrants build --county CODE``: the migrant
records of a county from its register (bulk, idempotent); ``renkou migrants import-agreements FILE
[--user NAME]``: service agreements from a CSV/XLSX file, all or nothing."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Migrant records: summary of an area, build a county's records from the register"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("summary")
        s.add_argument("--area", required=True)
        s.add_argument("--period", default="")
        s.add_argument("--format", choices=("json", "text"), default="text")
        s.add_argument("--as-of", default="", help="YYYY-MM-DD (default today)")
        i = sub.add_parser("import-agreements")
        i.add_argument("file")
        i.add_argument("--user", default="", help="the officer importing (default: the first superuser)")
        b = sub.add_parser("build")
        b.add_argument("--county", required=True)

    def handle(self, *args, **opts):
        from renkou.migrants import services

        if opts["action"] == "import-agreements":
            return self._import(opts)
        if not opts["area" if opts["action"] == "summary" else "county"].isdigit():
            raise CommandError("区划代码应为数字 / an area code is digits")
        if opts["action"] == "build":
            self.stdout.write(json.dumps(services.build_records(opts["county"])))
            return
        try:
            as_of = dt.date.fromisoformat(opts["as_of"]) if opts["as_of"] else None
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD: {opts['as_of']!r}") from None
        data = services.summary(opts["area"], opts["period"] or None, as_of=as_of)
        if opts["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            for key in ("inflow", "outflow", "married_women_15_49", "agreements", "agreements_in_force"):
                self.stdout.write(f"{key}: {data[key]}")

    def _import(self, opts):
        from pathlib import Path

        from django.contrib.auth import get_user_model

        from renkou.core.actor import acting_as
        from renkou.migrants.importer import import_agreements

        users = get_user_model().objects
        user = (users.filter(username=opts["user"]).first() if opts["user"]
                else users.filter(is_superuser=True).order_by("id").first())
        if user is None:
            raise CommandError("没有此用户 / no such user")
        path = Path(opts["file"])
        if not path.exists():
            raise CommandError(f"文件不存在 / no such file: {path}")
        with acting_as(user, via="cli"):
            out = import_agreements(user, filename=path.name, content=path.read_bytes())
        self.stdout.write(json.dumps(out, ensure_ascii=False, indent=2))
        if not out["ok"]:
            raise CommandError("文件未导入 / the file was not imported")
