"""Person search (人员查询): ID number, name, pinyin, initials, household number, record key.

Every form of query is answered from an index, at a million persons as at a hundred:

* an 18- or 15-digit ID number: the unique index on ``id_number`` (exact);
* 6–17 digits: a prefix of the ID number (first digits = the place of issue), a household number
  or a record key (exact);
* Chinese characters: a prefix of the name (``张``, ``张伟``), a household number, a record key;
* Latin letters: pinyin with or without spaces and in any case (``zhangwei``, ``zhang wei``,
  ``Zhang Wei``) against :attr:`Person.pinyin_key` — the toneless most common reading of each
  character, without spaces — or :attr:`Person.pinyin_alt`, the same with a polyphonic surname read
  as a surname (单 *shan*, 曾 *zeng*, 解 *xie*, 仇 *qiu* …); initials (``zw``) against
  :attr:`Person.pinyin_initials`; and a household number or record key (exact).

Prefix matches read the field's index and stop after :data:`CAP` rows per form (SQLite: a range
``key >= prefix AND key < next`` on the binary-collated index; PostgreSQL: ``LIKE 'prefix%'`` on the
``varchar_pattern_ops`` index Django creates beside every indexed text column). A query matching more
than :data:`CAP` persons shows :data:`CAP` of them (in the index's order as it is read; the page
count is exact up to there and the ``COUNT(*)`` of the paginator never counts more): refine the
query to see others.

Scoping is :func:`renkou.core.scoping.scoped` on every form; merged records are never found.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.db import connection
from django.db.models import Q, QuerySet

from renkou.core import idnumber
from renkou.core.scoping import scoped

from .duplicates import char_readings

CAP = 500  # persons at most per query: ten pages of the search page (50 a page), the API's answer

# Surnames whose reading as a surname differs from the commonest reading of the character.
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao", "盖": "ge",
    "乐": "yue", "覃": "qin", "缪": "miao", "翟": "zhai", "尉": "yu", "长": "chang", "种": "chong",
    "秘": "bi", "繁": "po", "员": "yun", "召": "shao", "祭": "zhai", "万俟": "moqi", "尉迟": "yuchi",
    "黑": "he", "能": "nai", "宓": "fu", "藏": "zang", "重": "chong", "柏": "bai", "贲": "ben",
}

_SEPARATORS = re.compile(r"[\s'’\-·.]+")


def _readings(name: str) -> list[str]:
    out = []
    for ch in (name or "").strip():
        r = char_readings(ch)
        if r:
            out.append(r[0])
        elif ch.isascii() and ch.isalnum():
            out.append(ch.lower())
    return out


def pinyin_keys(name: str) -> tuple[str, str, str]:
    """(key, surname-reading key or "", initials) of a name: 单雄 → ("danxiong", "shanxiong", "sx")."""
    return name_fields(name)[1:]


@lru_cache(maxsize=65_536)
def name_fields(name: str) -> tuple[str, str, str, str]:
    """(``name_pinyin``, key, surname-reading key or "", initials) of a name in one pass over its
    characters; the first is :func:`renkou.registry.duplicates.pinyin_text` (张三 → "zhang san")."""
    name = (name or "").strip()
    parts = _readings(name)
    spaced = " ".join(parts)
    key = "".join(parts)[:120]
    initials = "".join(p[0] for p in parts if p)[:30]
    alt = ""
    for surname in (name[:2], name[:1]):
        reading = SURNAME_READINGS.get(surname)
        if reading and len(surname) <= len(name):
            rest = _readings(name[len(surname):])
            alt = (reading + "".join(rest))[:120]
            # initials as the name is said: the surname in its surname reading (曾国藩 → zgf)
            initials = (reading[0] + "".join(p[0] for p in rest if p))[:30]
            break
    return spaced, key, ("" if alt == key else alt), initials


def set_keys(person) -> None:
    """Fill ``pinyin_key``, ``pinyin_alt`` and ``pinyin_initials`` of a :class:`Person` from its name."""
    person.pinyin_key, person.pinyin_alt, person.pinyin_initials = pinyin_keys(person.name)


def _next(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def prefix_q(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, written so that the field's index answers it."""
    if connection.vendor == "sqlite":
        # SQLite's LIKE is case-insensitive and cannot use a binary index; a range can.
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": _next(prefix)})
    return Q(**{f"{field}__startswith": prefix})


def _first(qs: QuerySet, cond: Q) -> list[int]:
    """At most CAP + 1 matches, unordered: the index that answers ``cond`` is read until there are enough
    (an ORDER BY would make PostgreSQL sort every match: its pattern indexes do not give the order)."""
    return list(qs.filter(cond).order_by().values_list("pk", flat=True)[:CAP + 1])


def search_persons(user, q: str) -> QuerySet:
    """Persons matching an ID number, a name, a pinyin or its initials, a household number or a record
    key, within the user's scope (merged records excluded); at most :data:`CAP` of them."""
    from .models import Household, Person

    base = scoped(user, Person).exclude(record_state=Person.Record.MERGED)
    q = (q or "").strip()[:60]
    if not q:
        return base.none()
    cleaned = idnumber.clean(q)
    if len(cleaned) in (15, 18) and cleaned[:17].isdigit():
        return base.filter(id_number=idnumber.inspect(q).number)
    forms: list[Q] = [Q(source_key=q)]
    households = list(Household.objects.filter(number=q).values_list("pk", flat=True)[:10])
    if households:
        forms.append(Q(household_id__in=households))
    if cleaned.isdigit() and len(cleaned) >= 6:
        forms.append(prefix_q("id_number", cleaned))
    elif q.isascii():
        key = _SEPARATORS.sub("", q).lower()
        if key.isalnum():
            forms.append(prefix_q("pinyin_key", key))
            forms.append(prefix_q("pinyin_alt", key))
            if key.isalpha() and " " not in q and len(key) <= 8:
                forms.append(prefix_q("pinyin_initials", key))
    else:
        forms.append(prefix_q("name", q))
    found: list[int] = []
    seen: set[int] = set()
    for cond in forms:  # exact forms first; once CAP are found the other forms are not read
        for pk in _first(base, cond):
            if pk not in seen:
                seen.add(pk)
                found.append(pk)
        if len(found) > CAP:
            break
    return base.filter(pk__in=found[:CAP])
