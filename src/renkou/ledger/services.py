"""Posting to the ledger and reading balances (记账与余额).

:func:`post` is the one way money moves: it locks the accounts it touches (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers), refuses a posting that
would leave an account that must not go negative below zero, writes the transaction unposted, adds
its legs and posts it — the database checks the sum (see ``migrations/0002_ledger_guards.py``).
An idempotency key makes a repeated call return the first transaction instead of posting twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from .models import Account, Leg, Transaction
from .money import format_yuan


class LedgerError(ValueError):
    """A posting refused: unbalanced legs, an account that would go negative, a bad reversal."""


@dataclass(frozen=True)
class Line:
    account: Account
    amount_fen: int  # debit positive, credit negative
    reference: str = ""


def account(code: str, *, name: str = "", kind: str = Account.Kind.ASSET, role: str = "", program: str = "",
            area_id: str | None = None, allow_negative: bool = False) -> Account:
    """The account of ``code`` (``a/b/c``), created with its parents when missing."""
    existing = Account.objects.filter(code=code).first()
    if existing is not None:
        return existing
    parent = None
    if "/" in code:
        parent = account(code.rsplit("/", 1)[0], kind=kind, program=program, allow_negative=True)
    obj, _created = Account.objects.get_or_create(
        code=code, defaults={"name": name or code.rsplit("/", 1)[-1], "parent": parent, "kind": kind, "role": role,
                             "program": program, "area_id": area_id, "allow_negative": allow_negative})
    return obj


def _sum(qs) -> int:
    return int(qs.aggregate(s=Sum("amount_fen"))["s"] or 0)


def raw_balance(acc: Account | str, *, subtree: bool = False, until: dt.date | None = None) -> int:
    """Sum of the posted legs of the account (debit positive), optionally of its whole subtree."""
    code = acc.code if isinstance(acc, Account) else acc
    q = Q(account__code=code) | Q(account__code__startswith=code + "/") if subtree else Q(account__code=code)
    qs = Leg.objects.filter(q, transaction__posted=True)
    if until is not None:
        qs = qs.filter(transaction__date__lte=until)
    return _sum(qs)


def balance(acc: Account, *, subtree: bool = False, until: dt.date | None = None) -> int:
    """The balance in fen in the account's normal direction (a budget of ¥100 reads 10000)."""
    return acc.normal * raw_balance(acc, subtree=subtree, until=until)


def post(lines: Sequence[Line], *, kind: str, description: str, reference: str = "", date: dt.date | None = None,
         idempotency_key: str | None = None, user=None, reverses: Transaction | None = None) -> Transaction:
    """Post one balanced transaction; see the module docstring."""
    lines = [ln for ln in lines if ln.amount_fen]
    if idempotency_key:
        done = Transaction.objects.filter(idempotency_key=idempotency_key).first()
        if done is not None:
            return done
    if len(lines) < 2:
        raise LedgerError("一笔账至少两条分录 / a transaction needs at least two legs")
    total = sum(ln.amount_fen for ln in lines)
    if total != 0:
        raise LedgerError(f"借贷不平（差 {format_yuan(total)}） / legs do not sum to zero (off by {format_yuan(total)})")
    with transaction.atomic():
        ids = sorted({ln.account.pk for ln in lines})
        locked = {a.pk: a for a in Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
        change: dict[int, int] = {}
        for ln in lines:
            change[ln.account.pk] = change.get(ln.account.pk, 0) + ln.amount_fen
        for pk, delta in change.items():
            acc = locked[pk]
            if acc.allow_negative or acc.normal * delta >= 0:
                continue
            after = acc.normal * (raw_balance(acc) + delta)
            if after < 0:
                raise LedgerError(
                    f"账户 {acc.name}（{acc.code}）余额不足：现有 {format_yuan(balance(acc))}，需要 "
                    f"{format_yuan(-acc.normal * delta)} / account {acc.code} would go negative: balance "
                    f"{format_yuan(balance(acc))}, needed {format_yuan(-acc.normal * delta)}")
        try:
            with transaction.atomic():
                tx = Transaction.objects.create(kind=kind, description=description[:300], reference=reference[:60],
                                                date=date or timezone.localdate(), idempotency_key=idempotency_key,
                                                created_by=user if getattr(user, "is_authenticated", False) else None,
                                                reverses=reverses)
        except IntegrityError:
            if idempotency_key:
                return Transaction.objects.get(idempotency_key=idempotency_key)
            raise
        Leg.objects.bulk_create([Leg(transaction=tx, account=ln.account, amount_fen=ln.amount_fen,
                                     reference=ln.reference[:60]) for ln in lines])
        Transaction.objects.filter(pk=tx.pk).update(posted=True)
        tx.posted = True
    return tx


def transfer(source: Account, target: Account, amount_fen: int, **kw) -> Transaction:
    """Move ``amount_fen`` from ``source`` to ``target`` (both debit-normal: credit one, debit the other)."""
    ref = kw.pop("leg_reference", kw.get("reference", ""))
    return post([Line(target, amount_fen, ref), Line(source, -amount_fen, ref)], **kw)


def reverse(tx: Transaction, *, description: str = "", user=None, date: dt.date | None = None) -> Transaction:
    """The correcting transaction: every leg of ``tx`` with the opposite sign."""
    if hasattr(tx, "reversed_by"):
        raise LedgerError(f"第 {tx.pk} 笔已冲销 / transaction {tx.pk} is already reversed")
    if tx.reverses_id:
        raise LedgerError("冲销凭证不能再冲销 / a reversal is not reversed")
    lines = [Line(leg.account, -leg.amount_fen, leg.reference) for leg in tx.legs.select_related("account")]
    return post(lines, kind="reversal", description=description or f"冲销 / reversal of #{tx.pk}",
                reference=tx.reference, date=date, user=user, reverses=tx)


def statement(accounts: Iterable[Account]) -> list[dict]:
    """Posted legs of the accounts, oldest first, with the running balance (对账单)."""
    accounts = list(accounts)
    normal = {a.pk: a.normal for a in accounts}
    rows, running = [], 0
    legs = (Leg.objects.filter(account__in=accounts, transaction__posted=True)
            .select_related("transaction", "account").order_by("transaction__date", "transaction_id", "id"))
    for leg in legs:
        amount = normal[leg.account_id] * leg.amount_fen
        running += amount
        rows.append({"date": leg.transaction.date, "transaction": leg.transaction_id, "kind": leg.transaction.kind,
                     "description": leg.transaction.description, "account": leg.account.code,
                     "reference": leg.reference, "amount_fen": amount, "balance_fen": running})
    return rows


def trial_balance() -> int:
    """Sum of every posted leg: zero in a sound ledger."""
    return _sum(Leg.objects.filter(transaction__posted=True))
