"""Aggregate data entry (汇总数据录入): forms, validation, outliers, completeness, approval by level.

The business actions of aggregate reporting, each one transaction, called by pages, API and tests:

* :func:`save_values` stores the numbers of one form for an area and period: refused when the
  user may not capture there, when a value is not a number, or when the form is approved (locked);
  values outside the expected range are stored with an outlier flag; the form's validation rules
  are checked and their violations returned (they do not block: a statistician decides).
* :func:`complete` marks a form reported (上报); :func:`completeness` gives, for a period, the share
  of expected forms completed and of those completed by the due date (timeliness, 及时率).
* :func:`approve` / :func:`unapprove` walk the approval levels (village → township → county):
  a level may approve only after the level below it, and un-approve only while the level above has
  not approved. Approved values are locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from renkou.core import areacodes
from renkou.core.models import Area
from renkou.core.periods import Period
from renkou.core.roles import AGGREGATE_APPROVE, AGGREGATE_CAPTURE
from renkou.core.scoping import CAPTURE, code_in_scope, require

from .expressions import evaluate, parse
from .models import Approval, Completion, DataElement, DataSet, DataValue, MinMax


@dataclass
class SaveResult:
    saved: int = 0
    outliers: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


def _check_period(dataset: DataSet, period_code: str) -> Period:
    try:
        period = Period.parse(period_code)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if period.kind != dataset.period_type:
        raise ValidationError({"period": f"报表 {dataset.code} 按 {dataset.get_period_type_display()} 填报，"
                                         f"不能用期间 {period.code} / form {dataset.code} is reported by "
                                         f"{dataset.period_type}, not {period.kind}"})
    return period


def _ensure_capture(user, area: Area) -> None:
    require(user, AGGREGATE_CAPTURE)
    if not code_in_scope(user, area.code, CAPTURE):
        raise PermissionDenied(f"区划 {area.code} 不在您的填报范围内 / area {area.code} is outside your capture areas")


def is_locked(dataset: DataSet, area: Area, period: str) -> bool:
    """Approved at any level: the values are locked until un-approved."""
    return Approval.objects.filter(dataset=dataset, area=area, period=period).exists()


def keys_of(dataset: DataSet) -> list[tuple[DataElement, str]]:
    """(element, disaggregation) cells of a form; "" is the total of an element without categories."""
    out = []
    for e in dataset.elements.order_by("code"):
        for d in (e.disaggregations or [""]):
            out.append((e, d))
    return out


def _range_for(element: DataElement, area: Area) -> MinMax | None:
    ranges = {r.area_id: r for r in MinMax.objects.filter(element=element)}
    for code in [area.code, *reversed(areacodes.ancestor_codes(area.code, area.level))]:
        if code in ranges:
            return ranges[code]
    return ranges.get(None)


def save_values(*, user, dataset: DataSet, area: Area, period: str, values: dict[tuple[str, str], object],
                comment: str = "") -> SaveResult:
    """Store the form's numbers ``{(element code, disaggregation): value}``; empty text deletes a value."""
    _ensure_capture(user, area)
    period_obj = _check_period(dataset, period)
    cells = {(e.code, d): e for e, d in keys_of(dataset)}
    result = SaveResult()
    with transaction.atomic():
        if is_locked(dataset, area, period_obj.code):
            raise ValidationError("报表已审批，须先撤销审批才能修改 / the form is approved: un-approve it before changing values")
        for (code, dis), raw in values.items():
            if (code, dis) not in cells:
                raise ValidationError({code: f"报表 {dataset.code} 没有 {code}.{dis or '合计'} / not a cell of the form"})
            element = cells[(code, dis)]
            text = "" if raw is None else str(raw).strip()
            existing = DataValue.objects.filter(element=element, disaggregation=dis, area=area,
                                                period=period_obj.code).first()
            if text == "":
                if existing is not None:
                    existing.delete()
                continue
            try:
                number = Decimal(text)
            except InvalidOperation as exc:
                raise ValidationError({f"{code}.{dis}": f"“{text}” 不是数字 / {text!r} is not a number"}) from exc
            if element.value_type == "integer" and number != number.to_integral_value():
                raise ValidationError({f"{code}.{dis}": f"{element.name_zh} 应为整数 / must be a whole number"})
            if number < 0:
                raise ValidationError({f"{code}.{dis}": f"{element.name_zh} 不能为负数 / cannot be negative"})
            bounds = _range_for(element, area)
            outlier = bounds is not None and not (bounds.minimum <= number <= bounds.maximum)
            if outlier:
                result.outliers.append(f"{element.name_zh} {number} 超出 {bounds.minimum}–{bounds.maximum} / "
                                       f"outside the expected range")
            if existing is None:
                DataValue.objects.create(element=element, disaggregation=dis, area=area, period=period_obj.code,
                                         value=number, outlier=outlier, stored_by=user, comment=comment)
            elif existing.value != number or existing.outlier != outlier:
                existing.value, existing.outlier, existing.stored_by = number, outlier, user
                existing.updated = timezone.now()
                existing.save()
            result.saved += 1
        result.violations = check_rules(dataset, area, period_obj.code)
    return result


def form_values(dataset: DataSet, area: Area, period: str) -> dict[tuple[str, str], Decimal]:
    return {(e, d): v for e, d, v in DataValue.objects.filter(
        element__in=dataset.elements.all(), area=area, period=period).values_list("element__code", "disaggregation",
                                                                                  "value")}


def check_rules(dataset: DataSet, area: Area, period: str) -> list[str]:
    """Violated validation rules of a form's values (missing values count as 0)."""
    stored = form_values(dataset, area, period)
    totals: dict[tuple[str, str | None], float] = {}
    for (code, dis), v in stored.items():
        totals[(code, dis or None)] = totals.get((code, dis or None), 0.0) + float(v)
        if dis:
            totals[(code, None)] = totals.get((code, None), 0.0) + float(v)
    problems = []
    for rule in dataset.rules.all():
        left = evaluate(parse(rule.left), lambda r: totals.get((r.code, r.disaggregation), 0.0))
        right = evaluate(parse(rule.right), lambda r: totals.get((r.code, r.disaggregation), 0.0))
        ok = evaluate(parse(f"{left} {rule.operator} {right}"), {}) if left is not None and right is not None else 1
        if not ok:
            problems.append(f"{rule.name_zh}：{left:g} {rule.operator} {right:g} 不成立 / {rule.name_en}: fails")
    return problems


def complete(*, user, dataset: DataSet, area: Area, period: str) -> Completion:
    """Mark the form reported (上报) for the area and period."""
    _ensure_capture(user, area)
    p = _check_period(dataset, period)
    with transaction.atomic():
        obj, _ = Completion.objects.get_or_create(dataset=dataset, area=area, period=p.code,
                                                  defaults={"completed_by": user})
    return obj


def completeness(dataset: DataSet, root: Area, period: str, *, today: dt.date | None = None) -> dict:
    """Reporting completeness (报告率) and timeliness (及时率) of the areas at the form's capture level."""
    p = _check_period(dataset, period)
    expected = list(Area.objects.filter(code__startswith=root.prefix, level=dataset.capture_level)
                    .values_list("code", flat=True))
    due = p.end + dt.timedelta(days=dataset.due_days)
    done = {a: at for a, at in Completion.objects.filter(dataset=dataset, period=p.code, area_id__in=expected)
            .values_list("area_id", "completed_at")}
    timely = sum(1 for at in done.values() if timezone.localtime(at).date() <= due)
    n = len(expected)
    return {"expected": n, "completed": len(done), "timely": timely, "due": due,
            "completeness": round(100 * len(done) / n, 2) if n else None,
            "timeliness": round(100 * timely / n, 2) if n else None,
            "missing": sorted(set(expected) - set(done))}


def _approval_chain(dataset: DataSet, area: Area) -> list[int]:
    levels = [lv for lv in (dataset.approval_levels or []) if lv <= area.level]
    return sorted(levels, reverse=True)  # e.g. [4, 3]: township first, then county


def _approver_area(user, area: Area, level: int) -> None:
    require(user, AGGREGATE_APPROVE)
    ancestor = areacodes.full_code(area.code[: areacodes.LEVEL_DIGITS[level]])
    if not code_in_scope(user, ancestor, CAPTURE) or not user_at_level(user, level):
        raise PermissionDenied(f"您不能在{Area.Level(level).label}审批 {area.code} / you cannot approve {area.code} "
                               f"at level {level}")


def user_at_level(user, level: int) -> bool:
    """Whether the user's capture areas include an area of ``level`` (superusers approve at any level)."""
    if user.is_superuser:
        return True
    return user.capture_areas.filter(level=level).exists()


def approve(*, user, dataset: DataSet, area: Area, period: str, level: int) -> Approval:
    """Approve (审批) at ``level``: the level below must have approved first; the form must be complete."""
    p = _check_period(dataset, period)
    chain = _approval_chain(dataset, area)
    if level not in chain:
        raise ValidationError(f"报表 {dataset.code} 不在此级审批 / form {dataset.code} is not approved at level {level}")
    _approver_area(user, area, level)
    with transaction.atomic():
        if not Completion.objects.filter(dataset=dataset, area=area, period=p.code).exists():
            raise ValidationError("报表尚未上报 / the form has not been reported yet")
        below = chain[: chain.index(level)]
        have = set(Approval.objects.filter(dataset=dataset, area=area, period=p.code).values_list("level", flat=True))
        if any(lv not in have for lv in below):
            raise ValidationError("下级尚未审批 / the level below has not approved yet")
        obj, _ = Approval.objects.get_or_create(dataset=dataset, area=area, period=p.code, level=level,
                                                defaults={"approved_by": user})
    return obj


def unapprove(*, user, dataset: DataSet, area: Area, period: str, level: int) -> None:
    """Withdraw the approval of ``level`` (撤销审批); refused while a higher level has approved."""
    p = _check_period(dataset, period)
    chain = _approval_chain(dataset, area)
    _approver_area(user, area, level)
    with transaction.atomic():
        above = chain[chain.index(level) + 1:] if level in chain else []
        if Approval.objects.filter(dataset=dataset, area=area, period=p.code, level__in=above).exists():
            raise ValidationError("上级已审批，须先由上级撤销 / a higher level has approved: it must withdraw first")
        for a in Approval.objects.filter(dataset=dataset, area=area, period=p.code, level=level):
            a.delete()
