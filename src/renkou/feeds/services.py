"""Department feeds: sources and mappings, receiving files, linkage, the reconciliation queue and
completeness. Pages, API, command line and tests call these functions alike.

Linkage (:func:`link_source`) of a source's records not yet linked, in this order:

1. the same valid ID number (18 digits, or 15 converted) as a register person: linked;
2. a birth whose mother's ID number is a register person with exactly one child born within a
   month of the record's birth date: linked (the mother's ID number and the birth date);
3. the others through Splink (:mod:`renkou.feeds.linkage`) against the register's persons of the
   county: at or above the source's ``auto_weight`` (and clearly ahead of the next candidate)
   linked automatically; at or above ``review_weight`` to the reconciliation queue with the
   candidates; below, not in the register.

A linked record is matched to the register's event of its kind (the person's birth, death,
marriage …); a death, move or marriage whose person is linked but whose event the register lacks
goes to the queue too. Nothing in the register changes by linkage: only a decision on the queue
(:func:`decide`) declares a missing event, through the register's own service, so it goes the
normal way declared → verified → registered. Every run and every decision is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from renkou.core import audit, idnumber
from renkou.core.models import Area
from renkou.core.roles import FEED_MANAGE, FEED_SUBMIT, PERSON_CAPTURE
from renkou.core.scoping import CAPTURE, area_prefixes, code_in_scope, has_perm, require, scoped
from renkou.registry.models import Event, Person

from . import linkage
from . import mapping as mp
from .importer import ImportFailed, import_feed
from .models import Candidate, Department, FeedFile, FeedRecord, LinkRun, Mapping, Source

SHIPPED = Path(__file__).parent / "data" / "mappings"
EVENT_KINDS = {"birth": Event.Kind.BIRTH, "death": Event.Kind.DEATH, "move_in": Event.Kind.MOVE_IN,
               "move_out": Event.Kind.MOVE_OUT, "marriage": Event.Kind.MARRIAGE, "divorce": Event.Kind.DIVORCE}
NEEDS_EVENT = ("death", "move_out", "marriage", "divorce")  # a linked person alone does not confirm these
CLEAR_LEAD = 3.0  # an automatic link needs the best candidate this much (match weight) ahead of the next
KEEP_CANDIDATES = 3
EVENT_WINDOW_DAYS = 60


# ------------------------------------------------------------------------------------ sources
def _county(code: str) -> Area:
    return Area.objects.get(code=code[:6].ljust(12, "0"))


def can_manage(user, source_or_county) -> bool:
    county = source_or_county.county_id if isinstance(source_or_county, Source) else source_or_county
    return has_perm(user, FEED_MANAGE) and code_in_scope(user, county, CAPTURE) if user is not None else True


def ensure_manage(user, source_or_county) -> None:
    if user is None:
        return
    require(user, FEED_MANAGE)
    if not can_manage(user, source_or_county):
        raise PermissionDenied("该来源不属于您的县 / this source is not of your county")


def visible_sources(user):
    """The sources of the counties the user manages (every source for the system)."""
    qs = Source.objects.select_related("county")
    if user is None:
        return qs
    if not (has_perm(user, FEED_MANAGE) or has_perm(user, FEED_SUBMIT)):
        return qs.none()
    prefixes = area_prefixes(user, CAPTURE)
    if prefixes is None:
        return qs
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(county__pk__startswith=p[:6])
    return qs.filter(q)


def shipped_mappings() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SHIPPED.glob("*.json"))]


def install_shipped_sources(county_code: str, *, user=None) -> list[Source]:
    """The example sources (公安 hukou, 民政 marriages, 卫生 birth notices) for a county, each with its
    mapping as version 1; an existing source is left as it is."""
    county = _county(county_code)
    ensure_manage(user, county.code)
    out = []
    for d in shipped_mappings():
        source, created = Source.objects.get_or_create(
            county=county, code=d["code"],
            defaults={"name_zh": d["name_zh"], "name_en": d["name_en"], "department": d["department"]})
        if created:
            save_mapping(user=user, source=source, spec=d["mapping"], note="随附示例 / shipped example")
        out.append(source)
    return out


def create_source(*, user, county_code: str, code: str, name_zh: str, name_en: str, department: str,
                  spec: dict | str) -> Source:
    """A new source with its first mapping: no code, only data."""
    county = _county(county_code)
    ensure_manage(user, county.code)
    if department not in Department.values:
        raise ValidationError({"department": f"未知的部门 {department} / unknown department"})
    mp.parse(spec)
    with transaction.atomic():
        source = Source.objects.create(county=county, code=code, name_zh=name_zh, name_en=name_en,
                                       department=department)
        save_mapping(user=user, source=source, spec=spec, note="新建 / created")
    return source


def save_mapping(*, user, source: Source, spec: dict | str, note: str = "") -> Mapping:
    """A new version of the source's mapping (unchanged content: the current version, nothing written).
    Raises :class:`renkou.feeds.mapping.MappingInvalid` naming every problem."""
    ensure_manage(user, source)
    if isinstance(spec, str):
        mp.parse(spec)
        spec = json.loads(spec)
    mp.parse(spec)
    current = source.mapping()
    if current is not None and current.spec == spec:
        return current
    return Mapping.objects.create(source=source, version=(current.version + 1) if current else 1, spec=spec,
                                  note=note[:200], created_by=user if getattr(user, "is_authenticated", False) else None)


def set_thresholds(*, user, source: Source, auto_weight: float, review_weight: float) -> Source:
    """The source's thresholds of match weight (audited by the model's signals)."""
    ensure_manage(user, source)
    if not review_weight < auto_weight:
        raise ValidationError({"auto_weight": "自动比对下限应高于进入核对队列的下限 / the automatic threshold must be "
                                              "above the queue's"})
    source.auto_weight, source.review_weight = float(auto_weight), float(review_weight)
    source.save(update_fields=["auto_weight", "review_weight"])
    return source


# ------------------------------------------------------------------------------------ receiving
@dataclass
class Received:
    source: Source
    name: str
    result: object = None  # the pipeline's ImportResult (None when the content was received before)
    file: FeedFile | None = None
    repeated: bool = False

    @property
    def ok(self) -> bool:
        return self.repeated or (self.result is not None and self.result.ok)

    def summary(self) -> str:
        if self.repeated:
            return (f"{self.name}: 来源 {self.source.code} 已收到过同一内容的文件({self.file.name})，未作任何改变 / "
                    f"the source sent this very content before ({self.file.name}); nothing changed")
        return self.result.summary()


def receive(*, user, source: Source, path, via: str = FeedFile.Via.CLI, name: str = "",
            dry_run: bool = False, today: dt.date | None = None) -> Received:
    """Read a department's file with the source's current mapping (all-or-nothing, idempotent)."""
    if user is not None and not has_perm(user, FEED_MANAGE):
        require(user, FEED_SUBMIT)
    if user is not None and not code_in_scope(user, source.county_id, CAPTURE):
        raise PermissionDenied("该来源不属于您的县 / this source is not of your county")
    result, file, repeated = import_feed(source, path, user=user, via=via, dry_run=dry_run, name=name, today=today)
    return Received(source, name or Path(path).name, result, file, repeated)


def watch_folder(directory, *, user=None, county_code: str = "", link: bool = True) -> list[Received]:
    """Every file of ``directory/<source code>/`` read by its source (of ``county_code``, or of every
    county the folder's sources are in); files received before change nothing. A file that fails is
    reported and left where it is; each good file is linked at once when ``link``."""
    out = []
    directory = Path(directory)
    sources = visible_sources(user)
    if county_code:
        sources = sources.filter(county__pk__startswith=county_code[:6])
    registers: dict = {}  # county → its register (and "county#u" → its u model), made once for all its sources
    for sub in sorted(p for p in directory.iterdir() if p.is_dir()):
        for source in sources.filter(code=sub.name):
            for path in sorted(p for p in sub.iterdir() if p.is_file() and not p.name.startswith(".")):
                try:
                    got = receive(user=user, source=source, path=path, via=FeedFile.Via.FOLDER)
                except ImportFailed as exc:
                    got = Received(source, path.name, _failed(path, exc))
                out.append(got)
            if link and any(r.file is not None and not r.repeated for r in out if r.source == source):
                link_source(user=user, source=source, registers=registers)
    return out


class _failed:
    """The outcome of a file refused as a whole (encoding, format, missing columns)."""

    ok = False
    rows: list = []

    def __init__(self, path, exc):
        self.path, self.exc = path, exc

    def summary(self) -> str:
        return f"{self.path.name}: {self.exc}"


# ------------------------------------------------------------------------------------ linkage
def _register_persons(user, county: str):
    from renkou.registry.services import in_area

    qs = Person.objects.all() if user is None else scoped(user, Person)
    return qs.filter(in_area(county[:6])).exclude(record_state=Person.Record.MERGED)


def _register_table(user, county: str):
    """The register's persons of the county (as the user may see them) as the linkage's Arrow table,
    read with one query straight into columns (``linkage.register_table``). The parents' name keys
    are looked up among the persons read (a parent of the county, nearly always) and the rest by id,
    rather than by two joins of every row."""
    qs = _register_persons(user, county).values_list(
        "pk", "name", "pinyin_key", "pinyin_alt", "pinyin_initials", "sex", "birth_date", "resident_area_id",
        "registered_area_id", "mother_id", "father_id").order_by("pk")
    if qs.query.is_empty():
        return linkage.register_table([()] * len(linkage.REGISTER_COLUMNS))
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(linkage.REGISTER_COLUMNS)
    keys = dict(zip(columns[0], columns[2], strict=True))
    elsewhere = sorted({p for side in (columns[9], columns[10]) for p in side if p is not None and p not in keys})
    for i in range(0, len(elsewhere), 900):
        keys.update(Person.objects.filter(pk__in=elsewhere[i:i + 900]).values_list("pk", "pinyin_key"))
    columns[9] = [None if p is None else keys.get(p) for p in columns[9]]
    columns[10] = [None if p is None else keys.get(p) for p in columns[10]]
    return linkage.register_table(columns)


def _record_party(r: FeedRecord) -> linkage.Party:
    return linkage.party(r.pk, r.name, r.sex, r.birth_date, r.area_id, r.mother_name, r.father_name)


def _event_matches(record: FeedRecord, e) -> bool:
    return record.kind == "birth" or abs((e.event_date - record.event_date).days) <= EVENT_WINDOW_DAYS


def _nearest(record: FeedRecord, events) -> Event | None:
    found = sorted((e for e in events if _event_matches(record, e)),
                   key=lambda e: (abs((e.event_date - record.event_date).days), e.pk))
    return found[0] if found else None


def find_event(record: FeedRecord, person_id: int) -> Event | None:
    """The register's current event of the record's kind for the person, nearest to the record's date
    (a birth: the person's birth whatever its date; others within :data:`EVENT_WINDOW_DAYS`)."""
    kind = EVENT_KINDS.get(record.kind)
    if kind is None:
        return None
    party = Q(subject_id=person_id) | (Q(spouse_id=person_id) if kind in ("marriage", "divorce") else Q(pk__in=[]))
    return _nearest(record, Event.objects.filter(party, kind=kind, is_current=True, flag_rejected=False))


def _events_of(pairs: list[tuple[FeedRecord, int]]) -> dict[tuple[int, str], list]:
    """(person, kind) → the register's current events, for every (record, person) linked in a run,
    read a few queries at a time rather than one per record."""
    out: dict[tuple[int, str], list] = {}
    persons = sorted({p for _r, p in pairs})
    kinds = sorted({EVENT_KINDS[r.kind] for r, _p in pairs if r.kind in EVENT_KINDS})
    if not kinds:
        return out
    base = Event.objects.filter(kind__in=kinds, is_current=True, flag_rejected=False).only(
        "pk", "kind", "event_date", "subject_id", "spouse_id")
    for i in range(0, len(persons), 900):
        part = persons[i:i + 900]
        for e in base.filter(Q(subject_id__in=part) | Q(spouse_id__in=part, kind__in=["marriage", "divorce"])):
            out.setdefault((e.subject_id, e.kind), []).append(e)
            if e.spouse_id and e.kind in ("marriage", "divorce"):
                out.setdefault((e.spouse_id, e.kind), []).append(e)
    return out


def _pending(source: Source, period: str):
    qs = FeedRecord.objects.filter(source=source, status__in=[FeedRecord.Status.RECEIVED, FeedRecord.Status.NOT_FOUND])
    return qs.filter(month__startswith=period) if period else qs


def link_source(*, user, source: Source, period: str = "", em: bool | None = None,
                registers: dict | None = None) -> dict:
    """Link the source's records not yet linked (of ``period``: ``2005`` or ``2005-03``). Reads
    everything first (Splink runs outside the transaction) and writes every outcome in one
    transaction: an interrupted run leaves the database as it was and can simply run again.
    ``registers`` keeps the register's table of each county read by an earlier call of the same
    run (linking writes links and queue entries, never persons, so they stay what the register holds),
    and the u probabilities trained on it (``"county#u"``: they depend on the register only)."""
    ensure_manage(user, source)
    records = list(_pending(source, period).order_by("pk"))
    counts = {"records": len(records), "id_number": 0, "mother_id": 0, "splink": 0, "queued": 0, "not_found": 0}
    if not records:
        return counts
    persons_by_id = {}
    ids = sorted({r.id_number for r in records if r.id_state in ("valid", "converted")})
    base = _register_persons(user, source.county_id)
    for i in range(0, len(ids), 900):
        persons_by_id.update(dict(base.filter(id_number__in=ids[i:i + 900]).values_list("id_number", "pk")))
    mothers = {}
    mids = sorted({r.mother_id for r in records if r.kind == "birth" and r.mother_id})
    for i in range(0, len(mids), 900):
        mothers.update(dict(base.filter(id_number__in=mids[i:i + 900]).values_list("id_number", "pk")))
    children: dict[int, list[tuple[int, dt.date]]] = {}
    if mothers:
        for pk, mother, born in base.filter(mother_id__in=list(mothers.values())).values_list(
                "pk", "mother_id", "birth_date"):
            children.setdefault(mother, []).append((pk, born))
    outcome: dict[int, tuple[str, str, int | None, float | None]] = {}  # record → (status, rule, person, weight)
    rest = []
    for r in records:
        if r.id_number and r.id_number in persons_by_id:
            outcome[r.pk] = (FeedRecord.Status.AUTO_LINKED, FeedRecord.Rule.ID_NUMBER, persons_by_id[r.id_number], None)
            counts["id_number"] += 1
            continue
        if r.kind == "birth" and r.mother_id in mothers and r.birth_date:
            near = [pk for pk, born in children.get(mothers[r.mother_id], ())
                    if abs((born - r.birth_date).days) <= 31]
            if len(near) == 1:
                outcome[r.pk] = (FeedRecord.Status.AUTO_LINKED, FeedRecord.Rule.MOTHER_ID, near[0], None)
                counts["mother_id"] += 1
                continue
        rest.append(r)
    result = linkage.Result()
    if rest:
        if registers is None:
            register = _register_table(user, source.county_id)
        else:  # the register as Arrow, read once for the folder run
            if source.county_id not in registers:
                registers[source.county_id] = _register_table(user, source.county_id)
            register = registers[source.county_id]
        u_key = f"{source.county_id}#u"  # the register's u model, trained once for the folder run
        result = linkage.link([_record_party(r) for r in rest], register, em=em,
                              floor_weight=min(source.review_weight, source.auto_weight) - 10,
                              u_model=registers.get(u_key) if registers is not None else None,
                              register_table=register)
        if registers is not None and result.u_model is not None:
            registers[u_key] = result.u_model
    by_record = linkage.best(result.pairs)
    kept: dict[int, list[linkage.Pair]] = {}
    for r in rest:
        cands = by_record.get(r.pk, [])
        top = cands[0] if cands else None
        second = cands[1].match_weight if len(cands) > 1 else None
        if top and top.match_weight >= source.auto_weight and (second is None or top.match_weight - second >= CLEAR_LEAD):
            outcome[r.pk] = (FeedRecord.Status.AUTO_LINKED, FeedRecord.Rule.SPLINK, top.person, top.match_weight)
            counts["splink"] += 1
            kept[r.pk] = cands[:1]
        elif top and top.match_weight >= source.review_weight:
            outcome[r.pk] = (FeedRecord.Status.QUEUED, "", None, top.match_weight)
            kept[r.pk] = [c for c in cands if c.match_weight >= source.review_weight][:KEEP_CANDIDATES]
        else:
            outcome[r.pk] = (FeedRecord.Status.NOT_FOUND, "", None, top.match_weight if top else None)
            kept[r.pk] = cands[:1]
    with transaction.atomic():
        run = LinkRun.objects.create(source=source, records=len(records), model=result.model, em=result.em)
        Candidate.objects.filter(record_id__in=[r.pk for r in records]).delete()
        Candidate.objects.bulk_create([Candidate(record_id=rec, person_id=p.person, match_weight=p.match_weight,
                                                 match_probability=p.match_probability, levels=p.levels,
                                                 weights=p.weights)
                                       for rec, ps in kept.items() for p in ps], batch_size=2000)
        changed = []
        events = _events_of([(r, outcome[r.pk][2]) for r in records if outcome[r.pk][2] is not None])
        for r in records:
            status, rule, person, weight = outcome[r.pk]
            r.status, r.rule, r.person_id, r.match_weight, r.link_run = status, rule, person, weight, run
            r.event, r.reason = None, ""
            if person is not None:
                event = _nearest(r, events.get((person, EVENT_KINDS.get(r.kind, "")), ()))
                r.event = event
                if event is None and r.kind in NEEDS_EVENT:
                    r.status = FeedRecord.Status.QUEUED
                    r.reason = "登记库中无此人的该事件 / the register has no such event of the person"
                    if not kept.get(r.pk) or kept[r.pk][0].person != person:
                        Candidate.objects.update_or_create(
                            record=r, person_id=person,
                            defaults={"match_weight": weight if weight is not None else 99.0,
                                      "match_probability": 1.0, "levels": {}, "weights": {}})
            changed.append(r)
        _write_outcomes(changed)
        for r in changed:
            if r.status == FeedRecord.Status.QUEUED:
                counts["queued"] += 1
            elif r.status == FeedRecord.Status.NOT_FOUND:
                counts["not_found"] += 1
        counts["splink"] = sum(1 for r in changed if r.status == FeedRecord.Status.AUTO_LINKED and r.rule == "splink")
        run.counts = counts
        run.save(update_fields=["counts"])
        FeedFile.objects.filter(pk__in={r.file_id for r in records}).update(linked_at=timezone.now())
        audit.record("link", source, user=user, detail={"run": run.pk, "period": period, **counts,
                                                         "auto_weight": source.auto_weight,
                                                         "review_weight": source.review_weight})
    _mark_dirty(source, records)
    return counts


def _write_outcomes(records: list[FeedRecord]) -> None:
    """One UPDATE by primary key per record, sent with ``executemany`` (Django's ``bulk_update`` builds a
    CASE per field and row: minutes for ten thousand records)."""
    from django.db import connection

    t = connection.ops.quote_name(FeedRecord._meta.db_table)
    sql = (f"UPDATE {t} SET status = %s, rule = %s, person_id = %s, match_weight = %s, link_run_id = %s, "
           "event_id = %s, reason = %s WHERE id = %s")
    rows = [(r.status, r.rule, r.person_id, r.match_weight, r.link_run_id, r.event_id, r.reason, r.pk) for r in records]
    with connection.cursor() as cur:
        for i in range(0, len(rows), 5000):
            cur.executemany(sql, rows[i:i + 5000])


def _mark_dirty(source: Source, records) -> None:
    """The linkage changed the feeds' operands of the records' areas from their earliest event date."""
    from renkou.indicators.services import mark_dirty

    mark_dirty({r.area_id for r in records}, [min(r.event_date for r in records)] if records else [])


# ------------------------------------------------------------------------------------ queue
def queue(user, *, status: str = FeedRecord.Status.QUEUED, source: Source | None = None):
    """The records waiting for a decision (or of another status) that the user may read."""
    qs = scoped(user, FeedRecord).filter(status=status).select_related("source", "area")
    return qs.filter(source=source) if source is not None else qs


def record_for(user, pk: int, action: str = "view") -> FeedRecord:
    try:
        return scoped(user, FeedRecord, action).select_related("source", "area", "person", "event").get(pk=pk)
    except FeedRecord.DoesNotExist as exc:
        raise PermissionDenied("该记录不在您的范围内 / this record is outside your areas") from exc


def comparison(record: FeedRecord, user) -> list[dict]:
    """The record's candidates that the user may read, each with the fields side by side: the
    register's value, the source's value, the level and partial weight of the comparison."""
    visible = set(scoped(user, Person).filter(pk__in=[c.person_id for c in record.candidates.all()])
                  .values_list("pk", flat=True))
    out = []
    for c in record.candidates.select_related("person__mother", "person__father", "person__registered_area",
                                              "person__resident_area"):
        if c.person_id not in visible:
            continue
        p = c.person
        rows = []
        values = {"name": (record.name, p.name), "sex": (record.get_sex_display(), p.get_sex_display()),
                  "birth_date": (record.birth_date, p.birth_date),
                  "area": (record.area.name, (p.registered_area or p.resident_area).name),
                  "mother": (record.mother_name, p.mother.name if p.mother else ""),
                  "father": (record.father_name, p.father.name if p.father else "")}
        for f, (src, reg) in values.items():
            level = c.levels.get(f)
            rows.append({"field": f, "label": linkage.FIELD_LABELS[f], "source": src, "register": reg,
                         "level": level, "level_zh": linkage.level_label(f, level, "zh") if level is not None else "",
                         "level_en": linkage.level_label(f, level, "en") if level is not None else "",
                         "agrees": linkage.agrees(f, level) if level is not None else (
                             None if not src or not reg else str(src) == str(reg)),
                         "weight": c.weights.get(f)})
        out.append({"candidate": c, "person": p, "rows": rows})
    return out


DECISIONS = ("link", "missing", "reject")


def _person_by_id(user, number: str) -> Person | None:
    if not number:
        return None
    return scoped(user, Person).filter(id_number=number).first()


@transaction.atomic
def decide(*, user, record: FeedRecord, decision: str, person: Person | None = None, reason: str = "",
           name: str = "") -> FeedRecord:
    """An officer's decision on a record of the queue (or one not found in the register):

    - ``link``: the record is ``person`` of the register (one of its candidates, or another person
      of the user's areas);
    - ``missing``: the register is missing the event: it is declared through the register's own
      service (a birth with its child, a death or move of ``person``, a move in of a newcomer, a
      marriage), and goes declared → verified → registered like every other declaration;
    - ``reject``: the source is wrong (``reason`` required).
    """
    from renkou.registry import services as registry

    require(user, PERSON_CAPTURE)
    record = FeedRecord.objects.select_for_update().get(pk=record_for(user, record.pk, CAPTURE).pk)
    if record.status not in (FeedRecord.Status.QUEUED, FeedRecord.Status.NOT_FOUND):
        raise ValidationError({"decision": "该记录已有决定 / this record was decided already"})
    if decision not in DECISIONS:
        raise ValidationError({"decision": f"未知的决定 {decision} / unknown decision"})
    if person is not None:
        registry.ensure_person_in_scope(user, person)
    before = {"status": record.status, "person": record.person_id, "event": record.event_id}
    if decision == "link":
        if person is None:
            raise ValidationError({"person": "请选择登记库中的人员 / choose the person of the register"})
        record.status, record.rule, record.person = FeedRecord.Status.LINKED, FeedRecord.Rule.DECISION, person
        record.event = find_event(record, person.pk)
    elif decision == "reject":
        if not reason.strip():
            raise ValidationError({"reason": "请说明来源错误的理由 / give the reason why the source is wrong"})
        record.status = FeedRecord.Status.REJECTED
    else:
        event = _declare(user, record, person, name)
        record.status, record.rule, record.event, record.person = (FeedRecord.Status.DECLARED,
                                                                   FeedRecord.Rule.DECISION, event, event.subject)
    record.reason = reason.strip()[:300]
    record.decided_by = user if getattr(user, "is_authenticated", False) else None
    record.decided_at = timezone.now()
    record.save()
    audit.record("decide", record, user=user, before=before,
                 after={"status": record.status, "person": record.person_id, "event": record.event_id},
                 detail={"decision": decision, "reason": record.reason, "source": record.source.code,
                         "record_key": record.record_key, "match_weight": record.match_weight})
    _mark_dirty(record.source, [record])
    return record


def _declare(user, record: FeedRecord, person: Person | None, name: str) -> Event:
    from renkou.registry import services as registry

    kind = EVENT_KINDS.get(record.kind)
    if kind is None:
        raise ValidationError({"decision": "这类记录不对应登记事件 / this kind of record is no register event"})
    note = f"部门信息 {record.source.code} {record.record_key}"[:200]
    common = {"kind": kind, "event_date": record.event_date, "area": record.area, "note": note}
    if kind == Event.Kind.BIRTH:
        mother = _person_by_id(user, record.mother_id) or (person if person and person.sex == 2 else None)
        father = _person_by_id(user, record.father_id)
        child_name = (name or record.name).strip()
        if not child_name:
            raise ValidationError({"name": "出生记录没有新生儿姓名，请填写 / the birth record has no name; give it"})
        child = {"name": child_name, "sex": record.sex or 0}
        return registry.declare_event(user=user, child=child, mother=mother, father=father, **common)
    if kind == Event.Kind.MOVE_IN and person is None:
        if not record.birth_date or not (name or record.name):
            raise ValidationError({"decision": "迁入人员缺姓名或出生日期 / the newcomer lacks a name or birth date"})
        newcomer = {"name": name or record.name, "sex": record.sex or 0, "birth_date": record.birth_date,
                    "id_number": record.id_number if record.id_state in ("valid", "converted") else None}
        return registry.declare_event(user=user, newcomer=newcomer, **common)
    if person is None:
        raise ValidationError({"person": "请选择事件涉及的登记人员 / choose the person of the event"})
    extra = {}
    if kind in (Event.Kind.MARRIAGE, Event.Kind.DIVORCE):
        spouse = _person_by_id(user, record.spouse_id)
        if spouse is not None:
            extra["spouse"] = spouse
    return registry.declare_event(user=user, subject=person, **common, **extra)


# ------------------------------------------------------------------------------------ completeness
FIGURES = ("received", "auto_linked", "linked_by_decision", "queued", "not_found", "declared", "missing",
           "rejected", "register_events", "confirmed_events", "unconfirmed_events", "unconfirmed_any")


def _month_range(period: str) -> tuple[dt.date, dt.date]:
    if len(period) == 4:
        return dt.date(int(period), 1, 1), dt.date(int(period), 12, 31)
    y, m = int(period[:4]), int(period[5:7] if "-" in period else period[4:6])
    end = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(y, m, 1), end


def completeness(prefix: str, start: dt.date, end: dt.date, *, sources=None) -> list[dict]:
    """Per source and month of [start, end], within the area code prefix: records received, linked
    automatically, linked by decision, in the queue, not found, declared (missing from the register),
    rejected; the register's events of the source's kinds in the same area and months, how many a
    record of this source confirms and how many none does."""
    if len(prefix) >= 12:
        from renkou.core.scoping import level_prefix

        prefix = level_prefix(prefix)
    sources = list(sources if sources is not None else Source.objects.filter(county__pk__startswith=prefix[:6]))
    months = []
    d = dt.date(start.year, start.month, 1)
    while d <= end:
        months.append(f"{d:%Y-%m}")
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    out = []
    for s in sources:
        recs = FeedRecord.objects.filter(source=s, area__pk__startswith=prefix, event_date__gte=start,
                                         event_date__lte=end)
        by = {(m, st): n for m, st, n in recs.values_list("month", "status").annotate(n=Count("pk"))}
        kinds = sorted({k for k in recs.values_list("kind", flat=True).distinct()} or
                       set(_source_kinds(s)))
        ev_kinds = [EVENT_KINDS[k] for k in kinds if k in EVENT_KINDS]
        events = Event.objects.filter(kind__in=ev_kinds, is_current=True, flag_rejected=False,
                                      area__pk__startswith=prefix, event_date__gte=start, event_date__lte=end)
        confirmed_ids = set(FeedRecord.objects.filter(source=s, event__isnull=False).values_list("event_id", flat=True))
        confirmed_any = set(FeedRecord.objects.filter(event__isnull=False, event__kind__in=ev_kinds,
                                                      event__area__pk__startswith=prefix)
                            .values_list("event_id", flat=True))
        ev_by_month: dict[str, list[int]] = {}
        for pk, day in events.values_list("pk", "event_date"):
            ev_by_month.setdefault(f"{day:%Y-%m}", []).append(pk)
        for m in months:
            st = FeedRecord.Status
            row = {"source": s.code, "source_zh": s.name_zh, "source_en": s.name_en, "department": s.department,
                   "area": prefix, "month": m,
                   "received": sum(n for (mm, _s), n in by.items() if mm == m),
                   "auto_linked": by.get((m, st.AUTO_LINKED), 0), "linked_by_decision": by.get((m, st.LINKED), 0),
                   "queued": by.get((m, st.QUEUED), 0), "not_found": by.get((m, st.NOT_FOUND), 0),
                   "declared": by.get((m, st.DECLARED), 0), "rejected": by.get((m, st.REJECTED), 0),
                   "unlinked": by.get((m, st.RECEIVED), 0)}
            row["missing"] = row["not_found"] + row["declared"]
            evs = ev_by_month.get(m, [])
            row["register_events"] = len(evs)
            row["confirmed_events"] = sum(1 for e in evs if e in confirmed_ids)
            row["unconfirmed_events"] = row["register_events"] - row["confirmed_events"]
            row["unconfirmed_any"] = sum(1 for e in evs if e not in confirmed_any)
            out.append(row)
    return out


def _source_kinds(source: Source) -> list[str]:
    m = source.mapping()
    if m is None:
        return []
    spec = mp.parse(m.spec)
    return [spec.kind] if spec.kind else sorted(set(spec.kind_codes.values()))


def completeness_for(user, area_code: str, period: str, *, source_code: str = "") -> list[dict]:
    """:func:`completeness` for an area the user may see (aggregate figures, no person)."""
    from renkou.core.roles import AGGREGATE_VIEW
    from renkou.core.scoping import assigned_prefixes

    code = area_code.ljust(12, "0") if area_code.isdigit() and len(area_code) < 12 else area_code
    if user is not None:
        if not (has_perm(user, AGGREGATE_VIEW) or has_perm(user, FEED_MANAGE)):
            raise PermissionDenied("无权查看 / not permitted (aggregate.view)")
        prefixes = assigned_prefixes(user)
        if prefixes is not None and not any(code.startswith(p) for p in prefixes):
            raise PermissionDenied(f"区划 {code} 不在您的范围内 / area {code} is outside your areas")
    start, end = _month_range(period)
    sources = Source.objects.filter(county__pk__startswith=code[:6])
    if source_code:
        sources = sources.filter(code=source_code)
    from renkou.core.scoping import level_prefix

    return completeness(level_prefix(code), start, end, sources=sources)


def totals(rows: list[dict]) -> dict[str, dict]:
    """The rows of :func:`completeness` summed per source over the months."""
    out: dict[str, dict] = {}
    for r in rows:
        t = out.setdefault(r["source"], {k: r[k] for k in ("source", "source_zh", "source_en", "department")})
        for k in (*FIGURES, "unlinked"):
            t[k] = t.get(k, 0) + r[k]
    return out


def check_id(number: str) -> tuple[str, str]:
    info = idnumber.inspect(number)
    return info.number, str(info.state)


def verification_comparison(area_code: str, *, user=None) -> dict | None:
    """The births missing from the register as the hospitals' notices show them, beside the
    under-reporting rate (漏报率) that the latest door-to-door verification sample of an assessment of
    this area estimates, over the same months: the part of the sample's period the notices cover.

    ``feeds_rate`` = notices of births in no register (not found, or declared from the queue) ÷ (the
    register's births + those), the same ratio as the sample's missed ÷ true births; ``consistent``
    when it lies within the sample's 95 % interval. Aggregate figures only (no person). ``None``
    when no sample of a scheme over this area has visited households, or no notice covers its months.
    """
    from renkou.core.periods import Period
    from renkou.core.scoping import level_prefix
    from renkou.evaluation import services as evaluation
    from renkou.evaluation.models import VerificationSample

    code = area_code.ljust(12, "0") if area_code.isdigit() and len(area_code) < 12 else area_code
    if user is not None:
        completeness_for(user, code, "2000")  # the same permission and area checks, nothing counted
    prefix = level_prefix(code)
    sample = (VerificationSample.objects.filter(scheme__parent__pk__startswith=prefix, households__visited=True)
              .select_related("scheme").order_by("-created_at", "-id").first())
    if sample is None:
        return None
    period = Period.parse(sample.period_code)
    notices = FeedRecord.objects.filter(source__county__pk__startswith=prefix[:6], kind="birth",
                                        area__pk__startswith=prefix)
    months = sorted(set(notices.values_list("month", flat=True)))
    start = max(period.start, dt.date.fromisoformat(months[0] + "-01")) if months else None
    end = min(period.end, _month_range(months[-1])[1]) if months else None
    if start is None or start > end:
        return None
    st = FeedRecord.Status
    missing = notices.filter(event_date__gte=start, event_date__lte=end,
                             status__in=(st.NOT_FOUND, st.DECLARED)).count()
    registered = Event.objects.filter(kind=Event.Kind.BIRTH, is_current=True, flag_rejected=False,
                                      area__pk__startswith=prefix, event_date__gte=start,
                                      event_date__lte=end).exclude(
        pk__in=notices.filter(status=st.DECLARED, event__isnull=False).values("event_id")).count()
    pooled = evaluation.pooled_estimate(sample)
    v = pooled.under_reporting
    if v is None or v.rate is None:
        return None
    births = registered + missing
    rate = missing / births if births else 0.0
    return {"sample": sample, "scheme": sample.scheme, "period": sample.period_code, "start": start, "end": end,
            "feeds_missing": missing, "feeds_births": births, "feeds_rate": rate, "verification": v,
            "visited": pooled.visited, "missed_in_sample": pooled.missed_births,
            "consistent": (v.lower or 0.0) - 1e-12 <= rate <= (v.upper if v.upper is not None else 1.0) + 1e-12}
