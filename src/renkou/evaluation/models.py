"""Assessment of government units (目标管理责任制考核): schemes, targets, runs, appeals, field checks.

* :class:`AssessmentScheme` keeps the scheme file (YAML/JSON) as written; the parsed form comes
  from :mod:`renkou.evaluation.scheme_format`.
* :class:`Target` rows are the per-unit targets of the responsibility contracts (目标管理责任书);
  :class:`InspectionScore` rows the scores evaluators enter from their inspections (检查评分).
* A :class:`Run` is one computed version of the results (考核结果). Publishing freezes it: its
  rows and their results can no longer change — refused here (save, delete, queryset update and
  delete), in the services, and by database triggers (migration 0002). An :class:`Appeal` (申诉)
  re-opens one item and produces a new version, never an edit of the published one.
* :class:`VerificationSample` / :class:`SampledHousehold`: sampled door-to-door verification
  (抽样入户核查) of the register.

* :class:`Department`: a county department (县直部门: 公安局, 民政局 …) assessed by a scheme of
  ``level: department``; the unit of such a scheme's rows is the department, not an area (every row
  that names a unit holds exactly one of ``unit`` and ``department``). :class:`Contract` records when
  a unit's responsibility contract was signed and the period it covers.

Only government units are assessed; no row here scores a person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from renkou.core.models import Area

FROZEN_MESSAGE = "已发布的考核结果不能更改 / a published assessment run cannot change"


class FrozenError(PermissionError):
    """An attempt to change or delete a published run or its results."""

    def __init__(self, message: str = FROZEN_MESSAGE) -> None:
        super().__init__(message)


class Department(models.Model):
    """A county department that signs a responsibility contract (县直部门), seeded from
    ``data/departments.yaml``. ``code`` is ``<county>-<slug>`` (520122-gongan): the unit code of its
    results. ``feeds_department`` names the department of the feeds sources it delivers, if any."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    slug = models.SlugField(_("code in the county"), max_length=30)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150)
    county = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("county"))
    feeds_department = models.CharField(_("delivers the feeds of"), max_length=20, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["county_id", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["county", "slug"], name="uniq_eval_department_slug")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name_zh

    @property
    def name(self) -> str:
        return self.name_zh

    def label(self, lang: str = "zh") -> str:
        return self.name_zh if lang.startswith("zh") else self.name_en


def _one_unit(prefix: str):
    """Exactly one of ``unit`` (an area) and ``department`` is set."""
    return models.CheckConstraint(
        condition=(models.Q(unit__isnull=False, department__isnull=True)
                   | models.Q(unit__isnull=True, department__isnull=False)), name=f"{prefix}_one_unit")


class UnitKeyMixin:
    """The unit code of a row naming an area or a department: the area's code or the department's."""

    @property
    def unit_key(self) -> str:
        return self.unit_id or self.department_id


class AssessmentScheme(models.Model):
    """An assessment scheme (考核方案) for one year and one level, stored as its file text."""

    class Format(models.TextChoices):
        YAML = "yaml", "YAML"
        JSON = "json", "JSON"

    code = models.CharField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    period_code = models.CharField(_("period"), max_length=12)
    level = models.CharField(_("level of the units"), max_length=12)
    parent = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("units under"))
    source_text = models.TextField(_("scheme file"))
    source_format = models.CharField(_("format"), max_length=4, choices=Format.choices, default=Format.YAML)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"

    def parsed(self):
        """The checked :class:`~renkou.evaluation.scheme_format.Scheme` (cached on the instance)."""
        from .scheme_format import parse_scheme_text

        key = (self.source_text, self.source_format)
        cached = getattr(self, "_parsed", None)
        if cached is None or cached[0] != key:
            self._parsed = (key, parse_scheme_text(self.source_text, self.source_format))
        return self._parsed[1]


class Target(UnitKeyMixin, models.Model):
    """The target of one item for one unit, as signed in the responsibility contract (责任书目标值)."""

    scheme = models.ForeignKey(AssessmentScheme, models.CASCADE, related_name="targets")
    unit = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    item_code = models.CharField(_("item"), max_length=20)
    value = models.DecimalField(_("target"), max_digits=14, decimal_places=4)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheme", "unit", "item_code"]
        constraints = [models.UniqueConstraint(fields=["scheme", "unit", "item_code"], name="uniq_eval_target"),
                       models.UniqueConstraint(fields=["scheme", "department", "item_code"],
                                               name="uniq_eval_target_department"),
                       _one_unit("eval_target")]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.unit_key} {self.item_code} = {self.value}"


class InspectionScore(UnitKeyMixin, models.Model):
    """A score entered by evaluators from an inspection (检查评分), with last year's when progress counts."""

    scheme = models.ForeignKey(AssessmentScheme, models.CASCADE, related_name="inspections")
    unit = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    sheet = models.CharField(_("score sheet"), max_length=60)
    value = models.DecimalField(_("score"), max_digits=14, decimal_places=4)
    previous = models.DecimalField(_("last year"), max_digits=14, decimal_places=4, null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheme", "unit", "sheet"]
        constraints = [models.UniqueConstraint(fields=["scheme", "unit", "sheet"], name="uniq_eval_inspection"),
                       models.UniqueConstraint(fields=["scheme", "department", "sheet"],
                                               name="uniq_eval_inspection_department"),
                       _one_unit("eval_inspection")]
        verbose_name = _("inspection score")
        verbose_name_plural = _("inspection scores")

    def __str__(self) -> str:
        return f"{self.unit_key} {self.sheet} = {self.value}"


class RunQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.filter(status=Run.Status.PUBLISHED).exists():
            raise FrozenError()
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=Run.Status.PUBLISHED).exists():
            raise FrozenError()
        return super().delete()


class Run(models.Model):
    """One computed version of a scheme's results (考核结果版本); frozen once published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    scheme = models.ForeignKey(AssessmentScheme, models.PROTECT, related_name="runs")
    version = models.PositiveIntegerField(_("version"))
    period_code = models.CharField(_("period"), max_length=12)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    scheme_text = models.TextField(_("scheme file as used"))
    scheme_format = models.CharField(max_length=4, default="yaml")
    previous = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("replaces version"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["scheme", "-version"]
        constraints = [models.UniqueConstraint(fields=["scheme", "version"], name="uniq_eval_run_version")]
        verbose_name = _("assessment run")
        verbose_name_plural = _("assessment runs")

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.version} ({self.status})"

    def save(self, *args, **kwargs):
        if self._stored_status() == self.Status.PUBLISHED:
            raise FrozenError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == self.Status.PUBLISHED:
            raise FrozenError()
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def parsed_scheme(self):
        from .scheme_format import parse_scheme_text

        cached = getattr(self, "_parsed", None)
        if cached is None:
            cached = self._parsed = parse_scheme_text(self.scheme_text, self.scheme_format)
        return cached

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return Run.objects.filter(pk=self.pk).values_list("status", flat=True).first()


class ResultQuerySet(models.QuerySet):
    run_path = "run"

    def _touches_published(self) -> bool:
        return self.filter(**{f"{self.run_path}__status": Run.Status.PUBLISHED}).exists()

    def update(self, **kwargs):
        if self._touches_published():
            raise FrozenError()
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise FrozenError()
        return super().delete()


class ItemResultQuerySet(ResultQuerySet):
    run_path = "unit_result__run"


class FrozenWithRun(models.Model):
    """Rows that belong to a run: refused to change when the run is published."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self._frozen():
            raise FrozenError()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._frozen():
            raise FrozenError()
        return super().delete(*args, **kwargs)

    def owning_run_id(self) -> int | None:
        raise NotImplementedError

    def _frozen(self) -> bool:
        run_id = self.owning_run_id()
        return run_id is not None and Run.objects.filter(pk=run_id, status=Run.Status.PUBLISHED).exists()


class UnitResult(UnitKeyMixin, FrozenWithRun):
    """One unit's line of a run: total, rank overall and in its peer group, grade, veto, warnings."""

    run = models.ForeignKey(Run, models.CASCADE, related_name="units")
    unit = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    unit_name = models.CharField(_("unit name"), max_length=100)
    unit_name_en = models.CharField(_("unit name (English)"), max_length=150, blank=True)
    peer_group = models.CharField(_("peer group"), max_length=40, blank=True)
    total = models.DecimalField(_("total"), max_digits=8, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    group_rank = models.PositiveIntegerField(_("rank in peer group"), null=True, blank=True)
    grade_code = models.CharField(_("grade"), max_length=20, blank=True)
    grade_zh = models.CharField(max_length=60, blank=True)
    grade_en = models.CharField(max_length=60, blank=True)
    vetoed = models.BooleanField(_("vetoed"), default=False)
    incomplete = models.BooleanField(_("incomplete"), default=False)
    warnings = models.JSONField(_("warnings"), default=list)  # [{"code", "zh", "en"}]

    objects = ResultQuerySet.as_manager()

    class Meta:
        ordering = ["run", "rank", "unit_id", "department_id"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="uniq_eval_unit_result"),
                       models.UniqueConstraint(fields=["run", "department"], name="uniq_eval_unit_result_department"),
                       _one_unit("eval_unit_result")]
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")

    def __str__(self) -> str:
        return f"{self.unit_name} {self.total} #{self.rank}"

    def owning_run_id(self) -> int | None:
        return self.run_id

    def grade_label(self, lang: str = "zh") -> str:
        return self.grade_zh if lang.startswith("zh") else self.grade_en

    def name_in(self, lang: str = "zh") -> str:
        """The unit's name in the page's language: a department's English name on English pages (an
        area has its one, Chinese, name)."""
        return self.unit_name_en if (self.unit_name_en and not lang.startswith("zh")) else self.unit_name


class ItemResult(FrozenWithRun):
    """One item of one unit: the raw value, target, rule and resulting points, with its explanation."""

    unit_result = models.ForeignKey(UnitResult, models.CASCADE, related_name="items")
    theme_code = models.CharField(_("theme"), max_length=20)
    item_code = models.CharField(_("item"), max_length=20)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=6, null=True, blank=True)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=4, null=True, blank=True)
    previous = models.DecimalField(_("last year"), max_digits=20, decimal_places=6, null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2, null=True, blank=True)
    max_points = models.DecimalField(_("item points"), max_digits=8, decimal_places=2)
    state = models.CharField(_("state"), max_length=10)
    veto = models.BooleanField(_("veto"), default=False)
    explanation_zh = models.TextField(blank=True)
    explanation_en = models.TextField(blank=True)
    source = models.JSONField(_("where the value comes from"), default=dict)
    overridden = models.BooleanField(_("changed by appeal"), default=False)

    objects = ItemResultQuerySet.as_manager()

    class Meta:
        ordering = ["unit_result", "id"]
        constraints = [models.UniqueConstraint(fields=["unit_result", "item_code"], name="uniq_eval_item_result")]
        verbose_name = _("item result")
        verbose_name_plural = _("item results")

    def __str__(self) -> str:
        return f"{self.item_code}: {self.points}"

    def owning_run_id(self) -> int | None:
        if self.unit_result_id is None:
            return None
        return UnitResult.objects.filter(pk=self.unit_result_id).values_list("run_id", flat=True).first()

    def explanation(self, lang: str = "zh") -> str:
        return self.explanation_zh if lang.startswith("zh") else self.explanation_en


class Appeal(UnitKeyMixin, models.Model):
    """An appeal (申诉) against one item of a published run; accepted, it yields a new version."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    run = models.ForeignKey(Run, models.PROTECT, related_name="appeals")
    unit = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    item_code = models.CharField(_("item"), max_length=20)
    reason = models.TextField(_("grounds of the appeal"))
    claimed_value = models.DecimalField(_("value claimed"), max_digits=20, decimal_places=6, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    corrected_value = models.DecimalField(_("corrected value"), max_digits=20, decimal_places=6, null=True,
                                          blank=True)
    decision = models.TextField(_("decision"), blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    filed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    new_run = models.ForeignKey(Run, models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("resulting version"))

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [_one_unit("eval_appeal")]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.unit_key} {self.item_code} ({self.status})"


class Contract(UnitKeyMixin, models.Model):
    """A unit's responsibility contract for a scheme (目标管理责任书): when it was signed, by whom, and
    the period it covers; its items and targets are the scheme's items and the unit's :class:`Target`
    rows."""

    scheme = models.ForeignKey(AssessmentScheme, models.CASCADE, related_name="contracts")
    unit = models.ForeignKey(Area, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit"))
    department = models.ForeignKey(Department, models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    signed_on = models.DateField(_("signed on"))
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("to"))
    signatory = models.CharField(_("signed for the unit by"), max_length=100, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scheme", "unit_id", "department_id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "unit"], name="uniq_eval_contract"),
                       models.UniqueConstraint(fields=["scheme", "department"], name="uniq_eval_contract_department"),
                       _one_unit("eval_contract")]
        verbose_name = _("responsibility contract")
        verbose_name_plural = _("responsibility contracts")

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.unit_key} {self.signed_on}"


class VerificationSample(models.Model):
    """A reproducible stratified random sample of households for door-to-door checks (抽样入户核查)."""

    scheme = models.ForeignKey(AssessmentScheme, models.PROTECT, related_name="samples")
    period_code = models.CharField(_("period checked"), max_length=12)
    seed = models.BigIntegerField(_("random seed"))
    households_per_unit = models.PositiveIntegerField(_("households per unit"))
    strata = models.JSONField(_("households per stratum"), default=dict)  # unit → {village: N_h}
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("verification sample")
        verbose_name_plural = _("verification samples")

    def __str__(self) -> str:
        return f"{self.scheme.code} {self.period_code} seed {self.seed}"


class SampledHousehold(models.Model):
    """One household drawn for a visit, what the register says and what the visit found."""

    sample = models.ForeignKey(VerificationSample, models.CASCADE, related_name="households")
    unit = models.ForeignKey(Area, models.PROTECT, related_name="+", verbose_name=_("unit"))
    stratum = models.CharField(_("stratum (village)"), max_length=15)
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    household_number = models.CharField(_("household number"), max_length=30)
    registered_births = models.PositiveIntegerField(_("births in the register"), default=0)
    registered_deaths = models.PositiveIntegerField(_("deaths in the register"), default=0)
    visited = models.BooleanField(_("visited"), default=False)
    visited_on = models.DateField(_("visit date"), null=True, blank=True)
    births_found = models.PositiveIntegerField(_("births found at the visit"), null=True, blank=True)
    missed_births = models.PositiveIntegerField(_("of which not in the register"), null=True, blank=True)
    deaths_found = models.PositiveIntegerField(_("deaths found at the visit"), null=True, blank=True)
    missed_deaths = models.PositiveIntegerField(_("of which not in the register"), null=True, blank=True)
    falsification_cases = models.PositiveIntegerField(_("falsified entries found"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    entered_at = models.DateTimeField(null=True, blank=True)

    scope_fields = ("unit",)

    class Meta:
        ordering = ["sample", "unit", "stratum", "household_number"]
        constraints = [models.UniqueConstraint(fields=["sample", "household"], name="uniq_eval_sampled_household")]
        verbose_name = _("sampled household")
        verbose_name_plural = _("sampled households")

    def __str__(self) -> str:
        return self.household_number
