"""The bureau's own work on record (计生局自身工作): funding lines, staff posts, the association,
village charters, events, facilities and vehicle trips, screening and free supplies.

Money is never stored here: a :class:`FundLine` names two accounts of the one ledger (its budget and
its spending) and amounts are ledger postings (:mod:`renkou.bureau.services`). Nothing here sets a
quota or target on a person: screening is voluntary (consent recorded), supplies are issued on
request; targets, where there are any, concern the bureau's own work (sessions held).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel


class FundLine(AuditedModel):
    class Kind(models.TextChoices):
        PER_HEAD = "per_head", _("per-head allocation")
        TRANSFER = "transfer", _("transfer to townships and villages")
        OFFICER_PAY = "officer_pay", _("pay of village officers and group leaders")
        FREE_SERVICE = "free_service", _("free-service fund")
        OTHER = "other", _("other")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        unique_together = [("area", "year", "kind", "name")]
        ordering = ["area_id", "year", "kind"]

    def account_code(self, part: str) -> str:
        return f"bureau/{self.area_id}/{self.year}/{self.pk}/{part}"


class StaffPost(AuditedModel):
    """A post held by a person of the bureau's staff (personal data of staff: read by area, audited)."""

    class Kind(models.TextChoices):
        FULL_TIME = "full_time", _("full-time family-planning officer")
        GROUP_LEADER = "group_leader", _("village group leader")
        VILLAGE_OFFICER = "village_officer", _("village family-planning officer")
        MIGRANT_SERVICE = "migrant_service", _("migrant-service staff")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(_("post"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    qualified = models.BooleanField(_("holds the qualification"), default=False)
    qualification = models.CharField(_("qualification"), max_length=200, blank=True)
    training = models.TextField(_("training taken"), blank=True)
    performance = models.TextField(_("performance record"), blank=True)
    started_on = models.DateField(_("in post since"))
    ended_on = models.DateField(_("left the post on"), null=True, blank=True)
    user = models.ForeignKey("core.User", models.SET_NULL, null=True, blank=True, related_name="+")

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("staff post")
        verbose_name_plural = _("staff posts")
        ordering = ["area_id", "kind", "name"]


class AssociationBranch(AuditedModel):
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    name = models.CharField(_("name"), max_length=200)
    founded_on = models.DateField(_("founded on"))

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("association branch")
        verbose_name_plural = _("association branches")

    def __str__(self) -> str:
        return self.name

class AssociationMember(AuditedModel):
    branch = models.ForeignKey(AssociationBranch, models.PROTECT, related_name="members", verbose_name=_("branch"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    name = models.CharField(_("name"), max_length=100)
    joined_on = models.DateField(_("joined on"))
    volunteer = models.BooleanField(_("volunteer"), default=False)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("association member")
        verbose_name_plural = _("association members")

class VillageCharter(AuditedModel):
    """一村一章程: a village's self-governance charter, and its model-village status."""

    village = models.OneToOneField(Area, models.PROTECT, related_name="+", verbose_name=_("village"))
    adopted_on = models.DateField(_("charter adopted on"), null=True, blank=True)
    self_governing = models.BooleanField(_("villagers' self-governance in place"), default=False)
    model_since = models.DateField(_("model village since"), null=True, blank=True)
    model_reason = models.CharField(_("reason"), max_length=300, blank=True)

    scope_fields = ("village",)

    class Meta:
        verbose_name = _("village charter")
        verbose_name_plural = _("village charters")

class Event(AuditedModel):
    class Kind(models.TextChoices):
        PUBLICITY = "publicity", _("publicity session")
        CAMPAIGN = "campaign", _("campaign")
        TRAINING = "training", _("training course")

    class Campaign(models.TextChoices):
        NONE = "", _("none")
        CARE_FOR_GIRLS = "care_for_girls", _("Care for Girls campaign")
        NEW_CUSTOMS = "new_customs", _("New Customs of Marriage and Childbearing into Every Home")

    class Organiser(models.TextChoices):
        BUREAU = "bureau", _("the bureau or its township office")
        ASSOCIATION = "association", _("the family-planning association")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    campaign = models.CharField(_("campaign"), max_length=20, choices=Campaign.choices, blank=True, default="")
    organiser = models.CharField(_("organiser"), max_length=20, choices=Organiser.choices, default=Organiser.BUREAU)
    held_on = models.DateField(_("held on"))
    place = models.CharField(_("place"), max_length=200)
    audience = models.CharField(_("audience"), max_length=200, blank=True)
    reached = models.PositiveIntegerField(_("people reached"))
    leaflets = models.PositiveIntegerField(_("leaflets"), default=0)
    handbooks = models.PositiveIntegerField(_("handbooks"), default=0)
    source_key = models.CharField(max_length=80, unique=True, null=True, blank=True)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["held_on", "pk"]


class Facility(AuditedModel):
    class Kind(models.TextChoices):
        STATION = "station", _("county service station")
        TOWNSHIP_STATION = "township_station", _("township service station")
        VILLAGE_ROOM = "village_room", _("village service room")
        MOBILE = "mobile", _("mobile service vehicle")
        SUPPLIES = "supplies", _("county supplies station")

    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    location = models.CharField(_("location"), max_length=200, blank=True)
    equipment = models.TextField(_("equipment"), blank=True)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("service facility")
        verbose_name_plural = _("service facilities")

    def __str__(self) -> str:
        return self.name

class VehicleTrip(AuditedModel):
    vehicle = models.ForeignKey(Facility, models.PROTECT, related_name="trips", verbose_name=_("vehicle"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area served"))
    on = models.DateField(_("date"))
    km = models.PositiveIntegerField(_("km"))
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("vehicle trip")
        verbose_name_plural = _("vehicle trips")

class ScreeningCampaign(AuditedModel):
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    name = models.CharField(_("name"), max_length=200)
    started_on = models.DateField(_("started on"))

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("screening campaign")
        verbose_name_plural = _("screening campaigns")

    def __str__(self) -> str:
        return self.name

class ScreeningRecord(AuditedModel):
    """One voluntary examination (consent given), anonymous to the statistics: a number, no quota."""

    class Outcome(models.TextChoices):
        NONE = "none", _("no condition found")
        FOUND = "found", _("condition found, not yet treated")
        TREATED = "treated", _("treated")
        CURED = "cured", _("cured")
        REFERRED = "referred", _("referred")

    campaign = models.ForeignKey(ScreeningCampaign, models.PROTECT, related_name="records",
                                 verbose_name=_("screening campaign"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    number = models.CharField(_("examination number"), max_length=40)
    examined_on = models.DateField(_("examined on"))
    consent = models.BooleanField(_("consent given"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("examination")
        verbose_name_plural = _("examinations")
        unique_together = [("campaign", "number")]
        constraints = [models.CheckConstraint(condition=models.Q(consent=True), name="bureau_screening_consent")]


class SupplyMovement(AuditedModel):
    """A receipt into or an issue (on request, free) out of a station's stock of a contraceptive."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        ISSUE = "issue", _("issue on request")

    station = models.ForeignKey(Facility, models.PROTECT, related_name="movements", verbose_name=_("station"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    item = models.CharField(_("item"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    on = models.DateField(_("date"))

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("supply movement")
        verbose_name_plural = _("supply movements")


class EventPhoto(AuditedModel):
    """A photograph of an event (JPEG or PNG, at most 5 MB), stored under ``MEDIA_ROOT/bureau/events/``
    and served only through the bureau's pages to those who may read the event."""

    event = models.ForeignKey(Event, models.CASCADE, related_name="photos", verbose_name=_("event"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    image = models.FileField(_("photo"), upload_to="bureau/events/", max_length=200)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    scope_fields = ("area",)

    class Meta:
        verbose_name = _("event photo")
        verbose_name_plural = _("event photos")
        ordering = ["event_id", "pk"]
