"""Collection sheets (收款表): printed per village and date for the township's round of collection,
and filled in sheets read back on the one import pipeline (:mod:`renkou.core.pipeline`).

A sheet file (CSV or XLSX) has one row per collection: the loan number, the business date on which
the money was collected, the amount and who collected it, optionally a collection number of the
township's own. It is applied all or nothing: a row that is unreadable, names a loan that is not
open in the user's areas, repeats another row, or would take more than the mother owes refuses the
whole file, each row named; the same file imported again records nothing twice (each row's
collection key is the township's number, or the file's hash and the row).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError

from renkou.core import pipeline
from renkou.ledger.money import MoneyError, format_yuan, to_fen

from .models import Collection, Loan

SPEC = pipeline.Spec("loan_collections", (
    pipeline.Col("loan", "借款编号", required=True),
    pipeline.Col("collected_on", "收款日期", required=True),
    pipeline.Col("amount", "收款金额", required=True),
    pipeline.Col("collector", "收款人"),
    pipeline.Col("number", "收款单号"),
))


def sheet_rows(user, village: str, day: dt.date) -> list[dict]:
    """The loans open in a village on a day, each with what has fallen due, what was paid and what is
    late: the printed sheet the township takes to the village."""
    from . import services

    out = []
    loans = (services.visible_loans(user).filter(village_id=village, disbursed_on__lte=day)
             .exclude(closed_on__lte=day).select_related("person", "round").order_by("person__name", "pk"))
    for loan in loans:  # open on that day (repaid or written off later: still on that day's sheet)
        sched = services.schedule_of(loan)
        paid = services.collected_fen(loan, day)
        st = services.schedules.standing(sched, services._yuan(paid), day)
        nxt = next((i for i in sched.instalments if i.due > day), None)
        out.append({"loan": loan, "paid_fen": paid, "due_fen": services._fen(st.due),
                    "overdue_fen": services._fen(st.overdue), "outstanding_fen": services._fen(st.outstanding),
                    "days_late": st.days_late, "next_due": nxt.due if nxt else None,
                    "next_fen": services._fen(nxt.amount) if nxt else 0})
    return out


class CollectionImport(pipeline.FileImport):
    spec = SPEC
    chunk_size = None
    object_type = "loans.collection"

    def __init__(self, path, *, user, today: dt.date | None = None):
        super().__init__(path, user=user, today=today)
        self.accepted: list[dict] = []
        self.created: list[Collection] = []

    def check(self, rows):
        from . import services

        seen: dict[tuple, int] = {}
        taking: dict[int, int] = {}
        digest = self.source.sha256
        for row in rows:
            raw = {k: (v or "").strip() for k, v in row.raw.items()}
            loan = None
            try:
                loan = services.visible_loans(self.user).select_related("fund", "round", "person").get(pk=int(raw["loan"]))
            except (ValueError, Loan.DoesNotExist):
                row.reject(f"借款编号：没有编号为 “{raw['loan']}” 的借款 / loan: no loan numbered {raw['loan']!r}")
            try:
                day = dt.date.fromisoformat(raw["collected_on"])
            except ValueError:
                day = None
                row.reject(f"收款日期：“{raw['collected_on']}” 不是日期(YYYY-MM-DD) / collected_on: "
                           f"{raw['collected_on']!r} is not a date (YYYY-MM-DD)")
            try:
                fen = to_fen(raw["amount"])
                if fen <= 0:
                    raise MoneyError("not positive")
            except MoneyError:
                fen = None
                row.reject(f"收款金额：“{raw['amount']}” 不是正的金额 / amount: {raw['amount']!r} is not a positive amount")
            if row.errors:
                continue
            if day > self.today:
                row.reject(f"收款日期：{day} 晚于今天 / collected_on: {day} is in the future")
            elif loan.disbursed_on is None or day < loan.disbursed_on:
                row.reject("收款日期：早于放款 / collected_on: before the loan was disbursed")
            if loan.state != Loan.State.DISBURSED and not row.errors:
                row.reject(f"借款编号：借款 {loan.pk} 不在还款中 / loan: loan {loan.pk} is not being repaid")
            if self.user is not None:
                try:
                    services._require(self.user, services.LOAN_COLLECT, loan.village_id)
                except PermissionDenied:
                    row.reject(f"借款编号：借款 {loan.pk} 不在您的收款范围 / loan: loan {loan.pk} is outside your areas")
            key = raw.get("number") or f"sheet:{digest[:20]}:{row.line}"
            same = (loan.pk, day, fen)
            if same in seen or any(a["key"] == key for a in self.accepted):
                row.reject(f"与第 {seen.get(same, '?')} 行重复 / repeats row {seen.get(same, '?')}")
            if row.errors:
                continue
            seen[same] = row.line
            done = Collection.objects.filter(idempotency_key=key).first()
            if done is not None:
                row.action = "unchanged"
                continue
            owed = services.outstanding_fen(loan) - taking.get(loan.pk, 0)
            if fen > owed:
                row.reject(f"收款金额：{format_yuan(fen)} 超过尚欠 {format_yuan(owed)} / amount: {format_yuan(fen)} "
                           f"exceeds the {format_yuan(owed)} owed")
                continue
            taking[loan.pk] = taking.get(loan.pk, 0) + fen
            row.action = "create"
            self.accepted.append({"loan": loan, "on": day, "fen": fen, "key": key,
                                  "collector": raw.get("collector", "")})

    def write(self, rows):
        """Collections are posted in :meth:`finish`, once every row of the file was checked."""

    def finish(self):
        from . import services

        for a in sorted(self.accepted, key=lambda a: (a["on"], a["loan"].pk)):
            try:
                self.created.append(services.collect(a["loan"], on=a["on"], amount_fen=a["fen"],
                                                     idempotency_key=a["key"], collector=a["collector"],
                                                     source=f"sheet:{self.source.name}"[:80], user=self.user))
            except ValidationError as exc:  # a rule of the service the check did not foresee
                raise pipeline.ImportFailed(str(exc), str(exc)) from exc

    def audit_detail(self):
        return {"collections": len(self.created), "fen": sum(c.amount_fen for c in self.created)}


def import_sheet(user, *, filename: str, content: bytes, today: dt.date | None = None) -> dict:
    """Import a filled-in collection sheet; returns what was recorded and each rejected row."""
    with pipeline.spooled(content, filename) as path:
        job = CollectionImport(path, user=user, today=today)
        try:
            res = job.run()
        except pipeline.ImportFailed as exc:
            return {"ok": False, "written": False, "created": 0, "unchanged": 0,
                    "errors": [{"row": 0, "message": str(exc)}], "sha256": hashlib.sha256(content).hexdigest()}
    return {"ok": res.ok, "written": res.written, "created": res.created, "unchanged": res.unchanged,
            "rejected": res.rejected,
            "errors": [{"row": r.line, "message": "; ".join(r.errors)} for r in res.rows if r.errors],
            "sha256": hashlib.sha256(content).hexdigest()}
