"""The one double-entry ledger (总账) of the system's money: accounts as a tree, balanced transactions.

Design (after django-hordak): an :class:`Account` sits in a tree (its ``code`` is a path such as
``benefits/gaize-herder/542526000000/budget``; a subtree is every code starting with the path); a
:class:`Transaction` holds :class:`Leg` rows whose fen amounts sum to zero (debit positive, credit
negative); balances are queries over legs, never stored. The database holds the rules whatever code
runs against it (migration ``0002_ledger_guards``):

- a transaction is written unposted, its legs added, then posted; posting checks that the legs sum to
  zero (SQLite: a trigger on the update; PostgreSQL: the same, plus a deferred constraint trigger that
  refuses at commit any transaction left unposted or unbalanced);
- a leg cannot be added to a posted transaction, and legs are never updated or deleted: a correction
  is a reversing transaction (:func:`renkou.ledger.services.reverse`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area


class AppendOnlyError(PermissionError):
    pass


class Account(models.Model):
    class Kind(models.TextChoices):
        ASSET = "asset", _("asset")
        EXPENSE = "expense", _("expense")
        EQUITY = "equity", _("fund source")
        LIABILITY = "liability", _("liability")

    code = models.CharField(_("code"), max_length=200, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ASSET)
    role = models.CharField(_("role"), max_length=20, blank=True, db_index=True)
    program = models.CharField(_("program"), max_length=40, blank=True, db_index=True)
    area = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+")
    allow_negative = models.BooleanField(_("may go negative"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.code

    @property
    def normal(self) -> int:
        """+1 for debit-normal accounts (assets, expenses), −1 for credit-normal ones."""
        return 1 if self.kind in (self.Kind.ASSET, self.Kind.EXPENSE) else -1


class Transaction(models.Model):
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    date = models.DateField(_("business date"), default=timezone.localdate)
    kind = models.CharField(_("kind"), max_length=20, db_index=True)
    description = models.CharField(_("description"), max_length=300)
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, null=True, blank=True, unique=True)
    reverses = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="reversed_by")
    posted = models.BooleanField(_("posted"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_constraint=False)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.date}"

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("账目只能追加，更正请冲销 / the ledger is append-only: reverse instead")


class LegQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("账目只能追加，更正请冲销 / the ledger is append-only: reverse instead")

    def delete(self):
        raise AppendOnlyError("账目只能追加，更正请冲销 / the ledger is append-only: reverse instead")


class Leg(models.Model):
    transaction = models.ForeignKey(Transaction, models.PROTECT, related_name="legs")
    account = models.ForeignKey(Account, models.PROTECT, related_name="legs")
    amount_fen = models.BigIntegerField(_("amount (fen), debit positive"))
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)

    objects = LegQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger leg")
        constraints = [models.CheckConstraint(condition=~models.Q(amount_fen=0), name="ledger_leg_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_fen:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("账目只能追加，更正请冲销 / the ledger is append-only: reverse instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("账目只能追加，更正请冲销 / the ledger is append-only: reverse instead")
