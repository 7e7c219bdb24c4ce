"""The ledger: balanced transactions, balances as queries, no negative budgets, append-only legs."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renkou.ledger import services
from renkou.ledger.models import Account, AppendOnlyError, Leg, Transaction
from renkou.ledger.money import MoneyError, format_yuan, split_pro_rata, to_fen, yuan


def _accounts():
    funding = services.account("t/funding", kind=Account.Kind.EQUITY)
    budget = services.account("t/area/budget")
    committed = services.account("t/area/commitments")
    return funding, budget, committed


def test_money_is_parsed_to_exact_fen_and_floats_are_refused():
    assert to_fen("¥21,700.00") == 2_170_000
    assert to_fen(100) == 10_000
    assert to_fen("0.10") == 10
    assert format_yuan(2_170_000) == "¥21,700.00"
    assert str(yuan(5)) == "0.05"
    assert split_pro_rata(360_000, 4, 12) == 120_000
    assert split_pro_rata(100, 1, 3) == 33
    with pytest.raises(MoneyError):
        to_fen(0.1)
    with pytest.raises(MoneyError):
        to_fen("1.005")


@pytest.mark.django_db
def test_allocation_shows_in_both_accounts_and_the_ledger_balances():
    funding, budget, _ = _accounts()
    services.transfer(funding, budget, 2_170_000, kind="allocate", description="budget 2005")
    # the funding source is credit-normal: its balance reads positive too
    assert services.balance(budget) == 2_170_000
    assert services.balance(funding) == 2_170_000
    assert services.raw_balance("t", subtree=True) == 0
    assert services.trial_balance() == 0


@pytest.mark.django_db
def test_commitment_beyond_the_budget_is_refused_and_nothing_is_written():
    funding, budget, committed = _accounts()
    services.transfer(funding, budget, 10_000, kind="allocate", description="b")
    with pytest.raises(services.LedgerError, match="余额不足"):
        services.transfer(budget, committed, 10_001, kind="commit", description="too much")
    assert services.balance(budget) == 10_000
    assert Transaction.objects.filter(kind="commit").count() == 0


@pytest.mark.django_db
def test_unbalanced_legs_are_refused_by_the_service():
    funding, budget, _ = _accounts()
    with pytest.raises(services.LedgerError, match="sum to zero"):
        services.post([services.Line(budget, 100), services.Line(funding, -99)], kind="x", description="x")


@pytest.mark.django_db
def test_the_database_refuses_to_post_unbalanced_legs():
    funding, budget, _ = _accounts()
    with transaction.atomic():  # rolled back: PostgreSQL would refuse the unposted row at commit
        tx = Transaction.objects.create(kind="raw", description="raw")
        Leg.objects.create(transaction=tx, account=budget, amount_fen=500)
        Leg.objects.create(transaction=tx, account=funding, amount_fen=-400)
        with pytest.raises(DatabaseError, match="sum to zero"), transaction.atomic():
            Transaction.objects.filter(pk=tx.pk).update(posted=True)
        # an unposted transaction counts in no balance
        assert services.balance(budget) == 0
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_posted_transaction_takes_no_more_legs_and_legs_are_never_updated():
    funding, budget, _ = _accounts()
    tx = services.transfer(funding, budget, 700, kind="allocate", description="b")
    with pytest.raises(DatabaseError, match="no more legs"), transaction.atomic():
        Leg.objects.create(transaction=tx, account=budget, amount_fen=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE ledger_leg SET amount_fen = 1 WHERE transaction_id = %s", [tx.pk])
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        Transaction.objects.filter(pk=tx.pk).update(description="edited")
    with pytest.raises(AppendOnlyError):
        Leg.objects.filter(transaction=tx).update(amount_fen=1)
    assert services.balance(budget) == 700


@pytest.mark.django_db
def test_legs_cannot_be_deleted_in_the_database_a_reversal_corrects():
    import_module("renkou.ledger.migrations.0002_ledger_guards").install_append_only(connection)
    funding, budget, _ = _accounts()
    tx = services.transfer(funding, budget, 900, kind="allocate", description="b")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM ledger_leg WHERE transaction_id = %s", [tx.pk])
    with pytest.raises(AppendOnlyError):
        Leg.objects.filter(transaction=tx).delete()
    rev = services.reverse(tx, description="wrong amount")
    assert rev.reverses_id == tx.pk
    assert services.balance(budget) == 0 and Leg.objects.count() == 4
    with pytest.raises(services.LedgerError, match="already reversed"):
        services.reverse(Transaction.objects.get(pk=tx.pk))


@pytest.mark.django_db
def test_an_idempotency_key_posts_once():
    funding, budget, _ = _accounts()
    a = services.transfer(funding, budget, 100, kind="allocate", description="b", idempotency_key="alloc-1")
    b = services.transfer(funding, budget, 100, kind="allocate", description="b", idempotency_key="alloc-1")
    assert a.pk == b.pk and services.balance(budget) == 100


@pytest.mark.django_db(transaction=True)
def test_an_unposted_transaction_never_commits_on_postgresql_and_never_counts_on_sqlite():
    funding, budget, _ = _accounts()
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="unposted or unbalanced"), transaction.atomic():
            tx = Transaction.objects.create(kind="raw", description="left open")
            Leg.objects.create(transaction=tx, account=budget, amount_fen=5)
        assert not Transaction.objects.filter(kind="raw").exists()
    else:
        tx = Transaction.objects.create(kind="raw", description="left open")
        Leg.objects.create(transaction=tx, account=budget, amount_fen=5)
        assert services.balance(budget) == 0 and services.trial_balance() == 0


@pytest.mark.django_db
def test_statement_gives_running_balances():
    funding, budget, committed = _accounts()
    services.transfer(funding, budget, 1_000, kind="allocate", description="a")
    services.transfer(budget, committed, 300, kind="commit", description="c")
    rows = services.statement([budget])
    assert [(r["amount_fen"], r["balance_fen"]) for r in rows] == [(1_000, 1_000), (-300, 700)]


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 50_000)), max_size=12))
def test_any_sequence_of_transfers_keeps_the_ledger_at_zero_and_budgets_non_negative(moves):
    with transaction.atomic():
        funding = services.account("p/funding", kind=Account.Kind.EQUITY, allow_negative=True)
        pots = [services.account(f"p/pot{i}") for i in range(3)]
        services.transfer(funding, pots[0], 60_000, kind="allocate", description="a")
        for src, dst, amount in moves:
            if src == dst:
                continue
            try:
                services.transfer(pots[src], pots[dst], amount, kind="move", description="m")
            except services.LedgerError:
                pass
        assert services.trial_balance() == 0
        assert all(services.balance(p) >= 0 for p in pots)
        assert sum(services.balance(p) for p in pots) == 60_000
        transaction.set_rollback(True)
