"""The languages of the pages: zh-Hans (default) and English everywhere, Tibetan on the village-facing
pages and printed notices only.

A page is wholly in one language. Tibetan (``bo``) is offered on the pages named in
:data:`TIBETAN_PAGES`; :class:`TibetanPagesMiddleware` serves every other page in zh-Hans to a reader
who chose Tibetan, so no page is ever half Tibetan. Code that picks the side of a (Chinese, English)
pair calls :func:`pair`, which on a Tibetan page gives the Tibetan catalogue's word for the English.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import Resolver404, resolve
from django.utils import translation

TIBETAN = "bo"

# URL names of the pages read in Tibetan: what villagers are shown or handed.
TIBETAN_PAGES: frozenset[str] = frozenset({
    "benefits:notice",   # a village's benefit roster in public notice (printed and posted)
    "loans:agreement",   # the 幸福工程 loan agreement the mother signs
    "loans:sheet",       # a village's collection sheet, signed by the mothers as they repay
    "bureau:events",     # publicity sessions, campaigns and training held in the villages
})
# What the forms of those pages post to: the reply (a message) is shown on the Tibetan page it returns to.
TIBETAN_ACTIONS: frozenset[str] = frozenset({"benefits:objection", "benefits:resolve", "loans:sheet-import"})


def page_name(path: str) -> str | None:
    """The URL name of a path (``ns:name``), None for a path of no page."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def has_tibetan(path: str) -> bool:
    return page_name(path) in TIBETAN_PAGES


def is_tibetan() -> bool:
    return (translation.get_language() or "") == TIBETAN


def is_english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _pick(zh: str, en: str, context: str) -> str:
    if is_english():
        return en
    if is_tibetan():
        bo = translation.pgettext(context, en)
        return bo if bo != en else zh
    return zh


def pair(zh: str, en: str) -> str:
    """The reader's side of a (Chinese, English) label: on a Tibetan page the Tibetan catalogue's
    translation of the English (context ``pair``), else the Chinese."""
    return _pick(zh, en, "pair")


def name(zh: str, en: str) -> str:
    """A name kept in Chinese and English (a program, a fund): on a Tibetan page its Tibetan name if the
    catalogue has one (context ``name``, msgid the English name), else the Chinese name as issued."""
    return _pick(zh, en, "name")


class TibetanPagesMiddleware:
    """After ``LocaleMiddleware``: a reader who chose Tibetan gets zh-Hans on a page without a Tibetan
    translation (the choice is kept for the next Tibetan page)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (getattr(request, "LANGUAGE_CODE", None) == TIBETAN
                and page_name(request.path_info) not in TIBETAN_PAGES | TIBETAN_ACTIONS):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
