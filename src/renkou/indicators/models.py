"""Indicators and aggregate data (指标与汇总数据): the DHIS2 vocabulary, with provenance.

* :class:`DataElement` (数据元) with its disaggregations (分类, frozen once values exist), grouped
  into :class:`DataSet` forms (报表) of one period type; :class:`DataValue` holds one number per
  element × disaggregation × area × period. Forms are completed (:class:`Completion`, for
  completeness and timeliness) and approved level by level (:class:`Approval`); approved values
  are locked until un-approved. Every write is audited (all are :class:`AuditedModel`).
* :class:`Indicator` (指标): numerator ÷ denominator × factor of its type, in the expression
  language of :mod:`renkou.indicators.expressions`. :class:`IndicatorValue` stores each computed
  value with its numerator, denominator, the operand values it used and their hash, and the
  version of the definition — so every published figure can be traced and recomputed.
* :class:`RegisterCube` keeps the register-derived counts of one village cell and period
  (:mod:`renkou.indicators.cube`); :class:`DirtyCell` the cells whose records changed since the last computation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area, AuditedModel

from .expressions import INDICATOR_FACTORS

PERIOD_TYPES = [("month", _("month")), ("quarter", _("quarter")), ("half", _("half-year")),
                ("year", _("year")), ("stat_year", _("statistical year (Oct–Sep)"))]


class DataElement(AuditedModel):
    """A count reported on a form (数据元), e.g. publicity sessions, people reached."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    disaggregations = models.JSONField(_("disaggregations"), default=list, blank=True,
                                       help_text=_("codes of the categories, e.g. male, female; frozen once used"))
    categories = models.JSONField(_("categories"), default=list, blank=True,
                                  help_text=_("codes of the categories the disaggregations are options of, "
                                              "e.g. [\"sex\", \"age_group\"]; a disaggregation holds one option "
                                              "of each, joined by |"))
    value_type = models.CharField(_("value type"), max_length=10, default="integer",
                                  choices=[("integer", _("whole number")), ("number", _("number"))])

    class Meta:
        ordering = ["code"]
        verbose_name = _("data element")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class DataSet(AuditedModel):
    """A form (报表) of data elements captured per area and period."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    period_type = models.CharField(_("period type"), max_length=10, choices=PERIOD_TYPES, default="month")
    elements = models.ManyToManyField(DataElement, related_name="datasets", verbose_name=_("data elements"))
    capture_level = models.PositiveSmallIntegerField(_("capture level"), default=Area.Level.TOWNSHIP,
                                                     choices=Area.Level.choices)
    due_days = models.PositiveSmallIntegerField(_("due (days after the period)"), default=10)
    approval_levels = models.JSONField(_("approval levels"), default=list, blank=True,
                                       help_text=_("area levels that approve in turn, e.g. [4, 3]"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("data set")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"


class DataValue(AuditedModel):
    """One aggregate number: element × disaggregation × area × period (汇总数据值)."""

    element = models.ForeignKey(DataElement, models.PROTECT, related_name="values")
    disaggregation = models.CharField(_("disaggregation"), max_length=40, blank=True)
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=20, db_index=True)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    outlier = models.BooleanField(_("outside the expected range"), default=False)
    stored_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    updated = models.DateTimeField(default=timezone.now)

    scope_fields = ("area",)

    class Meta:
        ordering = ["period", "area_id", "element_id", "disaggregation"]
        constraints = [models.UniqueConstraint(fields=["element", "disaggregation", "area", "period"],
                                               name="uniq_data_value")]
        indexes = [models.Index(fields=["area", "period"])]

    def __str__(self) -> str:
        return f"{self.element_id} {self.area_id} {self.period} = {self.value}"


class MinMax(models.Model):
    """Expected range of an element in an area (最小最大值), for outlier flags at entry."""

    element = models.ForeignKey(DataElement, models.CASCADE, related_name="ranges")
    area = models.ForeignKey(Area, models.CASCADE, related_name="+", null=True, blank=True,
                             help_text=_("empty = every area"))
    minimum = models.DecimalField(max_digits=18, decimal_places=4)
    maximum = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["element", "area"], name="uniq_minmax")]

    def __str__(self) -> str:
        return f"{self.element_id} {self.area_id or '*'}: {self.minimum}–{self.maximum}"


class ValidationRule(AuditedModel):
    """A rule between values of one form (校验规则): left operator right, e.g. people reached ≥ sessions."""

    code = models.CharField(max_length=60, unique=True)
    dataset = models.ForeignKey(DataSet, models.CASCADE, related_name="rules")
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    left = models.CharField(max_length=400)
    operator = models.CharField(max_length=2, choices=[(o, o) for o in ("<=", "<", "==", "!=", ">", ">=")])
    right = models.CharField(max_length=400)

    def __str__(self) -> str:
        return f"{self.left} {self.operator} {self.right}"


class Completion(AuditedModel):
    """A form marked complete (上报) for an area and period: completeness and timeliness."""

    dataset = models.ForeignKey(DataSet, models.CASCADE, related_name="completions")
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    period = models.CharField(max_length=20)
    completed_at = models.DateTimeField(default=timezone.now)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+")

    scope_fields = ("area",)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "area", "period"], name="uniq_completion")]


class Approval(AuditedModel):
    """Approval (审批) of a form's values of an area and period at one level; locks the values."""

    dataset = models.ForeignKey(DataSet, models.CASCADE, related_name="approvals")
    area = models.ForeignKey(Area, models.PROTECT, related_name="+")
    period = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(choices=Area.Level.choices)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)

    scope_fields = ("area",)

    class Meta:
        ordering = ["-level"]
        constraints = [models.UniqueConstraint(fields=["dataset", "area", "period", "level"],
                                               name="uniq_approval")]


class Constant(AuditedModel):
    """A named number used by indicators (常量), e.g. a reference birth rate for expected births."""

    code = models.CharField(max_length=60, unique=True)
    name_zh = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    value = models.DecimalField(max_digits=18, decimal_places=6)

    def __str__(self) -> str:
        return f"{self.code} = {self.value}"


class Indicator(AuditedModel):
    """An indicator (指标): numerator ÷ denominator × factor of its type, rounded to ``decimals``."""

    code = models.CharField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    numerator = models.CharField(_("numerator"), max_length=600)
    denominator = models.CharField(_("denominator"), max_length=600, default="1")
    indicator_type = models.CharField(_("indicator type"), max_length=20,
                                      choices=[(k, k) for k in INDICATOR_FACTORS])
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=2)
    group = models.CharField(_("group"), max_length=40, blank=True)
    sort_order = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(_("definition version"), default=1)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("indicator")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def unit(self) -> str:
        return {"per_thousand": "‰", "percent": "%", "per_hundred": "", "ratio": "",
                "per_100000": "/10万"}.get(self.indicator_type, "")


class RegisterCube(models.Model):
    """Register-derived counts of one village cell (12-digit code) and period, encoded (see cube.py)."""

    cell = models.CharField(max_length=15)
    period = models.CharField(max_length=20)
    data = models.BinaryField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell", "period"], name="uniq_register_cube")]
        indexes = [models.Index(fields=["period", "cell"])]

    def __str__(self) -> str:
        return f"{self.cell} {self.period}"


class ComputedScope(models.Model):
    """A (root area, period, deepest level) that the engine computes and keeps up to date."""

    root = models.ForeignKey(Area, models.CASCADE, related_name="+")
    period = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(choices=Area.Level.choices)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["root", "period"], name="uniq_computed_scope")]

    def __str__(self) -> str:
        return f"{self.root_id} {self.period} (level {self.level})"


class IndicatorValue(models.Model):
    """A computed indicator value with its provenance (来源)."""

    indicator = models.ForeignKey(Indicator, models.CASCADE, related_name="values")
    area = models.ForeignKey(Area, models.CASCADE, related_name="+")
    period = models.CharField(max_length=20, db_index=True)
    value = models.DecimalField(max_digits=20, decimal_places=6, null=True)
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    inputs = models.JSONField(default=dict)
    inputs_hash = models.CharField(max_length=64)
    definition_version = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["indicator__sort_order", "area_id", "period"]
        constraints = [models.UniqueConstraint(fields=["indicator", "area", "period"], name="uniq_indicator_value")]
        indexes = [models.Index(fields=["period", "area"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.area_id} {self.period} = {self.value}"


class DirtyCell(models.Model):
    """A village cell whose records changed: periods ending on or after ``since`` must be recomputed."""

    cell = models.CharField(max_length=15, unique=True)
    since = models.DateField()

    def __str__(self) -> str:
        return f"{self.cell} since {self.since}"



class ColumnarChange(models.Model):
    """Change log of the columnar copy (列式副本变更日志): one row per person, event or service record
    written, added by database triggers in the writing transaction (every SQL path, imports included)
    while the copy is enabled, and consumed by :func:`renkou.indicators.columnar.sync`."""

    seq = models.BigAutoField(primary_key=True)
    tbl = models.PositiveSmallIntegerField()  # 1 person, 2 event, 3 service record
    row_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.tbl}:{self.row_id}"


class ColumnarState(models.Model):
    """The one row that ties the columnar copy to the database: the copy's identity, the generation
    of its last replay (the copy holds the same number when consistent) and whether the triggers log."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    copy_id = models.CharField(max_length=36, blank=True)
    generation = models.BigIntegerField(default=0)
    enabled = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"copy {self.copy_id or '—'} generation {self.generation}"
