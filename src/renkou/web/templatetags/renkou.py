"""Template helpers of every page: ``{% chart spec %}`` renders a chart definition to inline SVG;
the number filters (``count``, ``num``, ``amount``, ``pct``, ``ivalue``) are the one way numbers are
written on a page (:mod:`renkou.web.numbers`)."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from renkou.web import numbers
from renkou.web.charts import render_svg

register = template.Library()


@register.simple_tag
def chart(spec):
    if not spec:
        return ""
    # The SVG comes from our own chart definitions; labels are XML-escaped by the renderer.
    return mark_safe(f'<figure class="chart">{render_svg(spec)}</figure>')  # noqa: S308


def _lang() -> str:
    from django.utils.translation import get_language

    return get_language() or "zh-hans"


@register.filter
def in_lang(text):
    """The reader's side of a message written "中文 / English" (how services word their errors and
    reports): ``{{ message|in_lang }}``. Text without the separator is shown as it is."""
    text = "" if text is None else str(text)
    if " / " not in text:
        return text
    parts = text.split(" / ")
    # "a / b; c / d" joins several bilingual messages: take the reader's side of each
    if "; " in text and len(parts) > 2:
        return "; ".join(in_lang(piece) for piece in text.split("; "))
    zh, en = parts[0], " / ".join(parts[1:])
    # a Tibetan page shows the Chinese side: these messages have no Tibetan wording
    return en if _lang().startswith("en") else zh


@register.filter
def ethnicity(code):
    """GB 3304 ethnicity name of a code: ``{{ person.ethnicity|ethnicity }}`` → 藏族 / Tibetan."""
    from renkou.core.codes import ETHNICITY, label

    return label(ETHNICITY, code, _lang())


@register.filter
def masked(number):
    """Identity number masked for lists: 110105********002X."""
    from renkou.core.idnumber import mask

    return mask(number)


@register.simple_tag
def term(chinese: str):
    """The Chinese term users know, beside an English label: shown only when the page is not in Chinese
    (in Chinese the translated label already is the term)."""
    from django.utils.html import format_html

    if _lang().startswith("zh"):
        return ""
    return format_html(' <small class="term" lang="zh-Hans">{}</small>', chinese)


@register.filter
def count(value):
    """A count with thousands separators: ``{{ 18689.0|count }}`` → 18,689."""
    return numbers.count(value)


@register.filter
def num(value, places=2):
    """A number with ``places`` decimals and thousands separators, ``—`` for none."""
    return numbers.number(value, places)


@register.filter
def amount(value):
    """A stored quantity: whole numbers as counts, else up to four decimals (3118.0 → 3,118; 2.5)."""
    return numbers.amount(value)


@register.filter
def pct(value, places=1):
    """A proportion 0–1 as a percentage: ``{{ 0.092|pct }}`` → 9.2%."""
    return numbers.percent(value, places)


@register.filter
def ivalue(value, indicator):
    """An indicator's value with the decimals and unit of its definition: ``{{ v.value|ivalue:v.indicator }}``
    → 9.20‰ or 18,689."""
    if indicator is None:
        return numbers.amount(value)
    return numbers.indicator_value(value, indicator.decimals, indicator.indicator_type)


@register.filter
def inum(value, indicator):
    """An indicator's value with its decimals, without the unit (for tables whose header names the unit)."""
    if indicator is None:
        return numbers.amount(value)
    return numbers.indicator_value(value, indicator.decimals, indicator.indicator_type, unit=False)


@register.filter
def paired(values, columns):
    """``{% for col, v in row|paired:columns %}``: each value with its column (same length)."""
    return list(zip(columns, values, strict=True))


@register.filter
def has_tibetan(request):
    """Whether the page has a Tibetan translation (the language switch offers བོད་ཡིག there only)."""
    from renkou.core.languages import has_tibetan as page_has_tibetan

    path = getattr(request, "path_info", None)  # none on the server-error page
    return path is not None and page_has_tibetan(path)
