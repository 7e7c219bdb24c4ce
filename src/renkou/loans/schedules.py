"""Repayment schedules of revolving micro-loans (还款计划), pure: no Django, money as ``Decimal`` yuan.

A loan's :class:`Terms` say how it is repaid:

- interest ``none`` (幸福工程 lends without interest) or ``flat`` (a yearly rate on the original
  principal for the whole term, spread over the instalments like the principal);
- amortisation ``equal_principal`` (the principal in equal parts, the odd fen on the last
  instalment) or ``bullet`` (the whole principal on the last due date);
- ``grace_months``: no instalment falls due in the first months after disbursement;
- ``repayment_months``: seasonal repayment — only these calendar months carry an instalment (herders
  repay after the autumn sale, farmers after the harvest); ``()`` means every month.

Due dates are the disbursement day plus whole months (the 31st becomes the month's last day). A
schedule is rescheduled with a reason (:func:`reschedule`): what was paid stays where it was paid,
the rest is spread over new due dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class ScheduleError(ValueError):
    """Terms that give no schedule (no due date left, a negative amount, an unknown method)."""


def money(value) -> Decimal:
    """An amount of yuan with two places (refuses floats)."""
    if isinstance(value, float):
        raise ScheduleError(f"金额不能是浮点数 / an amount must not be a float: {value!r}")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; a day past the month's end becomes its last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Terms:
    principal: Decimal
    term_months: int
    interest: str = "none"  # none | flat
    annual_rate: Decimal = ZERO  # e.g. Decimal("0.06") for 6 % a year (flat)
    amortization: str = "equal_principal"  # equal_principal | bullet
    grace_months: int = 0
    repayment_months: tuple[int, ...] = ()

    def problems(self) -> list[str]:
        out = []
        if money(self.principal) <= 0:
            out.append("本金须为正数 / the principal must be positive")
        if self.term_months < 1:
            out.append("期限至少一个月 / the term is at least one month")
        if self.interest not in ("none", "flat"):
            out.append(f"未知计息方式 {self.interest} / unknown interest method {self.interest!r}")
        if self.amortization not in ("equal_principal", "bullet"):
            out.append(f"未知还本方式 {self.amortization} / unknown amortisation {self.amortization!r}")
        if Decimal(self.annual_rate) < 0:
            out.append("利率不能为负 / the rate cannot be negative")
        if not 0 <= self.grace_months < self.term_months:
            out.append("宽限期须短于期限 / the grace period must be shorter than the term")
        if any(not 1 <= m <= 12 for m in self.repayment_months):
            out.append("还款月份为 1–12 / repayment months are 1–12")
        return out

    def as_dict(self) -> dict:
        return {"principal": str(money(self.principal)), "term_months": self.term_months, "interest": self.interest,
                "annual_rate": str(self.annual_rate), "amortization": self.amortization,
                "grace_months": self.grace_months, "repayment_months": list(self.repayment_months)}

    @classmethod
    def from_dict(cls, data: dict) -> Terms:
        return cls(principal=money(data["principal"]), term_months=int(data["term_months"]),
                   interest=data.get("interest", "none"), annual_rate=Decimal(str(data.get("annual_rate", "0"))),
                   amortization=data.get("amortization", "equal_principal"),
                   grace_months=int(data.get("grace_months", 0)),
                   repayment_months=tuple(int(m) for m in data.get("repayment_months", ())))

    @property
    def total_interest(self) -> Decimal:
        if self.interest == "none":
            return ZERO
        return money(money(self.principal) * Decimal(self.annual_rate) * self.term_months / 12)


@dataclass(frozen=True)
class Instalment:
    number: int
    due: dt.date
    principal: Decimal
    interest: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        return self.principal + self.interest

    def as_dict(self) -> dict:
        return {"number": self.number, "due": self.due.isoformat(), "principal": str(self.principal),
                "interest": str(self.interest)}

    @classmethod
    def from_dict(cls, data: dict) -> Instalment:
        return cls(int(data["number"]), dt.date.fromisoformat(data["due"]), money(data["principal"]),
                   money(data.get("interest", "0")))


@dataclass(frozen=True)
class Schedule:
    instalments: tuple[Instalment, ...]
    reason: str = ""  # why it was rescheduled; empty for the first schedule
    history: tuple[str, ...] = field(default_factory=tuple)

    @property
    def principal(self) -> Decimal:
        return sum((i.principal for i in self.instalments), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((i.interest for i in self.instalments), ZERO)

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest

    @property
    def maturity(self) -> dt.date:
        return self.instalments[-1].due

    def due_until(self, day: dt.date) -> Decimal:
        """What fell due on or before ``day``."""
        return sum((i.amount for i in self.instalments if i.due <= day), ZERO)

    def balances(self) -> list[Decimal]:
        """The amount still owed after each instalment, if each is paid as scheduled."""
        left, out = self.total, []
        for i in self.instalments:
            left -= i.amount
            out.append(left)
        return out

    def as_list(self) -> list[dict]:
        return [i.as_dict() for i in self.instalments]

    @classmethod
    def from_list(cls, rows: Iterable[dict], reason: str = "") -> Schedule:
        return cls(tuple(Instalment.from_dict(r) for r in rows), reason)


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` equal amounts of whole fen, the odd fen on the last."""
    each = (total / parts).quantize(CENT, rounding="ROUND_DOWN")
    return [each] * (parts - 1) + [total - each * (parts - 1)]


def due_dates(start: dt.date, months: int, *, grace_months: int = 0,
              repayment_months: Sequence[int] = ()) -> list[dt.date]:
    """The due dates of a schedule starting at ``start``: month ``grace_months + 1`` to ``months``,
    only in the repayment months when given (when none of the term's months is one, the last month
    of the term)."""
    days = [add_months(start, k) for k in range(grace_months + 1, months + 1)]
    if repayment_months and days:
        seasonal = [d for d in days if d.month in set(repayment_months)]
        days = seasonal or days[-1:]
    return days


def build(terms: Terms, disbursed_on: dt.date) -> Schedule:
    """The schedule of a loan disbursed on ``disbursed_on``."""
    problems = terms.problems()
    if problems:
        raise ScheduleError("；".join(problems))
    days = due_dates(disbursed_on, terms.term_months, grace_months=terms.grace_months,
                     repayment_months=terms.repayment_months)
    principal = money(terms.principal)
    if terms.amortization == "bullet":
        parts = [ZERO] * (len(days) - 1) + [principal]
    else:
        parts = _split(principal, len(days))
    interest = _split(terms.total_interest, len(days)) if terms.total_interest else [ZERO] * len(days)
    return Schedule(tuple(Instalment(n, d, p, i) for n, (d, p, i) in enumerate(zip(days, parts, interest, strict=True), 1)))


@dataclass(frozen=True)
class Standing:
    """A schedule against what was paid, as of one day (interest paid before principal within each
    instalment, instalments oldest first)."""

    paid: Decimal
    due: Decimal  # fell due on or before the day
    overdue: Decimal  # of that, not paid
    outstanding: Decimal  # everything not yet paid
    principal_outstanding: Decimal
    overdue_principal: Decimal
    days_late: int  # since the oldest instalment not fully paid fell due (0 when none is late)


def standing(schedule: Schedule, paid: Decimal, day: dt.date) -> Standing:
    paid = money(paid)
    left = paid
    overdue = overdue_principal = principal_out = ZERO
    oldest_late: dt.date | None = None
    for inst in schedule.instalments:
        on_interest = min(left, inst.interest)
        left -= on_interest
        on_principal = min(left, inst.principal)
        left -= on_principal
        unpaid_principal = inst.principal - on_principal
        unpaid = inst.amount - on_interest - on_principal
        principal_out += unpaid_principal
        if inst.due <= day and unpaid > 0:
            overdue += unpaid
            overdue_principal += unpaid_principal
            oldest_late = oldest_late or inst.due
    due = schedule.due_until(day)
    return Standing(paid=paid, due=due, overdue=overdue, outstanding=max(schedule.total - paid, ZERO),
                    principal_outstanding=principal_out, overdue_principal=overdue_principal,
                    days_late=(day - oldest_late).days if oldest_late else 0)


def reschedule(schedule: Schedule, paid: Decimal, *, start: dt.date, months: int, reason: str,
               grace_months: int = 0, repayment_months: Sequence[int] = ()) -> Schedule:
    """A new schedule from ``start``: the instalments covered by ``paid`` stay as they were (a partly
    paid one keeps its paid part), the unpaid principal and interest are spread over the new due
    dates. The total owed is unchanged."""
    if not reason.strip():
        raise ScheduleError("调整还款计划须说明原因 / a rescheduling needs a reason")
    paid = money(paid)
    if paid < 0 or paid > schedule.total:
        raise ScheduleError(f"已还 {paid} 超出应还总额 {schedule.total} / paid {paid} exceeds the total {schedule.total}")
    if paid == schedule.total:
        raise ScheduleError("贷款已还清，无需调整 / the loan is repaid; nothing to reschedule")
    kept: list[Instalment] = []
    left = paid
    rest_principal = rest_interest = ZERO
    for inst in schedule.instalments:
        on_interest = min(left, inst.interest)
        left -= on_interest
        on_principal = min(left, inst.principal)
        left -= on_principal
        if on_interest or on_principal:
            kept.append(Instalment(len(kept) + 1, inst.due, on_principal, on_interest))
        rest_principal += inst.principal - on_principal
        rest_interest += inst.interest - on_interest
    days = due_dates(start, months, grace_months=grace_months, repayment_months=repayment_months)
    if not days:
        raise ScheduleError("新计划没有还款日 / the new schedule has no due date")
    if kept and days[0] <= kept[-1].due:
        raise ScheduleError("新还款日须晚于已还的期次 / new due dates must follow the instalments paid")
    principal = _split(rest_principal, len(days))
    interest = _split(rest_interest, len(days)) if rest_interest else [ZERO] * len(days)
    new = [Instalment(len(kept) + n, d, p, i) for n, (d, p, i) in enumerate(zip(days, principal, interest, strict=True), 1)]
    return Schedule(tuple(kept + new), reason.strip(), schedule.history + ((reason.strip(),)))
