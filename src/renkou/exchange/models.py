"""The exchange between Renkou nodes: this node's identity, the directory of peers, the messages
of the outbox and inbox, and the enquiry cases (协查) they belong to."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import AuditedModel


class Kind(models.TextChoices):
    ENQUIRY = "enquiry", _("enquiry")
    MATCH = "match", _("match result")
    CHECK = "check", _("check result")
    FEEDBACK = "feedback", _("feedback")
    NOTIFICATION = "notification", _("notification")


class Direction(models.TextChoices):
    OUT = "out", _("sent")
    IN = "in", _("received")


class State(models.TextChoices):
    PENDING = "pending", _("waiting to be delivered")
    DELIVERED = "delivered", _("delivered")
    APPLIED = "applied", _("applied")
    HELD = "held", _("held until its enquiry arrives")
    REFUSED = "refused", _("refused")


class Node(AuditedModel):
    """This node's identity (one row). The private key is in ``key_path`` (a file under the data
    directory), never in the database."""

    code = models.SlugField(_("node code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    public_key = models.CharField(_("public key"), max_length=64)
    key_path = models.CharField(_("private key file"), max_length=500)
    prefixes = models.JSONField(_("areas served"), default=list)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("this node")

    def __str__(self) -> str:
        return self.code


class Peer(AuditedModel):
    """A peer node of the directory."""

    code = models.SlugField(_("node code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    url = models.URLField(_("address"), max_length=300)
    public_key = models.CharField(_("public key"), max_length=64)
    token = models.CharField(_("bearer token"), max_length=200, blank=True)
    audit_exclude = ("token",)

    class Meta:
        ordering = ["code"]
        verbose_name = _("peer node")
        verbose_name_plural = _("peer nodes")

    def __str__(self) -> str:
        return self.code


class PeerPrefix(AuditedModel):
    """An area-code prefix a peer serves (a county: 6 digits; a township: 9 …)."""

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="prefixes")
    prefix = models.CharField(_("area-code prefix"), max_length=12, unique=True)

    class Meta:
        ordering = ["prefix"]


class Message(AuditedModel):
    """One message, sent (outbox) or received (inbox)."""

    uid = models.UUIDField(_("message id"), default=uuid.uuid4)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    sender = models.CharField(_("sender"), max_length=40)
    recipient = models.CharField(_("recipient"), max_length=40)
    area_code = models.CharField(_("area"), max_length=12)
    payload = models.JSONField(_("content"))
    reply_to = models.UUIDField(_("reply to"), null=True, blank=True)
    urgent = models.BooleanField(_("urgent"), default=False)
    created_at = models.DateTimeField(_("created"))
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    signature = models.CharField(_("signature"), max_length=120)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)
    reason = models.CharField(_("reason refused"), max_length=300, blank=True)
    audit_exclude = ("payload", "signature")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["uid", "direction"], name="exchange_message_uid")]
        indexes = [models.Index(fields=["direction", "state", "next_attempt_at"]),
                   models.Index(fields=["reply_to"])]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"

    def audit_area(self) -> str:
        return self.area_code

    def envelope(self) -> dict:
        return {"uid": str(self.uid), "kind": self.kind, "sender": self.sender,
                "recipient": self.recipient, "area_code": self.area_code, "payload": self.payload,
                "reply_to": str(self.reply_to) if self.reply_to else None, "urgent": self.urgent,
                "created_at": self.created_at.isoformat() if isinstance(self.created_at, dt.datetime)
                else self.created_at}

    def signed(self) -> dict:
        return {**self.envelope(), "signature": self.signature}


class EnquiryState(models.TextChoices):
    OPENED = "opened", _("opened")
    MATCHED = "matched", _("matched")
    CHECKED = "checked", _("checked")
    CLOSED = "closed", _("closed")


class Enquiry(AuditedModel):
    """An enquiry case (协查), one per enquiry uid, on both nodes. ``role`` says which end this
    node is: the enquiring node (where the person lives) or the registration node."""

    class Role(models.TextChoices):
        ENQUIRING = "enquiring", _("sent by this node")
        REGISTRATION = "registration", _("received by this node")

    uid = models.UUIDField(_("enquiry id"), unique=True)
    role = models.CharField(_("end"), max_length=12, choices=Role.choices)
    enquirer = models.CharField(_("enquiring node"), max_length=40)
    registration_node = models.CharField(_("registration node"), max_length=40)
    area_code = models.CharField(_("registration area"), max_length=12)
    residence_area = models.CharField(_("residence area"), max_length=12, blank=True)
    # this node's end of the case: the residence area (enquiring node) or the registration area
    local_area = models.CharField(_("area here"), max_length=12, blank=True, db_index=True)
    asks = models.JSONField(_("facts asked"), default=list)
    urgent = models.BooleanField(_("urgent"), default=False)
    opened_on = models.DateField(_("opened"))
    period = models.CharField(_("period"), max_length=7)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=10, choices=EnquiryState.choices,
                             default=EnquiryState.OPENED)
    found = models.BooleanField(_("found"), null=True)
    registered_area = models.CharField(_("registered in"), max_length=12, blank=True)
    person_id = models.BigIntegerField(_("matched person"), null=True, blank=True)
    answered_on = models.DateField(_("checked on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, blank=True)
    scope_fields = ("local_area",)

    class Meta:
        ordering = ["-opened_on", "id"]
        indexes = [models.Index(fields=["role", "state", "deadline"])]
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")

    def __str__(self) -> str:
        return str(self.uid)

    def audit_area(self) -> str:
        return self.local_area or self.area_code

    def is_answered(self) -> bool:
        return self.answered_on is not None

    def overdue_on(self, as_of: dt.date) -> bool:
        """Overdue: not answered by its deadline (answered late, or still unanswered after it)."""
        if self.answered_on is not None:
            return self.answered_on > self.deadline
        return as_of > self.deadline and self.state != EnquiryState.CLOSED

    @property
    def overdue(self) -> bool:
        return self.overdue_on(timezone.localdate())
