"""The population register (人口个案库): persons, households, vital events, services received.

A :class:`Person` is the current state of one person; :class:`Event` rows are the history that
moved them there. Events pass a state machine checked on the server (declared → verified →
registered) with orthogonal flags (potential duplicate, correction requested, rejected); a
correction is a new version of the event that supersedes the old one, never an overwrite.
Every write is audited by the core's signals (all models here are :class:`AuditedModel`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel


class Sex(models.IntegerChoices):
    """GB/T 2261.1."""

    UNKNOWN = 0, _("unknown")
    MALE = 1, _("male")
    FEMALE = 2, _("female")
    NOT_STATED = 9, _("not stated")


class Marital(models.TextChoices):
    """GB/T 2261.2."""

    NEVER = "10", _("never married")
    MARRIED = "20", _("married")
    FIRST = "21", _("first marriage")
    REMARRIED = "22", _("remarried")
    REMARRIED_FORMER = "23", _("remarried to former spouse")
    WIDOWED = "30", _("widowed")
    DIVORCED = "40", _("divorced")
    NOT_STATED = "90", _("not stated")


MARRIED_CODES = frozenset({"20", "21", "22", "23"})


class Education(models.TextChoices):
    """GB/T 4658 (main classes)."""

    NONE = "", _("not recorded")
    POSTGRADUATE = "10", _("postgraduate")
    UNIVERSITY = "20", _("university")
    COLLEGE = "30", _("college (dazhuan)")
    SECONDARY_VOC = "40", _("vocational secondary")
    SENIOR = "60", _("senior secondary")
    JUNIOR = "70", _("junior secondary")
    PRIMARY = "80", _("primary")
    ILLITERATE = "90", _("no schooling")


class Relation(models.TextChoices):
    """Relation to the head of household (GB/T 4761, main classes)."""

    HEAD = "02", _("head of household")
    SPOUSE = "10", _("spouse")
    SON = "20", _("son")
    DAUGHTER = "30", _("daughter")
    GRANDCHILD = "40", _("grandchild")
    PARENT = "50", _("parent")
    GRANDPARENT = "60", _("grandparent")
    SIBLING = "70", _("sibling")
    OTHER = "99", _("other")


class Household(AuditedModel):
    """A household (户) with its registration type; members point to it with their relation to the head."""

    class RegType(models.TextChoices):
        AGRICULTURAL = "agricultural", _("agricultural (historic)")
        NON_AGRICULTURAL = "non_agricultural", _("non-agricultural (historic)")
        RESIDENT = "resident", _("resident household (unified)")
        COLLECTIVE = "collective", _("collective household")
        FAMILY = "family", _("family household")
        MIGRANT = "migrant", _("migrant household")

    number = models.CharField(_("household number"), max_length=30, unique=True)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    registration_type = models.CharField(_("registration type"), max_length=20, choices=RegType.choices,
                                         default=RegType.RESIDENT)
    head = models.ForeignKey("Person", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("head of household"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    established = models.DateField(_("established"), null=True, blank=True)
    dissolved = models.DateField(_("dissolved"), null=True, blank=True)
    herder = models.BooleanField(_("herder household"), default=False)
    source_key = models.CharField(_("source key"), max_length=40, null=True, blank=True, unique=True)
    # the ``import`` audit event (its id) of the file that created or last changed the row by import:
    # who, when, which file (SHA-256), the keys written; rows created one by one have their own audit
    import_batch = models.PositiveBigIntegerField(_("import batch (audit event)"), null=True, blank=True)

    scope_fields = ("area",)

    class Meta:
        ordering = ["number"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Person(AuditedModel):
    """One person of the register: the current state, kept up to date by registered events."""

    class Status(models.TextChoices):
        LIVING = "living", _("living")
        DEAD = "dead", _("dead")
        MOVED_OUT = "moved_out", _("moved out")

    class Migrant(models.TextChoices):
        """Floating-population states (流动人口), DOMAIN §5."""

        NONE = "", _("not a migrant")
        UNCONFIRMED = "unconfirmed", _("unconfirmed")
        RECONFIRM = "reconfirm", _("needs reconfirmation")
        INFLOW = "inflow", _("registered inflow")
        OUTFLOW = "outflow", _("registered outflow")
        FLOATING = "floating", _("floating")
        NOT_FLOATING = "not_floating", _("not floating")
        LEFT = "left", _("left")

    class Record(models.TextChoices):
        ACTIVE = "active", _("active")
        PROVISIONAL = "provisional", _("provisional (birth not yet registered)")
        MERGED = "merged", _("merged into another record")

    id_number = models.CharField(_("ID number"), max_length=18, null=True, blank=True, unique=True)
    id_state = models.CharField(_("ID number state"), max_length=24, blank=True)
    name = models.CharField(_("full name"), max_length=60, db_index=True)
    name_pinyin = models.CharField(_("pinyin"), max_length=120, blank=True)
    # search keys (``search.pinyin_keys``), kept from the name by ``save()`` and by the bulk writers
    pinyin_key = models.CharField(_("pinyin search key"), max_length=120, blank=True, db_index=True)
    pinyin_alt = models.CharField(_("pinyin search key, surname reading"), max_length=120, blank=True,
                                  db_index=True)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=30, blank=True, db_index=True)
    sex = models.PositiveSmallIntegerField(_("sex"), choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=2, default="01")
    marital_status = models.CharField(_("marital status"), max_length=2, choices=Marital.choices,
                                      default=Marital.NEVER)
    education = models.CharField(_("education"), max_length=2, choices=Education.choices, blank=True)
    # null when the household registration (户籍) lies outside the areas of this register: ``home_code`` keeps it
    registered_area = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name=_("registered area"))
    home_code = models.CharField(_("place of household registration"), max_length=15, blank=True)
    resident_area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("resident area"))
    household = models.ForeignKey(Household, models.SET_NULL, null=True, blank=True, related_name="members",
                                  verbose_name=_("household"))
    relation_to_head = models.CharField(_("relation to head"), max_length=2, choices=Relation.choices, blank=True)
    mother = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="children_as_mother",
                               verbose_name=_("mother"))
    father = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="children_as_father",
                               verbose_name=_("father"))
    spouse = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("spouse"), db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.LIVING)
    death_date = models.DateField(_("death date"), null=True, blank=True)
    entry_date = models.DateField(_("entered the register"), null=True, blank=True)
    exit_date = models.DateField(_("left the register"), null=True, blank=True)
    herder = models.BooleanField(_("herder (牧业人口)"), default=False)
    migrant_status = models.CharField(_("migrant status"), max_length=12, choices=Migrant.choices, blank=True)
    record_state = models.CharField(_("record state"), max_length=12, choices=Record.choices,
                                    default=Record.ACTIVE)
    merged_into = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+",
                                    db_index=False)
    source_key = models.CharField(_("source key"), max_length=40, null=True, blank=True, unique=True)
    import_batch = models.PositiveBigIntegerField(_("import batch (audit event)"), null=True, blank=True)

    scope_fields = ("registered_area", "resident_area")

    class Meta:
        ordering = ["registered_area_id", "name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        # few indexes: the loader writes a million rows; the scoping filters use the area FKs' indexes
        indexes = [models.Index(fields=["birth_date", "name"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from .search import set_keys

        set_keys(self)
        fields = kwargs.get("update_fields")
        if fields is not None and "name" in fields:
            kwargs["update_fields"] = {*fields, "pinyin_key", "pinyin_alt", "pinyin_initials"}
        super().save(*args, **kwargs)

    def audit_area(self) -> str:
        return self.resident_area_id or self.registered_area_id or ""

    @property
    def masked_id(self) -> str:
        from renkou.core.idnumber import mask

        return mask(self.id_number)


class Event(AuditedModel):
    """A vital or migration event with its registration state machine (登记状态)."""

    class Kind(models.TextChoices):
        BIRTH = "birth", _("birth")
        DEATH = "death", _("death")
        MARRIAGE = "marriage", _("marriage")
        DIVORCE = "divorce", _("divorce")
        MOVE_IN = "move_in", _("move in")
        MOVE_OUT = "move_out", _("move out")
        MIGRANT_ARRIVAL = "migrant_arrival", _("migrant arrival")
        MIGRANT_DEPARTURE = "migrant_departure", _("migrant departure")
        RESIDENCE_CHANGE = "residence_change", _("residence change")

    class State(models.TextChoices):
        DECLARED = "declared", _("declared")
        VERIFIED = "verified", _("verified")
        REGISTERED = "registered", _("registered")

    class Delivery(models.TextChoices):
        NONE = "", _("not recorded")
        HOSPITAL = "hospital", _("county or higher hospital")
        HEALTH_CENTRE = "health_centre", _("township health centre")
        HOME = "home", _("at home")
        OTHER = "other", _("elsewhere")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    event_date = models.DateField(_("event date"))
    registration_date = models.DateField(_("registration date"), default=timezone.localdate)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area at event date"))
    subject = models.ForeignKey(Person, models.PROTECT, related_name="events",
                                verbose_name=_("person (child, deceased, mover)"))
    mother = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("mother"))
    father = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("father"))
    spouse = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("spouse"), db_index=False)
    from_code = models.CharField(_("from (area code)"), max_length=15, blank=True)
    to_code = models.CharField(_("to (area code)"), max_length=15, blank=True)
    birth_order = models.PositiveSmallIntegerField(_("birth order"), null=True, blank=True)
    plurality = models.PositiveSmallIntegerField(_("plurality"), null=True, blank=True)
    delivery_place = models.CharField(_("place of delivery"), max_length=16, choices=Delivery.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DECLARED)
    flag_duplicate = models.BooleanField(_("potential duplicate"), default=False)
    flag_correction = models.BooleanField(_("correction requested"), default=False)
    flag_rejected = models.BooleanField(_("rejected"), default=False)
    flag_reason = models.CharField(_("reason of the flag"), max_length=300, blank=True)
    warnings_reason = models.CharField(_("reason to pass the warnings"), max_length=300, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, db_index=False,
                                    related_name="+", verbose_name=_("declared by"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, db_index=False,
                                    related_name="+", verbose_name=_("verified by"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, db_index=False,
                                      related_name="+", verbose_name=_("registered by"))
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)

    version = models.PositiveIntegerField(_("version"), default=1)
    supersedes = models.OneToOneField("self", models.PROTECT, null=True, blank=True, related_name="superseded_by",
                                      verbose_name=_("supersedes"))
    is_current = models.BooleanField(_("current version"), default=True)
    source_key = models.CharField(_("source key"), max_length=40, null=True, blank=True, unique=True)

    scope_fields = ("area",)

    class Meta:
        ordering = ["-event_date", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        # the statistics select the events of a kind counted in a period: by event date, or by
        # registration date for late reports (renkou.indicators.register)
        indexes = [models.Index(fields=["kind", "event_date"], name="event_kind_date"),
                   models.Index(fields=["kind", "registration_date"], name="event_kind_registered"),
                   # the person page lists the events naming a person in any role; few events have a
                   # spouse, so the index holds only those rows
                   models.Index(fields=["spouse"], name="event_spouse", condition=models.Q(spouse__isnull=False)),
                   # the work queues and the home page's task list count the events waiting in a state,
                   # or flagged, within the user's areas: a handful of rows, never a scan of the register
                   models.Index(fields=["state", "area"], name="event_state_area"),
                   models.Index(fields=["area"], name="event_flagged",
                                condition=models.Q(flag_correction=True) | models.Q(flag_rejected=True))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.event_date} #{self.pk}"


class ServiceRecord(AuditedModel):
    """A voluntary reproductive-health or family service received, with consent noted (知情选择)."""

    class Type(models.TextChoices):
        RH_CHECK = "reproductive_health_check", _("reproductive-health check")
        PREMARITAL = "premarital_check", _("premarital health check")
        PRENATAL = "prenatal_care", _("prenatal care")
        POSTNATAL = "postnatal_visit", _("postnatal visit")
        CONTRACEPTION_COUNSEL = "contraceptive_counselling", _("contraceptive counselling")
        CONTRACEPTION = "contraceptive_method", _("contraceptive method chosen")
        CERVICAL = "cervical_screening", _("cervical cancer screening")
        BREAST = "breast_screening", _("breast cancer screening")
        INFERTILITY = "infertility_counselling", _("infertility counselling")
        CHILD_CARE = "child_care_guidance", _("infant and child care guidance")
        ELDER_CARE = "elder_care", _("family elder-care service")
        OTHER = "other", _("other family service")

    person = models.ForeignKey(Person, models.PROTECT, related_name="services", verbose_name=_("person"))
    type = models.CharField(_("service"), max_length=30, choices=Type.choices)
    date = models.DateField(_("date"))
    provider = models.CharField(_("provider"), max_length=100)
    method = models.CharField(_("method chosen"), max_length=30, blank=True)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)
    consent_noted = models.BooleanField(_("consent noted"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    source_key = models.CharField(_("source key"), max_length=40, null=True, blank=True, unique=True)

    scope_fields = ("area",)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        indexes = [models.Index(fields=["date"], name="service_date"),
                   models.Index(fields=["type", "date"], name="service_type_date")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.date}"


class Finding(AuditedModel):
    """A result of a logic check (逻辑校验) waiting in the review queue, or passed with a reason."""

    class Severity(models.TextChoices):
        ERROR = "error", _("error")
        WARNING = "warning", _("warning")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PASSED = "passed", _("passed with a reason")
        FIXED = "fixed", _("fixed")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, models.CASCADE, null=True, blank=True, related_name="findings")
    event = models.ForeignKey(Event, models.CASCADE, null=True, blank=True, related_name="findings")
    rule = models.CharField(_("rule"), max_length=40, db_index=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    # ``message``/``fix`` hold the Chinese text, ``message_en``/``fix_en`` the English one
    message = models.CharField(_("message"), max_length=400)
    fix = models.CharField(_("how to fix"), max_length=300, blank=True)
    message_en = models.CharField(_("message (English)"), max_length=400, blank=True)
    fix_en = models.CharField(_("how to fix (English)"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created = models.DateTimeField(default=timezone.now)

    scope_fields = ("area",)

    class Meta:
        ordering = ["status", "-created", "-id"]
        verbose_name = _("check finding")
        verbose_name_plural = _("check findings")

    def __str__(self) -> str:
        return f"{self.rule}: {self.message[:60]}"

    @classmethod
    def from_check(cls, f, **kw) -> Finding:
        """An unsaved row for the :class:`renkou.registry.checks.Finding` ``f``, in both languages;
        ``kw`` gives the area and the person or event (``area_id=…, person=…``)."""
        return cls(rule=f.rule, severity=f.severity, message=f.zh[:400], fix=f.fix_zh[:300],
                   message_en=f.en[:400], fix_en=f.fix_en[:300], **kw)

    def _texts(self) -> tuple[str, str, str, str]:
        """(message zh, message en, fix zh, fix en); rows written before the split kept "zh / en" in one."""
        msg, fix, msg_en, fix_en = self.message, self.fix, self.message_en, self.fix_en
        if not msg_en and " / " in msg:
            msg, msg_en = msg.split(" / ", 1)
        if not fix_en and " / " in fix:
            fix, fix_en = fix.split(" / ", 1)
        return msg, msg_en, fix, fix_en

    @staticmethod
    def _english() -> bool:
        from django.utils.translation import get_language

        return (get_language() or "").lower().startswith("en")

    @property
    def message_zh(self) -> str:
        return self._texts()[0]

    @property
    def fix_zh(self) -> str:
        return self._texts()[2]

    @property
    def message_text(self) -> str:
        """The message in the active language (English text missing: the Chinese one)."""
        msg, msg_en, _fix, _fix_en = self._texts()
        return (msg_en or msg) if self._english() else msg

    @property
    def fix_text(self) -> str:
        """How to fix, in the active language."""
        _msg, _msg_en, fix, fix_en = self._texts()
        return (fix_en or fix) if self._english() else fix


class DuplicateCandidate(AuditedModel):
    """Two person records that probably describe one person, waiting for a county officer's decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        MERGED = "merged", _("merged")
        DISMISSED = "dismissed", _("not a duplicate")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    person_a = models.ForeignKey(Person, models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN,
                              db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_fields = ("area",)

    class Meta:
        ordering = ["status", "-score", "id"]
        constraints = [models.UniqueConstraint(fields=["person_a", "person_b"], name="uniq_duplicate_pair")]
        verbose_name = _("probable duplicate")
        verbose_name_plural = _("probable duplicates")

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.score:.2f})"
