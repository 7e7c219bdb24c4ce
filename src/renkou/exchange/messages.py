"""Messages exchanged between Renkou nodes: their kinds, the fields each kind may carry, the
canonical form that is signed, and the deadline rules. Pure Python: no Django.

Data minimisation: a payload carries exactly the fields of its kind's schema — a field not in the
schema, or a required field missing, is refused, so that no full record goes out unasked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

KINDS = ("enquiry", "match", "check", "feedback", "notification")
REPLY_KINDS = ("match", "check", "feedback")
ASKS = ("registered", "marital_status", "children", "household")
OUTCOMES = ("served", "not_found", "moved_on", "other")
EVENTS = ("arrival", "departure", "birth", "marriage", "death")
URGENT_DAYS = 15
NORMAL_DAYS = 30
CUT_OFF_DAY = 20
_AREA = re.compile(r"^\d{6,12}$")
_ID = re.compile(r"^\d{17}[\dXx]$")


class PayloadError(ValueError):
    """A payload that does not fit its kind's schema; ``field`` names the field."""

    def __init__(self, kind: str, field: str, rule: str):
        self.kind, self.field, self.rule = kind, field, rule
        super().__init__(f"{kind}: field {field!r}: {rule}")


def _iso(kind, field, value):
    if not isinstance(value, str):
        raise PayloadError(kind, field, "must be an ISO date (YYYY-MM-DD)")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise PayloadError(kind, field, "must be an ISO date (YYYY-MM-DD)") from None
    return value


def _text(limit):
    def check(kind, field, value):
        if not isinstance(value, str):
            raise PayloadError(kind, field, "must be text")
        if len(value) > limit:
            raise PayloadError(kind, field, f"at most {limit} characters")
        return value
    return check


def _choice(options):
    def check(kind, field, value):
        if value not in options:
            raise PayloadError(kind, field, f"must be one of {', '.join(map(str, options))}")
        return value
    return check


def _area_or_empty(kind, field, value):
    if value != "" and not (isinstance(value, str) and _AREA.match(value)):
        raise PayloadError(kind, field, "must be an area code of 6 to 12 digits, or empty")
    return value


def _id_number(kind, field, value):
    if not (isinstance(value, str) and _ID.match(value)):
        raise PayloadError(kind, field, "must be an 18-character ID number")
    return value.upper()


def _bool(kind, field, value):
    if not isinstance(value, bool):
        raise PayloadError(kind, field, "must be true or false")
    return value


def _asks(kind, field, value):
    if not isinstance(value, list) or not value:
        raise PayloadError(kind, field, f"must be a non-empty list from {', '.join(ASKS)}")
    for item in value:
        if item not in ASKS:
            raise PayloadError(kind, field, f"{item!r} is not one of {', '.join(ASKS)}")
    if len(set(value)) != len(value):
        raise PayloadError(kind, field, "lists an item twice")
    return list(value)


def _facts(kind, field, value):
    if not isinstance(value, dict):
        raise PayloadError(kind, field, "must be an object")
    for key in value:
        if key not in ASKS:
            raise PayloadError(kind, field, f"{key!r} is not a fact that can be asked")
    return dict(value)


# kind -> {field: validator}; every field is required, no other field allowed
SCHEMAS: dict[str, dict[str, Any]] = {
    "enquiry": {"id_number": _id_number, "name": _text(60), "sex": _choice((1, 2)),
                "birth_date": _iso, "asks": _asks, "reason": _text(200)},
    "match": {"found": _bool, "registered_area": _area_or_empty},
    "check": {"facts": _facts, "checked_on": _iso, "note": _text(200)},
    "feedback": {"outcome": _choice(OUTCOMES), "note": _text(200)},
    "notification": {"event": _choice(EVENTS), "id_number": _id_number, "name": _text(60),
                     "sex": _choice((1, 2)), "birth_date": _iso, "date": _iso,
                     "residence_area": _area_or_empty, "residence_address": _text(200),
                     "note": _text(200)},
}


def validate(kind: str, payload: Any) -> dict:
    """The payload normalised, or :class:`PayloadError` naming the field and the rule."""
    if kind not in SCHEMAS:
        raise PayloadError(kind, "kind", f"must be one of {', '.join(KINDS)}")
    if not isinstance(payload, dict):
        raise PayloadError(kind, "payload", "must be an object")
    schema = SCHEMAS[kind]
    for field in payload:
        if field not in schema:
            raise PayloadError(kind, field, "not a field of this kind of message (data minimisation)")
    out = {}
    for field, check in schema.items():
        if field not in payload:
            raise PayloadError(kind, field, "missing")
        out[field] = check(kind, field, payload[field])
    return out


def validate_check_facts(asks: list[str], facts: dict) -> None:
    """A check result answers only what its enquiry asked."""
    extra = sorted(set(facts) - set(asks))
    if extra:
        raise PayloadError("check", "facts", f"not asked by the enquiry: {', '.join(extra)}")


def valid_area(code: str) -> bool:
    return isinstance(code, str) and bool(_AREA.match(code))


ENVELOPE_FIELDS = ("uid", "kind", "sender", "recipient", "area_code", "payload", "reply_to",
                   "urgent", "created_at")


def canonical(envelope: dict) -> bytes:
    """The bytes that are signed: the envelope's fields (and only those) as JSON with sorted keys,
    no spaces, UTF-8 (not ASCII-escaped)."""
    body = {name: envelope.get(name) for name in ENVELOPE_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def deadline(opened: dt.date, urgent: bool) -> dt.date:
    return opened + dt.timedelta(days=URGENT_DAYS if urgent else NORMAL_DAYS)


def period_of(day: dt.date) -> str:
    """The monthly period (YYYY-MM) a day counts in: the month closes on the 20th, so a day after
    the 20th counts in the next month (21 March → April)."""
    year, month = day.year, day.month
    if day.day > CUT_OFF_DAY:
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return f"{year:04d}-{month:02d}"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period 'YYYY-MM': the 21st of the month before to the 20th."""
    year, month = (int(x) for x in period.split("-"))
    prev_y, prev_m = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(prev_y, prev_m, CUT_OFF_DAY + 1), dt.date(year, month, CUT_OFF_DAY)


@dataclass(frozen=True)
class Route:
    prefix: str
    node: str


def route(area_code: str, prefixes: list[Route]) -> Route | None:
    """The longest directory prefix that the area code starts with."""
    best = None
    for r in prefixes:
        if area_code.startswith(r.prefix) and (best is None or len(r.prefix) > len(best.prefix)):
            best = r
    return best
