"""How the audit pages show a recorded object and its before/after values: field labels and value names
in the reader's language instead of stored keys and codes (presentation only; what an auditor may see
is decided by the audit views)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

register = template.Library()

# Keys of audit details and of values recorded without a model field.
DETAIL_KEYS = {
    "step": gettext_lazy("step"), "state": gettext_lazy("state"), "rows": gettext_lazy("rows"), "filter": gettext_lazy("filter"), "masked": gettext_lazy("masked"),
    "kind": gettext_lazy("kind"), "area": gettext_lazy("area"), "at": gettext_lazy("time"), "reason": gettext_lazy("reason"), "layout": gettext_lazy("layout"),
    "operand": gettext_lazy("operand"), "page": gettext_lazy("page"), "format": gettext_lazy("format"), "units": gettext_lazy("units"),
    "period": gettext_lazy("period"), "status": gettext_lazy("status"), "content_hash": gettext_lazy("content hash"), "item": gettext_lazy("item"),
    "via": gettext_lazy("via"), "mode": gettext_lazy("mode"), "created": gettext_lazy("created"), "updated": gettext_lazy("updated"),
    "rejected": gettext_lazy("rejected"), "unchanged": gettext_lazy("unchanged"), "file": gettext_lazy("file"), "reasons": gettext_lazy("reasons"),
}
# The pages recorded by ``audit.record_persons_shown`` (object type of a view of a list of persons).
PAGES = {
    "registry.search": gettext_lazy("register search"), "registry.person.related": gettext_lazy("related persons"),
    "registry.event": gettext_lazy("event record"), "registry.event_queue": gettext_lazy("list of events to handle"),
    "registry.check_queue": gettext_lazy("list of logic-check findings"),
    "registry.check_report": gettext_lazy("check report"),
    "registry.duplicate_queue": gettext_lazy("list of probable duplicates"),
    "registry.declare_event": gettext_lazy("event declaration form"),
    "registry.correct_event": gettext_lazy("event correction form"),
    "registry.record_service": gettext_lazy("service form"),
}
DETAIL_KEYS.update({
    "persons": gettext_lazy("persons shown"), "page_number": gettext_lazy("page number"), "q": gettext_lazy("search"),
    "events": gettext_lazy("events"), "findings": gettext_lazy("findings"), "candidates": gettext_lazy("pairs"),
    "person": gettext_lazy("person"), "unmasked": gettext_lazy("full values shown"),
    "object_type": gettext_lazy("kind of record"), "object_id": gettext_lazy("record number"),
})
DRILLDOWN = {"events": gettext_lazy("drill-down to events"), "persons": gettext_lazy("drill-down to persons"),
             "services": gettext_lazy("drill-down to services")}


def _model(object_type: str):
    app_label, _sep, name = (object_type or "").partition(".")
    try:
        return apps.get_model(app_label, name)
    except (LookupError, ValueError):
        return None


def _field(object_type: str, name: str):
    model = _model(object_type)
    if model is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            return model._meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


@register.filter
def audit_object(object_type: str) -> str:
    """``registry.event`` → 事件 / event; ``indicators.drilldown.events`` → 下钻到事件."""
    if (object_type or "").startswith("indicators.drilldown."):
        return str(DRILLDOWN.get(object_type.rsplit(".", 1)[1], _("drill-down")))
    model = _model(object_type)
    if model is not None:
        return str(model._meta.verbose_name)
    if object_type in PAGES:
        return str(PAGES[object_type])
    kind = (object_type or "").rsplit(".", 1)[-1]
    return str(DETAIL_KEYS.get(kind, object_type or "—"))


@register.filter
def audit_repr(event) -> str:
    """How the recorded object is named: as recorded, except the count a list page was recorded with
    (``registry.event_queue (3)``), said in words (3 persons)."""
    text, kind = getattr(event, "object_repr", "") or "", getattr(event, "object_type", "") or ""
    if kind.startswith("indicators.drilldown."):
        return _drilldown(text, getattr(event, "detail", None)) or text
    match = re.fullmatch(rf"{re.escape(kind)} \((\d+)\)", text) if kind else None
    if match:
        n = int(match.group(1))
        return ngettext("%(n)s person", "%(n)s persons", n) % {"n": f"{n:,}"}
    return text


def _drilldown(text: str, detail: Any) -> str:
    """``cdr 520122000000 2005 R{deaths}`` (indicator, area, period, operand) → 死亡率 · 520122000000 ·
    2005年 · 死亡人数: the drill-down recorded in words; empty when the record is not of that form."""
    from renkou.core.periods import Period
    from renkou.indicators import wording
    from renkou.indicators.expressions import ExpressionError, Ref, parse
    from renkou.indicators.names import catalog_names

    parts = text.split(" ", 3)
    operand = (detail or {}).get("operand") if isinstance(detail, Mapping) else None
    if len(parts) != 4 or not operand:
        return ""
    lang = get_language() or "zh-hans"
    zh = lang.startswith("zh")
    code, area, period, _ref = parts
    try:
        expr = parse(operand)
        when = Period.parse(period).label("zh" if zh else "en")
    except (ExpressionError, ValueError):
        return ""
    if not isinstance(expr, Ref):
        return ""
    names = catalog_names()
    pair = names.get(("indicator", code))
    indicator = (pair[0] if zh else pair[1]) if pair else code
    return " · ".join((indicator, area, when, wording.operand_label(expr.ref, lang, names)))


@register.filter
def audit_page(value: Any) -> str:
    """The ``page`` of a detail: the page's name in words."""
    return str(PAGES.get(value, value))


def _text(value: Any, field=None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field is not None and getattr(field, "choices", None):
        names = {str(k): v for k, v in field.flatchoices}
        if str(value) in names:
            return str(names[str(value)])
    if isinstance(value, Mapping):
        return "; ".join(f"{label_of(k)}: {_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def label_of(key: str, object_type: str = "") -> str:
    field = _field(object_type, key) if object_type else None
    if field is not None and getattr(field, "verbose_name", None):
        return str(field.verbose_name)
    return str(DETAIL_KEYS.get(key, key.replace("_", " ")))


@register.simple_tag
def audit_field(object_type: str, key: str) -> str:
    """The label of a recorded field: the model field's name in the reader's language."""
    return label_of(key, object_type)


@register.simple_tag
def audit_value(object_type: str, key: str, value: Any) -> str:
    """A recorded value as a reader says it: a choice by its name, a flag as yes/no, a dict as its items."""
    return _text(value, _field(object_type, key))


@register.simple_tag
def audit_detail_rows(detail: Any) -> list[tuple[str, str]]:
    """(label, text) rows of an event's detail dict."""
    if not isinstance(detail, Mapping):
        return [(str(_("Detail")), _text(detail))] if detail else []
    def text(key, value):
        if key == "object_type":
            return audit_object(value)
        return audit_page(value) if key == "page" else _text(value)

    return [(label_of(k), text(k, v)) for k, v in detail.items()]
