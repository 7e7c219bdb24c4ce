"""Core models: areas (org units), accounts with scopes, append-only audit, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import areacodes
from .roles import ROLE_LABELS, Role


class Area(models.Model):
    """A statistical division (统计用区划) at any level, keyed by its code.

    ``code`` is the 12-digit statistical code, or 15 digits for a village group (村民小组).
    The subtree of an area is every code starting with :attr:`prefix`.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        PREFECTURE = 2, _("prefecture")
        COUNTY = 3, _("county")
        TOWNSHIP = 4, _("township")
        VILLAGE = 5, _("village")
        GROUP = 6, _("village group")

    code = models.CharField(_("code"), max_length=15, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("parent area"))
    urban_rural = models.CharField(_("urban–rural class"), max_length=3, blank=True,
                                   choices=[(k, v[0]) for k, v in areacodes.URBAN_RURAL.items()])
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    peer_group = models.CharField(_("peer group"), max_length=20, blank=True,
                                  help_text=_("subdistrict / town / township … for ranking among peers"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return areacodes.prefix(self.code, self.level)

    def clean(self) -> None:
        problem = areacodes.problem(self.code, self.level)
        if problem:
            raise ValidationError({"code": problem})

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)

    def ancestors(self) -> list[Area]:
        codes = areacodes.ancestor_codes(self.code, self.level)
        by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]


class AreaChange(models.Model):
    """Crosswalk of merged, renamed, split or recoded areas: history is kept, never rewritten."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("merged into")
        RENAME = "rename", _("renamed")
        SPLIT = "split", _("split into")
        RECODE = "recode", _("recoded")
        ABOLISH = "abolish", _("abolished")

    old_code = models.CharField(_("old code"), max_length=15, db_index=True)
    new_code = models.CharField(_("new code"), max_length=15, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    effective = models.DateField(_("effective date"))
    old_name = models.CharField(_("old name"), max_length=100, blank=True)
    new_name = models.CharField(_("new name"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["effective", "old_code"]
        constraints = [models.UniqueConstraint(fields=["old_code", "new_code", "effective"], name="uniq_area_change")]

    def __str__(self) -> str:
        return f"{self.old_code} → {self.new_code or '—'} ({self.kind}, {self.effective})"


class User(AbstractUser):
    """An account of one post: a role and the areas it captures in and views."""

    role = models.CharField(_("role"), max_length=20, choices=[(r.value, ROLE_LABELS[r][0]) for r in Role],
                            blank=True)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    capture_areas = models.ManyToManyField(Area, blank=True, related_name="capture_users",
                                           verbose_name=_("capture areas"))
    view_areas = models.ManyToManyField(Area, blank=True, related_name="view_users", verbose_name=_("view areas"))

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def role_label(self) -> str:
        from renkou.core.languages import pair

        try:
            zh, en = ROLE_LABELS[Role(self.role)]
        except ValueError:
            return pair("系统管理员", "System administrator") if self.is_superuser else "—"
        return pair(zh, en)


class ApiToken(models.Model):
    """A bearer token of a machine peer. Only a SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    key_prefix = models.CharField(max_length=8, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)

    PREFIX = "rk_"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str, expires=None) -> tuple[ApiToken, str]:
        token = cls.PREFIX + secrets.token_urlsafe(32)
        obj = cls.objects.create(user=user, name=name, key_prefix=token[3:11], digest=cls.digest_of(token),
                                 expires=expires)
        return obj, token

    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked is None and (self.expires is None or self.expires > now)


class LoginFailure(models.Model):
    """One failed login, kept for throttling (the audit log keeps the lasting record)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username}@{self.address} {self.at:%Y-%m-%d %H:%M}"


#: Key of the PostgreSQL advisory lock that serialises appends to the audit chain.
AUDIT_CHAIN_LOCK = 0x726B_6175_6469_7431


def _append_chained(objs: list, using: str, write):
    """Link ``objs`` to the chain head and write them with ``write()``, holding the chain lock.

    On PostgreSQL a transaction-scoped advisory lock serialises the writers (held until the enclosing
    transaction ends, so two transactions never read the same head); SQLite serialises writers
    already (``BEGIN IMMEDIATE``). Rows are chained in id order, so ids are checked to grow.
    """
    from django.db import connections, transaction

    from .audit_chain import GENESIS, digest

    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        head = AuditEvent._base_manager.using(using).order_by("-id").values_list("id", "row_hash").first()
        prev = GENESIS if head is None else (head[1] or "")
        for obj in objs:
            obj.prev_hash = prev
            obj.row_hash = prev = digest(obj.chain_content(), prev)
        result = write()
        ids = [obj.pk for obj in objs]
        last = head[0] if head else 0
        for pk in ids:
            if pk is not None and pk <= last:
                raise RuntimeError("audit events must be written in id order / 审计事件须按编号顺序写入")
            last = pk if pk is not None else last
    return result


class AuditQuerySet(models.QuerySet):
    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, **kwargs):
        if ignore_conflicts or update_conflicts:
            raise PermissionError("审计日志只能追加 / the audit log is append-only")
        objs = list(objs)
        if any(obj.pk is not None for obj in objs):
            raise PermissionError("审计日志只能追加 / the audit log is append-only")
        if not objs:
            return objs
        return _append_chained(objs, self.db, lambda: super(AuditQuerySet, self).bulk_create(
            objs, batch_size=batch_size, **kwargs))

    def append_reserved(self, obj) -> bool:
        """Append ``obj`` under the key reserved for it earlier (a file's ``import`` event, whose key the
        rows of the file carry), if the chain has not passed that key meanwhile. Returns False, writing
        nothing, when it has: the caller then appends it under a new key."""
        from django.db import connections, transaction

        if obj.pk is None:
            raise ValueError("append_reserved needs the reserved key")
        with transaction.atomic(using=self.db):
            if connections[self.db].vendor == "postgresql":
                with connections[self.db].cursor() as cur:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
            head = AuditEvent._base_manager.using(self.db).order_by("-id").values_list("id", flat=True).first()
            if head is not None and head >= obj.pk:
                return False
            _append_chained([obj], self.db, lambda: super(AuditQuerySet, self).bulk_create([obj]))
        return True

    def update(self, **kwargs):
        raise PermissionError("审计日志只能追加 / the audit log is append-only")

    def delete(self):
        raise PermissionError("审计日志只能追加 / the audit log is append-only")


class AuditEvent(models.Model):
    """Append-only record of a write, a read of a full person record, an export, or a login.

    Updates and deletes are refused by the model, its manager and — as a last line — by database
    triggers installed in the migration, so not even a raw query in the app can rewrite history.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        VIEW = "view", _("view record")
        EXPORT = "export", _("export")
        IMPORT = "import", _("import")
        LOGIN = "login", _("login")
        LOGIN_FAILED = "login_failed", _("failed login")
        LOGOUT = "logout", _("logout")
        CONFIRM = "confirm", _("confirm")
        TRANSITION = "transition", _("state change")
        MERGE = "merge", _("merge")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                              related_name="+", db_constraint=False)
    actor_username = models.CharField(_("user"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    area_code = models.CharField(_("area"), max_length=15, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    detail = models.JSONField(_("detail"), null=True, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    # The hash chain (``audit_chain``): the previous event's hash and this one's. Nullable so that SQLite
    # adds the columns without rebuilding the table, which would drop the append-only triggers.
    prev_hash = models.CharField(_("previous hash"), max_length=64, null=True, blank=True,  # noqa: DJ001
                                 editable=False)
    row_hash = models.CharField(_("hash"), max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '—'} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计日志只能追加 / the audit log is append-only")
        from django.db import router

        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        _append_chained([self], using, lambda: super(AuditEvent, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加 / the audit log is append-only")

    def chain_content(self) -> dict:
        """The values covered by the hash, as the database will give them back."""
        from .audit_chain import FIELDS

        out = {name: getattr(self, name) for name in FIELDS}
        out["address"] = self._meta.get_field("address").get_prep_value(self.address)
        return out

    def changed_fields(self) -> list[str]:
        b, a = self.before or {}, self.after or {}
        return sorted(k for k in set(b) | set(a) if b.get(k) != a.get(k))


class IdNumberConfirmation(models.Model):
    """An identity number with a wrong check character, confirmed by an authorised user with a reason.

    Legacy numbers (old certificates, 15→18 conversions by hand) sometimes carry a wrong check
    character; the register stores them only once somebody accountable has checked the document.
    """

    number = models.CharField(_("ID number"), max_length=18, unique=True)
    reason = models.TextField(_("reason"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("confirmed ID number")

    def __str__(self) -> str:
        return self.number


class AuditedModel(models.Model):
    """Base of registered data: every create, update and delete leaves an :class:`AuditEvent`.

    Subclasses name the fields that place a row in an area (``scope_fields``) so the one scoping
    function can filter them, and ``audit_area_field`` for the audit record's area.
    """

    scope_fields: ClassVar[tuple[str, ...]] = ()
    audit_exclude: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = dict(zip(field_names, values, strict=False))
        return instance

    def audit_snapshot(self) -> dict:
        from .audit import serialise_instance

        return serialise_instance(self)

    def audit_area(self) -> str:
        for name in self.scope_fields:
            value = getattr(self, f"{name}_id", None) or getattr(self, name, None)
            if value:
                return str(value)
        return ""
