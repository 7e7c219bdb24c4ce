"""How the audit pages show a recorded object and its before/after values: field labels and value names
in the reader's language instead of stored keys and codes (presentation only; what an auditor may see
is decided by the audit views)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
    kind = (object_type or "").rsplit(".", 1)[-1]
    return str(DETAIL_KEYS.get(kind, object_type or "—"))


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
    return [(label_of(k), _text(v)) for k, v in detail.items()]
