"""Template helpers of the assessment pages: the reader's language half of bilingual fields."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from renkou.web.templatetags import renkou as _numbers

register = template.Library()


def _zh() -> bool:
    return (get_language() or "zh-hans").startswith("zh")


@register.filter
def bi(obj, field: str = "name"):
    """``obj.<field>_zh`` or ``obj.<field>_en`` (dicts too) for the active language."""
    suffix = "zh" if _zh() else "en"
    if isinstance(obj, dict):
        return obj.get(f"{field}_{suffix}") or obj.get(suffix) or ""
    return getattr(obj, f"{field}_{suffix}", "")


# The number filters are the project's one set (renkou.web.templatetags.renkou), registered here too so
# the assessment pages that load only this library write numbers the same way.
register.filter("num", _numbers.num)
register.filter("pct", _numbers.pct)


@register.filter
def peer_group(code, run):
    """The name of a peer group of the run's scheme in the reader's language (its code if unknown)."""
    if not code:
        return "—"
    group = next((g for g in run.parsed_scheme().peer_groups if g.code == code), None)
    return bi(group) if group is not None else code


@register.filter
def lookup(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def unit_label(obj):
    """The name of an assessed unit in the reader's language: an area's name, a department's Chinese or
    English name; for a result, appeal, target or contract, that of the unit it names."""
    from renkou.evaluation.models import Department, UnitResult

    lang = "zh" if _zh() else "en"
    if isinstance(obj, UnitResult):
        return obj.name_in(lang)
    if isinstance(obj, Department):
        return obj.label(lang)
    if getattr(obj, "department_id", None):
        return obj.department.label(lang)
    if hasattr(obj, "unit_id") and hasattr(obj, "unit"):
        return obj.unit.name if obj.unit_id else ""
    return getattr(obj, "name", "") or str(obj)


@register.filter
def area_code(unit):
    """An area's code, shown beside its name; a department is named in words only."""
    code = getattr(unit, "code", "") or ""
    return code if code.isdigit() else ""
