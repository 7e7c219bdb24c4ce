"""Portfolio metrics of a revolving fund (贷款组合指标), pure: no Django, money in integer fen.

Each loan is reduced, as of one day, to a :class:`LoanFacts`; :func:`portfolio` sums any set of them
(a round, an office, an area). The definitions (published on the fund page and in the catalog):

- **lent** (累计放款): principal disbursed on or before the day;
- **outstanding** (贷款余额): principal lent and neither repaid nor written off;
- **repaid** (已回收本金): principal collected;
- **lost** (损失): principal written off less what was recovered after;
- **repayment rate** (还款率) = collected ÷ due: of what fell due on or before the day, the share
  collected (a payment made before its due date counts once it falls due, never above what fell
  due on the loan);
- **PAR30** (风险贷款率, CGAP) = the *whole* outstanding balance of the loans with an instalment
  30 days or more late ÷ the total outstanding;
- **arrears rate** (逾期率) = the overdue principal alone ÷ the total outstanding — shown beside PAR30
  and labelled, for it understates the risk: a loan one instalment late is at risk for all it owes;
- **loss rate** (损失率) = lost ÷ lent;
- **income generated** (创收): the income the field evaluations found, summed;
- **share out of poverty** (脱贫率): of the mothers with a field evaluation, those whose latest
  evaluation found the household out of poverty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

PAR_DAYS = 30


@dataclass(frozen=True)
class LoanFacts:
    loan: int
    mother: int
    round: int
    office: str
    village: str
    lent_fen: int
    repaid_fen: int = 0  # principal collected
    due_fen: int = 0  # fell due (principal and interest)
    collected_toward_due_fen: int = 0  # collected, at most what fell due
    outstanding_fen: int = 0  # principal outstanding
    overdue_principal_fen: int = 0
    days_late: int = 0
    written_off_fen: int = 0
    recovered_fen: int = 0
    income_generated_fen: int = 0
    evaluated: bool = False
    out_of_poverty: bool = False


@dataclass(frozen=True)
class Portfolio:
    mothers: int
    loans: int
    rounds: int
    lent_fen: int
    outstanding_fen: int
    repaid_fen: int
    lost_fen: int
    due_fen: int
    collected_toward_due_fen: int
    par30_balance_fen: int
    overdue_principal_fen: int
    income_generated_fen: int
    evaluated_mothers: int
    out_of_poverty_mothers: int
    by_round: dict[int, int] = field(default_factory=dict)  # round → principal lent in it

    @property
    def repayment_rate(self) -> float | None:
        return ratio(self.collected_toward_due_fen, self.due_fen)

    @property
    def par30(self) -> float | None:
        return ratio(self.par30_balance_fen, self.outstanding_fen)

    @property
    def arrears_rate(self) -> float | None:
        return ratio(self.overdue_principal_fen, self.outstanding_fen)

    @property
    def loss_rate(self) -> float | None:
        return ratio(self.lost_fen, self.lent_fen)

    @property
    def out_of_poverty_share(self) -> float | None:
        return ratio(self.out_of_poverty_mothers, self.evaluated_mothers)


def ratio(numerator: int, denominator: int) -> float | None:
    """``numerator ÷ denominator``; ``None`` when there is nothing to divide by (not 0, not 100 %)."""
    return None if not denominator else numerator / denominator


def at_risk(facts: LoanFacts, days: int = PAR_DAYS) -> bool:
    return facts.outstanding_fen > 0 and facts.days_late >= days


def portfolio(loans: Iterable[LoanFacts]) -> Portfolio:
    loans = list(loans)
    by_round: dict[int, int] = {}
    for f in loans:
        by_round[f.round] = by_round.get(f.round, 0) + f.lent_fen
    latest: dict[int, bool] = {}
    for f in loans:  # a mother with two loans counts once, by the latest loan evaluated
        if f.evaluated:
            latest[f.mother] = f.out_of_poverty
    return Portfolio(
        mothers=len({f.mother for f in loans}), loans=len(loans), rounds=len(by_round),
        lent_fen=sum(f.lent_fen for f in loans), outstanding_fen=sum(f.outstanding_fen for f in loans),
        repaid_fen=sum(f.repaid_fen for f in loans),
        lost_fen=sum(f.written_off_fen - f.recovered_fen for f in loans),
        due_fen=sum(f.due_fen for f in loans),
        collected_toward_due_fen=sum(f.collected_toward_due_fen for f in loans),
        par30_balance_fen=sum(f.outstanding_fen for f in loans if at_risk(f)),
        overdue_principal_fen=sum(f.overdue_principal_fen for f in loans),
        income_generated_fen=sum(f.income_generated_fen for f in loans),
        evaluated_mothers=len(latest), out_of_poverty_mothers=sum(latest.values()),
        by_round=dict(sorted(by_round.items())))
