"""幸福工程 fund figures as module operands of the indicator catalog (幸福工程指标来源).

Registered as the module source ``loans`` (:mod:`renkou.indicators.providers`); the catalog fragment
``data/indicators.yaml`` defines on them PAR30, the arrears rate, the repayment rate, the loss rate
and the share out of poverty (definitions in :mod:`renkou.loans.metrics`). Every operand is a stock
as of the period's last day, over the loans placed in the villages of the area; an area without a
loan disbursed by then gets no value (missing, not 0).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

CATALOG = Path(__file__).parent / "data" / "indicators.yaml"

OPERANDS = {
    "lent_fen": ("累计放款金额(分)", "cumulative amount lent (fen)"),
    "outstanding_fen": ("贷款余额(分)", "principal outstanding (fen)"),
    "repaid_fen": ("已回收本金(分)", "principal repaid (fen)"),
    "lost_fen": ("损失金额(分)", "principal lost (fen)"),
    "due_fen": ("到期应还金额(分)", "amount fallen due (fen)"),
    "collected_due_fen": ("到期已还金额(分)", "amount collected against what fell due (fen)"),
    "par30_balance_fen": ("逾期30天以上贷款余额(分)", "balance of loans 30 days or more late (fen)"),
    "overdue_principal_fen": ("逾期本金(分)", "overdue principal (fen)"),
    "income_generated_fen": ("创收金额(分)", "income generated (fen)"),
    "mothers": ("受助母亲数", "mothers lent to"),
    "evaluated_mothers": ("已评估母亲数", "mothers evaluated"),
    "out_of_poverty_mothers": ("已脱贫母亲数", "mothers out of poverty"),
}

_FIELDS = {"collected_due_fen": "collected_toward_due_fen"}


def _portfolios(prefixes: list[str], end: dt.date) -> list:
    """The portfolio of each prefix's loans as of ``end`` (``None`` without a loan): the loans under
    the prefixes' common prefix read once, then grouped by their village."""
    from renkou.indicators import providers

    from . import metrics, services

    facts = services.facts_for(providers.common_prefix(prefixes), end)
    return [metrics.portfolio(group) if group else None
            for group in providers.groups(facts, lambda f: f.village, prefixes)]


def operand_values(operand: str, prefixes: list[str], start: dt.date, end: dt.date) -> list[int | None]:
    from renkou.indicators import providers

    found = providers.memo(("loans.portfolios", end, tuple(prefixes)), lambda: _portfolios(prefixes, end))
    field = _FIELDS.get(operand, operand)
    return [None if p is None else int(getattr(p, field)) for p in found]
