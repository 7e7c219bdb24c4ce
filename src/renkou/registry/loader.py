"""Bulk load of a synthetic county (``renkou.synth``'s in-memory result) into the register.

Used by ``renkou demo`` for counties of up to about a million persons, so it writes with
``executemany`` in batches, primary keys assigned up front (so mothers, fathers, spouses and
household heads are linked in the same pass; foreign keys are checked at commit), all in one
transaction: an interrupted load leaves nothing behind. The load is recorded as one ``import``
audit event with its counts (row-by-row audit of a generated population would only be noise).

The register as written keeps its imperfections, each flagged rather than dropped: ID numbers
with a wrong check character get an open ``id_check_digit`` finding; a second record carrying an
ID number already loaded is stored without the number and queued as a duplicate of the first.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from renkou.core import areacodes, audit, idnumber, pipeline
from renkou.core.models import Area

from . import checks, duplicates, search
from .models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord

BATCH = 5000
LEVELS = {"county": 3, "township": 4, "village": 5, "group": 6}
STATUS = {"present": ("living", ""), "deceased": ("dead", ""), "moved_out": ("moved_out", ""),
          "departed": ("moved_out", "left")}


def _dates(col: np.ndarray) -> list[str | None]:
    text = np.datetime_as_string(col.astype("datetime64[D]"), unit="D")
    return [None if t == "NaT" else t for t in text.tolist()]


def unique_keys(keys: list[str]) -> tuple[list[str], int]:
    """Source keys made unique: a repeated key gets ``#2``, ``#3`` … (the count is reported)."""
    seen: dict[str, int] = {}
    out, renamed = [], 0
    for k in keys:
        if k in seen:
            seen[k] += 1
            out.append(f"{k}#{seen[k]}")
            renamed += 1
        else:
            seen[k] = 1
            out.append(k)
    return out, renamed


def _next_id(model) -> int:
    return pipeline.next_id(model)


def sync_sequences(models) -> None:
    """After rows were inserted under explicit keys, move PostgreSQL's sequences past them (SQLite's
    AUTOINCREMENT follows by itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for m in models:
            table, pk = m._meta.db_table, m._meta.pk.column
            cur.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), GREATEST(MAX({connection.ops.quote_name(pk)}), "
                        f"1)) FROM {connection.ops.quote_name(table)}", [table, pk])


def _insert(table: str, columns: list[str], rows, progress=None, offset: int = 0, total: int = 0) -> None:
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join(["%s"] * len(columns))})'
    with connection.cursor() as cur:
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i:i + BATCH])
            if progress:
                progress(offset + min(i + BATCH, len(rows)), total)


def ensure_areas(nodes) -> int:
    """Create the divisions of the synthetic county that the database does not have yet."""
    have = set(Area.objects.filter(code__in=[areacodes.full_code(n.code) for n in nodes]).values_list("code", flat=True))
    new = []
    for n in nodes:
        code = areacodes.full_code(n.code)
        if code in have:
            continue
        parent = areacodes.full_code(n.parent_code) if n.parent_code else None
        new.append(Area(code=code, name=n.name, level=LEVELS[n.level], parent_id=parent, urban_rural=n.urban_rural,
                        peer_group=areacodes.township_kind(code) if n.level == "township" else ""))
    if new and new[0].parent_id and not Area.objects.filter(code=new[0].parent_id).exists():
        # the county's own parents (province, prefecture) from its code, named by code when unknown
        for level, digits in ((1, 2), (2, 4)):
            code = areacodes.full_code(new[0].code[:digits])
            Area.objects.get_or_create(code=code, defaults={
                "name": code[:digits], "level": level,
                "parent_id": areacodes.full_code(new[0].code[:2]) if level == 2 else None})
    Area.objects.bulk_create(sorted(new, key=lambda a: a.level))
    return len(new)


def load_synthetic(result: Any, *, progress: Callable[[int, int], None] | None = None,
                   find_duplicates: bool = True, prepared: Prepared | None = None,
                   pairs: Callable[[], list] | None = None) -> dict[str, int]:
    """Load households, persons, events and services of ``result``; returns the counts written.
    ``prepared`` is :func:`prepare`'s result when it was computed beforehand (elsewhere). ``pairs``,
    when given, returns the probable-duplicate pairs (``Prepared.pairs``) searched elsewhere while
    this load writes the rows: it is called once they are written."""
    progress = progress or (lambda done, total: None)
    counts: dict[str, int] = {}
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:  # a large page cache keeps the indexes in memory while loading
            cur.execute("PRAGMA cache_size=-262144")
    # Like ``loaddata``: foreign keys are checked once for the whole load, before the commit,
    # rather than row by row (possible only outside an enclosing transaction on SQLite).
    disabled = not connection.in_atomic_block and connection.disable_constraint_checking()
    collecting = gc.isenabled()
    gc.disable()  # millions of long-lived rows: the cyclic collector would walk them again and again
    try:
        return _load(result, progress, find_duplicates, counts, prepared, pairs)
    finally:
        if collecting:
            gc.enable()
        if disabled:
            connection.enable_constraint_checking()


@dataclass
class Prepared:
    """What loading a county computes without the database, indexed by the person's row (0, 1, …):
    the ID numbers kept and their states, rows that repeat a number loaded before them, legacy check
    characters, the name keys and the probable-duplicate pairs. ``prepare`` can run in another
    process (the demo's second process searches the largest county's pairs while it is written)."""

    ids: list[str | None]
    states: list[str]
    same_number: list[tuple[int, int]]  # (first row, repeating row)
    mismatch: list[tuple[int, str]]  # (row, the number as written)
    keys: list[tuple]
    pairs: list[tuple[int, int, float, list[str]]] | None  # None: duplicates not searched


def prepare(result: Any, taken: set[str], *, find_duplicates: bool = True) -> Prepared:
    """The database-free part of loading ``result``; ``taken`` (the ID numbers already in the register)
    gains the numbers this county keeps, so the counties of one build can be prepared one after another."""
    P = result.persons
    seen_numbers: dict[str, int] = {}
    same_number: list[tuple[int, int]] = []
    mismatch: list[tuple[int, str]] = []
    ids, states = [], []
    for i, raw in enumerate(P["id_number"].tolist()):
        if not raw:
            ids.append(None)
            states.append("")
            continue
        info = idnumber.inspect(raw) if len(raw) != 18 or raw[-1] != idnumber.check_character(raw) else None
        number = info.number if info else raw
        state = info.state.value if info else "valid"
        if number in seen_numbers or number in taken:
            if number in seen_numbers:
                same_number.append((seen_numbers[number], i))
            number = None
        else:
            seen_numbers[number] = i
        if state == "check_digit_mismatch":
            mismatch.append((i, raw))
        ids.append(number)
        states.append(state)
    taken.update(seen_numbers)
    names = P["name"].tolist()
    keys = [search.name_fields(n) for n in names]
    pairs = None
    if find_duplicates:
        row = {}
        for i, k in enumerate(P["person_key"].tolist()):
            row.setdefault(k, i)
        code12 = {c: areacodes.full_code(c) for c in set(P["area_code"].tolist())}
        birth = _dates(P["birth_date"])
        sex = [int(x) for x in P["sex"].tolist()]
        cands = [duplicates.Candidate(i, names[i], dt.date.fromisoformat(birth[i]), sex[i], row.get(m), code12[a], ids[i])
                 for i, (m, a) in enumerate(zip(P["mother_key"].tolist(), P["area_code"].tolist(), strict=True))]
        pairs = [(a.pk, b.pk, s, r) for a, b, s, r in duplicates.find_pairs(cands)]
    return Prepared(ids, states, same_number, mismatch, keys, pairs)


# Rebuilding a table's indexes once costs less than inserting a quarter of its rows into them one by one
# (measured: 300 000 persons into 1.27 million, 21.4 s with the indexes kept, 19.8 s dropped and
# rebuilt; docs/benchmarks.md). The loader looks nothing up through them while it writes.
INDEX_REBUILD_FACTOR = 0.25


def _drop_indexes(models, rows_coming: int) -> list[str]:
    return pipeline.drop_indexes(models, rows_coming, Person.objects.count(), INDEX_REBUILD_FACTOR)


def pause_insert_log(tables: list[str]) -> list:
    """The columnar copy's insert triggers paused for this load (``renkou.indicators.columnar``), when
    that module is installed."""
    try:
        from renkou.indicators import columnar
    except ImportError:
        return []
    return columnar.pause_insert_log(tables)


def resume_insert_log(paused: list) -> None:
    if paused:
        from renkou.indicators import columnar

        columnar.resume_insert_log(paused)


def taken_numbers(among: list[str | None] | None = None) -> set[str]:
    """The ID numbers the register holds (only those of ``among`` when given)."""
    if not Person.objects.exists():
        return set()
    if among is None:
        return set(Person.objects.exclude(id_number=None).values_list("id_number", flat=True))
    wanted = [n for n in among if n]
    found: set[str] = set()
    for i in range(0, len(wanted), 900):
        found.update(Person.objects.filter(id_number__in=wanted[i:i + 900]).values_list("id_number", flat=True))
    return found


def _check_references(table: str, columns: list[str], rows: list[tuple], ranges: dict[str, tuple[int, int]],
                      areas: dict[str, set[str]] | None = None, required: tuple[str, ...] = ()) -> None:
    """The foreign keys of ``rows`` checked in memory before they are written: each column of
    ``ranges`` is empty (unless ``required``) or a key this load gives (first, end), each column of
    ``areas`` a division the database has. The loader writes with constraint checking off (like ``loaddata``); checking
    only its own rows here costs a fraction of a second, where SQLite's ``foreign_key_check`` walks
    the whole tables (12 s for the last of the demo's counties)."""
    for column, (lo, hi) in ranges.items():
        at = columns.index(column)
        keys = np.array([r[at] for r in rows], dtype=np.float64)  # an empty reference → NaN
        empty = np.isnan(keys)
        if column in required and empty.any():
            raise IntegrityError(f"{table}.{column} of row {rows[np.flatnonzero(empty)[0]][0]} is empty")
        bad = np.flatnonzero(~empty & ((keys < lo) | (keys >= hi)))
        if bad.size:
            raise IntegrityError(f"{table}.{column} of row {rows[bad[0]][0]} refers to {int(keys[bad[0]])}, "
                                 f"which this load does not write (keys {lo}–{hi - 1})")
    for column, known in (areas or {}).items():
        at = columns.index(column)
        used = {r[at] for r in rows}
        if column in required and None in used:
            raise IntegrityError(f"{table}.{column} is empty in a row")
        unknown = used - known - {None}
        if unknown:
            raise IntegrityError(f"{table}.{column} refers to divisions the register does not have: "
                                 f"{', '.join(sorted(unknown)[:5])}")


def _load(result, progress, find_duplicates: bool, counts: dict[str, int], prepared: Prepared | None = None,
          later_pairs: Callable[[], list] | None = None) -> dict[str, int]:
    with transaction.atomic():
        rebuild = _drop_indexes((Household, Person, Event, ServiceRecord), len(result.persons["person_key"]))
        paused = pause_insert_log([m._meta.db_table for m in (Person, Event, ServiceRecord)])
        counts["areas"] = ensure_areas(result.areas)
        H, P, E, S = result.households, result.persons, result.events, result.services
        nh, np_, ne, ns = (len(t[next(iter(t))]) if t else 0 for t in (H, P, E, S))
        total = nh + np_ + ne + ns
        code12 = {c: areacodes.full_code(c) for c in set(P["area_code"].tolist()) | set(H["area_code"].tolist())
                  | set(E["area_code"].tolist()) | (set(S["area_code"].tolist()) if ns else set())}

        # households
        h0 = _next_id(Household)
        hkeys = H["household_key"].tolist()
        hid = {k: h0 + i for i, k in enumerate(hkeys)}
        p0 = _next_id(Person)
        pkeys, counts["renamed_person_keys"] = unique_keys(P["person_key"].tolist())
        pid = {}
        for i, k in enumerate(P["person_key"].tolist()):
            pid.setdefault(k, p0 + i)  # a repeated key links to its first record
        pid[""] = None
        kinds = {"family": "family", "migrant": "migrant"}
        rows = list(zip(hid.values(), hkeys, [code12[c] for c in H["area_code"].tolist()],
                        [kinds.get(k, "family") for k in H["kind"].tolist()],
                        [pid.get(k) for k in H["head_key"].tolist()], [""] * nh, _dates(H["established_date"]),
                        _dates(H["dissolved_date"]), [bool(x) for x in H["herder"].tolist()], hkeys, strict=True))
        wanted = sorted(set(code12.values()))
        known_areas = {c for i in range(0, len(wanted), 900)
                       for c in Area.objects.filter(code__in=wanted[i:i + 900]).values_list("code", flat=True)}
        people, homes = (p0, p0 + np_), (h0, h0 + nh)
        columns = ["id", "number", "area_id", "registration_type", "head_id", "address", "established", "dissolved",
                   "herder", "source_key"]
        _check_references(Household._meta.db_table, columns, rows, {"head_id": people}, {"area_id": known_areas},
                          required=("area_id",))
        _insert(Household._meta.db_table, columns, rows, progress, 0, total)
        counts["households"] = nh

        # persons
        if prepared is None:
            prepared = prepare(result, taken_numbers(), find_duplicates=find_duplicates and later_pairs is None)
        else:  # prepared elsewhere: a number taken since (it cannot be here twice) is stored without it
            taken = taken_numbers(prepared.ids)
            if taken:
                prepared.ids = [None if n in taken else n for n in prepared.ids]
        ids, states, keys = prepared.ids, prepared.states, prepared.keys
        same_number = [(p0 + a, p0 + b) for a, b in prepared.same_number]
        mismatch = [(p0 + i, raw) for i, raw in prepared.mismatch]
        names = P["name"].tolist()
        status = [STATUS.get(s, ("living", "")) for s in P["status"].tolist()]
        registered = [r == "registered" for r in P["registration"].tolist()]
        area = [code12[c] for c in P["area_code"].tolist()]
        birth = _dates(P["birth_date"])
        exit_ = _dates(P["exit_date"])
        entry = _dates(P["entry_date"])
        sex = [int(x) for x in P["sex"].tolist()]
        home = P["home_county_code"].tolist()
        hh = [hid.get(k) for k in P["household_key"].tolist()]
        mother = [pid.get(k) for k in P["mother_key"].tolist()]
        father = [pid.get(k) for k in P["father_key"].tolist()]
        spouse = [pid.get(k) for k in P["spouse_key"].tolist()]
        herder = [bool(x) for x in P["herder"].tolist()]
        rows = [(p0 + i, ids[i], states[i], names[i], *keys[i], sex[i], birth[i],
                 eth or "01",
                 mar or "10", "", area[i] if registered[i] else None, "" if registered[i] else home[i], area[i], hh[i],
                 rel, mother[i], father[i], spouse[i], status[i][0], exit_[i] if status[i][0] == "dead" else None,
                 entry[i], exit_[i], herder[i], status[i][1] or ("" if registered[i] else "inflow"), "active", None,
                 pkeys[i])
                for i, (eth, mar, rel) in enumerate(zip(P["ethnicity"].tolist(), P["marital_status"].tolist(),
                                                        P["relation_to_head"].tolist(), strict=True))]
        columns = [
            "id", "id_number", "id_state", "name", "name_pinyin", "pinyin_key", "pinyin_alt", "pinyin_initials", "sex",
            "birth_date", "ethnicity", "marital_status",
            "education", "registered_area_id", "home_code", "resident_area_id", "household_id", "relation_to_head",
            "mother_id", "father_id", "spouse_id", "status", "death_date", "entry_date", "exit_date", "herder",
            "migrant_status", "record_state", "merged_into_id", "source_key"]
        _check_references(Person._meta.db_table, columns, rows,
                          {"household_id": homes, "mother_id": people, "father_id": people, "spouse_id": people,
                           "merged_into_id": people},
                          {"registered_area_id": known_areas, "resident_area_id": known_areas},
                          required=("resident_area_id",))
        _insert(Person._meta.db_table, columns, rows, progress, nh, total)
        counts["persons"] = np_

        # events
        e0 = _next_id(Event)
        ekeys, counts["renamed_event_keys"] = unique_keys(E["record_id"].tolist())
        now = timezone.now()
        ev_birth = _dates(E["event_date"])
        ev_reg = _dates(E["registration_date"])
        places = {"hospital": "hospital", "home": "home", "other": "other", "": ""}
        ek, es, ea = E["kind"].tolist(), E["registration_state"].tolist(), E["area_code"].tolist()
        ep, em, ef, esp = (E[c].tolist() for c in ("person_key", "mother_key", "father_key", "spouse_key"))
        efrom, eto, eplace = E["from_code"].tolist(), E["to_code"].tolist(), E["delivery_place"].tolist()
        eorder, eplural = E["birth_order"].tolist(), E["plurality"].tolist()
        rows = [(e0 + i, ek[i], ev_birth[i], ev_reg[i] or ev_birth[i], code12[ea[i]], pid[ep[i]], pid.get(em[i]),
                 pid.get(ef[i]), pid.get(esp[i]), efrom[i][:15], eto[i][:15], int(eorder[i]) or None,
                 int(eplural[i]) or None, places.get(eplace[i], ""), "",
                 es[i] if es[i] in ("declared", "verified") else "registered", False, False, False, "", "", now, 1,
                 True, ekeys[i]) for i in range(ne)]
        columns = [
            "id", "kind", "event_date", "registration_date", "area_id", "subject_id", "mother_id", "father_id",
            "spouse_id", "from_code", "to_code", "birth_order", "plurality", "delivery_place", "note", "state",
            "flag_duplicate", "flag_correction", "flag_rejected", "flag_reason", "warnings_reason", "declared_at",
            "version", "is_current", "source_key"]
        _check_references(Event._meta.db_table, columns, rows,
                          {"subject_id": people, "mother_id": people, "father_id": people, "spouse_id": people},
                          {"area_id": known_areas}, required=("subject_id", "area_id"))
        _insert(Event._meta.db_table, columns, rows, progress, nh + np_, total)
        counts["events"] = ne

        # services
        if ns:
            s0 = _next_id(ServiceRecord)
            sd, cd = _dates(S["service_date"]), _dates(S["consent_date"])
            sp, st, spr, sm, sa, sc, sk = (S[c].tolist() for c in ("person_key", "service", "provider", "method",
                                                                     "area_code", "consent", "record_id"))
            rows = [(s0 + i, pid[sp[i]], st[i], sd[i], spr[i], sm[i], code12[sa[i]], "", True, cd[i], sk[i])
                    for i in range(ns) if sc[i] in ("yes", "是")]
            columns = ["id", "person_id", "type", "date", "provider", "method", "area_id", "outcome",
                       "consent_noted", "consent_date", "source_key"]
            _check_references(ServiceRecord._meta.db_table, columns, rows, {"person_id": people},
                              {"area_id": known_areas}, required=("person_id", "area_id"))
            _insert(ServiceRecord._meta.db_table, columns, rows, progress, nh + np_ + ne, total)
            counts["services"] = len(rows)

        # flags: legacy check characters, records sharing a number, probable duplicates
        area_of = dict(zip(range(p0, p0 + np_), area, strict=True))
        findings = []
        for pk, raw in mismatch:
            f = checks.check_id_number(raw, confirmed=False, birth_date=None, sex=None)[0]
            findings.append(Finding.from_check(f, area_id=area_of[pk], person_id=pk))
        Finding.objects.bulk_create(findings, batch_size=BATCH)
        counts["flagged_check_digits"] = len(findings)
        pairs = [(a, b, 1.0, ["same_id_number"]) for a, b in same_number]
        if find_duplicates and later_pairs is not None:
            prepared.pairs = later_pairs()
        if find_duplicates and prepared.pairs is not None:
            pairs += [(p0 + a, p0 + b, s, r) for a, b, s, r in prepared.pairs]
        seen: set[tuple[int, int]] = set()
        queue = []
        for a, b, score, reasons in pairs:
            key = (min(a, b), max(a, b))
            if key not in seen:
                seen.add(key)
                queue.append(DuplicateCandidate(person_a_id=key[0], person_b_id=key[1], area_id=area_of[key[1]],
                                                score=score, reasons=reasons))
        DuplicateCandidate.objects.bulk_create(queue, batch_size=BATCH)
        counts["duplicate_pairs"] = len(queue)
        resume_insert_log(paused)
        with connection.cursor() as cur:
            for sql in rebuild:
                cur.execute(sql)
            # Fresh planner statistics: without them PostgreSQL plans the indicators' population query
            # (joins of persons with events and services) as nested loops over what it thinks are empty
            # tables, and a county of 20,000 people takes minutes instead of a second.
            for m in (Household, Person, Event, ServiceRecord):
                cur.execute(f"ANALYZE {connection.ops.quote_name(m._meta.db_table)}")
        sync_sequences((Household, Person, Event, ServiceRecord))
        # the references were checked in memory before each table was written (_check_references);
        # on PostgreSQL the deferred constraints are checked here again, by the database
        if connection.vendor != "sqlite":
            connection.check_constraints(table_names=[m._meta.db_table for m in (Household, Person, Event,
                                                                                  ServiceRecord)])
        audit.record("import", object_type="registry.synthetic", object_repr=f"synthetic county {result.county_code}",
                     area_code=areacodes.full_code(result.county_code), detail=counts)
    return counts
