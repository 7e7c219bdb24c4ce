"""The business actions of assessment (考核评估业务): one transaction each.

Views, the API, the ``renkou evaluate`` command, the demo and the tests call these functions and
nothing else writes the assessment tables.

Schemes are imported from their file text; targets (责任书目标值) and inspection scores (检查评分)
are entered or imported; :func:`compute_run` scores every unit into a draft :class:`Run`;
:func:`publish_run` freezes it with a SHA-256 of its content; :func:`file_appeal` and
:func:`decide_appeal` re-open one item and give a new version, compared by :func:`run_diff`.
Sampled verification: :func:`draw_sample`, :func:`enter_visit`, :func:`unit_estimates`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from renkou.core import actor, areacodes, audit
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.roles import AGGREGATE_VIEW, ASSESSMENT_MANAGE, UNIT_OFFICER, WORKS_IN_VIEW_AREAS
from renkou.core.scoping import CAPTURE, VIEW, assigned_prefixes, has_perm
from renkou.core.scoping import require as require_perm

from . import sources
from .models import (
    Appeal,
    AssessmentScheme,
    Contract,
    Department,
    FrozenError,
    InspectionScore,
    ItemResult,
    Run,
    SampledHousehold,
    Target,
    UnitResult,
    VerificationSample,
)
from .rules import to_decimal
from .scheme_format import Scheme, SchemeError, parse_scheme_text
from .scoring import ItemInput, UnitOutcome, evaluate_scheme
from .verification import (
    Estimate,
    error_rate,
    proportional_allocation,
    stratified_sample,
    under_reporting_rate,
)

UNIT_LEVELS = {"township": 4, "village": 5, "county": 3}
DEPARTMENT = "department"  # the level of a scheme assessing the county's departments (县直部门)
UNIT_ORDER = ("unit_id", "department_id")  # rows naming an area or a department, in code order
DEPARTMENTS_FILE = __import__("pathlib").Path(__file__).parent / "data" / "departments.yaml"


def unit_code(code: Any) -> str:
    """A unit's code as stored: an area's full 12-digit code, or a department's code (520122-gongan)."""
    text = str(code).strip()
    return areacodes.full_code(text) if text.isdigit() else text


def unit_fields(unit: Area | Department) -> dict[str, Any]:
    """The fields naming ``unit`` on a target, inspection score, result, appeal or contract."""
    return {"department": unit} if isinstance(unit, Department) else {"unit": unit}


def unit_filter(code: Any, path: str = "") -> dict[str, str]:
    """The filter of the rows naming the unit with this code (``path``: through a relation)."""
    full = unit_code(code)
    return {f"{path}{'unit_id' if full.isdigit() else 'department_id'}": full}


def _code_of(unit: Area | Department | str) -> str:
    return unit.code if isinstance(unit, Area | Department) else unit_code(unit)


# ---------------------------------------------------------------------------------------
# Departments (县直部门)
# ---------------------------------------------------------------------------------------

def department_table() -> list[dict[str, Any]]:
    """The shipped code table of departments (``data/departments.yaml``)."""
    return yaml.safe_load(DEPARTMENTS_FILE.read_text(encoding="utf-8"))["departments"]


@transaction.atomic
def install_departments(county_code: str, *, user=None) -> list[Department]:
    """The county's departments from the shipped code table; existing ones keep their rows (names
    and the feeds they deliver are brought up to date). Returns the county's departments."""
    county = Area.objects.get(code=areacodes.full_code(county_code))
    if county.level != 3:
        raise ValidationError(f"{county_code} 不是县级区划 / {county_code} is not a county")
    for n, row in enumerate(department_table(), start=1):
        code = f"{county.code[:6]}-{row['code']}"
        obj, created = Department.objects.update_or_create(
            code=code, defaults={"slug": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                                 "county": county, "feeds_department": row.get("feeds", "") or "", "order": n})
        if created:
            audit.record("create", obj, user=user, area_code=county.code, after={"code": code})
    return list(Department.objects.filter(county=county))


def departments_of(county: Area | str):
    code = county.code if isinstance(county, Area) else areacodes.full_code(county)
    return Department.objects.filter(county_id=code)


def feed_sources_of(department: Department):
    """The feeds sources (renkou.feeds) the department delivers: its county's sources of its feeds
    department."""
    from renkou.feeds.models import Source

    if not department.feeds_department:
        return Source.objects.none()
    return Source.objects.filter(county_id=department.county_id, department=department.feeds_department)


def _system(user) -> bool:
    """No user: the command line or the system itself is acting (never a page or an API call)."""
    if user is not None:
        return False
    current = actor.current()
    return current is not None and current.user is None and current.via in ("cli", "system")


def require(user, permission: str) -> None:
    """The user's permission; with no user, only the command line and the system itself may act."""
    if _system(user):
        return
    require_perm(user, permission)


# ---------------------------------------------------------------------------------------
# Who reads and who acts (考核数据权限): the one rule of the pages, the API and the command line
# ---------------------------------------------------------------------------------------
#
# A scheme places everything of it (targets, inspection scores, runs, results, appeals, samples) in
# the area whose units it assesses, ``scheme.parent``. Access to it is one of:
#   MANAGE — ``assessment.manage`` and the area inside the areas the user works in: its capture
#            areas (a county officer), or the areas an evaluator is assigned to. Every action, the
#            verification samples and their households, appeals of any unit.
#   READ   — ``aggregate.view`` and the area inside the user's assigned areas (auditor, a loan or
#            county officer whose areas cover it): every page of the scheme except the samples.
#   UNIT   — the officer of an assessed unit (township officer of that township, by
#            ``roles.UNIT_OFFICER``): the scheme, its published runs, the unit's own scorecard and
#            contract, and the unit's appeals.
# Anything else sees nothing of the scheme (the pages answer 404, as for a record out of scope).

MANAGE, READ, UNIT = "manage", "read", "unit"


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _covers(prefixes: list[str] | None, code: str) -> bool:
    return prefixes is None or any(code.startswith(p) for p in prefixes)


def work_prefixes(user) -> list[str] | None:
    """Prefixes of the areas where the user does assessment work (``None``: no limit)."""
    if not _active(user):
        return []
    if user.is_superuser:
        return None
    if not has_perm(user, ASSESSMENT_MANAGE):
        return []
    return assigned_prefixes(user, VIEW if user.role in WORKS_IN_VIEW_AREAS else CAPTURE)


def read_prefixes(user) -> list[str] | None:
    """Prefixes of the areas whose assessments the user reads whole."""
    if not has_perm(user, AGGREGATE_VIEW):
        return []
    return assigned_prefixes(user, VIEW)


def own_units(user, scheme: AssessmentScheme) -> set[str]:
    """Codes of the scheme's units of which the user is the officer (its own unit, for appeals)."""
    if not _active(user) or user.is_superuser or scheme.level not in UNIT_LEVELS or \
            UNIT_OFFICER.get(scheme.level) != user.role:
        return set()
    level = UNIT_LEVELS[scheme.level]
    parent = scheme.parent_id
    prefix = areacodes.prefix(parent, areacodes.level_of(parent))
    out = set()
    for a in user.capture_areas.all():
        if a.level >= level and a.code.startswith(prefix):
            out.add(areacodes.full_code(areacodes.prefix(a.code, level)))
    return out


def scheme_access(user, scheme: AssessmentScheme) -> str | None:
    """MANAGE, READ, UNIT or None (see above)."""
    if _system(user):
        return MANAGE
    if not _active(user):
        return None
    if _covers(work_prefixes(user), scheme.parent_id):
        return MANAGE
    if _covers(read_prefixes(user), scheme.parent_id):
        return READ
    return UNIT if has_perm(user, AGGREGATE_VIEW) and own_units(user, scheme) else None


def can_read_area(user, code: str) -> bool:
    """Whether the user reads (or manages) the assessments of the area: its departments page."""
    if _system(user):
        return True
    if not _active(user):
        return False
    return _covers(work_prefixes(user), code) or _covers(read_prefixes(user), code)


def can_read_scheme(user, scheme: AssessmentScheme) -> bool:
    return scheme_access(user, scheme) is not None


def can_manage_scheme(user, scheme: AssessmentScheme) -> bool:
    """Targets, inspection scores, runs, publication, appeals decided, samples and their visits."""
    return scheme_access(user, scheme) == MANAGE


def can_read_run(user, run: Run) -> bool:
    access = scheme_access(user, run.scheme)
    return access in (MANAGE, READ) or (access == UNIT and run.is_published)


def can_read_unit(user, run: Run, unit: Area | str) -> bool:
    """One unit's scorecard: readers of the whole run, or the unit's own officer."""
    code = _code_of(unit)
    access = scheme_access(user, run.scheme)
    if access in (MANAGE, READ):
        return True
    return access == UNIT and run.is_published and code in own_units(user, run.scheme)


def appeal_units_of(user, run: Run) -> set[str] | None:
    """Units the user may appeal for in this run: ``None`` for every unit (an assessment manager of
    the area: the county's officers, its evaluators), else the user's own units."""
    access = scheme_access(user, run.scheme)
    if access == MANAGE:
        return None
    return own_units(user, run.scheme) if access == UNIT else set()


def can_appeal(user, run: Run, unit: Area | str) -> bool:
    """Whether the user may file an appeal for ``unit`` against ``run`` (its role and areas only;
    :func:`file_appeal` adds that the run is the latest published version)."""
    code = _code_of(unit)
    allowed = appeal_units_of(user, run)
    return allowed is None or code in allowed


def can_read_sample(user, sample: VerificationSample) -> bool:
    """A sample names households: only the assessment managers of its area see it."""
    return can_manage_scheme(user, sample.scheme)


def _refuse(what: str):
    from django.core.exceptions import PermissionDenied

    return PermissionDenied(f"无权{what[0]}：不在您的考核范围或职责内 / not permitted to {what[1]}: outside "
                            f"your assessment areas or duties")


def ensure_can_manage(user, scheme: AssessmentScheme) -> None:
    require(user, ASSESSMENT_MANAGE)
    if not can_manage_scheme(user, scheme):
        raise _refuse(("管理此考核方案", "manage this scheme"))


def _scheme_q(user, path: str = ""):
    """(whole, unit): filters of the schemes the user reads whole, and of those of its own unit;
    (None, None) for no limit."""
    from django.db.models import Q

    if _system(user) or (_active(user) and user.is_superuser):
        return None, None
    whole, unit = Q(pk__in=[]), Q(pk__in=[])
    if not _active(user):
        return whole, unit
    for p in (work_prefixes(user) or []) + (read_prefixes(user) or []):
        whole |= Q(**{f"{path}parent__pk__startswith": p})
    if has_perm(user, AGGREGATE_VIEW):
        for level_name, role in UNIT_OFFICER.items():
            if role != user.role:
                continue
            for a in user.capture_areas.all():
                unit |= Q(**{f"{path}level": level_name,
                             f"{path}parent__pk__in": areacodes.ancestor_codes(a.code, a.level)})
    return whole, unit


def readable_schemes(user):
    """The schemes the user may open (home page, API list)."""
    whole, unit = _scheme_q(user)
    if whole is None:
        return AssessmentScheme.objects.all()
    return AssessmentScheme.objects.filter(whole | unit)


def readable_runs(user):
    """The runs the user may open: every run of a scheme read whole, the published ones of its unit's."""
    from django.db.models import Q

    whole, unit = _scheme_q(user, "scheme__")
    if whole is None:
        return Run.objects.all()
    return Run.objects.filter(whole | (unit & Q(status=Run.Status.PUBLISHED)))


# ---------------------------------------------------------------------------------------
# Schemes
# ---------------------------------------------------------------------------------------

def _parse_or_raise(text: str, fmt: str) -> Scheme:
    return parse_scheme_text(text, fmt)


@transaction.atomic
def import_scheme(*, user, text: str, fmt: str = "yaml", replace: bool = False) -> AssessmentScheme:
    """Store a scheme from its YAML/JSON text after a full check (考核方案导入).

    Raises :class:`SchemeError` listing every problem (file, parent area, an existing code when
    ``replace`` is false). Replacing a scheme never touches its runs: each run keeps the text it used.
    """
    require(user, ASSESSMENT_MANAGE)
    fmt = "json" if fmt == "json" else "yaml"
    scheme = _parse_or_raise(text, fmt)
    if scheme.level not in UNIT_LEVELS and scheme.level != DEPARTMENT:
        raise SchemeError([f"方案：暂不支持 level {scheme.level} 的计分 / scheme: level {scheme.level} cannot be scored yet"])
    parent = Area.objects.filter(code=areacodes.full_code(scheme.units.parent)).first()
    if parent is None:
        raise SchemeError([f"参评单位 units：上级区划 {scheme.units.parent} 不存在 / units: parent area "
                           f"{scheme.units.parent} does not exist"])
    existing = AssessmentScheme.objects.select_for_update().filter(code=scheme.code).first()
    if not _system(user) and not (_covers(work_prefixes(user), parent.code)
                                  and (existing is None or _covers(work_prefixes(user), existing.parent_id))):
        raise _refuse(("导入此考核方案", "store this scheme"))
    if existing is not None and not replace:
        raise SchemeError([f"方案：代码 {scheme.code} 已存在 / scheme: code {scheme.code} already exists"])
    if scheme.level == DEPARTMENT:
        if parent.level != 3:
            raise SchemeError([f"参评单位 units：{scheme.units.parent} 不是县级区划 / units: {scheme.units.parent} "
                               f"is not a county"])
        if not departments_of(parent).exists():
            install_departments(parent.code, user=user)
    fields = {"name_zh": scheme.name_zh, "name_en": scheme.name_en, "year": scheme.year,
              "period_code": str(scheme.period) if scheme.period else str(scheme.year), "level": scheme.level,
              "parent": parent, "source_text": text, "source_format": fmt, "updated_at": timezone.now()}
    if existing is None:
        obj = AssessmentScheme.objects.create(code=scheme.code, created_by=_user(user), **fields)
        audit.record("import", obj, user=user, after={"code": obj.code, "items": len(scheme.items)})
    else:
        before = {"source_text": existing.source_text}
        for k, v in fields.items():
            setattr(existing, k, v)
        existing.save()
        obj = existing
        audit.record("update", obj, user=user, before=before, after={"source_text": text})
    return obj


def export_scheme(scheme: AssessmentScheme, fmt: str = "yaml") -> str:
    """The scheme file in ``yaml`` (as written) or ``json``."""
    if fmt == scheme.source_format:
        return scheme.source_text
    data = yaml.safe_load(scheme.source_text) if scheme.source_format == "yaml" else json.loads(scheme.source_text)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _user(user):
    return user if getattr(user, "is_authenticated", False) else None


def scheme_units(scheme: AssessmentScheme) -> list[Area | Department]:
    """The units assessed: every area of the scheme's level under its parent, minus the excluded;
    for a department scheme, the county's active departments minus the excluded (by code or slug)."""
    parsed = scheme.parsed()
    if parsed.units.level == DEPARTMENT:
        excluded = set(parsed.units.exclude)
        return [d for d in departments_of(scheme.parent).filter(active=True)
                if d.code not in excluded and d.slug not in excluded]
    level = UNIT_LEVELS[parsed.units.level]
    prefix = scheme.parent.prefix
    excluded = {areacodes.full_code(c) for c in parsed.units.exclude}
    qs = Area.objects.filter(level=level, code__startswith=prefix).order_by("code")
    return [a for a in qs if a.code not in excluded]


def target_items(scheme: Scheme):
    """Items that take a target (目标值): those with a default target or a rule that uses one."""
    return [i for i in scheme.items if i.target is not None or i.rule.uses_target]


# ---------------------------------------------------------------------------------------
# Targets and inspection scores
# ---------------------------------------------------------------------------------------

def _decimal(value: Any, what: str) -> Decimal:
    try:
        d = to_decimal(value) if not isinstance(value, str) else Decimal(value.strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{what}：“{value}”不是数字 / {what}: {value!r} is not a number") from None
    if not d.is_finite():
        raise ValidationError(f"{what}：“{value}”不是有限数字 / {what}: {value!r} is not finite")
    return d


def _unit_of(scheme: AssessmentScheme, code: str) -> Area | Department:
    full = unit_code(code)
    for a in scheme_units(scheme):
        if a.code == full:
            return a
    raise ValidationError(f"单位 {code} 不在方案 {scheme.code} 的参评范围内 / unit {code} is not assessed by "
                          f"scheme {scheme.code}")


@transaction.atomic
def set_target(*, user, scheme: AssessmentScheme, unit: Area | str, item_code: str, value: Any,
               note: str = "") -> Target:
    """Enter one unit's target for one item (责任书目标值)."""
    ensure_can_manage(user, scheme)
    area = unit if isinstance(unit, Area | Department) else _unit_of(scheme, unit)
    parsed = scheme.parsed()
    if item_code not in {i.code for i in target_items(parsed)}:
        raise ValidationError(f"项目 {item_code} 不设目标值 / item {item_code} takes no target")
    d = _decimal(value, f"{area.code} {item_code}")
    obj, created = Target.objects.update_or_create(
        scheme=scheme, **unit_fields(area), item_code=item_code,
        defaults={"value": d, "note": note, "updated_by": _user(user), "updated_at": timezone.now()})
    audit.record("create" if created else "update", obj, user=user,
                 area_code=area.code if isinstance(area, Area) else scheme.parent_id, after={"unit": area.code, "item": item_code, "value": str(d)})
    return obj


def _rows_of(data: bytes | str, filename: str = "") -> list[dict[str, str]]:
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data if isinstance(data, bytes) else data.encode()), read_only=True).active
        rows = [[("" if c is None else str(c)).strip() for c in r] for r in ws.iter_rows(values_only=True)]
        if not rows:
            return []
        header = rows[0]
        return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(r)]
    if isinstance(data, bytes):
        for enc in ("utf-8-sig", "gb18030"):
            try:
                data = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError("文件编码无法识别（UTF-8 或 GB18030） / unknown encoding (UTF-8 or GB18030)")
    return list(csv.DictReader(io.StringIO(data)))


TARGET_HEADERS = {"unit_code": ("unit_code", "单位代码"), "item_code": ("item_code", "项目代码"),
                  "target": ("target", "目标值")}


@transaction.atomic
def import_targets(*, user, scheme: AssessmentScheme, data: bytes | str, filename: str = "") -> int:
    """Import targets from CSV/XLSX (columns unit_code, item_code, target; Chinese headers accepted).

    All or nothing: any bad row raises a :class:`ValidationError` listing every bad row by number.
    """
    ensure_can_manage(user, scheme)
    rows = _rows_of(data, filename)
    allowed = {i.code for i in target_items(scheme.parsed())}
    errors, good = [], []
    for n, row in enumerate(rows, start=2):
        get = {k: next((row[h] for h in hs if h in row), None) for k, hs in TARGET_HEADERS.items()}
        if any(v in (None, "") for v in get.values()):
            errors.append(f"第 {n} 行：缺少 unit_code、item_code 或 target / row {n}: unit_code, item_code and "
                          f"target are required")
            continue
        item = get["item_code"].strip()
        if item not in allowed:
            errors.append(f"第 {n} 行：项目 {item} 不设目标值 / row {n}: item {item} takes no target")
            continue
        try:
            good.append((_unit_of(scheme, get["unit_code"]), item, _decimal(get["target"], f"第 {n} 行 row {n}")))
        except ValidationError as exc:
            errors.append(f"第 {n} 行 / row {n}: {'; '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)
    for unit, item, value in good:
        Target.objects.update_or_create(scheme=scheme, **unit_fields(unit), item_code=item,
                                        defaults={"value": value, "updated_by": _user(user),
                                                  "updated_at": timezone.now()})
    audit.record("import", scheme, user=user, detail={"targets": len(good)})
    return len(good)


def targets_table(scheme: AssessmentScheme) -> list[dict[str, Any]]:
    """One row per unit: the effective target of every target item (contract value or default)."""
    items = target_items(scheme.parsed())
    stored = {(t.unit_key, t.item_code): t.value for t in Target.objects.filter(scheme=scheme)}
    out = []
    for unit in scheme_units(scheme):
        out.append({"unit": unit, "targets": [
            {"item": i, "value": stored.get((unit.code, i.code), i.target), "contract": (unit.code, i.code) in stored}
            for i in items]})
    return out


@transaction.atomic
def sign_contract(*, user, scheme: AssessmentScheme, unit: Area | Department | str, signed_on: dt.date,
                  valid_from: dt.date | None = None, valid_to: dt.date | None = None,
                  signatory: str = "") -> Contract:
    """Record a unit's responsibility contract (目标管理责任书): signed on, the period it covers
    (by default the scheme's period), who signed for the unit. Its items are the scheme's, its
    targets the unit's targets."""
    ensure_can_manage(user, scheme)
    target = unit if isinstance(unit, Area | Department) else _unit_of(scheme, unit)
    period = Period.parse(scheme.period_code)
    start, end = valid_from or period.start, valid_to or period.end
    if end < start:
        raise ValidationError(f"{target.code}：责任书的截止日期早于起始日期 / {target.code}: the contract ends before "
                              f"it starts")
    obj, created = Contract.objects.update_or_create(
        scheme=scheme, **unit_fields(target),
        defaults={"signed_on": signed_on, "valid_from": start, "valid_to": end, "signatory": signatory.strip(),
                  "updated_by": _user(user), "updated_at": timezone.now()})
    audit.record("create" if created else "update", obj, user=user,
                 area_code=target.code if isinstance(target, Area) else scheme.parent_id,
                 after={"unit": target.code, "signed_on": signed_on.isoformat(), "from": start.isoformat(),
                        "to": end.isoformat()})
    return obj


def contract_of(scheme: AssessmentScheme, code: str) -> Contract | None:
    return Contract.objects.filter(scheme=scheme, **unit_filter(code)).first()


def department_standings(user, county: Area | str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The county's departments, each with its line in the latest published run of every
    department scheme of the county the user reads (latest year first): total, rank, grade."""
    county_code = county.code if isinstance(county, Area) else areacodes.full_code(county)
    departments = list(departments_of(county_code))
    schemes = [s for s in readable_schemes(user).filter(level=DEPARTMENT, parent_id=county_code)
               .order_by("-year", "code")]
    columns = []
    for s in schemes:
        run = latest_published(s)
        if run is not None:
            columns.append((s, run, {u.department_id: u for u in UnitResult.objects.filter(run=run)}))
    rows = []
    for d in departments:
        rows.append({"department": d, "sources": list(feed_sources_of(d).values_list("code", flat=True)),
                     "lines": [lines.get(d.code) for _s, _r, lines in columns]})
    first = columns[0][2] if columns else {}
    rows.sort(key=lambda r: (first[r["department"].code].rank if r["department"].code in first else 10**6,
                             r["department"].order, r["department"].code))
    return [{"scheme": s, "run": r} for s, r, _l in columns], rows


@transaction.atomic
def set_inspection_score(*, user, scheme: AssessmentScheme, unit: Area | str, sheet: str, value: Any,
                         previous: Any = None, note: str = "") -> InspectionScore:
    """Enter an inspection score (检查评分) of a unit, with last year's where progress is scored."""
    ensure_can_manage(user, scheme)
    area = unit if isinstance(unit, Area | Department) else _unit_of(scheme, unit)
    sheets = {i.source.ref for i in scheme.parsed().items if i.source.kind == "inspection"}
    if sheet not in sheets:
        raise ValidationError(f"方案没有检查评分表 {sheet} / the scheme has no inspection sheet {sheet}")
    d = _decimal(value, f"{area.code} {sheet}")
    prev = None if previous in (None, "") else _decimal(previous, f"{area.code} {sheet}")
    obj, created = InspectionScore.objects.update_or_create(
        scheme=scheme, **unit_fields(area), sheet=sheet,
        defaults={"value": d, "previous": prev, "note": note, "entered_by": _user(user), "entered_at": timezone.now()})
    audit.record("create" if created else "update", obj, user=user,
                 area_code=area.code if isinstance(area, Area) else scheme.parent_id, after={"unit": area.code, "sheet": sheet, "value": str(d), "previous": None if prev is None else str(prev)})
    return obj


# ---------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------

def gather_inputs(scheme: AssessmentScheme, units: Iterable[Area], period_code: str) -> dict[tuple[str, str], ItemInput]:
    """Every (unit, item) input from its source: indicators, inspection scores, verification."""
    parsed = scheme.parsed()
    period = Period.parse(period_code)
    previous_code = str(period.previous())
    contract = {(t.unit_key, t.item_code): t.value for t in Target.objects.filter(scheme=scheme)}
    inspections = {(s.unit_key, s.sheet): s for s in InspectionScore.objects.filter(scheme=scheme)}
    sample = latest_sample(scheme, period_code)
    estimates = unit_estimates(sample) if sample is not None else {}
    out: dict[tuple[str, str], ItemInput] = {}
    for unit in units:
        for item in parsed.items:
            src, ref = item.source.kind, item.source.ref
            value = prev = None
            explanation: dict[str, Any] = {}
            if src == "indicator":
                value, explanation = sources.indicator_value(ref, unit.code, period_code)
                if item.rule.type == "level_progress":
                    prev, prev_expl = sources.indicator_value(ref, unit.code, previous_code)
                    explanation["previous"] = {"period": previous_code, "value": None if prev is None else str(prev)}
            elif src == "inspection":
                s = inspections.get((unit.code, ref))
                value, prev = (s.value, s.previous) if s else (None, None)
                explanation = {"source": "inspection", "sheet": ref,
                               "entered_by": s.entered_by.get_username() if s and s.entered_by else "",
                               "entered_at": s.entered_at.isoformat() if s else None, "note": s.note if s else "",
                               **({} if s else {"missing": "no inspection score entered"})}
            elif src == "verification":
                value, explanation = verification_measure(sample, estimates.get(unit.code), ref, unit.code)
            elif src == "feeds":
                value, explanation = sources.feeds_measure(unit, ref, period_code)
            else:
                explanation = {"source": "computed", "expression": ref}
            out[(unit.code, item.code)] = ItemInput(
                None if value is None else to_decimal(value), contract.get((unit.code, item.code)),
                None if prev is None else to_decimal(prev), explanation)
    return out


def _q(d: Decimal | None, places: int) -> Decimal | None:
    if d is None:
        return None
    return to_decimal(d).quantize(Decimal(1).scaleb(-places))


def _store_outcomes(run: Run, outcomes: list[UnitOutcome], overridden: set[tuple[str, str]],
                    names_en: Mapping[str, str] | None = None) -> None:
    for o in outcomes:
        r = o.ranked
        ur = UnitResult.objects.create(
            run=run, **unit_filter(o.code), unit_name=o.name, unit_name_en=(names_en or {}).get(o.code, ""), peer_group=r.group or "", total=r.points, rank=r.rank,
            group_rank=r.group_rank, grade_code=r.grade.code if r.grade else "",
            grade_zh=r.grade.name_zh if r.grade else "", grade_en=r.grade.name_en if r.grade else "",
            vetoed=r.vetoed, incomplete=r.incomplete,
            warnings=[{"code": w.code, "zh": w.name_zh, "en": w.name_en} for w in r.warnings])
        ItemResult.objects.bulk_create([ItemResult(
            unit_result=ur, theme_code=s.theme_code, item_code=s.item.code, value=_q(s.input.value, 6),
            target=_q(s.target, 4), previous=_q(s.input.previous, 6), points=s.score.points,
            max_points=s.score.max_points, state=s.score.state, veto=s.score.veto,
            explanation_zh=s.score.explanation_zh, explanation_en=s.score.explanation_en,
            source=json.loads(json.dumps(s.input.source, default=str)),
            overridden=(o.code, s.item.code) in overridden) for s in o.items])


def _next_version(scheme: AssessmentScheme) -> int:
    last = Run.objects.filter(scheme=scheme).order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def compute_run(*, user, scheme: AssessmentScheme, period_code: str | None = None) -> Run:
    """Score every unit of the scheme from its sources into a new draft run (考核计分)."""
    ensure_can_manage(user, scheme)
    AssessmentScheme.objects.select_for_update().filter(pk=scheme.pk).first()  # one version number at a time
    period_code = period_code or scheme.period_code
    Period.parse(period_code)
    units = scheme_units(scheme)
    if not units:
        raise ValidationError(f"方案 {scheme.code} 没有参评单位 / scheme {scheme.code} has no units to assess")
    inputs = gather_inputs(scheme, units, period_code)
    outcomes = evaluate_scheme(scheme.parsed(), [(u.code, u.name) for u in units], inputs)
    run = Run.objects.create(scheme=scheme, version=_next_version(scheme), period_code=period_code,
                             scheme_text=scheme.source_text, scheme_format=scheme.source_format,
                             created_by=_user(user))
    _store_outcomes(run, outcomes, set(), {u.code: u.name_en for u in units if isinstance(u, Department)})
    audit.record("create", run, user=user, after={"units": len(outcomes), "period": period_code})
    return run


def _dec_text(d: Decimal | None, places: int) -> str | None:
    return None if d is None else f"{to_decimal(d):.{places}f}"


def run_content(run: Run) -> dict[str, Any]:
    """The content a run's hash covers: scheme text, period, every unit line and every item result."""
    units = []
    for ur in UnitResult.objects.filter(run=run).order_by(*UNIT_ORDER).prefetch_related("items"):
        units.append({
            **({"name_en": ur.unit_name_en} if ur.unit_name_en else {}),
            "unit": ur.unit_key, "name": ur.unit_name, "group": ur.peer_group, "total": _dec_text(ur.total, 2),
            "rank": ur.rank, "group_rank": ur.group_rank, "grade": ur.grade_code, "vetoed": ur.vetoed,
            "incomplete": ur.incomplete, "warnings": [w["code"] for w in ur.warnings],
            "items": [{"item": i.item_code, "value": _dec_text(i.value, 6), "target": _dec_text(i.target, 4),
                       "previous": _dec_text(i.previous, 6), "points": _dec_text(i.points, 2),
                       "max": _dec_text(i.max_points, 2), "state": i.state, "veto": i.veto,
                       "zh": i.explanation_zh, "en": i.explanation_en, "overridden": i.overridden}
                      for i in sorted(ur.items.all(), key=lambda i: i.item_code)],
        })
    return {"scheme": run.scheme.code, "version": run.version, "period": run.period_code,
            "scheme_sha256": hashlib.sha256(run.scheme_text.encode()).hexdigest(),
            "previous": run.previous.content_hash if run.previous_id else None, "units": units}


def content_hash(run: Run) -> str:
    text = json.dumps(run_content(run), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def verify_run(run: Run) -> bool:
    """True when the stored results still hash to the published content hash."""
    return run.is_published and content_hash(run) == run.content_hash


@transaction.atomic
def publish_run(*, user, run: Run) -> Run:
    """Publish a draft run (发布): freeze it with the SHA-256 of its content."""
    ensure_can_manage(user, run.scheme)
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.is_published:
        raise FrozenError("该版本已发布 / this version is already published")
    run.content_hash = content_hash(run)
    run.status = Run.Status.PUBLISHED
    run.published_at = timezone.now()
    run.published_by = _user(user)
    run.save()
    audit.record("transition", run, user=user, after={"status": "published", "content_hash": run.content_hash})
    return run


@transaction.atomic
def delete_run(*, user, run: Run) -> None:
    """Delete a draft run; a published one is refused (:class:`FrozenError`)."""
    ensure_can_manage(user, run.scheme)
    if Run.objects.filter(pk=run.pk, status=Run.Status.PUBLISHED).exists():
        raise FrozenError()
    audit.record("delete", run, user=user)
    run.delete()


def latest_published(scheme: AssessmentScheme) -> Run | None:
    return Run.objects.filter(scheme=scheme, status=Run.Status.PUBLISHED).order_by("-version").first()


def inputs_of_run(run: Run) -> dict[tuple[str, str], ItemInput]:
    """The inputs a run was scored from, as stored with its item results."""
    out = {}
    for i in ItemResult.objects.filter(unit_result__run=run).select_related("unit_result"):
        out[(i.unit_result.unit_key, i.item_code)] = ItemInput(i.value, i.target, i.previous, i.source)
    return out


# ---------------------------------------------------------------------------------------
# Appeals
# ---------------------------------------------------------------------------------------

@transaction.atomic
def file_appeal(*, user, run: Run, unit: Area | str, item_code: str, reason: str,
                claimed_value: Any = None) -> Appeal:
    """A unit appeals one item of the latest published version (申诉): its own officers (township
    officer of that township) or the assessment managers of the area (:func:`can_appeal`)."""
    require(user, AGGREGATE_VIEW)
    if not can_appeal(user, run, unit):
        raise _refuse(("为此单位申诉", "appeal for this unit"))
    if not run.is_published:
        raise ValidationError("只能对已发布的结果申诉 / only a published run can be appealed")
    latest = latest_published(run.scheme)
    if latest is None or latest.pk != run.pk:
        raise ValidationError(f"请对最新版本 v{latest.version if latest else '?'} 申诉 / appeal the latest "
                              f"published version")
    code = _code_of(unit)
    if not ItemResult.objects.filter(unit_result__run=run, **unit_filter(code, "unit_result__"),
                                     item_code=item_code).exists():
        raise ValidationError(f"结果中没有单位 {code} 的项目 {item_code} / no item {item_code} for unit {code}")
    if not reason.strip():
        raise ValidationError("请写明申诉理由 / the grounds of the appeal are required")
    claimed = None if claimed_value in (None, "") else _decimal(claimed_value, item_code)
    appeal = Appeal.objects.create(run=run, **unit_filter(code), item_code=item_code, reason=reason.strip(),
                                   claimed_value=claimed, filed_by=_user(user))
    audit.record("create", appeal, user=user, area_code=code if code.isdigit() else run.scheme.parent_id,
                 after={"unit": code, "item": item_code, "reason": reason})
    return appeal


@transaction.atomic
def decide_appeal(*, user, appeal: Appeal, accept: bool, corrected_value: Any = None,
                  decision: str = "") -> Appeal:
    """Decide an appeal. Accepted, the item is re-opened with the corrected value and every unit
    re-scored and re-ranked from the appealed version's inputs into a new draft version."""
    ensure_can_manage(user, appeal.run.scheme)
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError("该申诉已处理 / the appeal has been decided")
    appeal.decision = decision
    appeal.decided_by = _user(user)
    appeal.decided_at = timezone.now()
    if not accept:
        appeal.status = Appeal.Status.REJECTED
        appeal.save()
        audit.record("transition", appeal, user=user, after={"status": "rejected"})
        return appeal
    if corrected_value in (None, ""):
        corrected_value = appeal.claimed_value
    if corrected_value is None:
        raise ValidationError("接受申诉须给出更正后的数值 / an accepted appeal needs the corrected value")
    value = _decimal(corrected_value, appeal.item_code)
    old = appeal.run
    inputs = inputs_of_run(old)
    key = (appeal.unit_key, appeal.item_code)
    was = inputs[key]
    inputs[key] = ItemInput(value, was.target, was.previous,
                            {**was.source, "appeal": appeal.pk, "value_before_appeal": _dec_text(was.value, 6)})
    parsed = old.parsed_scheme()
    lines = list(UnitResult.objects.filter(run=old).order_by(*UNIT_ORDER))
    units = [(u.unit_key, u.unit_name) for u in lines]
    outcomes = evaluate_scheme(parsed, units, inputs)
    new = Run.objects.create(scheme=old.scheme, version=_next_version(old.scheme), period_code=old.period_code,
                             scheme_text=old.scheme_text, scheme_format=old.scheme_format, previous=old,
                             reason=f"appeal #{appeal.pk}: {appeal.item_code} {appeal.unit_key}"[:300],
                             created_by=_user(user))
    carried = {k for k, v in inputs.items() if v.source.get("appeal")}
    _store_outcomes(new, outcomes, carried, {u.unit_key: u.unit_name_en for u in lines if u.unit_name_en})
    appeal.status = Appeal.Status.ACCEPTED
    appeal.corrected_value = value
    appeal.new_run = new
    appeal.save()
    audit.record("transition", appeal, user=user, after={"status": "accepted", "new_run": new.pk,
                                                          "corrected_value": str(value)})
    return appeal


@dataclass(frozen=True)
class UnitChange:
    unit: str
    name: str
    total: tuple[Decimal, Decimal]
    rank: tuple[int, int]
    grade: tuple[str, str]
    items: tuple[tuple[str, Decimal | None, Decimal | None, Decimal | None, Decimal | None], ...]
    # (item, value before, value after, points before, points after)


def run_diff(old: Run, new: Run) -> list[UnitChange]:
    """What changed between two versions: per unit total, rank, grade and the items that moved."""
    def load(run):
        rows = UnitResult.objects.filter(run=run).prefetch_related("items")
        return {u.unit_key: (u, {i.item_code: i for i in u.items.all()}) for u in rows}
    a, b = load(old), load(new)
    out = []
    for code in sorted(set(a) | set(b)):
        if code not in a or code not in b:
            continue
        (ua, ia), (ub, ib) = a[code], b[code]
        items = tuple((c, ia[c].value, ib[c].value, ia[c].points, ib[c].points) for c in sorted(set(ia) & set(ib))
                      if ia[c].value != ib[c].value or ia[c].points != ib[c].points)
        if items or ua.total != ub.total or ua.rank != ub.rank or ua.grade_code != ub.grade_code:
            out.append(UnitChange(code, ub.unit_name, (ua.total, ub.total), (ua.rank, ub.rank),
                                  (ua.grade_code, ub.grade_code), items))
    return out


# ---------------------------------------------------------------------------------------
# Sampled verification (抽样入户核查)
# ---------------------------------------------------------------------------------------

def _stratum(area_code: str) -> str:
    """The village (村级, 12 digits) a household's area lies in; the area itself above village level."""
    return area_code[:12]


def _registered_counts(household_ids: list[int], period: Period) -> dict[int, tuple[int, int]]:
    from django.db.models import Count, Q

    from renkou.registry.models import Event

    rows = (Event.objects.filter(subject__household_id__in=household_ids, is_current=True, flag_rejected=False,
                                 event_date__gte=period.start, event_date__lte=period.end)
            .values("subject__household_id")
            .annotate(b=Count("id", filter=Q(kind="birth")), d=Count("id", filter=Q(kind="death"))))
    return {r["subject__household_id"]: (r["b"], r["d"]) for r in rows}


@transaction.atomic
def draw_sample(*, user, scheme: AssessmentScheme, households_per_unit: int, seed: int,
                period_code: str | None = None, note: str = "") -> VerificationSample:
    """Draw a reproducible stratified random sample of households per unit (strata: villages).

    The frame is every household of the register in the unit not dissolved before the period;
    each unit's sample is split over its villages in proportion to their households.
    The same frame, size and seed always give the same households.
    """
    from renkou.registry.models import Household

    ensure_can_manage(user, scheme)
    if scheme.level == DEPARTMENT:
        raise ValidationError("部门考核不做入户核查 / departments are not verified door to door")
    if households_per_unit < 1:
        raise ValidationError("每单位样本户数至少为 1 / at least 1 household per unit")
    period_code = period_code or scheme.period_code
    period = Period.parse(period_code)
    sample = VerificationSample.objects.create(scheme=scheme, period_code=period_code, seed=seed,
                                               households_per_unit=households_per_unit, created_by=_user(user),
                                               note=note)
    strata_sizes: dict[str, dict[str, int]] = {}
    rows = []
    for unit in scheme_units(scheme):
        frame = list(Household.objects.filter(area__pk__startswith=unit.prefix)
                     .exclude(dissolved__lt=period.start).values_list("id", "number", "area_id"))
        by_number = {number: (pk, area) for pk, number, area in frame}
        sizes: dict[str, int] = {}
        for _pk, _number, area in frame:
            sizes[_stratum(area)] = sizes.get(_stratum(area), 0) + 1
        strata_sizes[unit.code] = sizes
        alloc = proportional_allocation(households_per_unit, sizes)
        drawn = stratified_sample(((_stratum(a), n) for _pk, n, a in frame), alloc, seed=seed)
        for stratum, numbers in drawn.items():
            for number in numbers:
                rows.append((unit, stratum, by_number[number][0], number))
    counts = _registered_counts([r[2] for r in rows], period)
    SampledHousehold.objects.bulk_create([
        SampledHousehold(sample=sample, unit=unit, stratum=stratum, household_id=pk, household_number=number,
                         registered_births=counts.get(pk, (0, 0))[0], registered_deaths=counts.get(pk, (0, 0))[1])
        for unit, stratum, pk, number in rows], batch_size=1000)
    sample.strata = strata_sizes
    sample.save(update_fields=["strata"])
    audit.record("create", sample, user=user, after={"households": len(rows), "seed": seed, "period": period_code})
    return sample


def sampled_persons(user, model, *, sample: VerificationSample, unit: str | None = None):
    """The persons the work "verification" links to: the members of the households drawn in
    ``sample`` (of one unit), for the assessment managers of the sample's area only. Registered with
    :func:`renkou.core.scoping.link`; read through :func:`renkou.core.scoping.linked`."""
    from django.db.models import Q

    from renkou.registry.models import Household

    if not can_read_sample(user, sample):
        raise _refuse(("查看此样本的住户", "read the households of this sample"))
    drawn = SampledHousehold.objects.filter(sample=sample)
    if unit:
        drawn = drawn.filter(unit_id=areacodes.full_code(unit))
    ids = drawn.values("household_id")
    return Q(pk__in=ids) if model is Household else Q(household__in=ids)


def ensure_can_read_sample(user, sample: VerificationSample) -> None:
    if not can_read_sample(user, sample):
        from django.http import Http404

        raise Http404("no such sample")


def sample_households(user, sample: VerificationSample, unit: str = ""):
    """The sampled households of a sample (one unit's), for its assessment managers."""
    ensure_can_read_sample(user, sample)
    rows = SampledHousehold.objects.filter(sample=sample).select_related("unit")
    return rows.filter(unit_id=areacodes.full_code(unit)) if unit else rows


def field_sheet_rows(user, sample: VerificationSample, unit: str) -> list[dict[str, Any]]:
    """The field sheet (入户核查表) of one unit: each sampled household with the living members the
    register lists — the one path by which an evaluator reads persons, linked to its own sample
    (``scoping.linked``), shown masked; the read is audited."""
    from renkou.core.roles import VERIFICATION_WORK
    from renkou.core.scoping import linked
    from renkou.registry.models import Person

    code = areacodes.full_code(unit)
    rows = list(sample_households(user, sample, code).select_related("household"))
    members: dict[int, list] = {}
    persons = linked(user, Person, VERIFICATION_WORK, sample=sample, unit=code).filter(status="living")
    for p in persons.order_by("household_id", "birth_date", "pk"):
        members.setdefault(p.household_id, []).append(p)
    audit.record("view", sample, user=user, area_code=code,
                 detail={"field_sheet": code, "households": len(rows),
                         "persons": sum(len(m) for m in members.values())})
    return [{"h": h, "members": members.get(h.household_id, [])} for h in rows]


@dataclass(frozen=True)
class VisitFinding:
    """What a visit found in one sampled household (入户核查结果)."""

    births_found: int
    missed_births: int
    deaths_found: int | None = None
    missed_deaths: int | None = None
    falsification_cases: int = 0
    visited_on: dt.date | None = None
    note: str = ""

    def problems(self) -> list[str]:
        out = []
        counts = (self.births_found, self.missed_births, self.falsification_cases, self.deaths_found or 0,
                  self.missed_deaths or 0)
        if any(c < 0 for c in counts):
            out.append("数量不能为负 / counts cannot be negative")
        if self.missed_births > self.births_found:
            out.append(f"漏报出生数 {self.missed_births} 大于核查出生数 {self.births_found} / missed births "
                       f"({self.missed_births}) exceed births found ({self.births_found})")
        if self.missed_deaths is not None and self.missed_deaths > (self.deaths_found or 0):
            out.append("漏报死亡数大于核查死亡数 / missed deaths exceed deaths found")
        return out


@transaction.atomic
def enter_visits(*, user, sample: VerificationSample, findings: Mapping[int, VisitFinding]) -> int:
    """Record the visits of several sampled households (by :class:`SampledHousehold` id) at once.

    All or nothing: any bad row raises a :class:`ValidationError` naming the household.
    """
    ensure_can_manage(user, sample.scheme)
    rows = {h.pk: h for h in SampledHousehold.objects.select_for_update().filter(sample=sample, pk__in=list(findings))}
    errors = [f"{pk}: 不在此样本中 / not in this sample" for pk in findings if pk not in rows]
    for pk, f in findings.items():
        if pk in rows:
            errors += [f"{rows[pk].household_number}: {p}" for p in f.problems()]
    if errors:
        raise ValidationError(errors)
    now, today = timezone.now(), timezone.localdate()
    # one UPDATE per distinct finding: most households of a sample report the same counts
    groups: dict[tuple, list[int]] = {}
    for pk, f in findings.items():
        key = (f.visited_on or today, f.births_found, f.missed_births, f.deaths_found, f.missed_deaths,
               f.falsification_cases, f.note)
        groups.setdefault(key, []).append(pk)
    for (visited_on, births, missed, deaths, missed_d, falsified, note), pks in groups.items():
        SampledHousehold.objects.filter(pk__in=pks).update(
            visited=True, visited_on=visited_on, births_found=births, missed_births=missed, deaths_found=deaths,
            missed_deaths=missed_d, falsification_cases=falsified, note=note, entered_by=_user(user),
            entered_at=now)
    audit.record("update", sample, user=user, detail={
        "visits": len(findings), "missed_births": sum(f.missed_births for f in findings.values()),
        "falsification_cases": sum(f.falsification_cases for f in findings.values())})
    return len(findings)


def enter_visit(*, user, sampled: SampledHousehold, **finding: Any) -> SampledHousehold:
    """Record what the visit found in one sampled household."""
    enter_visits(user=user, sample=sampled.sample, findings={sampled.pk: VisitFinding(**finding)})
    sampled.refresh_from_db()
    return sampled


@dataclass(frozen=True)
class UnitVerification:
    """Estimates of one unit from the visited households of a sample."""

    unit: str
    drawn: int
    visited: int
    births_found: int
    missed_births: int
    falsification_cases: int
    under_reporting: Estimate | None
    error: Estimate | None


def _estimate(label: str, rows: list[SampledHousehold], sizes: Mapping[str, int]) -> UnitVerification:
    seen = [h for h in rows if h.visited]
    under = err = None
    if seen:
        strata = [h.stratum for h in seen]
        kwargs = {"strata": strata, "stratum_population": {s: sizes.get(s, 0) for s in set(strata)}}
        found = [h.births_found or 0 for h in seen]
        under = under_reporting_rate([h.missed_births or 0 for h in seen], found, **kwargs)
        err = error_rate([h.registered_births for h in seen], found, **kwargs)
    return UnitVerification(label, len(rows), len(seen), sum(h.births_found or 0 for h in seen),
                            sum(h.missed_births or 0 for h in seen), sum(h.falsification_cases for h in seen),
                            under, err)


def unit_estimates(sample: VerificationSample) -> dict[str, UnitVerification]:
    """Under-reporting (漏报率) and error rates (差错率) with 95 % intervals, per unit.

    Households are the sampling units, villages the strata (weights N_h ÷ n_h); see
    :mod:`renkou.evaluation.verification` for the estimators.
    """
    by_unit: dict[str, list[SampledHousehold]] = {}
    for h in SampledHousehold.objects.filter(sample=sample).order_by("unit_id", "stratum", "household_number"):
        by_unit.setdefault(h.unit_id, []).append(h)
    return {unit: _estimate(unit, rows, sample.strata.get(unit) or {}) for unit, rows in by_unit.items()}


def pooled_estimate(sample: VerificationSample) -> UnitVerification:
    """The same estimates over every unit of the sample together (全县合计), villages as strata."""
    sizes = {s: n for unit_strata in sample.strata.values() for s, n in unit_strata.items()}
    return _estimate("*", list(SampledHousehold.objects.filter(sample=sample)), sizes)


def latest_sample(scheme: AssessmentScheme, period_code: str) -> VerificationSample | None:
    return VerificationSample.objects.filter(scheme=scheme, period_code=period_code).order_by("-created_at",
                                                                                              "-id").first()


def verification_measure(sample: VerificationSample | None, est: UnitVerification | None, measure: str,
                         unit_code: str) -> tuple[Decimal | None, dict[str, Any]]:
    """The value of a verification item for one unit, from the sample's visited households."""
    base: dict[str, Any] = {"source": "verification", "measure": measure}
    if sample is None or est is None or est.visited == 0:
        return None, {**base, "missing": "no visited household in a sample of this period"}
    base.update({"sample": sample.pk, "seed": sample.seed, "drawn": est.drawn, "visited": est.visited,
                 "births_found": est.births_found, "missed_births": est.missed_births,
                 "drill": {"kind": "sample", "sample": sample.pk, "unit": unit_code}})
    if measure == "missed_births":
        return Decimal(est.missed_births), base
    if measure == "falsification_cases":
        return Decimal(est.falsification_cases), base
    e = est.under_reporting if measure == "under_reporting_rate" else est.error
    if e is None or e.rate is None:
        return None, {**base, "missing": "no births found in the visited households"}
    return to_decimal(round(float(e.rate), 4)), {**base, "rate": e.rate, "ci95": [e.lower, e.upper], "method": e.method}


# ---------------------------------------------------------------------------------------
# Reading results
# ---------------------------------------------------------------------------------------

def ranking(run: Run) -> list[UnitResult]:
    return list(UnitResult.objects.filter(run=run).order_by("rank", *UNIT_ORDER))


def scorecard(run: Run, unit_code: str) -> tuple[UnitResult, list[tuple[Any, ItemResult]]]:
    """One unit's line and its item results beside the scheme items (for the printable scorecard)."""
    ur = UnitResult.objects.get(run=run, **unit_filter(unit_code))
    items = {i.item_code: i for i in ur.items.all()}
    parsed = run.parsed_scheme()
    return ur, [(item, items[item.code]) for item in parsed.items if item.code in items]


def runs_as_json(run: Run) -> list[dict[str, Any]]:
    """The run's units for the command line and the API: code, name, total, rank, grade, veto, items."""
    out = []
    for ur in UnitResult.objects.filter(run=run).order_by("rank", *UNIT_ORDER).prefetch_related("items"):
        out.append({"code": ur.unit_key, "name": ur.unit_name, **({"name_en": ur.unit_name_en} if ur.unit_name_en else {}), "total": float(ur.total), "rank": ur.rank,
                    "group": ur.peer_group or None, "group_rank": ur.group_rank, "grade": ur.grade_code or None,
                    "veto": ur.vetoed, "incomplete": ur.incomplete, "warnings": [w["code"] for w in ur.warnings],
                    "items": {i.item_code: None if i.points is None else float(i.points) for i in ur.items.all()}})
    return out


def theme_matrix(run: Run) -> tuple[list[str], list[str], list[list[float]]]:
    """Units × themes: share of each theme's points obtained (0–1), for the weighting methods."""
    parsed = run.parsed_scheme()
    themes = [t.code for t in parsed.themes]
    counted = {i.code: i.counts_in_total for i in parsed.items}
    units, rows = [], []
    for ur in UnitResult.objects.filter(run=run).order_by(*UNIT_ORDER).prefetch_related("items"):
        got: dict[str, Decimal] = {t: Decimal(0) for t in themes}
        avail: dict[str, Decimal] = {t: Decimal(0) for t in themes}
        for i in ur.items.all():
            if counted.get(i.item_code):
                got[i.theme_code] += i.points or Decimal(0)
                avail[i.theme_code] += i.max_points
        units.append(ur.unit_key)
        rows.append([float(got[t] / avail[t]) if avail[t] else 0.0 for t in themes])
    return units, themes, rows


def compare_methods(run: Run, ahp_matrix: list[list[float]] | None = None) -> dict[str, Any]:
    """Rankings by fixed points, AHP-weighted, entropy-weighted, TOPSIS and composite index, side by side.

    Indicators are the units' theme shares. AHP needs a pairwise matrix over the themes; one whose
    CR ≥ 0.10 is refused with its explanation in ``ahp_error`` and the AHP column is left out.
    """
    from . import methods

    units, themes, rows = theme_matrix(run)
    lines = {u.unit_key: u for u in UnitResult.objects.filter(run=run)}
    # the scheme's own ranking (vetoed units last) is the reference: its score is minus the official rank
    scores: dict[str, dict[str, float]] = {"points": {u: -float(lines[u].rank) for u in units}}
    out: dict[str, Any] = {"units": units, "themes": themes, "rows": rows, "weights": {}, "ahp_error": None,
                           "ahp": None, "totals": {u: float(lines[u].total) for u in units}}
    entropy = None
    out["entropy_error"] = None
    if len(units) >= 2:
        try:
            entropy = methods.entropy_weights(rows)
        except ValueError as exc:  # no theme varies between the units: entropy weights do not exist
            out["entropy_error"] = str(exc)
    if entropy is not None:
        out["weights"]["entropy"] = [float(w) for w in entropy]
        scores["entropy"] = dict(zip(units, (methods.composite_index(rows, entropy)).tolist(), strict=True))
        scores["topsis"] = dict(zip(units, methods.topsis(rows, entropy).closeness.tolist(), strict=True))
    parsed = run.parsed_scheme()
    theme_points = [float(sum(i.points for i in t.items if i.counts_in_total)) for t in parsed.themes]
    if len(units) >= 2:
        scores["composite"] = dict(zip(units, methods.composite_index(rows, theme_points).tolist(), strict=True))
        out["weights"]["composite"] = [p / sum(theme_points) for p in theme_points]
    if ahp_matrix is not None:
        try:
            res = methods.ahp_weights(ahp_matrix, themes)
            out["ahp"] = {"weights": [float(w) for w in res.weights], "cr": res.cr, "ci": res.ci,
                          "lambda_max": res.lambda_max}
            out["weights"]["ahp"] = out["ahp"]["weights"]
            if len(units) >= 2:
                scores["ahp"] = dict(zip(units, methods.composite_index(rows, res.weights).tolist(), strict=True))
        except methods.InconsistentJudgementsError as exc:
            out["ahp_error"] = str(exc)
            out["ahp"] = {"cr": exc.result.cr, "pair": exc.pair, "suggested": exc.suggested}
        except ValueError as exc:
            out["ahp_error"] = str(exc)
    out["scores"] = scores
    out["stability"] = methods.rank_stability(scores) if len(scores) >= 2 and len(units) >= 2 else None
    return out


def year_over_year(scheme: AssessmentScheme) -> list[dict[str, Any]]:
    """Totals of the same units in the latest published run of every scheme of this parent and level."""
    rows = []
    for s in AssessmentScheme.objects.filter(parent=scheme.parent, level=scheme.level).order_by("year"):
        run = latest_published(s)
        if run is None:
            continue
        for ur in UnitResult.objects.filter(run=run):
            rows.append({"year": s.year, "unit": ur.unit_name, "total": float(ur.total)})
    return rows


def estimates_rows(sample: VerificationSample) -> list[UnitVerification]:
    return [v for _u, v in sorted(unit_estimates(sample).items())]


def appeal_units(run: Run) -> Mapping[str, str]:
    return {u.unit_key: u.unit_name for u in UnitResult.objects.filter(run=run)}
