"""Migrants served where they live (现居住地为主, 同管理同服务): one record per person and direction.

A :class:`MigrantRecord` links a person of the register (never a copy of their personal fields):
``inflow`` — lives here, registered elsewhere; ``outflow`` — registered here, lives elsewhere. An
outflow record of a person this node does not hold (a notification from another node about someone
not found) keeps only the fields the message carried. Every change of state is a
:class:`Transition` row with who, when and why. Service agreements (服务协议) bind a landlord or an
employer (a :class:`Party`) and the bureau, and name the migrants covered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel
from renkou.registry.models import Person

State = Person.Migrant


class MigrantRecord(AuditedModel):
    class Direction(models.TextChoices):
        INFLOW = "inflow", _("inflow")
        OUTFLOW = "outflow", _("outflow")

    person = models.ForeignKey(Person, models.PROTECT, null=True, blank=True, related_name="migrant_records",
                               verbose_name=_("person"))
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=12, choices=[c for c in State.choices if c[0]],
                             default=State.UNCONFIRMED)
    # where they live now (inflow: an area of this register; outflow: the code the message carried)
    resident_area = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name=_("resident area"))
    resident_code = models.CharField(_("place of residence (code)"), max_length=15, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    party = models.ForeignKey("Party", models.SET_NULL, null=True, blank=True, related_name="migrants",
                              verbose_name=_("landlord or employer"))
    # where they are registered (户籍地): derived by places.registration_place, with how it was found
    registration_code = models.CharField(_("place of household registration"), max_length=15, blank=True)
    registration_source = models.CharField(_("registration place found from"), max_length=16, blank=True,
                                           choices=[("registered_area", _("the registered area")),
                                                    ("home_code", _("the place of household registration")),
                                                    ("id_number", _("the address code of the ID number"))])
    registered_area = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name=_("registered area"))
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    departure_date = models.DateField(_("departure date"), null=True, blank=True)
    # an outflow record of a person not found here: only the message's fields
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, db_index=True)
    name = models.CharField(_("name (as notified)"), max_length=60, blank=True)
    reported_by = models.CharField(_("notified by node"), max_length=40, blank=True)
    checked_on = models.DateField(_("last checked"), null=True, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now)

    # inflow records are placed where the migrant lives, outflow records where they are registered
    scope_fields = ("resident_area", "registered_area")

    class Meta:
        ordering = ["-arrival_date", "id"]
        verbose_name = _("migrant record")
        verbose_name_plural = _("migrant records")
        constraints = [models.UniqueConstraint(fields=["person", "direction"], name="migrant_person_direction",
                                               condition=models.Q(person__isnull=False))]
        indexes = [models.Index(fields=["direction", "state"], name="migrant_dir_state"),
                   models.Index(fields=["arrival_date"], name="migrant_arrival")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.person_id or self.id_number}"


class Transition(AuditedModel):
    """One change of a record's state: who, when, why (kept; never edited)."""

    record = models.ForeignKey(MigrantRecord, models.CASCADE, related_name="transitions")
    from_state = models.CharField(_("from"), max_length=12, choices=State.choices)
    to_state = models.CharField(_("to"), max_length=12, choices=State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                           verbose_name=_("by"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("state change")


class Party(AuditedModel):
    """A landlord (房东) or employer (用工单位) who signs service agreements."""

    class Kind(models.TextChoices):
        LANDLORD = "landlord", _("landlord")
        EMPLOYER = "employer", _("employer")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    source_key = models.CharField(max_length=40, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["area_id", "name"]
        verbose_name = _("landlord or employer")

    def __str__(self) -> str:
        return self.name


class Agreement(AuditedModel):
    """A service agreement (服务协议) between the bureau and a landlord or employer."""

    number = models.CharField(_("agreement number"), max_length=40, unique=True)
    party = models.ForeignKey(Party, models.PROTECT, related_name="agreements", verbose_name=_("party"))
    area = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("area"))
    start = models.DateField(_("from"))
    end = models.DateField(_("until"))
    party_provides = models.TextField(_("the landlord or employer provides"), blank=True)
    bureau_provides = models.TextField(_("the bureau provides"), blank=True)
    migrants = models.ManyToManyField(MigrantRecord, blank=True, related_name="agreements",
                                      verbose_name=_("migrants covered"))

    class Meta:
        ordering = ["area_id", "number"]
        verbose_name = _("service agreement")

    def __str__(self) -> str:
        return self.number

    def in_force(self, on) -> bool:
        return self.start <= on <= self.end
