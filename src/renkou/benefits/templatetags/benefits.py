"""Template filters of benefits: fen as yuan, a program's name in the page's language."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from renkou.ledger.money import format_yuan

register = template.Library()


@register.filter
def yuan(fen):
    """``2170000`` → ``¥21,700.00``."""
    return "" if fen is None else format_yuan(int(fen))


@register.filter
def bi(obj):
    """The Chinese or English name of a program or fund, by the page's language (on a Tibetan page its
    Tibetan name where the catalogue has one, else the Chinese)."""
    from renkou.core.languages import name

    if not hasattr(obj, "name_zh"):
        return str(obj)
    return name(obj.name_zh, obj.name_en)


@register.filter
def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


# the accounts of a program in a county, by role, and the kinds of its ledger transactions
ROLES = {"funding": _("Funding source"), "budget": _("Budget (available)"),
         "commitments": _("Approved, to be paid"), "payable": _("In a batch, to be sent to the bank"),
         "clearing": _("At the bank"), "paid": _("Paid")}
KINDS = {"allocate": _("Budget allocated"), "commit": _("List approved"), "issue": _("Batch issued"),
         "send": _("Sent to the bank"), "settle": _("Bank return file")}


@register.filter
def account_role(role):
    """``"clearing"`` → "At the bank" (银行在途), in the page's language."""
    return ROLES.get(role, role)


@register.filter
def transaction_kind(kind):
    return KINDS.get(kind, kind)


GROUPS = {"all": _("all of these"), "any": _("any of these"), "not": _("none of these")}


@register.filter
def rule_group(key):
    """A group of an eligibility rule (``all``, ``any``, ``not``) in words."""
    return GROUPS.get(key, key)


@register.filter
def fact_value(value):
    """A fact's value as read from the register: a yes or no in words, anything else as it is."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return value


@register.filter
def rule_words(rule):
    """An eligibility rule as a sentence in the page's language (areas by name)."""
    from renkou.core import areacodes
    from renkou.core.models import Area

    from ..rules import RuleError, describe

    def area_name(code: str) -> str:
        a = Area.objects.filter(code=areacodes.full_code(code)).only("name").first()
        return a.name if a else code

    try:
        return describe(rule, get_language() or "zh-hans", area_name)
    except (RuleError, KeyError, TypeError):
        return str(rule)


@register.filter
def prorate_words(prorate):
    """``{"by": "month", "age_below": 3}`` → 按在册月数折算，至满 3 周岁前一月."""
    if not prorate:
        return "—"
    zh = (get_language() or "zh-hans").startswith("zh")
    parts = [("按应享受月数折算" if zh else "pro rata by the months entitled")] if prorate.get("by") == "month" else []
    if prorate.get("age_below") is not None:
        n = prorate["age_below"]
        parts.append(f"至满 {n} 周岁的前一个月" if zh else f"until the month before the {n}th birthday")
    return ("，" if zh else ", ").join(parts) or "—"
