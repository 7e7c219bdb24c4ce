"""``renkou evaluate --scheme FILE --period P [--format json] [--publish]``: assess every unit of a scheme.

The scheme file is checked and stored (replacing the stored scheme of the same code), every unit
is scored from its sources into a new draft version, optionally published, and one line per unit
is printed: code, name, total, rank, grade, veto and the item scores.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.evaluation import services
from renkou.evaluation.scheme_format import SchemeError


class Command(BaseCommand):
    help = "考核评估：按方案给各单位计分、排名 / score and rank every unit of an assessment scheme"

    def add_arguments(self, parser):
        parser.add_argument("--scheme", required=True, help="scheme file (.yaml, .yml or .json)")
        parser.add_argument("--period", default=None, help="period code, e.g. 2005, 2005SY (default: the scheme's)")
        parser.add_argument("--format", choices=["table", "json"], default="table")
        parser.add_argument("--publish", action="store_true", help="publish the new version (freeze it)")
        parser.add_argument("--user", default=None, help="act as this user (default: the command line)")

    def handle(self, *args, **opts):
        path = Path(opts["scheme"])
        if not path.exists():
            raise CommandError(f"文件不存在 / no such file: {path}")
        user = None
        if opts["user"]:
            from renkou.core.models import User

            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"用户不存在 / no such user: {opts['user']}")
        text = path.read_text(encoding="utf-8")
        fmt = "json" if path.suffix.lower() == ".json" else "yaml"
        with acting_as(user, via="cli"):
            try:
                scheme = services.import_scheme(user=user, text=text, fmt=fmt, replace=True)
                run = services.compute_run(user=user, scheme=scheme, period_code=opts["period"])
                if opts["publish"]:
                    run = services.publish_run(user=user, run=run)
            except SchemeError as exc:
                raise CommandError("\n".join(exc.errors)) from exc
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        rows = services.runs_as_json(run)
        self.stderr.write(f"{scheme.code} {run.period_code} v{run.version} {run.status}"
                          + (f" sha256 {run.content_hash}" if run.content_hash else ""))
        if opts["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        items = [i.code for i in run.parsed_scheme().items]
        self.stdout.write("\t".join(["rank", "code", "name", "total", "grade", "veto", *items]))
        for r in rows:
            cells = [str(r["rank"]), r["code"], r["name"], f"{r['total']:.2f}", r["grade"] or "—",
                     "true" if r["veto"] else "false",
                     *("—" if r["items"].get(i) is None else f"{r['items'][i]:g}" for i in items)]
            self.stdout.write("\t".join(cells))
