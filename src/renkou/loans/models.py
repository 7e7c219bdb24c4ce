"""幸福工程 revolving micro-loans for poor mothers: funds, rounds, loans (application to repayment),
home visits, collections, losses and recoveries, reschedulings, field evaluations.

Money moves only through the one ledger (:mod:`renkou.ledger`): the fund's capital, cash and the
loans out per round are accounts under ``loans/<fund>/``; the rows here say who borrowed what, why,
on which schedule, and each step of the flow. A loan is person-level data placed in the mother's
village (``scope_fields``); the mother is a person of the register (a link, never a copy).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel
from renkou.registry.models import Person


class Fund(AuditedModel):
    """The revolving fund of one project office (项目办), e.g. the district's office of 城关区 540102."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    office = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("project office area"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("loan fund")

    def __str__(self) -> str:
        return self.name_zh

    def account_code(self, *parts: str) -> str:
        return "/".join(("loans", self.code, *parts))


class Round(AuditedModel):
    """A round of lending (第 N 轮): loans of one round go out together, from the fund's cash —
    first the capital, later the principal repaid from earlier rounds."""

    fund = models.ForeignKey(Fund, models.PROTECT, related_name="rounds", verbose_name=_("fund"))
    number = models.PositiveSmallIntegerField(_("round"))
    opened_on = models.DateField(_("opened on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["fund", "number"]
        constraints = [models.UniqueConstraint(fields=["fund", "number"], name="loans_round_unique")]
        verbose_name = _("lending round")

    def __str__(self) -> str:
        return f"{self.fund.code} #{self.number}"


class Loan(AuditedModel):
    """One mother's application and, once disbursed, her loan."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed by the village")
        REVIEWED = "reviewed", _("reviewed by the township")
        VISITED = "visited", _("visited twice by the project office")
        APPROVED = "approved", _("approved by the committee")
        SIGNED = "signed", _("agreement signed")
        DISBURSED = "disbursed", _("disbursed")
        REPAID = "repaid", _("repaid")
        WRITTEN_OFF = "written_off", _("written off")
        REJECTED = "rejected", _("rejected")

    fund = models.ForeignKey(Fund, models.PROTECT, related_name="loans", verbose_name=_("fund"))
    round = models.ForeignKey(Round, models.PROTECT, related_name="loans", verbose_name=_("round"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="+", verbose_name=_("mother"))
    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PROPOSED, db_index=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    project = models.CharField(_("project plan"), max_length=300)
    household_income_fen = models.BigIntegerField(_("household income a year at baseline (fen)"))
    village_average_income_fen = models.BigIntegerField(_("village average household income (fen)"))
    listed_from = models.DateField(_("public listing from"))
    listed_to = models.DateField(_("public listing to"))
    terms = models.JSONField(_("terms"), default=dict)
    schedule = models.JSONField(_("schedule"), default=list)
    proposed_on = models.DateField(_("proposed on"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    decision = models.CharField(_("committee decision"), max_length=100, blank=True)
    signed_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    signatures = models.JSONField(_("signatures"), default=dict)  # party → name as signed
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    received_by = models.CharField(_("received in person by"), max_length=60, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    scope_fields = ("village",)
    # the terms and the schedule are kept whole on the row and in each Rescheduling; the audit records
    # the steps (state, dates, decision, signatures)
    audit_exclude = ("terms", "schedule")

    class Meta:
        ordering = ["fund", "round__number", "proposed_on", "id"]
        verbose_name = _("loan")

    def __str__(self) -> str:
        return f"{self.fund.code}-{self.pk}"


class HomeVisit(AuditedModel):
    """One of the two home visits of the project office, with the screening facts found."""

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="visits", verbose_name=_("loan"))
    number = models.PositiveSmallIntegerField(_("visit"))
    visited_on = models.DateField(_("visited on"))
    visitor = models.CharField(_("visitor"), max_length=60)
    has_plan = models.BooleanField(_("has a project plan"))
    willing_to_work = models.BooleanField(_("willing to work"))
    income_below_average = models.BooleanField(_("income below the village average"))
    able_to_repay = models.BooleanField(_("able to repay"))
    note = models.TextField(_("note"), blank=True)

    scope_fields = ()

    class Meta:
        ordering = ["loan", "number"]
        constraints = [models.UniqueConstraint(fields=["loan", "number"], name="loans_visit_unique")]
        verbose_name = _("home visit")

    def __str__(self) -> str:
        return f"{self.loan_id} #{self.number}"

    @property
    def passes(self) -> bool:
        return self.has_plan and self.willing_to_work and self.income_below_average and self.able_to_repay


class AppendOnly(models.Model):
    """Rows of history: written once, never changed nor deleted (a correction is a new row)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            from renkou.ledger.models import AppendOnlyError

            raise AppendOnlyError("历史记录只能追加 / history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from renkou.ledger.models import AppendOnlyError

        raise AppendOnlyError("历史记录只能追加 / history is append-only")


class Collection(AppendOnly):
    """Money the township collected from a mother on a business date (append-only; the ledger holds
    the money, this row who paid, when and on which sheet)."""

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="collections", verbose_name=_("loan"))
    collected_on = models.DateField(_("collected on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    collector = models.CharField(_("collected by"), max_length=60, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    transaction_id = models.BigIntegerField(_("ledger transaction"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", db_constraint=False)

    class Meta:
        ordering = ["loan", "collected_on", "id"]
        verbose_name = _("collection")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.collected_on} {self.amount_fen}"


class LossEvent(AppendOnly):
    """A write-off or a recovery after it, with its reason (append-only)."""

    class Kind(models.TextChoices):
        WRITE_OFF = "write_off", _("write-off")
        RECOVERY = "recovery", _("recovery")

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="losses", verbose_name=_("loan"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    on = models.DateField(_("date"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.TextField(_("reason"))
    transaction_id = models.BigIntegerField(_("ledger transaction"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", db_constraint=False)

    class Meta:
        ordering = ["loan", "on", "id"]
        verbose_name = _("write-off or recovery")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.on}"


class Rescheduling(AppendOnly):
    """A change of a loan's schedule with its reason; the old schedule is kept."""

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="reschedulings", verbose_name=_("loan"))
    on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("schedule before"))
    after = models.JSONField(_("schedule after"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", db_constraint=False)

    class Meta:
        ordering = ["loan", "on", "id"]
        verbose_name = _("rescheduling")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.on}"


class Evaluation(AuditedModel):
    """A field evaluation of the mother's project at 6 months or at year end."""

    class Kind(models.TextChoices):
        SIX_MONTHS = "six_months", _("at 6 months")
        YEAR_END = "year_end", _("at year end")

    loan = models.ForeignKey(Loan, models.PROTECT, related_name="evaluations", verbose_name=_("loan"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    visited_on = models.DateField(_("visited on"))
    evaluator = models.CharField(_("evaluator"), max_length=60)
    income_generated_fen = models.BigIntegerField(_("income generated (fen)"))
    progress = models.CharField(_("project progress"), max_length=300)
    out_of_poverty = models.BooleanField(_("household out of poverty"))

    scope_fields = ()

    class Meta:
        ordering = ["loan", "visited_on", "id"]
        constraints = [models.UniqueConstraint(fields=["loan", "kind", "visited_on"], name="loans_eval_unique")]
        verbose_name = _("field evaluation")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.visited_on}"
