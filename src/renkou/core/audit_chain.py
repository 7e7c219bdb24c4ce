"""The audit log's hash chain (防篡改链): each event carries the hash of the one before it.

``row_hash = SHA-256(canonical(event) ‖ prev_hash)``, where ``canonical`` is a JSON serialisation of
the event's content (keys sorted, no spaces, UTF-8, the time in UTC to the microsecond, integral
floats written as integers so that PostgreSQL's ``jsonb`` and SQLite's text give the same bytes) and
``prev_hash`` is the ``row_hash`` of the event with the next lower id (64 zeros for the first). A
row changed after it was written no longer matches its own hash; a row removed or slipped in breaks
the link of the row after it. The format is fixed: the chain of a database written years ago must
verify with this code.

Pure functions, no Django: the model and the migration that chains the rows written before the
chain existed call them, and :func:`walk` verifies any iterable of rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64

#: The fields of an event covered by its hash, in the order of the canonical serialisation's keys.
FIELDS = ("at", "actor_id", "actor_username", "action", "object_type", "object_id", "object_repr", "area_code",
          "before", "after", "detail", "address")


_SCALARS = (str, int, bool, type(None))


def _canon_value(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _canon_value(v) for k, v in value.items()}
    if kind is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): _canon_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canon_value(v) for v in value]
    return str(value)


def _canon_time(value: Any) -> str:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(row: Mapping[str, Any]) -> bytes:
    """The bytes hashed for one event (``row`` maps the names of :data:`FIELDS` to their values)."""
    content = {name: _canon_value(row.get(name)) for name in FIELDS}
    content["at"] = _canon_time(row["at"])
    for name in ("actor_username", "action", "object_type", "object_id", "object_repr", "area_code"):
        content[name] = content[name] or ""
    content["actor_id"] = None if row.get("actor_id") is None else int(row["actor_id"])
    content["address"] = row.get("address") or None
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(row: Mapping[str, Any], prev_hash: str) -> str:
    """``row_hash`` of an event whose predecessor's hash is ``prev_hash``."""
    h = hashlib.sha256(canonical(row))
    h.update(prev_hash.encode("ascii"))
    return h.hexdigest()


@dataclass(frozen=True)
class Break:
    """The first broken link: the row, what kind of break, the hash expected and the one found."""

    row_id: int
    kind: str  # "content" (the row was changed) or "link" (a row before it was removed or slipped in)
    expected: str
    found: str
    previous_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"row_id": self.row_id, "kind": self.kind, "expected": self.expected, "found": self.found,
                "previous_id": self.previous_id}


@dataclass(frozen=True)
class Verdict:
    rows: int
    head_id: int | None
    head_hash: str
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rows": self.rows, "head_id": self.head_id, "head_hash": self.head_hash,
                "broken": self.broken.as_dict() if self.broken else None}


def walk(rows: Iterable[Mapping[str, Any]]) -> Verdict:
    """Verify rows given in increasing id order (each with ``id``, ``prev_hash``, ``row_hash`` and
    :data:`FIELDS`); stop at the first broken link."""
    prev, prev_id, n = GENESIS, None, 0
    for row in rows:
        n += 1
        found_prev = row.get("prev_hash") or ""
        if found_prev != prev:
            return Verdict(n, prev_id, prev, Break(int(row["id"]), "link", prev, found_prev, prev_id))
        expected = digest(row, prev)
        found = row.get("row_hash") or ""
        if found != expected:
            return Verdict(n, prev_id, prev, Break(int(row["id"]), "content", expected, found, prev_id))
        prev, prev_id = found, int(row["id"])
    return Verdict(n, prev_id, prev, None)
