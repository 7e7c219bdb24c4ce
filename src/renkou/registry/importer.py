"""Import of persons, households, events and services from CSV (UTF-8, UTF-16, GBK/GB18030) and XLSX.

Each kind is a spec and its rules over the one file pipeline (``renkou.core.pipeline``: read → map →
check → write → report). The column spec is the register's import format (``docs/formats.md``,
``docs/registry.md``): English or Chinese headers, one row per record, each with its stable source key
(``person_key`` 人员编号, ``household_key`` 户编号, ``record_id`` 记录编号). The key makes a
re-import idempotent: a row already in the register with the same content changes nothing.

Modes: ``all-or-nothing`` (default) writes nothing if any row is rejected; ``valid-rows`` writes
the good rows. Every rejected row goes to the report with its original columns and the reason,
so the user can fix the report itself and import it again. All writing happens in one
transaction: an interrupted import (even ``kill -9``) leaves the database as it was.

Memory: rows are read, checked and written a chunk at a time (5,000 rows); what must be known across
the file (keys and ID numbers seen, candidates for duplicate matching, links to rows further down,
the report) is kept in the pipeline's scratch database, so memory does not grow with the file. Events
are the exception: their checks compare each event with every other event of the same persons in
the file, so an events file is checked as one chunk (bounded by ``RENKOU_IMPORT_MAX_BYTES``).

Audit: each file that writes is one ``import`` audit event (who, when, the file's name and SHA-256,
mode, counts, the first and last key created, the keys updated); its key is taken before the first
row and persons and households created or changed by the file carry it in ``import_batch``, so every
row is traceable to who imported which file when. Updated rows also get their own before/after
record; events, services and queued duplicates one ``create`` record each.

Speed: ID numbers are inspected once (the address code of an ID number looked up once per code);
rows are written with ``executemany`` (``COPY`` on PostgreSQL) under primary keys reserved per chunk;
on SQLite a large file (10,000 rows or more) into a nearly empty table drops the secondary indexes
and builds them once at the end, and checks foreign keys once before the commit — all inside the
one transaction (``bench/registry``, ``docs/benchmarks.md``).

Legacy data is taken as it is found: an ID number with a wrong check character lands flagged
(an open error in the check queue, not registrable until an authorised user confirms it), never
dropped and never silently accepted; probable duplicates land flagged in the duplicate queue;
warnings land with an open finding. Errors reject the row.

Public entry points (used by ``renkou import``, the register's pages, the demo and the synthetic
county tests): :func:`import_file`, :func:`write_report`, :data:`KINDS`, :class:`ImportFailed`,
:class:`ImportResult`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection

from renkou.core import audit, idnumber, pipeline
from renkou.core.models import Area, AuditEvent
from renkou.core.pipeline import (  # noqa: F401 - the import's public names
    Col,
    ImportFailed,
    ImportResult,
    Row,
    Spec,
    insert_rows,
    read_table,
    write_report,
)
from renkou.core.scoping import code_in_scope

from . import checks, duplicates, loader, search
from .models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord

MAX_CELL = pipeline.MAX_CELL
BATCH = pipeline.BATCH
MIN_BIRTH = dt.date(1890, 1, 1)  # no one in a register kept since the 1950s was born earlier

# ------------------------------------------------------------------------------------ column spec
SPEC: dict[str, tuple[Col, ...]] = {
    "persons": (
        Col("person_key", "人员编号", True), Col("id_number", "公民身份号码"), Col("name", "姓名", True),
        Col("sex", "性别", True), Col("birth_date", "出生日期", True), Col("ethnicity", "民族"),
        Col("marital_status", "婚姻状况"), Col("education", "文化程度"), Col("household_key", "户编号"),
        Col("relation_to_head", "与户主关系"), Col("area_code", "现住地区划代码", True),
        Col("registration", "户籍类别"), Col("home_county_code", "户籍地县级代码"), Col("status", "人员状态"),
        Col("entry_date", "登记日期"), Col("exit_date", "注销日期"), Col("mother_key", "母亲人员编号"),
        Col("father_key", "父亲人员编号"), Col("spouse_key", "配偶人员编号"), Col("herder", "牧业人口"),
    ),
    "households": (
        Col("household_key", "户编号", True), Col("area_code", "住址区划代码", True),
        Col("head_key", "户主人员编号"), Col("kind", "户类别"), Col("herder", "牧业户"),
        Col("established_date", "立户日期"), Col("dissolved_date", "销户日期"), Col("address", "住址"),
    ),
    "events": (
        Col("record_id", "记录编号", True), Col("kind", "事件类型", True), Col("person_key", "当事人人员编号", True),
        Col("event_date", "发生日期", True), Col("registration_date", "登记日期"),
        Col("registration_state", "登记状态"), Col("area_code", "发生地区划代码", True),
        Col("mother_key", "母亲人员编号"), Col("father_key", "父亲人员编号"), Col("spouse_key", "配偶人员编号"),
        Col("birth_order", "孩次"), Col("plurality", "胎数"), Col("delivery_place", "分娩地点"),
        Col("from_code", "迁出地代码"), Col("to_code", "迁入地代码"),
    ),
    "services": (
        Col("record_id", "记录编号", True), Col("person_key", "服务对象人员编号", True),
        Col("service", "服务项目", True), Col("service_date", "服务日期", True),
        Col("area_code", "服务地区划代码", True), Col("provider", "服务机构", True), Col("method", "避孕方法"),
        Col("consent", "知情同意", True), Col("consent_date", "同意日期"), Col("outcome", "服务结果"),
    ),
}
KINDS = tuple(SPEC)
SPECS = {kind: Spec(kind, cols) for kind, cols in SPEC.items()}

STATUS = {"present": ("living", ""), "living": ("living", ""), "正常": ("living", ""), "在册": ("living", ""),
          "deceased": ("dead", ""), "dead": ("dead", ""), "死亡": ("dead", ""),
          "moved_out": ("moved_out", ""), "迁出": ("moved_out", ""), "departed": ("moved_out", "left"),
          "离开": ("moved_out", "left")}
REGISTRATION = {"registered": "registered", "户籍": "registered", "户籍人口": "registered", "": "registered",
                "migrant": "migrant", "流动": "migrant", "流动人口": "migrant"}
STATES = {"registered": "registered", "已登记": "registered", "": "registered", "declared": "declared",
          "已申报": "declared", "verified": "verified", "已审核": "verified"}
YES = {"yes", "y", "1", "true", "是", "同意", "已同意"}
NO = {"no", "n", "0", "false", "否", "不同意", "未同意", ""}
DELIVERY = {"hospital", "health_centre", "home", "other", ""}
MARITAL = {"10", "20", "21", "22", "23", "30", "40", "90"}
EDUCATION = {"", "10", "20", "30", "40", "60", "70", "80", "90"}
RELATIONS = {"", "02", "10", "20", "30", "40", "50", "60", "70", "99"}
LINK_KEYS = ("mother_key", "father_key", "spouse_key")
LINK_ATTRS = ("mother_id", "father_id", "spouse_id")



@lru_cache(maxsize=65_536)
def _parse_date(text: str) -> dt.date | None:
    """The day a cell names in one of the accepted formats, None when it is not a date (cached: a
    file's dates repeat — days of birth, of entry — and the result depends on the text alone)."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # the common YYYY-MM-DD, without strptime's cost
            return dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:  # not a real day (2005-02-30) or not digits: the formats below name the error
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _date(row: Row, col: str, required: bool = False) -> dt.date | None:
    text = row.raw.get(col, "")
    if not text:
        if required:
            row.reject(f"{col}: 必填 / required")
        return None
    day = _parse_date(text)
    if day is None:
        row.reject(f"{col}: “{text[:40]}” 不是日期(应为 2024-03-01) / not a date (use 2024-03-01)")
    return day


def _int(row: Row, col: str) -> int | None:
    text = row.raw.get(col, "")
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        row.reject(f"{col}: “{text[:40]}” 不是整数 / not a whole number")
        return None


def _choice(row: Row, col: str, allowed, default: str = "") -> str:
    text = row.raw.get(col, "") or default
    if text not in allowed:
        row.reject(f"{col}: 代码 “{text[:40]}” 无效，可用 {sorted(a for a in allowed if a)[:12]} / invalid code")
        return default
    return text


def _birth(row: Row, col: str) -> dt.date | None:
    """A birth date: required and not before :data:`MIN_BIRTH` (one after the import date is refused by
    the person checks' ``birth_future`` rule)."""
    born = _date(row, col, required=True)
    if born is not None and born < MIN_BIRTH:
        row.reject(f"[birth_too_early] {col}: 出生日期 {born} 早于 {MIN_BIRTH}，不可能 — 核对证件后更正 / birth date {born} is "
                   f"before {MIN_BIRTH}, impossible — check the document and correct it")
    return born


def _junk(row: Row) -> None:
    if max(map(len, row.raw.values()), default=0) <= MAX_CELL:
        return  # the usual row: no cell too long
    for col, text in row.raw.items():
        if len(text) > MAX_CELL:
            row.reject(f"{col}: 内容过长({len(text)} 字符) / cell too long ({len(text)} characters)")


_ID18 = re.compile(r"[0-9]{17}[0-9X]\Z")


@lru_cache(maxsize=20_000)
def _county(code6: str) -> str | None:
    """The county of an address code (its current name), None when the code is unknown: whether a code
    is known does not depend on the year (``idnumber.birthplace`` names it for any year when it is)."""
    return idnumber.birthplace(code6)


def inspect_id(raw: str, today: dt.date | None = None) -> idnumber.IdNumberInfo:
    """``idnumber.inspect`` with a fast path for a clean, valid 18-character number (the usual case):
    the same checks (shape, date, known address code, check character) with the address look-up
    cached per code (``birthplace_name`` is then the code's current name); anything else goes to
    ``idnumber.inspect`` itself."""
    if len(raw) == 18 and _ID18.match(raw):
        try:
            born = dt.date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
        except ValueError:
            return idnumber.inspect(raw)
        if born.year >= 1880 and born <= (today or dt.date.today()) and idnumber.check_character(raw) == raw[17]:
            place = _county(raw[:6])
            if place is not None:
                return idnumber.IdNumberInfo(raw, raw, idnumber.IdState.VALID, birth_date=born,
                                             sex=1 if int(raw[16]) % 2 == 1 else 2, birthplace_code=raw[:6],
                                             birthplace_name=place, expected_check=raw[17])
    return idnumber.inspect(raw)




def _candidate(made: dict[int, duplicates.Candidate], rows: list[tuple], i: int) -> duplicates.Candidate:
    """The candidate of ``rows[i]`` (a row of the scratch ``cand`` table as read by block), made once."""
    c = made.get(i)
    if c is None:
        _, ref, name, birth, sex, mother, area, idn = rows[i]
        c = made[i] = duplicates.Candidate(ref, name, dt.date.fromordinal(birth), sex, mother, area, idn)
    return c


# ------------------------------------------------------------------------------------ the kinds


class RegisterImport(pipeline.FileImport):
    """What the register's four kinds share: areas and capture scope, source keys, the audit."""

    key_column = ""

    def __init__(self, path, **kw):
        super().__init__(path, **kw)
        self.clock_today = dt.date.today()  # for the plausibility of ID numbers' dates, like ``idnumber``
        self.areas: dict[str, Area] = {}
        self.first_created = self.last_created = ""
        self.updated_keys: list[str] = []

    @property
    def object_type(self) -> str:  # type: ignore[override]
        return f"registry.{self.spec.kind}"

    def begin(self) -> None:
        self.areas = {a.code: a for a in Area.objects.all()}
        self.keys = pipeline.KeySet(self.scratch, "source")

    def audit_detail(self) -> dict:
        return {"created_keys": [self.first_created, self.last_created] if self.first_created else [],
                "updated_keys": self.updated_keys[:1000]}

    def _note_written(self, rows: list[Row]) -> None:
        for r in rows:
            if r.action == "create":
                self.first_created = self.first_created or r.raw[self.key_column]
                self.last_created = r.raw[self.key_column]
            elif r.action == "update" and len(self.updated_keys) < 1000:
                self.updated_keys.append(r.raw[self.key_column])

    # -- helpers
    def area(self, row: Row, col: str, required: bool = True) -> str | None:
        code = row.raw.get(col, "")
        if not code:
            if required:
                row.reject(f"{col}: 必填 / required")
            return None
        code = code.ljust(12, "0") if len(code) < 12 and code.isdigit() else code
        if code not in self.areas:
            row.reject(f"{col}: 区划代码 {code[:20]} 不存在 / unknown area code")
            return None
        if self.user is not None and not code_in_scope(self.user, code, "capture"):
            row.reject(f"{col}: 区划 {code} 不在您的录入范围内 / area {code} is outside your capture areas")
            return None
        return code

    def _seen_twice(self, rows: list[Row], col: str, keys: pipeline.KeySet | None = None) -> None:
        """The second row with a key is rejected, naming the first (across the whole file)."""
        keys = keys or self.keys
        before = keys.first_lines(r.raw.get(col, "") for r in rows)
        first: dict[str, int] = {}
        for r in rows:
            k = r.raw.get(col, "")
            if not k:
                continue
            line = before.get(k) or first.get(k)
            if line is not None:
                r.reject(f"{col}: {k} 在文件中重复(第 {line} 行) / appears twice in the file (line {line})")
            else:
                first[k] = r.line
        keys.add((k, line, None) for k, line in first.items())

    @classmethod
    def _existing(cls, model, keys: list[str]) -> dict[str, Any]:
        """The rows of ``model`` whose record key is in ``keys``: the keys looked up first (a new file's
        keys are mostly not there), then only the rows found are loaded as objects."""
        found = cls._pairs(model.objects.all(), "source_key", "pk", sorted({k for k in keys if k}))
        out = {}
        pks = sorted(found.values())
        for i in range(0, len(pks), 900):
            out.update({o.source_key: o for o in model.objects.filter(pk__in=pks[i:i + 900])})
        return out

    @staticmethod
    def _pairs(qs, field: str, value: str, wanted: list[str]) -> dict[str, Any]:
        """``{field: value}`` of the rows of ``qs`` whose ``field`` is in ``wanted`` (900 at a time).

        The statement is compiled once and its ``IN`` list widened for each batch: building the ORM
        lookup value by value cost more than the query itself for a file's thousands of keys."""
        from django.db import connection

        wanted = list(wanted)
        if not wanted:
            return {}
        q = connection.ops.quote_name
        meta = qs.model._meta
        sql, params = qs.filter(**{f"{field}__in": [wanted[0]]}).order_by().values_list(field, value) \
            .query.sql_with_params()
        marker = f"{q(meta.db_table)}.{q(meta.get_field(field).column)} IN (%s)"
        at = sql.index(marker)
        k = sql[:at].count("%s")
        head, tail = sql[:at], sql[at + len(marker):]
        out = {}
        with connection.cursor() as cur:
            for i in range(0, len(wanted), 900):
                batch = wanted[i:i + 900]
                cur.execute(f"{head}{marker[:-4]}({', '.join(['%s'] * len(batch))}){tail}",
                            [*params[:k], *batch, *params[k + 1:]])
                out.update(cur.fetchall())
        return out

    def _persons_by_key(self, keys: set[str]) -> dict[str, Person]:
        return self._existing(Person, sorted(k for k in keys if k))

    def rebatch(self, reserved: int, final: int) -> None:
        for model in (Person, Household):
            model.objects.filter(import_batch=reserved).update(import_batch=final)

    def _bulk_audit(self, objs: list) -> None:
        """One ``create`` audit record per new row, written in bulk (the core signals do not see bulk inserts)."""
        from renkou.core import actor

        current = actor.current()
        user = self.user or (current.effective_user if current else None)
        via = current.via if current else "cli"
        events = [AuditEvent(actor=user, actor_username=user.get_username() if user else "", action="create",
                             object_type=o._meta.label_lower, object_id=str(o.pk), object_repr=str(o)[:200],
                             area_code=o.audit_area(), after=audit.serialise_instance(o),
                             detail={"via": via, "import": self.path.name}) for o in objs]
        AuditEvent.objects.bulk_create(events, batch_size=BATCH)

    def _create(self, model, objs: list) -> None:
        for i in range(0, len(objs), BATCH):
            model.objects.bulk_create(objs[i:i + BATCH])
        self._bulk_audit(objs)

    @staticmethod
    def _same(obj, values: dict[str, Any]) -> bool:
        return all(getattr(obj, k) == v for k, v in values.items())

    def _findings(self, rows: list[Row], target: str) -> None:
        out = []
        for r in rows:
            if r.action in ("create", "update") and r.findings:
                if r.action == "update":
                    Finding.objects.filter(status=Finding.Status.OPEN, **{target: r.obj}).delete()
                if r.obj is not None:
                    pk, area = r.obj.pk, r.obj.audit_area()
                else:  # a row inserted by hand
                    pk, area = r.pk, r.values.get("resident_area_id") or r.values.get("registered_area_id") or ""
                out += [Finding.from_check(f, area_id=area, **{f"{target}_id": pk}) for f in r.findings]
        Finding.objects.bulk_create(out, batch_size=BATCH)

    # -- SQLite's bulk path for large files of persons and households
    def _bulk_begin(self) -> None:
        """Like ``loaddata`` and the loader: on SQLite, foreign keys of a large file are checked once,
        in bulk, before the commit (``check_constraints``) rather than row by row — possible only
        outside an enclosing transaction; otherwise they are checked as the rows go in."""
        self.deferred_checks = bool(connection.vendor == "sqlite" and self.estimate >= 10_000
                                    and not connection.in_atomic_block and connection.disable_constraint_checking())

    def _bulk_end(self) -> None:
        if self.deferred_checks:
            connection.enable_constraint_checking()
            self.deferred_checks = False


class HouseholdsImport(RegisterImport):
    spec = SPECS["households"]
    key_column = "household_key"

    def begin(self) -> None:
        super().begin()
        self._bulk_begin()

    def end(self) -> None:
        self._bulk_end()

    def check(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "household_key")
        existing = self._existing(Household, [r.raw["household_key"] for r in rows])
        new_keys = [r.raw["household_key"] for r in rows if r.raw["household_key"] not in existing]
        numbers_taken = self._pairs(Household.objects.exclude(import_batch=self.batch_id), "number", "pk", new_keys)
        kinds = {c for c, _ in Household.RegType.choices}
        for r in rows:
            _junk(r)
            key = r.raw["household_key"]
            v = {"number": key, "area_id": self.area(r, "area_code"),
                 "registration_type": _choice(r, "kind", kinds | {""}, "family") or "family",
                 "herder": _choice(r, "herder", YES | NO) in YES, "established": _date(r, "established_date"),
                 "dissolved": _date(r, "dissolved_date"), "address": r.raw.get("address", "")}
            r.values = v
            if r.errors:
                continue
            old = existing.get(key)
            if old is None and key in numbers_taken:
                r.reject(f"户号 {key} 已被另一户使用 / household number {key} is used by another household")
            elif old is None:
                r.action = "create"
            elif self._same(old, v):
                r.action, r.obj = "unchanged", old
            else:
                if self.user is not None and not code_in_scope(self.user, old.area_id, "capture"):
                    r.reject("该户不在您的录入范围内 / the household is outside your capture areas")
                    continue
                for k, val in v.items():
                    setattr(old, k, val)
                r.action, r.obj = "update", old

    def write(self, rows: list[Row]) -> None:
        self._note_written(rows)
        new = [r for r in rows if r.action == "create"]
        pks = insert_rows(Household, [{**r.values, "source_key": r.raw["household_key"],
                                       "import_batch": self.batch_id} for r in new])
        for r, pk in zip(new, pks, strict=True):
            r.pk = pk
        for r in rows:
            if r.action == "update":
                r.obj.import_batch = self.batch_id
                r.obj.save()
        heads = self._persons_by_key({r.raw.get("head_key", "") for r in rows})
        for r in rows:
            head = heads.get(r.raw.get("head_key", ""))
            if head is None:
                continue
            obj = r.obj if r.obj is not None else Household.objects.get(pk=r.pk)
            if obj.head_id != head.pk:
                obj.head = head
                obj.save(update_fields=["head"])

    def finish(self) -> None:
        if self.deferred_checks:
            connection.check_constraints(table_names=[Person._meta.db_table, Household._meta.db_table])


class PersonsImport(RegisterImport):
    """Persons, a chunk at a time. Across the file, in the scratch database: the keys seen (with the
    primary key each got), the ID numbers seen, the candidates for duplicate matching, and the links
    to persons not found when their row was checked (further down the file, or nowhere)."""

    spec = SPECS["persons"]
    key_column = "person_key"

    def begin(self) -> None:
        super().begin()
        self.numbers = pipeline.KeySet(self.scratch, "id_number")
        s = self.scratch
        s.execute("CREATE TABLE cand (ref INTEGER PRIMARY KEY, line INTEGER, pkey TEXT, name TEXT, birth INTEGER, "
                  "sex INTEGER, mother INTEGER, area TEXT, idn TEXT, mkey TEXT, b_addr TEXT, b_digits TEXT)")
        s.execute("CREATE TABLE unresolved (line INTEGER, col TEXT, key TEXT)")  # links not found when checked
        s.execute("CREATE TABLE pending (pk INTEGER, col INTEGER, key TEXT)")  # links written at the end
        self.pairs: list[tuple[int, int, float, list[str]]] = []
        self.queued: list[DuplicateCandidate] = []  # the probable duplicates queued, audited after the file
        self.rebuild: list[str] | None = None
        self.paused: list = []
        self.big = self.estimate >= 10_000
        self.analyzed_at = Person.objects.count() if self.big and connection.vendor == "postgresql" else 0
        self.unanalyzed = 0
        self._bulk_begin()

    def end(self) -> None:
        self._bulk_end()

    def _keep_statistics(self, written: int) -> None:
        """On PostgreSQL, the planner's statistics of the person table are refreshed inside the
        transaction (``ANALYZE`` sees its rows) each time a large file has written as many persons as
        the table held at the last refresh: otherwise the chunks' key look-ups plan for the table as it
        was, scanning it whole once the file has grown it — one scan per look-up, quadratic in the
        file's rows. The table's writers and readers are not blocked by it."""
        if not self.big or connection.vendor != "postgresql":
            return
        self.unanalyzed += written
        if self.unanalyzed >= max(10_000, self.analyzed_at):
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {connection.ops.quote_name(Person._meta.db_table)}")
            self.analyzed_at += self.unanalyzed
            self.unanalyzed = 0

    # -- check
    def check(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "person_key")
        keys = [r.raw["person_key"] for r in rows]
        existing = self._existing(Person, keys)
        households = self._pairs(Household.objects.all(), "source_key", "pk",
                                 sorted({r.raw.get("household_key", "") for r in rows} - {""}))
        disagree: set[int] = set()  # lines whose ID number disagrees with the birth date or sex
        for r in rows:
            _junk(r)
            info = self._parse_person(r, households)
            if info is not None and idnumber.agrees_with(info, r.values["birth_date"], r.values["sex"]):
                disagree.add(r.line)
        numbers_in_file = self.numbers.first_lines(r.values["id_number"] for r in rows
                                                   if r.values.get("id_number") and not r.errors)
        numbers_here: dict[str, int] = {}
        for r in rows:
            n = r.values.get("id_number")
            if n and not r.errors:
                first = numbers_in_file.get(n) or numbers_here.get(n)
                if first is not None:
                    r.reject(f"id_number: 身份证号与第 {first} 行相同(完全重复) / the same ID number as line "
                             f"{first} (exact duplicate)")
                else:
                    numbers_here[n] = r.line
        self.numbers.add((n, line, None) for n, line in numbers_here.items())
        from renkou.core.models import IdNumberConfirmation

        numbers = list(numbers_here)
        taken = self._pairs(Person.objects.exclude(import_batch=self.batch_id), "id_number", "source_key", numbers)
        confirmed = set(self._pairs(IdNumberConfirmation.objects.all(), "number", "pk", numbers))
        link_keys = {r.raw.get(c, "") for r in rows for c in LINK_KEYS} - {""}
        # persons a link may point to: in the register, or in the file so far (their key is known)
        known = self._pairs(Person.objects.all(), "source_key", "pk", sorted(link_keys))
        in_file = self.keys.has(link_keys)
        unresolved = []
        for r in rows:
            if r.errors:
                continue
            v, key = r.values, r.raw["person_key"]
            n = v.get("id_number")
            if n and n in taken and taken[n] != key:
                r.reject(f"id_number: 身份证号 {idnumber.mask(n)} 已登记(另一人员编号 {taken[n]})，完全重复，拒绝 / ID number "
                         f"already in the register under {taken[n]}: an exact duplicate is refused")
                continue
            # the number was inspected once while parsing; the person checks run without it, and the
            # number's own check (agreement with birth date and sex) only when it disagrees
            facts = checks.PersonFacts(name=v["name"], sex=v["sex"], birth_date=v["birth_date"], id_number=None,
                                       id_confirmed=True, ethnicity=v["ethnicity"],
                                       marital_status=v["marital_status"], status=v["status"],
                                       death_date=v["death_date"],
                                       registered_area=v["registered_area_id"] or v["home_code"],
                                       resident_area=v["resident_area_id"], migrant_status=v["migrant_status"])
            found = checks.check_person(facts, self.today)
            if r.line in disagree:
                found = checks.check_id_number(n, confirmed=True, birth_date=v["birth_date"], sex=v["sex"]) + found
            for f in checks.blocking(found):
                r.reject(f"[{f.rule}] {f.message} — {f.fix}")
            if r.errors:
                continue
            r.findings = checks.warnings(found)
            if v["id_state"] == "check_digit_mismatch" and n not in confirmed:
                f = checks.check_id_number(n, confirmed=False, birth_date=None, sex=None)[0]
                r.findings.append(f)
                r.flags.append(f"[{f.rule}] {f.message} — {f.fix}")
            for col in LINK_KEYS:
                link = r.raw.get(col, "")
                if link and link not in in_file and link not in known:
                    unresolved.append((r.line, col, link))
            old = existing.get(key)
            if old is None:
                r.action = "create"
            else:
                if self.user is not None and not any(code_in_scope(self.user, c, "capture") for c in
                                                     (old.registered_area_id, old.resident_area_id) if c):
                    r.reject("该人员不在您的录入范围内 / the person is outside your capture areas")
                    continue
                r.obj, r.pk = old, old.pk
                same_links = all(getattr(old, attr) == known.get(r.raw.get(col, ""))
                                 for col, attr in zip(LINK_KEYS, LINK_ATTRS, strict=True))
                if self._same(old, v) and same_links:
                    r.action = "unchanged"
                else:
                    for k, val in v.items():
                        setattr(old, k, val)
                    r.action = "update"
        self.known_links = known
        self.scratch.executemany("INSERT INTO unresolved VALUES (?, ?, ?)", unresolved)
        self.keys.set_pks((r.pk, r.raw["person_key"]) for r in rows if r.pk and not r.errors)
        self._candidates(rows)

    def _parse_person(self, r: Row, households: dict[str, int]) -> idnumber.IdNumberInfo | None:
        raw = r.raw
        name = raw.get("name", "")
        number = raw.get("id_number", "")
        info = inspect_id(number, self.clock_today) if number else None
        if info is not None and info.state is idnumber.IdState.INVALID:
            r.reject(f"[id_invalid] id_number: {info.explain('zh')} / {info.explain('en')} — 核对证件后重新录入 / check the "
                     "document and enter it again")
        status, migrant = STATUS.get(raw.get("status", "") or "present", (None, None))
        if status is None:
            r.reject(f"status: 人员状态 “{raw.get('status', '')[:20]}” 无效 / unknown status; present, deceased, "
                     "moved_out or departed")
            status, migrant = "living", ""
        reg = REGISTRATION.get(raw.get("registration", ""))
        if reg is None:
            r.reject(f"registration: 户籍类别 “{raw.get('registration', '')[:20]}” 无效 / unknown; registered or migrant")
            reg = "registered"
        resident = self.area(r, "area_code")
        home = raw.get("home_county_code", "")
        if reg == "migrant":
            migrant = migrant or "inflow"
        hh_key = raw.get("household_key", "")
        household = households.get(hh_key)
        if hh_key and household is None:
            r.reject(f"household_key: 户 {hh_key} 不在登记中，请先导入户 / household {hh_key} is not in the register; "
                     "import the households first")
        sex = _int(r, "sex")
        exit_date = _date(r, "exit_date")
        short = len(name) <= 60
        spaced, key, alt, initials = search.name_fields(name) if short else ("", "", "", "")
        r.values = {
            "id_number": info.number if info is not None else None,
            "id_state": info.state.value if info is not None else "",
            "name": name, "name_pinyin": spaced,
            "pinyin_key": key, "pinyin_alt": alt, "pinyin_initials": initials,
            "sex": sex if sex is not None else 0,
            "birth_date": _birth(r, "birth_date"),
            "ethnicity": raw.get("ethnicity", "") or "01",
            "marital_status": _choice(r, "marital_status", MARITAL, "10"),
            "education": _choice(r, "education", EDUCATION),
            "registered_area_id": resident if reg == "registered" else None,
            "home_code": home if reg == "migrant" else "",
            "resident_area_id": resident, "household_id": household,
            "relation_to_head": _choice(r, "relation_to_head", RELATIONS),
            "status": status, "migrant_status": migrant or "",
            "death_date": exit_date if status == "dead" else None,
            "entry_date": _date(r, "entry_date"), "exit_date": exit_date,
            "herder": _choice(r, "herder", YES | NO) in YES,
        }
        if not short:
            r.reject("name: 姓名过长 / the name is too long")
        return info

    def _candidates(self, rows: list[Row]) -> None:
        """The rows (rejected ones too: they are told) as candidates for duplicate matching."""
        out = []
        for r in rows:
            v = r.values
            if not v.get("birth_date") or not v.get("name"):
                continue
            n = v.get("id_number")
            addr, digits = (n[:6] + n[14:17], "".join(sorted(n[:17]))) if n and len(n) == 18 else (None, None)
            out.append((r.pk if r.pk else -r.line, r.line, r.raw.get("person_key", ""), v["name"],
                        v["birth_date"].toordinal(), v["sex"], None,
                        v.get("registered_area_id") or v.get("resident_area_id") or "", n,
                        r.raw.get("mother_key", ""), addr, digits))
        self.scratch.executemany("INSERT OR IGNORE INTO cand VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", out)

    # -- check across the file
    def check_file(self) -> None:
        s = self.scratch
        late = []
        # links to persons neither in the file nor in the register
        for line, col, key in s.execute("SELECT line, col, key FROM unresolved WHERE key NOT IN "
                                        "(SELECT key FROM keys_source) ORDER BY line").fetchall():
            late.append((line, f"{col}: 人员编号 {key} 不在登记中，关系未建立 / person {key} is not in the register; "
                               "the link is left empty"))
        late += self._match_duplicates()
        self.flag_late(late)

    def _match_duplicates(self) -> list[tuple[int, str]]:
        """Probable duplicates among the file's rows and the register, blocked as
        ``duplicates.find_pairs`` does (same mother, same area, ID numbers a slip apart) and compared
        within the birth-date window — one block at a time from the scratch database."""
        s = self.scratch
        lo, hi = s.execute("SELECT min(birth), max(birth) FROM cand").fetchone()
        if lo is None:
            return []
        lo = dt.date.fromordinal(lo) - dt.timedelta(days=duplicates.BIRTH_WINDOW_DAYS)
        hi = dt.date.fromordinal(hi) + dt.timedelta(days=duplicates.BIRTH_WINDOW_DAYS)
        prefixes = [p for (p,) in s.execute("SELECT DISTINCT substr(area, 1, 6) FROM cand WHERE area <> ''")]
        if Person.objects.exists():
            for p in prefixes:
                qs = Person.objects.filter(resident_area__pk__startswith=p, birth_date__range=(lo, hi)).exclude(
                    record_state=Person.Record.MERGED)
                if self.batch_id is not None:
                    qs = qs.exclude(import_batch=self.batch_id)  # the file's own rows are candidates already
                batch = []
                for pk, key, name, born, sex, mother, reg, res, n in qs.values_list(
                        "pk", "source_key", "name", "birth_date", "sex", "mother_id", "registered_area_id",
                        "resident_area_id", "id_number").iterator(chunk_size=5000):
                    addr, digits = (n[:6] + n[14:17], "".join(sorted(n[:17]))) if n and len(n) == 18 else (None, None)
                    batch.append((pk, None, key or "", name, born.toordinal(), sex, mother, reg or res or "", n, "",
                                  addr, digits))
                    if len(batch) >= 5000:
                        s.executemany("INSERT OR IGNORE INTO cand VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
                        batch = []
                s.executemany("INSERT OR IGNORE INTO cand VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
        found: dict[tuple[int, int], tuple] = {}
        window = duplicates.BIRTH_WINDOW_DAYS
        for col in ("mother", "area", "b_addr", "b_digits"):
            cur = s.db.cursor()
            cur.execute(f"SELECT {col}, ref, name, birth, sex, mother, area, idn FROM cand WHERE {col} IS NOT NULL "
                        f"AND {col} <> '' ORDER BY {col}, birth")
            block, members = None, []
            for row in [*cur, (object(), None, None, None, None, None, None, None)]:
                if row[0] != block:
                    if len(members) > 1:  # a block of one row has no pair: no candidate is made for it
                        cands: dict[int, duplicates.Candidate] = {}
                        for i, ma in enumerate(members):
                            ba = ma[3]
                            for j in range(i + 1, len(members)):
                                if members[j][3] - ba > window:
                                    break
                                ra, rb = ma[1], members[j][1]
                                pair = (min(ra, rb), max(ra, rb))
                                if pair in found:
                                    continue
                                a, b = _candidate(cands, members, i), _candidate(cands, members, j)
                                score, reasons = duplicates.match(a, b)
                                if score > 0:
                                    found[pair] = (a, b, score, reasons) if a.pk < b.pk else (b, a, score, reasons)
                    block, members = row[0], []
                if row[1] is None:
                    break
                members.append(row)
        if not found:
            return []
        refs = sorted({ref for pair in found for ref in pair})
        info = {ref: (line, key, mkey) for ref, line, key, mkey in s.lookup(
            "SELECT ref, line, pkey, mkey FROM cand WHERE ref IN ({})", refs)}
        late = []
        for _pair, (a, b, score, reasons) in sorted(found.items(), key=lambda item: item[0]):
            ia, ib = info[a.pk], info[b.pk]
            if ia[0] is not None and ib[0] is not None and ia[2] and ia[2] == ib[2]:
                reasons = [*reasons, "same_mother"]
            label = ", ".join(duplicates.REASON_LABELS.get(x, (x, x))[1] for x in reasons)
            for me, other in ((ia, ib), (ib, ia)):
                if me[0] is None:
                    continue
                other_key = other[1] or "?"
                late.append((me[0], f"[probable_duplicate] 疑似与 {other_key} 重复 / probable duplicate of {other_key} "
                                    f"({label}) — 由县级管理员在重复审核中合并或排除 / a county officer merges or dismisses it "
                                    "in the duplicate queue"))
            self.pairs.append((a.pk, b.pk, score, reasons))
        return late

    # -- write
    def write(self, rows: list[Row]) -> None:
        self._note_written(rows)
        new = [r for r in rows if r.action == "create"]
        if self.rebuild is None:  # the first chunk written
            self.rebuild = []
            if self.big and connection.vendor == "sqlite":
                with connection.cursor() as cur:  # keep the indexes in memory while a large file lands
                    cur.execute("PRAGMA cache_size=-262144")
                # on SQLite, the indexes of a (nearly) empty table are dropped and built once at the end,
                # inside this transaction (an interrupted import restores them with everything else)
                self.rebuild = pipeline.drop_indexes((Person,), self.estimate, Person.objects.count())
                # the columnar copy's insert trigger, ≈ 15 µs a row, is paused; the rows are logged at the end
                self.paused = loader.pause_insert_log([Person._meta.db_table])
        for r, pk in zip(new, pipeline.reserve_ids(Person, len(new)), strict=True):
            r.pk = pk
        self.keys.set_pks((r.pk, r.raw["person_key"]) for r in new)
        by_key = {r.raw["person_key"]: r.pk for r in rows}
        wanted = {r.raw.get(c, "") for r in rows for c in LINK_KEYS} - set(by_key) - {""}
        by_key.update(self.known_links)
        by_key.update(self.keys.pks(wanted - set(self.known_links)))
        batch = self.batch_id
        # On SQLite with foreign keys enforced row by row, the chunk's rows go in without their links,
        # which are set once the chunk is there: a link to a row not yet inserted would leave a deferred
        # violation open, and SQLite would then look for children of every later row in the unindexed
        # spouse column. PostgreSQL checks at commit; with the checks deferred to the end, links go in at
        # once. Links to rows further down the file are set at the end (``finish``).
        inline = connection.vendor != "sqlite" or self.deferred_checks
        values, links, pending = [], [], []
        for r in new:
            raw = r.raw
            m, f, sp = (by_key.get(raw.get(c, "")) for c in LINK_KEYS)
            for i, (c, pk) in enumerate(zip(LINK_KEYS, (m, f, sp), strict=True)):
                if pk is None and raw.get(c, ""):
                    pending.append((r.pk, i, raw[c]))
            if inline:
                values.append({**r.values, "source_key": raw["person_key"], "import_batch": batch,
                               "mother_id": m, "father_id": f, "spouse_id": sp})
            else:
                values.append({**r.values, "source_key": raw["person_key"], "import_batch": batch})
                if m or f or sp:
                    links.append((m, f, sp, r.pk))
        insert_rows(Person, values, [r.pk for r in new])
        del values
        self._keep_statistics(len(new))
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            for i in range(0, len(links), BATCH):
                cur.executemany(f"UPDATE {qn(Person._meta.db_table)} SET mother_id = %s, father_id = %s, "
                                "spouse_id = %s WHERE id = %s", links[i:i + BATCH])
        for r in rows:
            if r.action == "update":  # audited row by row (before and after) by the model's signals
                for i, (col, attr) in enumerate(zip(LINK_KEYS, LINK_ATTRS, strict=True)):
                    target = by_key.get(r.raw.get(col, ""))
                    setattr(r.obj, attr, target)
                    if target is None and r.raw.get(col, ""):
                        pending.append((r.pk, i, r.raw[col]))
                r.obj.import_batch = batch
                r.obj.save()
        self.scratch.executemany("INSERT INTO pending VALUES (?, ?, ?)", pending)
        heads = [(r.pk, r.values["household_id"], r.pk) for r in rows
                 if r.values.get("relation_to_head") == "02" and r.values.get("household_id")]
        with connection.cursor() as cur:
            for i in range(0, len(heads), BATCH):
                cur.executemany(f"UPDATE {qn(Household._meta.db_table)} SET head_id = %s WHERE id = %s "
                                "AND (head_id IS NULL OR head_id <> %s)", heads[i:i + BATCH])
        self._findings(rows, "person")

    def finish(self) -> None:
        qn = connection.ops.quote_name
        table = qn(Person._meta.db_table)
        # links to persons further down the file, now that every row has its key: one statement per
        # person for all three links (on PostgreSQL each UPDATE of a row writes a new version of it
        # into every index of the table, so a person's links are set together)
        picks = ", ".join(f"MAX(CASE WHEN p.col = {i} THEN k.pk END)" for i in range(len(LINK_ATTRS)))
        sets = ", ".join(f"{qn(a)} = COALESCE(%s, {qn(a)})" for a in LINK_ATTRS)
        cur = self.scratch.db.cursor()
        cur.execute(f"SELECT {picks}, p.pk FROM pending p JOIN keys_source k ON k.key = p.key "
                    "WHERE k.pk IS NOT NULL GROUP BY p.pk")
        while part := cur.fetchmany(BATCH):
            with connection.cursor() as db:
                db.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", part)
        self._queue_duplicates()
        loader.resume_insert_log(self.paused)
        if self.rebuild or self.big:
            with connection.cursor() as cur:
                for sql in self.rebuild or ():
                    cur.execute(sql)
                if connection.vendor == "sqlite":
                    cur.execute("PRAGMA analysis_limit=1000")
                cur.execute(f"ANALYZE {table}")
        if self.deferred_checks:
            connection.check_constraints(table_names=[Person._meta.db_table, Household._meta.db_table])

    def _queue_duplicates(self) -> None:
        """Probable duplicates between landed rows (rejected rows were told in the report)."""
        if not self.pairs:
            return
        lines = sorted({-x for a, b, _, _ in self.pairs for x in (a, b) if x < 0})
        line_pk = {-line: pk for line, pk in self.keys.pk_of_lines(lines).items()}
        existing = set(DuplicateCandidate.objects.values_list("person_a_id", "person_b_id"))
        resolved = []
        for a, b, score, reasons in self.pairs:
            a, b = line_pk.get(a, a), line_pk.get(b, b)
            if a < 0 or b < 0:
                continue
            a, b = min(a, b), max(a, b)
            if (a, b) in existing:
                continue
            existing.add((a, b))
            resolved.append((a, b, score, reasons))
        pks = sorted({x for a, b, _, _ in resolved for x in (a, b)})
        area_of = {}
        for i in range(0, len(pks), 900):
            area_of.update({pk: res or reg or "" for pk, res, reg in Person.objects.filter(pk__in=pks[i:i + 900])
                            .values_list("pk", "resident_area_id", "registered_area_id")})
        queue = [DuplicateCandidate(person_a_id=a, person_b_id=b, area_id=area_of.get(a) or area_of.get(b) or None,
                                    score=score, reasons=reasons) for a, b, score, reasons in resolved]
        DuplicateCandidate.objects.bulk_create(queue, batch_size=BATCH)
        self.queued = queue

    def recorded(self) -> None:
        self._bulk_audit(self.queued)


class EventsImport(RegisterImport):
    """Events. Their checks compare each event with the other events of the same persons in the file
    (a mother's births, a person's marriages), so the file is checked as one chunk."""

    spec = SPECS["events"]
    key_column = "record_id"
    chunk_size = None

    def check(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "record_id")
        existing = self._existing(Event, [r.raw["record_id"] for r in rows])
        persons = self._persons_by_key({r.raw.get(c, "") for r in rows
                                        for c in ("person_key", "mother_key", "father_key", "spouse_key")})
        kinds = {k for k, _ in Event.Kind.choices}
        for r in rows:
            _junk(r)
            raw = r.raw
            kind = _choice(r, "kind", kinds)
            state = STATES.get(raw.get("registration_state", ""))
            if state is None:
                r.reject(f"registration_state: “{raw.get('registration_state', '')[:20]}” 无效 / unknown state; "
                         "declared, verified or registered")
            links = {}
            for col, attr in (("person_key", "subject"), ("mother_key", "mother"), ("father_key", "father"),
                              ("spouse_key", "spouse")):
                k = raw.get(col, "")
                if k and k not in persons:
                    r.reject(f"{col}: 人员 {k} 不在登记中，请先导入人员 / person {k} is not in the register; import the "
                             "persons first")
                links[attr] = persons.get(k)
            order, plural = _int(r, "birth_order"), _int(r, "plurality")
            date = _birth(r, "event_date") if kind == "birth" else _date(r, "event_date", required=True)
            r.values = {"kind": kind, "event_date": date,
                        "registration_date": _date(r, "registration_date"), "area_id": self.area(r, "area_code"),
                        "subject_id": getattr(links["subject"], "pk", None),
                        "mother_id": getattr(links["mother"], "pk", None),
                        "father_id": getattr(links["father"], "pk", None),
                        "spouse_id": getattr(links["spouse"], "pk", None),
                        "birth_order": order or None, "plurality": plural or None,
                        "delivery_place": _choice(r, "delivery_place", DELIVERY),
                        "from_code": raw.get("from_code", "")[:15], "to_code": raw.get("to_code", "")[:15],
                        "state": state or "registered"}
        self._check_events(rows, persons)
        for r in rows:
            if r.errors:
                continue
            key = r.raw["record_id"]
            old = existing.get(key)
            v = r.values
            if old is None:
                e = Event(source_key=key, **v)
                if e.registration_date is None:
                    e.registration_date = e.event_date if e.state == "registered" else self.today
                r.action, r.obj = "create", e
            elif self._same(old, {k: val for k, val in v.items() if k != "registration_date" or val}):
                r.action, r.obj = "unchanged", old
            else:
                r.action, r.obj = "update", old

    def _check_events(self, rows: list[Row], persons: dict[str, Person]) -> None:
        ok = [r for r in rows if not r.errors]
        by_pk = {p.pk: p for p in persons.values()}
        mothers = {r.values["mother_id"] for r in ok if r.values["kind"] == "birth" and r.values["mother_id"]}
        kids: dict[int, dict[int, dt.date]] = defaultdict(dict)
        for m in range(0, len(mothers), 900):
            chunk = sorted(mothers)[m:m + 900]
            for mother_id, pk, born in Person.objects.filter(mother_id__in=chunk).exclude(
                    record_state=Person.Record.MERGED).values_list("mother_id", "pk", "birth_date"):
                kids[mother_id][pk] = born
        plural: dict[int, int] = {}
        ordered = sorted(mothers)
        for m in range(0, len(ordered), 900):
            plural.update(Event.objects.filter(kind="birth", mother_id__in=ordered[m:m + 900], is_current=True)
                          .values_list("subject_id", "plurality"))
        subject_events: dict[int, list[tuple[str, dt.date, int]]] = defaultdict(list)
        for r in ok:
            v = r.values
            if v["kind"] == "birth" and v["subject_id"]:
                plural[v["subject_id"]] = v["plurality"] or 1
                if v["mother_id"]:
                    kids[v["mother_id"]][v["subject_id"]] = v["event_date"]
            subject_events[v["subject_id"]].append((v["kind"], v["event_date"], r.line))

        def facts(p: Person | None) -> checks.PersonFacts | None:
            if p is None:
                return None
            return checks.PersonFacts(name=p.name, sex=p.sex, birth_date=p.birth_date, status=p.status,
                                      death_date=p.death_date, marital_status=p.marital_status,
                                      registered_area=p.registered_area_id or p.home_code,
                                      resident_area=p.resident_area_id, migrant_status=p.migrant_status)

        for r in ok:
            v = r.values
            area = self.areas[v["area_id"]]
            others = ()
            if v["kind"] == "birth" and v["mother_id"]:
                others = tuple((born, plural.get(pk) or 1) for pk, born in kids[v["mother_id"]].items()
                               if pk != v["subject_id"])
            e = checks.EventFacts(
                kind=v["kind"], event_date=v["event_date"], registration_date=v["registration_date"],
                area_code=area.code, area_valid_from=area.valid_from, area_valid_to=area.valid_to,
                subject=facts(by_pk.get(v["subject_id"])), mother=facts(by_pk.get(v["mother_id"])),
                father=facts(by_pk.get(v["father_id"])), spouse=facts(by_pk.get(v["spouse_id"])),
                birth_order=v["birth_order"], plurality=v["plurality"], mother_other_births=others,
                subject_events=tuple((k, d) for k, d, line in subject_events[v["subject_id"]] if line != r.line))
            # the persons file is the register's state after all its events, declared ones included
            found = checks.check_event(e, self.today, historical=True)
            for f in checks.blocking(found):
                r.reject(f"[{f.rule}] {f.message} — {f.fix}")
            r.findings = checks.warnings(found)
            r.flags += [f"[{f.rule}] {f.message}" for f in r.findings]

    def write(self, rows: list[Row]) -> None:
        self._note_written(rows)
        self._create(Event, [r.obj for r in rows if r.action == "create"])
        for r in rows:
            if r.action == "update":  # a changed row is a correction: a new version supersedes the old
                old = r.obj
                key = old.source_key
                old.source_key, old.is_current = f"{key}~v{old.version}"[:40], False
                old.save()
                new = Event(source_key=key, version=old.version + 1, supersedes=old, **r.values)
                new.registration_date = new.registration_date or old.registration_date
                new.save()
                r.obj = new
        self._findings(rows, "event")


class ServicesImport(RegisterImport):
    spec = SPECS["services"]
    key_column = "record_id"

    def check(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "record_id")
        existing = self._existing(ServiceRecord, [r.raw["record_id"] for r in rows])
        persons = self._persons_by_key({r.raw.get("person_key", "") for r in rows})
        types = {k for k, _ in ServiceRecord.Type.choices}
        for r in rows:
            _junk(r)
            raw = r.raw
            person = persons.get(raw.get("person_key", ""))
            if person is None:
                r.reject(f"person_key: 人员 {raw.get('person_key', '')[:20]} 不在登记中 / the person is not in the register")
            consent = raw.get("consent", "").lower()
            if consent not in YES:
                r.reject("consent: 未记录本人知情同意，服务记录不予登记 / no informed consent noted: a service is recorded "
                         "only with the person's consent")
            date = _date(r, "service_date", required=True)
            if date and date > self.today:
                r.reject("service_date: 日期在将来 / the date is in the future")
            if person is not None and date and person.death_date and date > person.death_date:
                r.reject("service_date: 服务日期晚于本人死亡日期 / the service is dated after the person's death")
            r.values = {"person_id": getattr(person, "pk", None), "type": _choice(r, "service", types),
                        "date": date, "area_id": self.area(r, "area_code"), "provider": raw.get("provider", "")[:100],
                        "method": raw.get("method", "")[:30], "consent_noted": True,
                        "consent_date": _date(r, "consent_date"), "outcome": raw.get("outcome", "")[:200]}
            if r.errors:
                continue
            old = existing.get(raw["record_id"])
            if old is None:
                r.action, r.obj = "create", ServiceRecord(source_key=raw["record_id"], **r.values)
            elif self._same(old, r.values):
                r.action, r.obj = "unchanged", old
            else:
                for k, val in r.values.items():
                    setattr(old, k, val)
                r.action, r.obj = "update", old

    def write(self, rows: list[Row]) -> None:
        self._note_written(rows)
        self._create(ServiceRecord, [r.obj for r in rows if r.action == "create"])
        for r in rows:
            if r.action == "update":
                r.obj.save()


IMPORTS: dict[str, type[RegisterImport]] = {"persons": PersonsImport, "households": HouseholdsImport,
                                            "events": EventsImport, "services": ServicesImport}


def import_file(kind: str, path: str | Path, *, user=None, mode: str = "all-or-nothing", dry_run: bool = False,
                progress: Callable[[int, int], None] | None = None, today: dt.date | None = None) -> ImportResult:
    """Import one file of ``kind`` (persons, households, events, services); see the module docstring.

    ``user`` None means the system administrator at the console (no area limit); ``mode`` is
    ``all-or-nothing`` or ``valid-rows``; ``progress(done, total)`` is called after each chunk of rows.
    Raises :class:`ImportFailed` when the file as a whole cannot be read (nothing is changed then).
    The result's ``rows`` are the first rejected or flagged rows; :func:`write_report` writes them all."""
    if kind not in IMPORTS:
        raise ImportFailed(f"未知的导入类型 {kind}", f"unknown kind {kind}; one of {', '.join(KINDS)}")
    return IMPORTS[kind](Path(path), user=user, mode=mode, dry_run=dry_run, progress=progress, today=today).run()
