"""Benefits (利益导向): programs with effective-dated parameters, cycles with frozen rosters, lists
through approval and public notice (公示), payment batches, bank returns, sampled verification.

Money moves only through the ledger (:mod:`renkou.ledger`); the rows here say who is entitled to
what and why, and where each payment stands.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel
from renkou.registry.models import Household, Person


class Fund(AuditedModel):
    """A fund paid on behalf of families (代缴), e.g. a county's cooperative medical-insurance fund."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    bank_name = models.CharField(_("bank"), max_length=100)
    account_number = models.CharField(_("account number"), max_length=40)


    class Meta:
        verbose_name = _("fund")
    def __str__(self) -> str:
        return self.name_zh


class Program(AuditedModel):
    class Unit(models.TextChoices):
        PERSON = "person", _("per person")
        HOUSEHOLD = "household", _("per household")

    class Cycle(models.TextChoices):
        YEARLY = "yearly", _("yearly")
        MONTHLY = "monthly", _("monthly")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    # null: a national program, run in any county
    area = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("area"))
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    cycle = models.CharField(_("cycle"), max_length=10, choices=Cycle.choices, default=Cycle.YEARLY)
    basis = models.TextField(_("legal basis"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("benefit program")

    def __str__(self) -> str:
        return self.name_zh

    def version_on(self, day):
        return (self.versions.filter(valid_from__lte=day).filter(models.Q(valid_to__isnull=True) |
                                                                  models.Q(valid_to__gte=day))
                .order_by("-valid_from").first())


class ProgramVersion(AuditedModel):
    """Parameters valid from a date (有效期): eligibility rule, amount, proration, cap, payee."""

    class Payee(models.TextChoices):
        SELF = "self", _("the beneficiary")
        GUARDIAN = "guardian", _("the child's mother, else father")
        HEAD = "head", _("the head of household")
        FUND = "fund", _("a fund on the family's behalf")

    program = models.ForeignKey(Program, models.PROTECT, related_name="versions")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    eligibility = models.JSONField(_("eligibility rule"))
    amount = models.CharField(_("amount (yuan) per unit and cycle"), max_length=20, default="0")
    tiers = models.JSONField(_("amount tiers"), default=list, blank=True)
    prorate = models.JSONField(_("pro rata"), default=dict, blank=True)
    cap_household = models.CharField(_("cap per household (yuan)"), max_length=20, blank=True)
    payee = models.CharField(_("payee"), max_length=10, choices=Payee.choices, default=Payee.SELF)
    fund = models.ForeignKey(Fund, models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["program", "-valid_from"]
        verbose_name = _("program version")
        constraints = [models.UniqueConstraint(fields=["program", "valid_from"], name="benefits_version_from")]

    def __str__(self) -> str:
        return f"{self.program.code} {self.valid_from}"


class Certificate(AuditedModel):
    """A certificate the bureau issued (独生子女父母光荣证, 残疾人证 of a child): a fact rules read."""

    class Kind(models.TextChoices):
        ONE_CHILD = "one_child", _("one-child parents' certificate")
        DISABILITY = "disability", _("disability certificate (grade 1–3)")

    person = models.ForeignKey(Person, models.PROTECT, related_name="+")
    household = models.ForeignKey(Household, models.SET_NULL, null=True, blank=True, related_name="+")
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=40, blank=True)
    issued = models.DateField(_("issued"))
    revoked = models.DateField(_("revoked"), null=True, blank=True)

    scope_fields = ("area",)


    class Meta:
        verbose_name = _("certificate")
    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class PayeeAccount(AuditedModel):
    """A bank account of a payee (一卡通); batches copy it when they are issued."""

    person = models.OneToOneField(Person, models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    bank_name = models.CharField(_("bank"), max_length=100)
    account_number = models.CharField(_("account number"), max_length=40)
    holder_name = models.CharField(_("account holder"), max_length=60)

    scope_fields = ("area",)


    class Meta:
        verbose_name = _("payee account")
    def __str__(self) -> str:
        return f"{self.holder_name} {self.bank_name}"


class Cycle(AuditedModel):
    """One period of a program in one county: the roster computed on the census date and frozen."""

    program = models.ForeignKey(Program, models.PROTECT, related_name="cycles")
    version = models.ForeignKey(ProgramVersion, models.PROTECT, related_name="+")
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=10)
    period_start = models.DateField()
    period_end = models.DateField()
    census_date = models.DateField(_("census date"))
    previous = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")
    parameters = models.JSONField(_("parameters used"), default=dict)
    units = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    # re-certification against the previous cycle: who entered, who left and why
    changes = models.JSONField(_("changes since the previous cycle"), default=dict)
    frozen_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    scope_fields = ("area",)

    class Meta:
        ordering = ["-period", "program"]
        verbose_name = _("benefit cycle")
        constraints = [models.UniqueConstraint(fields=["program", "area", "period"], name="benefits_cycle_once")]

    def __str__(self) -> str:
        return f"{self.program.code} {self.period} {self.area_id}"


class RosterList(AuditedModel):
    """The list of one village in a cycle, as it goes through approval (审批) and notice (公示)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PROPOSED = "proposed", _("proposed by the village")
        NOTICE = "notice", _("reviewed; in public notice")
        APPROVED = "approved", _("approved by the county")

    cycle = models.ForeignKey(Cycle, models.PROTECT, related_name="lists", verbose_name=_("cycle"))
    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("proposed by"))
    proposed_on = models.DateField(_("proposed on"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    notice_from = models.DateField(_("notice from"), null=True, blank=True)
    notice_until = models.DateField(_("notice until"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    commitment = models.ForeignKey("ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("commitment"))

    scope_fields = ("village",)

    class Meta:
        ordering = ["cycle", "village"]
        verbose_name = _("village list")
        constraints = [models.UniqueConstraint(fields=["cycle", "village"], name="benefits_list_once")]

    def __str__(self) -> str:
        return f"{self.cycle} {self.village_id}"


class Entitlement(models.Model):
    """One row of a frozen roster: the unit, its amount, its payee and why (facts snapshotted)."""

    class State(models.TextChoices):
        LISTED = "listed", _("listed")
        EXCLUDED = "excluded", _("excluded after an objection")
        COMMITTED = "committed", _("approved (committed)")

    cycle = models.ForeignKey(Cycle, models.PROTECT, related_name="entitlements")
    roster_list = models.ForeignKey(RosterList, models.PROTECT, related_name="entitlements")
    village = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    unit_key = models.CharField(max_length=30)  # "p:<person id>" or "h:<household id>"
    person = models.ForeignKey(Person, models.SET_NULL, null=True, blank=True, related_name="+", db_constraint=False)
    household = models.ForeignKey(Household, models.SET_NULL, null=True, blank=True, related_name="+",
                                  db_constraint=False)
    name = models.CharField(_("name"), max_length=60)
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True)
    persons = models.PositiveSmallIntegerField(default=1)
    amount_fen = models.BigIntegerField()
    payee_kind = models.CharField(max_length=10)
    payee_person = models.ForeignKey(Person, models.SET_NULL, null=True, blank=True, related_name="+",
                                     db_constraint=False)
    payee_name = models.CharField(_("payee"), max_length=100)
    fund = models.ForeignKey(Fund, models.PROTECT, null=True, blank=True, related_name="+")
    facts = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LISTED)
    excluded_reason = models.CharField(max_length=300, blank=True)

    scope_fields = ("village",)

    class Meta:
        ordering = ["village", "name", "id"]
        verbose_name = _("entitlement")
        constraints = [models.UniqueConstraint(fields=["cycle", "unit_key"], name="benefits_unit_once")]

    def __str__(self) -> str:
        return f"{self.name} {self.amount_fen}"


class Objection(AuditedModel):
    """An objection raised during the public notice (公示异议); payment waits until it is resolved."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        UPHELD = "upheld", _("upheld")
        DISMISSED = "dismissed", _("dismissed")

    roster_list = models.ForeignKey(RosterList, models.PROTECT, related_name="objections")
    entitlement = models.ForeignKey(Entitlement, models.PROTECT, null=True, blank=True, related_name="+")
    raised_by = models.CharField(_("raised by"), max_length=60)
    text = models.TextField(_("objection"))
    raised_on = models.DateField(_("raised on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolved_on = models.DateField(null=True, blank=True)

    def audit_area(self) -> str:
        return self.roster_list.village_id



    class Meta:
        verbose_name = _("objection during notice")
class PaymentBatch(AuditedModel):
    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        SENT = "sent", _("sent to the bank")
        RECONCILED = "reconciled", _("reconciled")

    cycle = models.ForeignKey(Cycle, models.PROTECT, related_name="batches")
    number = models.PositiveSmallIntegerField()
    follows = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="+")
    idempotency_key = models.CharField(max_length=80, unique=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.ISSUED)
    issued_on = models.DateField()
    sent_on = models.DateField(null=True, blank=True)
    total_fen = models.BigIntegerField(default=0)
    count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["cycle", "number"]
        verbose_name = _("payment batch")
        constraints = [models.UniqueConstraint(fields=["cycle", "number"], name="benefits_batch_number")]

    def __str__(self) -> str:
        return f"{self.cycle} #{self.number}"

    def audit_area(self) -> str:
        return self.cycle.area_id


class Payment(models.Model):
    class State(models.TextChoices):
        ISSUED = "issued", _("issued")
        SENT = "sent", _("at the bank")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    batch = models.ForeignKey(PaymentBatch, models.PROTECT, related_name="payments")
    entitlement = models.ForeignKey(Entitlement, models.PROTECT, related_name="payments")
    reference = models.CharField(_("payment reference"), max_length=30, unique=True)
    amount_fen = models.BigIntegerField()
    payee_name = models.CharField(max_length=100)
    bank_name = models.CharField(max_length=100)
    account_number = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ISSUED)
    bank_reference = models.CharField(max_length=60, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    settled_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        verbose_name = _("payment")
        # an entitlement is paid at most once: at most one payment not failed
        constraints = [models.UniqueConstraint(fields=["entitlement"], condition=~models.Q(state="failed"),
                                               name="benefits_pay_once")]

    def __str__(self) -> str:
        return self.reference


class BankReturn(models.Model):
    batch = models.ForeignKey(PaymentBatch, models.PROTECT, related_name="returns")
    filename = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    report = models.JSONField(default=list)  # [{row, reference, outcome, message}]
    counts = models.JSONField(default=dict)
    applied = models.BooleanField(_("applied"), default=False)  # False: refused as a whole, or nothing new

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("bank return file")

    def __str__(self) -> str:
        return self.filename

    @property
    def refused(self) -> bool:
        """Refused as a whole: a row was unreadable, unknown, repeated or of the wrong amount."""
        from .services import REFUSING

        return any(self.counts.get(k) for k in REFUSING)

    @property
    def rows(self) -> list[dict]:
        """The report's rows with their outcome in words."""
        from .services import OUTCOMES

        return [{**r, "label": OUTCOMES.get(r.get("outcome"), r.get("outcome"))} for r in self.report]


class VerificationVisit(models.Model):
    """A sampled follow-up visit of a paid family (抽查回访)."""

    class Result(models.TextChoices):
        PENDING = "", _("not visited yet")
        CONFIRMED = "confirmed", _("received in full")
        NOT_RECEIVED = "not_received", _("not received")
        WRONG_AMOUNT = "wrong_amount", _("amount differs")
        NOT_ELIGIBLE = "not_eligible", _("not eligible")

    cycle = models.ForeignKey(Cycle, models.PROTECT, related_name="visits")
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="+")
    seed = models.BigIntegerField()
    result = models.CharField(max_length=14, choices=Result.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)
    visited_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = _("verification visit")
        constraints = [models.UniqueConstraint(fields=["cycle", "payment"], name="benefits_visit_once")]

    def __str__(self) -> str:
        return f"{self.payment_id} {self.result or '—'}"
