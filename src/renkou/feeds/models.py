"""Department feeds (部门信息): sources, their versioned mappings, received files and their records,
and the candidate register persons a record was compared with.

A :class:`Source` is one department's kind of file for one county (公安 hukou changes, 民政
marriages, 卫生 birth notices …). How its files are read is a :class:`Mapping`: data (JSON), never
code, versioned — a change is a new version, and every file names the version it was read with. A
:class:`FeedFile` is one file received (by upload, watched folder or the machine-peer API), unique
by its content's SHA-256 per source; its rows become :class:`FeedRecord` rows, which the linkage
links to register persons (and their events) or leaves to an officer's decision.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel
from renkou.registry.models import Sex


class Department(models.TextChoices):
    PUBLIC_SECURITY = "public_security", _("public security (hukou)")
    CIVIL_AFFAIRS = "civil_affairs", _("civil affairs")
    HEALTH = "health", _("health (hospitals)")
    INSURANCE = "insurance", _("medical insurance and human resources")
    MARKET = "market", _("market regulation")


class RecordKind(models.TextChoices):
    BIRTH = "birth", _("birth")
    DEATH = "death", _("death")
    MOVE_IN = "move_in", _("move in")
    MOVE_OUT = "move_out", _("move out")
    MARRIAGE = "marriage", _("marriage")
    DIVORCE = "divorce", _("divorce")
    ENROLMENT = "enrolment", _("insurance enrolment")
    BUSINESS = "business", _("business registration")


class Source(AuditedModel):
    """One department's files for one county."""

    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=120)
    department = models.CharField(_("department"), max_length=20, choices=Department.choices)
    county = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("county"))
    # linkage thresholds (Splink match weights): at or above ``auto_weight`` linked automatically;
    # at or above ``review_weight`` to the reconciliation queue; below: not in the register
    auto_weight = models.FloatField(_("automatic link from match weight"), default=12.0)
    review_weight = models.FloatField(_("reconciliation queue from match weight"), default=0.0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["county_id", "code"]
        constraints = [models.UniqueConstraint(fields=["county", "code"], name="feeds_source_code")]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return f"{self.code} ({self.county_id[:6]})"

    def audit_area(self) -> str:
        return self.county_id

    def mapping(self) -> Mapping | None:
        """The current (highest) version of the mapping."""
        return self.mappings.order_by("-version").first()


class Mapping(AuditedModel):
    """A version of a source's mapping (its ``spec``: see ``renkou.feeds.mapping``)."""

    source = models.ForeignKey(Source, models.CASCADE, related_name="mappings")
    version = models.PositiveIntegerField(_("version"))
    spec = models.JSONField(_("mapping"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["source", "version"], name="feeds_mapping_version")]
        verbose_name = _("mapping")
        verbose_name_plural = _("mappings")

    def __str__(self) -> str:
        return f"{self.source.code} v{self.version}"

    def audit_area(self) -> str:
        return self.source.county_id


class FeedFile(AuditedModel):
    """One file received from a source: idempotent by content (SHA-256) per source."""

    class Via(models.TextChoices):
        UPLOAD = "upload", _("upload page")
        FOLDER = "folder", _("watched folder")
        API = "api", _("machine-peer API")
        CLI = "cli", _("command line")

    source = models.ForeignKey(Source, models.PROTECT, related_name="files")
    mapping = models.ForeignKey(Mapping, models.PROTECT, related_name="+")
    name = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    via = models.CharField(_("received by"), max_length=10, choices=Via.choices, default=Via.CLI)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    records = models.PositiveIntegerField(_("records written"), default=0)
    repeated = models.PositiveIntegerField(_("records received before"), default=0)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    received_at = models.DateTimeField(default=timezone.now)
    audit_event = models.PositiveBigIntegerField(_("import audit event"), null=True, blank=True)
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "sha256"], name="feeds_file_content")]
        verbose_name = _("department file")
        verbose_name_plural = _("department files")

    def __str__(self) -> str:
        return self.name

    def audit_area(self) -> str:
        return self.source.county_id


class FeedRecord(AuditedModel):
    """One record of a department's file, as its mapping read it, and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received, not yet linked")
        AUTO_LINKED = "auto_linked", _("linked automatically")
        QUEUED = "queued", _("in the reconciliation queue")
        LINKED = "linked", _("linked by decision")
        NOT_FOUND = "not_found", _("not in the register")
        DECLARED = "declared", _("missing from the register: event declared")
        REJECTED = "rejected", _("source wrong: rejected")

    class Rule(models.TextChoices):
        NONE = "", _("none")
        ID_NUMBER = "id_number", _("the same ID number")
        MOTHER_ID = "mother_id", _("the mother's ID number and the birth date")
        SPLINK = "splink", _("match weight at or above the automatic threshold")
        DECISION = "decision", _("an officer's decision")

    source = models.ForeignKey(Source, models.PROTECT, related_name="records")
    file = models.ForeignKey(FeedFile, models.PROTECT, related_name="feed_records")
    line = models.PositiveIntegerField(_("row"))
    record_key = models.CharField(_("record number at the source"), max_length=60)
    kind = models.CharField(_("kind"), max_length=12, choices=RecordKind.choices)
    event_date = models.DateField(_("event date"))
    month = models.CharField(_("month"), max_length=7, db_index=True)  # YYYY-MM of the event date
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    name = models.CharField(_("name"), max_length=60, blank=True)
    sex = models.PositiveSmallIntegerField(_("sex"), null=True, blank=True, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    id_state = models.CharField(_("ID number state"), max_length=24, blank=True)
    mother_name = models.CharField(_("mother's name"), max_length=60, blank=True)
    mother_id = models.CharField(_("mother's ID number"), max_length=18, blank=True)
    father_name = models.CharField(_("father's name"), max_length=60, blank=True)
    father_id = models.CharField(_("father's ID number"), max_length=18, blank=True)
    spouse_name = models.CharField(_("spouse's name"), max_length=60, blank=True)
    spouse_id = models.CharField(_("spouse's ID number"), max_length=18, blank=True)
    data = models.JSONField(_("the row as received"), default=dict)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    rule = models.CharField(_("linked by"), max_length=10, choices=Rule.choices, blank=True)
    person = models.ForeignKey("registry.Person", models.SET_NULL, null=True, blank=True, related_name="+",
                               verbose_name=_("register person"))
    event = models.ForeignKey("registry.Event", models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("register event"))
    match_weight = models.FloatField(_("match weight"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    link_run = models.ForeignKey("LinkRun", models.SET_NULL, null=True, blank=True, related_name="+")

    scope_fields = ("area",)

    class Meta:
        ordering = ["source_id", "month", "line", "id"]
        constraints = [models.UniqueConstraint(fields=["source", "record_key"], name="feeds_record_key")]
        indexes = [models.Index(fields=["source", "status"], name="feeds_record_status"),
                   models.Index(fields=["id_number"], name="feeds_record_id")]
        verbose_name = _("department record")
        verbose_name_plural = _("department records")

    def __str__(self) -> str:
        return f"{self.source.code}:{self.record_key}"

    def audit_area(self) -> str:
        return self.area_id


class Candidate(models.Model):
    """A register person a record was compared with by the linkage, with Splink's match weight and the
    partial weight and level of each compared field."""

    record = models.ForeignKey(FeedRecord, models.CASCADE, related_name="candidates")
    person = models.ForeignKey("registry.Person", models.CASCADE, related_name="+")
    match_weight = models.FloatField()
    match_probability = models.FloatField()
    levels = models.JSONField(default=dict)  # comparison → level index (renkou.feeds.linkage.LEVELS)
    weights = models.JSONField(default=dict)  # comparison → partial match weight

    class Meta:
        ordering = ["record_id", "-match_weight", "person_id"]
        constraints = [models.UniqueConstraint(fields=["record", "person"], name="feeds_candidate_pair")]
        verbose_name = _("linkage candidate")
        verbose_name_plural = _("linkage candidates")

    def __str__(self) -> str:
        return f"{self.record_id} ~ {self.person_id} ({self.match_weight:.1f})"


class LinkRun(models.Model):
    """One run of the linkage over a source's records: the Splink model it used (its JSON), counts."""

    source = models.ForeignKey(Source, models.CASCADE, related_name="runs")
    started_at = models.DateTimeField(default=timezone.now)
    records = models.PositiveIntegerField(default=0)
    model = models.JSONField(default=dict)
    counts = models.JSONField(default=dict)
    em = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")

    def __str__(self) -> str:
        return f"{self.source_id} {self.started_at:%Y-%m-%d %H:%M}"
