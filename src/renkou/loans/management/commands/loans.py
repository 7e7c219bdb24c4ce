"""``renkou loans summary|position|approve|disburse|import-sheet``: the 幸福工程 fund from the shell.

``renkou loans summary --area CODE [--as-of DATE] [--format json|text]`` prints the fund figures of
an area (mothers, loans, rounds, lent, outstanding, repaid, lost, income generated, share out of
poverty, repayment rate, PAR30 and, beside it, the arrears rate);
``renkou loans position --fund CODE [--as-of DATE]`` what the ledger says of a fund, by round;
``renkou loans approve|disburse --loan ID …`` take a step of an application (refused like on the
page when the step is not the next one); ``renkou loans import-sheet FILE`` a filled-in collection
sheet, all or nothing; ``renkou loans build-chengguan [--seed S]`` the demo's fund of 城关区 from the
women of the register in the database.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from renkou.core.actor import acting_as
from renkou.ledger.money import format_yuan

TEXT = (("mothers", "受助母亲", "mothers"), ("loans", "借款笔数", "loans"), ("rounds", "轮次", "rounds"),
        ("lent", "累计放款", "lent"), ("outstanding", "贷款余额", "outstanding"), ("repaid", "已回收本金", "repaid"),
        ("lost", "损失", "lost"), ("income_generated", "创收", "income generated"),
        ("out_of_poverty_share", "脱贫率", "out of poverty"), ("repayment_rate", "还款率", "repayment rate"),
        ("par30", "风险贷款率", "PAR30"), ("arrears_rate", "逾期率(仅逾期本金)", "arrears rate (overdue only)"))


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"日期格式应为 YYYY-MM-DD / a date is YYYY-MM-DD: {text!r}") from None


class Command(BaseCommand):
    help = "幸福工程 / Happiness Project loans: fund summary, ledger position, steps, collection sheets"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        s = sub.add_parser("summary", help="fund figures of an area")
        s.add_argument("--area", required=True)
        s.add_argument("--as-of", default=None)
        s.add_argument("--format", choices=("text", "json"), default="text")
        p = sub.add_parser("position", help="what the ledger says of a fund, by round")
        p.add_argument("--fund", required=True)
        p.add_argument("--as-of", default=None)
        p.add_argument("--format", choices=("text", "json"), default="text")
        a = sub.add_parser("approve", help="the committee's approval of an application")
        a.add_argument("--loan", type=int, required=True)
        a.add_argument("--on", required=True)
        a.add_argument("--decision", required=True)
        d = sub.add_parser("disburse", help="disbursement to the mother in person")
        d.add_argument("--loan", type=int, required=True)
        d.add_argument("--on", required=True)
        d.add_argument("--received-by", required=True)
        i = sub.add_parser("import-sheet", help="a filled-in collection sheet (CSV or XLSX)")
        i.add_argument("file")
        b = sub.add_parser("build-chengguan", help="Chengguan's fund of the demo, from the register in the database")
        b.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **o):
        from renkou.loans import services

        with acting_as(None, via="cli"):
            try:
                getattr(self, "_" + o["action"].replace("-", "_"))(services, o)
            except (ValidationError, PermissionDenied, ValueError) as exc:
                raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc

    def _summary(self, services, o):
        data = services.summary(o["area"], _date(o["as_of"]))
        if o["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, default=str, indent=2))
            return
        self.stdout.write(f"{data['area']}  {data['as_of']}")
        for key, zh, en in TEXT:
            value = data[key]
            if key in ("lent", "outstanding", "repaid", "lost", "income_generated"):
                shown = f"¥{value:,.2f}"
            elif key in ("out_of_poverty_share", "repayment_rate", "par30", "arrears_rate"):
                shown = "—" if value is None else f"{value * 100:.1f} %"
            else:
                shown = f"{value:,}"
            self.stdout.write(f"  {zh} {en}: {shown}")
        for year, amount in data["lent_by_year"].items():
            self.stdout.write(f"  {year} 年放款 lent in {year}: ¥{amount:,.2f}")

    def _position(self, services, o):
        from renkou.loans.models import Fund

        fund = Fund.objects.filter(code=o["fund"]).first()
        if fund is None:
            raise CommandError(f"没有基金 {o['fund']} / no fund {o['fund']!r}")
        pos = services.fund_position(fund, _date(o["as_of"]))
        if o["format"] == "json":
            self.stdout.write(json.dumps(pos, ensure_ascii=False, default=str, indent=2))
            return
        for key in ("capital_fen", "cash_fen", "out_fen", "lent_fen", "repaid_fen", "lost_fen"):
            self.stdout.write(f"{key[:-4]}: {format_yuan(pos[key])}")
        for number, r in pos["by_round"].items():
            self.stdout.write(f"round {number}: lent {format_yuan(r['lent_fen'])}, repaid {format_yuan(r['repaid_fen'])}, "
                              f"lost {format_yuan(r['lost_fen'])}, out {format_yuan(r['out_fen'])}")

    def _loan(self, pk):
        from renkou.loans.models import Loan

        loan = Loan.objects.filter(pk=pk).first()
        if loan is None:
            raise CommandError(f"没有借款 {pk} / no loan {pk}")
        return loan

    def _approve(self, services, o):
        loan = services.approve(self._loan(o["loan"]), on=_date(o["on"]), decision=o["decision"])
        self.stdout.write(f"{loan.pk}: {loan.state}")

    def _disburse(self, services, o):
        loan = services.disburse(self._loan(o["loan"]), on=_date(o["on"]), received_by=o["received_by"])
        self.stdout.write(f"{loan.pk}: {loan.state} {format_yuan(loan.amount_fen)}")

    def _build_chengguan(self, services, o):
        from renkou.loans import demo
        from renkou.loans.models import Fund

        if Fund.objects.filter(code=demo.FUND).exists():
            raise CommandError(f"基金 {demo.FUND} 已存在 / the fund {demo.FUND!r} exists already")
        s = demo.run_chengguan(o["seed"])
        self.stdout.write(f"{demo.FUND}: {s['mothers']} mothers, {s['rounds']} rounds, lent ¥{s['lent']:,.2f}")

    def _import_sheet(self, services, o):
        from renkou.loans import sheets

        path = Path(o["file"])
        out = sheets.import_sheet(None, filename=path.name, content=path.read_bytes())
        for e in out["errors"]:
            self.stderr.write(f"row {e['row']}: {e['message']}")
        if out["errors"]:
            raise CommandError("未写入任何数据 / nothing was written")
        self.stdout.write(f"created {out['created']}, unchanged {out['unchanged']}")
