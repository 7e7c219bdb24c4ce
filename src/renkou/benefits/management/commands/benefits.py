"""``renkou benefits programs|cycle|summary``: benefits from the shell.

``renkou benefits programs --install`` stores the shipped programs (JSON in ``benefits/data/programs``);
``renkou benefits cycle --program CODE --period P --area CODE [--format json]`` computes and freezes the
roster (or shows the frozen one) and prints its counts and totals;
``renkou benefits summary --area CODE --period P --format json`` prints, per program, households,
persons and the amounts committed, paid and failed;
``renkou benefits reconcile --batch N FILE [--format json]`` reads the bank's return file of a batch
sent to the bank (all or nothing) and prints the row-numbered report; exit status 1 when refused.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core import areacodes
from renkou.core.actor import acting_as
from renkou.ledger.money import format_yuan, yuan


class Command(BaseCommand):
    help = "利益导向 / benefits: programs, cycle rosters, summaries"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("programs", help="list the programs (--install: store the shipped ones)")
        p.add_argument("--install", action="store_true")
        c = sub.add_parser("cycle", help="compute and freeze (or show) a cycle's roster")
        c.add_argument("--program", required=True)
        c.add_argument("--period", required=True, help="2005 for a yearly program, 202503 for a monthly one")
        c.add_argument("--area", required=True, help="county code (6 or 12 digits)")
        c.add_argument("--census", default=None, help="census date YYYY-MM-DD (default: end of the period)")
        c.add_argument("--format", choices=("table", "json"), default="table")
        s = sub.add_parser("summary", help="per program: households, persons, committed, paid, failed")
        s.add_argument("--area", required=True)
        s.add_argument("--period", required=True)
        s.add_argument("--format", choices=("table", "json"), default="table")

        r = sub.add_parser("reconcile", help="read the bank's return file of a batch (all or nothing)")
        r.add_argument("--batch", type=int, required=True, help="the payment batch's id")
        r.add_argument("file")
        r.add_argument("--format", choices=("table", "json"), default="table")

    def handle(self, *args, **o):
        from renkou.benefits import services

        with acting_as(None, via="cli"):
            try:
                getattr(self, f"_{o['action']}")(services, o)
            except (ValidationError, PermissionDenied, ValueError) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def _programs(self, services, o):
        from renkou.benefits.models import Program

        if o["install"]:
            services.install_shipped_programs()
        for p in Program.objects.all():
            self.stdout.write(f"{p.code}\t{p.name_zh}\t{p.area_id or '*'}\t{p.unit}\t{p.cycle}")

    def _cycle(self, services, o):
        import datetime as dt

        from renkou.benefits.models import Cycle, Program

        program = Program.objects.filter(code=o["program"]).first()
        if program is None:
            raise CommandError(f"没有该项目 / no such program: {o['program']} (renkou benefits programs --install)")
        county = areacodes.full_code(o["area"][:6])
        census = dt.date.fromisoformat(o["census"]) if o["census"] else None
        cycle = Cycle.objects.filter(program=program, area_id=county, period=o["period"]).first()
        frozen = cycle is not None
        if cycle is None:
            cycle = services.compute_cycle(None, program, county, o["period"], census=census)
        t = services.cycle_totals(cycle)
        out = {"cycle": cycle.pk, "program": program.code, "area": county, "period": cycle.period,
               "census_date": cycle.census_date.isoformat(), "already_frozen": frozen, "units": t["units"],
               "households": t["households"], "persons": t["persons"], "amount": str(yuan(t["listed_fen"])),
               "committed": str(yuan(t["committed_fen"])), "paid": str(yuan(t["paid_fen"])),
               "failed": str(yuan(t["failed_fen"])), "villages": cycle.lists.count(),
               "entered": len(cycle.changes.get("entered", [])), "left": len(cycle.changes.get("left", []))}
        if o["format"] == "json":
            self.stdout.write(json.dumps(out, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{program.name_zh} {cycle.period} {county}: {t['units']:,} units, "
                          f"{t['households']:,} households, {t['persons']:,} persons, {format_yuan(t['listed_fen'])}"
                          f" ({'frozen earlier' if frozen else 'computed and frozen now'})")

    def _summary(self, services, o):
        rows = services.summary(None, o["area"], o["period"])
        if o["format"] == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        self.stdout.write("program\tperiod\thouseholds\tpersons\tcommitted\tpaid\tfailed")
        for r in rows:
            self.stdout.write(f"{r['program']}\t{r['period']}\t{r['households']:,}\t{r['persons']:,}\t"
                              f"{r['committed']}\t{r['paid']}\t{r['failed']}")

    def _reconcile(self, services, o):
        from pathlib import Path

        from renkou.benefits.models import PaymentBatch

        batch = PaymentBatch.objects.filter(pk=o["batch"]).first()
        if batch is None:
            raise CommandError(f"没有编号为 {o['batch']} 的发放批次 / no payment batch {o['batch']}")
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"文件 {path} 不存在 / no such file {path}")
        ret = services.import_return(None, batch, filename=path.name, content=path.read_bytes())
        if o["format"] == "json":
            self.stdout.write(json.dumps({"batch": batch.pk, "applied": ret.applied, "refused": ret.refused,
                                          "counts": ret.counts, "report": ret.report}, ensure_ascii=False, indent=1))
        else:
            for r in ret.report:
                self.stdout.write(f"{r['row']}\t{r['reference']}\t{r['outcome']}\t{r['message']}")
            state = ("已拒收，未作改动 / refused, nothing changed" if ret.refused else
                     "已入账 / applied" if ret.applied else "无新内容 / nothing new")
            self.stdout.write(f"{path.name}: {state}; " + ", ".join(f"{k} {v}" for k, v in sorted(ret.counts.items())))
        if ret.refused:
            raise SystemExit(1)
