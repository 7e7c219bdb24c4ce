"""``renkou areas import DIR_OR_FILE`` and ``renkou areas list --under CODE [--format json]``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from renkou.core import areacodes, divisions, services
from renkou.core.actor import acting_as
from renkou.core.models import Area
from renkou.core.progress import progress_bar


class Command(BaseCommand):
    help = "行政区划：导入与列出 / areas: import and list division codes"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import division files: NBS files (a directory or a file) or an "
                                            "area-tree CSV; with no path, the national table shipped with Renkou")
        imp.add_argument("source", nargs="?", default=None)
        imp.add_argument("--year", type=int, default=2023,
                         help="year of the shipped national table, used when no path is given (default 2023)")
        ls = sub.add_parser("list", help="list areas under a code")
        ls.add_argument("--under", default=None, help="area code (2/4/6/9/12 digits); default: top level")
        ls.add_argument("--level", type=int, default=None, help="only this level (1 province … 6 group)")
        ls.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args, **opts):
        if opts["action"] == "import":
            source = opts["source"]
            if source is None:
                try:
                    source = divisions.shipped_divisions(opts["year"])
                except ValueError as exc:
                    raise CommandError(str(exc)) from exc
            return self._import(source)
        return self._list(opts)

    def _import(self, source):
        with acting_as(None, via="cli"), progress_bar("导入区划 / importing areas") as bar:
            try:
                result = services.import_areas(source, progress=bar)
            except services.AreaImportError as exc:
                raise CommandError(str(exc)) from exc
        names = {1: "省级 provinces", 2: "地级 prefectures", 3: "县级 counties", 4: "乡级 townships",
                 5: "村级 villages", 6: "村民小组 groups"}
        for level, n in sorted(result.by_level.items()):
            self.stdout.write(f"{names[level]}: {n}")
        self.stdout.write(f"新增 created: {result.created}  更新 updated: {result.updated}  "
                          f"未变 unchanged: {result.unchanged}")

    def _list(self, opts):
        under = opts["under"]
        if under:
            code = areacodes.full_code(under)
            try:
                root = Area.objects.get(code=code)
            except Area.DoesNotExist as exc:
                raise CommandError(f"区划 {under} 不存在 / no area {under}") from exc
            if opts["level"]:
                qs = services.area_subtree(root.code, [opts["level"]])
            else:
                qs = root.children.order_by("code")  # direct children (townships of 东莞 hang under the city)
        else:
            qs = Area.objects.filter(level=opts["level"] or 1).order_by("code")
        rows = [{"code": a.code, "name": a.name, "level": a.level, "parent": a.parent_id,
                 "urban_rural": a.urban_rural, "valid_from": a.valid_from and a.valid_from.isoformat(),
                 "valid_to": a.valid_to and a.valid_to.isoformat()} for a in qs]
        if opts["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
        elif opts["format"] == "csv":
            self.stdout.write("code,name,level,parent")
            for r in rows:
                self.stdout.write(f"{r['code']},{r['name']},{r['level']},{r['parent'] or ''}")
        else:
            for r in rows:
                self.stdout.write(f"{r['code']}  {r['name']}")
            self.stdout.write(f"({len(rows)})")
