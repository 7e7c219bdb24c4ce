"""Import of persons, households, events and services from CSV (UTF-8 or GBK/GB18030) and XLSX.

The column spec is the register's import format (``docs/formats.md``, ``docs/registry.md``):
English or Chinese headers, one row per record, each with its stable source key
(``person_key`` 人员编号, ``household_key`` 户编号, ``record_id`` 记录编号). The key makes a
re-import idempotent: a row already in the register with the same content changes nothing.

Modes: ``all-or-nothing`` (default) writes nothing if any row is rejected; ``valid-rows`` writes
the good rows. Every rejected row goes to the report with its original columns and the reason,
so the user can fix the report itself and import it again. All writing happens in one
transaction: an interrupted import (even ``kill -9``) leaves the database as it was.

Audit: each file that writes is one ``import`` audit event (who, when, the file's name and SHA-256,
mode, counts, the first and last key created, the keys updated), written before the rows; persons
and households created or changed by the file carry its id in ``import_batch``, so every row is
traceable to who imported which file when. Updated rows also get their own before/after record;
events, services and queued duplicates one ``create`` record each.

Speed: a person file is parsed and checked row by row in Python (ID numbers inspected once, the
address code of an ID number looked up once per code) and written with ``executemany`` under
primary keys reserved up front; on SQLite a large file (10,000 new rows or more) into a nearly empty
table drops the secondary indexes and builds them once at the end, and checks foreign keys once
before the commit — all inside the one transaction (``bench/registry``, ``docs/benchmarks.md``).

Legacy data is taken as it is found: an ID number with a wrong check character lands flagged
(an open error in the check queue, not registrable until an authorised user confirms it), never
dropped and never silently accepted; probable duplicates land flagged in the duplicate queue;
warnings land with an open finding. Errors reject the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from renkou.core import audit, idnumber
from renkou.core.models import Area, AuditEvent
from renkou.core.scoping import code_in_scope

from . import checks, duplicates, loader, search
from .models import DuplicateCandidate, Event, Finding, Household, Person, ServiceRecord

MAX_CELL = 1000  # characters; longer cells are junk
BATCH = 2000


# ------------------------------------------------------------------------------------ column spec
@dataclass(frozen=True)
class Col:
    name: str
    zh: str
    required: bool = False


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


class ImportFailed(Exception):
    """The file as a whole cannot be read (encoding, format, missing columns); nothing was changed."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(slots=True)
class Row:
    line: int
    raw: dict[str, str]  # canonical column name → cell text
    original: list[str]  # the cells as read, for the report
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    findings: list[checks.Finding] = field(default_factory=list)
    action: str = ""  # create / update / unchanged / reject
    obj: Any = None  # the existing record (update, unchanged)
    pk: int | None = None  # the primary key of a created or existing record, once known

    def reject(self, message: str) -> None:
        self.errors.append(message)


@dataclass
class ImportResult:
    kind: str
    source: str
    mode: str
    dry_run: bool
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    flagged: int = 0
    written: bool = False
    headers: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def summary(self) -> str:
        state = ("试运行，未写入 / dry run, nothing written" if self.dry_run else
                 "已写入 / written" if self.written else "未写入任何数据 / nothing was written")
        return (f"{self.kind}: {self.total} 行 rows — 新增 created {self.created}, 更新 updated {self.updated}, "
                f"未变 unchanged {self.unchanged}, 拒绝 rejected {self.rejected}, 标记待审 flagged {self.flagged}; "
                f"{state}")


# ------------------------------------------------------------------------------------- reading


def _decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw[:65536]:
        raise ImportFailed(f"{name} 不是文本文件(含二进制内容)", f"{name} is not a text file (binary content)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ImportFailed(f"{name} 的编码无法识别，请另存为 UTF-8 或 GBK/GB18030",
                       f"cannot tell the encoding of {name}; save it as UTF-8 or GBK/GB18030")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_table(path: Path) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows (lists of cell text) of a CSV or XLSX file."""
    name = path.name
    if not path.is_file():
        raise ImportFailed(f"文件 {path} 不存在", f"no such file {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import zipfile

        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise ImportFailed(f"{name} 不是有效的 XLSX 文件", f"{name} is not a valid XLSX file ({exc})") from exc
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ImportFailed(f"{name} 是空表", f"{name} is empty")
        return [_cell(h) for h in header], ([_cell(c) for c in r] for r in rows)
    text = _decode(path.read_bytes(), name)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise ImportFailed(f"{name} 不是有效的 CSV 文件", f"{name} is not a valid CSV file ({exc})") from exc
    if header is None:
        raise ImportFailed(f"{name} 是空文件", f"{name} is empty")

    def rows() -> Iterator[list[str]]:
        try:
            for r in reader:
                yield [c.strip() for c in r]
        except csv.Error as exc:
            raise ImportFailed(f"{name} 第 {reader.line_num} 行无法解析", f"{name} line {reader.line_num} cannot be "
                               f"parsed ({exc})") from exc

    return [h.strip() for h in header], rows()


def map_header(kind: str, header: list[str], name: str) -> dict[int, str]:
    """Column position → canonical name; raises naming every missing required column."""
    lookup = {}
    for c in SPEC[kind]:
        lookup[c.name.lower()] = c.name
        lookup[c.zh] = c.name
    positions: dict[int, str] = {}
    for i, h in enumerate(header):
        key = lookup.get(h.strip().lower().lstrip("\ufeff"))
        if key and key not in positions.values():
            positions[i] = key
    missing = [c for c in SPEC[kind] if c.required and c.name not in positions.values()]
    if missing:
        raise ImportFailed(
            f"{name} 缺少必需的列：{'、'.join(f'{c.zh}({c.name})' for c in missing)}；表头为 {header[:30]}",
            f"{name} lacks required column(s): {', '.join(c.name for c in missing)}; the header is {header[:30]}")
    return positions


# ------------------------------------------------------------------------------------- parsing


def _date(row: Row, col: str, required: bool = False) -> dt.date | None:
    text = row.raw.get(col, "")
    if not text:
        if required:
            row.reject(f"{col}: 必填 / required")
        return None
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
    row.reject(f"{col}: “{text[:40]}” 不是日期(应为 2024-03-01) / not a date (use 2024-03-01)")
    return None


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


def _junk(row: Row) -> None:
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


def _reserve_ids(model, n: int) -> list[int]:
    """``n`` primary keys for rows inserted by hand: from the sequence on PostgreSQL; on SQLite the
    next free ones (the import's transaction is IMMEDIATE: it holds the write lock)."""
    if not n:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                        [table, model._meta.pk.column, n])
            return [r[0] for r in cur.fetchall()]
    start = loader._next_id(model)
    return list(range(start, start + n))


def insert_rows(model, values: list[dict[str, Any]], pks: list[int] | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[int]:
    """Insert new rows given as ``attname → value`` dicts (model defaults for the rest) with
    ``executemany``, with the primary keys ``pks`` (reserved here when not given); returns the keys.
    Signals do not run: the caller audits."""
    if not values:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    names = [f.attname for f in fields]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({qn(model._meta.pk.column)}, "
           f"{', '.join(qn(f.column) for f in fields)}) VALUES ({', '.join(['%s'] * (len(fields) + 1))})")
    pks = _reserve_ids(model, len(values)) if pks is None else pks
    if connection.vendor == "postgresql":  # COPY: one stream instead of one statement per row
        cols = ", ".join(qn(f.column) for f in fields)
        with connection.cursor() as cur, cur.cursor.copy(
                f"COPY {qn(model._meta.db_table)} ({qn(model._meta.pk.column)}, {cols}) FROM STDIN") as copy:
            for i, (pk, v) in enumerate(zip(pks, values, strict=True), start=1):
                d = {**defaults, **v}
                copy.write_row((pk, *[d[n] for n in names]))
                if progress and i % BATCH == 0:
                    progress(i, len(values))
        if progress:
            progress(len(values), len(values))
        return pks
    with connection.cursor() as cur:
        for i in range(0, len(values), BATCH):
            rows = []
            for pk, v in zip(pks[i:i + BATCH], values[i:i + BATCH], strict=True):
                d = {**defaults, **v}
                rows.append((pk, *[d[n] for n in names]))
            cur.executemany(sql, rows)
            if progress:
                progress(i + len(rows), len(values))
    return pks


# ------------------------------------------------------------------------------------ importing


class Importer:
    """One import run. ``user`` None means the system administrator at the console (no area limit)."""

    def __init__(self, kind: str, path: Path, *, user=None, mode: str = "all-or-nothing", dry_run: bool = False,
                 progress: Callable[[int, int], None] | None = None, today: dt.date | None = None):
        if kind not in SPEC:
            raise ImportFailed(f"未知的导入类型 {kind}", f"unknown kind {kind}; one of {', '.join(KINDS)}")
        if mode not in ("all-or-nothing", "valid-rows"):
            raise ImportFailed(f"未知的模式 {mode}", f"unknown mode {mode}; all-or-nothing or valid-rows")
        self.kind, self.path, self.user, self.mode, self.dry_run = kind, Path(path), user, mode, dry_run
        self.progress = progress or (lambda done, total: None)
        self.today = today or timezone.localdate()
        self.result = ImportResult(kind, str(path), mode, dry_run)
        self.clock_today = dt.date.today()  # for the plausibility of ID numbers' dates, like ``idnumber``
        self.deferred_checks = False
        self.areas: dict[str, Area] = {}

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

    def run(self) -> ImportResult:
        # A file of a million rows makes millions of small objects that live until the end: the cyclic
        # garbage collector would walk all of them again and again (it finds nothing to free here).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._run()
        finally:
            if collecting:
                gc.enable()

    def _run(self) -> ImportResult:
        header, body = read_table(self.path)
        positions = map_header(self.kind, header, self.path.name)
        self.result.headers = header
        self.areas = {a.code: a for a in Area.objects.all()}
        rows: list[Row] = []
        names, index = list(positions.values()), list(positions)
        width = max(index) + 1
        pick = itemgetter(*index) if len(index) > 1 else (lambda cells: (cells[index[0]],))
        for n, cells in enumerate(body, start=2):
            if not any(cells):
                continue
            if len(cells) >= width:
                raw = dict(zip(names, pick(cells), strict=True))
            else:
                raw = {name: (cells[i] if i < len(cells) else "") for i, name in positions.items()}
            rows.append(Row(n, raw, cells))
        self.result.rows, self.result.total = rows, len(rows)
        getattr(self, f"_prepare_{self.kind}")(rows)
        for r in rows:
            if r.errors:
                r.action = "reject"
        self.result.rejected = sum(1 for r in rows if r.action == "reject")
        self.result.flagged = sum(1 for r in rows if r.action != "reject" and (r.flags or r.findings))
        write = not (self.mode == "all-or-nothing" and self.result.rejected)
        self.batch = None
        # Like ``loaddata`` and the loader: on SQLite, foreign keys of a large file are checked once,
        # in bulk, before the commit (``check_constraints``) rather than row by row — possible only
        # outside an enclosing transaction; otherwise they are checked as the rows go in.
        self.deferred_checks = (write and self.kind in ("persons", "households") and connection.vendor == "sqlite"
                                and sum(1 for r in rows if r.action == "create") >= 10_000
                                and not connection.in_atomic_block and connection.disable_constraint_checking())
        try:
            return self._commit(rows, write)
        finally:
            if self.deferred_checks:
                connection.enable_constraint_checking()

    def _commit(self, rows: list[Row], write: bool) -> ImportResult:
        with transaction.atomic():
            if write:
                todo = [r for r in rows if r.action not in ("reject", "")]
                self.result.created = sum(1 for r in todo if r.action == "create")
                self.result.updated = sum(1 for r in todo if r.action == "update")
                self.result.unchanged = sum(1 for r in todo if r.action == "unchanged")
                self.result.written = not self.dry_run and bool(self.result.created or self.result.updated)
                if self.result.written:
                    # One audit event per file, written first: the rows created or changed by the file
                    # carry its id (``import_batch``, persons and households), so each of them is
                    # traceable to who imported which file when. Events and services keep one
                    # ``create`` record per row; updates are audited row by row (before/after).
                    key = SPEC[self.kind][0].name
                    created = [r.raw[key] for r in todo if r.action == "create"]
                    self.batch = audit.record(
                        "import", user=self.user, object_type=f"registry.{self.kind}", object_repr=self.path.name,
                        detail={"file_sha256": hashlib.sha256(self.path.read_bytes()).hexdigest(),
                                "mode": self.mode, "created": self.result.created, "updated": self.result.updated,
                                "unchanged": self.result.unchanged, "rejected": self.result.rejected,
                                "flagged": self.result.flagged, "key_column": key,
                                "created_keys": [created[0], created[-1]] if created else [],
                                "updated_keys": [r.raw[key] for r in todo if r.action == "update"][:1000]})
                getattr(self, f"_write_{self.kind}")(todo)
                if self.deferred_checks:
                    connection.check_constraints(table_names=[Person._meta.db_table, Household._meta.db_table])
            if self.dry_run:
                transaction.set_rollback(True)
        return self.result

    @property
    def batch_id(self) -> int | None:
        return self.batch.pk if self.batch is not None else None

    def _existing(self, model, keys: list[str]) -> dict[str, Any]:
        if len(keys) > 5000 and model.objects.count() < 4 * len(keys):
            wanted = set(keys)  # a large file beside the table: one pass over the table
            return {o.source_key: o for o in model.objects.exclude(source_key=None).iterator(chunk_size=5000)
                    if o.source_key in wanted}
        out = {}
        for i in range(0, len(keys), 900):
            out.update({o.source_key: o for o in model.objects.filter(source_key__in=keys[i:i + 900])})
        return out

    @staticmethod
    def _pairs(qs, field: str, value: str, wanted: list[str]) -> dict[str, Any]:
        """``{field: value}`` of the rows whose ``field`` is in ``wanted`` (chunked, or one pass when large)."""
        if len(wanted) > 5000 and qs.count() < 4 * len(wanted):
            keep = set(wanted)
            return {k: v for k, v in qs.exclude(**{field: None}).values_list(field, value).iterator(chunk_size=5000)
                    if k in keep}
        out = {}
        for i in range(0, len(wanted), 900):
            out.update(dict(qs.filter(**{f"{field}__in": wanted[i:i + 900]}).values_list(field, value)))
        return out

    def _persons_by_key(self, keys: set[str]) -> dict[str, Person]:
        return self._existing(Person, sorted(k for k in keys if k))

    def _seen_twice(self, rows: list[Row], col: str) -> None:
        first: dict[str, int] = {}
        for r in rows:
            k = r.raw.get(col, "")
            if not k:
                continue
            if k in first:
                r.reject(f"{col}: {k} 在文件中重复(第 {first[k]} 行) / appears twice in the file (line {first[k]})")
            else:
                first[k] = r.line

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
            self.progress(i + len(objs[i:i + BATCH]), len(objs))
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

    # -- households
    def _prepare_households(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "household_key")
        existing = self._existing(Household, [r.raw["household_key"] for r in rows])
        new_keys = [r.raw["household_key"] for r in rows if r.raw["household_key"] not in existing]
        numbers_taken = self._pairs(Household.objects.all(), "number", "pk", new_keys)
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

    def _write_households(self, rows: list[Row]) -> None:
        new = [r for r in rows if r.action == "create"]
        pks = insert_rows(Household, [{**r.values, "source_key": r.raw["household_key"],
                                       "import_batch": self.batch_id} for r in new], progress=self.progress)
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

    # -- persons
    def _prepare_persons(self, rows: list[Row]) -> None:
        self._seen_twice(rows, "person_key")
        keys = [r.raw["person_key"] for r in rows]
        existing = self._existing(Person, keys)
        households = self._pairs(Household.objects.all(), "source_key", "pk",
                                 sorted({r.raw.get("household_key", "") for r in rows} - {""}))
        numbers_in_file: dict[str, int] = {}
        disagree: set[int] = set()  # lines whose ID number disagrees with the birth date or sex
        for r in rows:
            _junk(r)
            info = self._parse_person(r, households)
            if info is not None and idnumber.agrees_with(info, r.values["birth_date"], r.values["sex"]):
                disagree.add(r.line)
            n = r.values.get("id_number")
            if n and not r.errors:
                if n in numbers_in_file:
                    r.reject(f"id_number: 身份证号与第 {numbers_in_file[n]} 行相同(完全重复) / the same ID number as line "
                             f"{numbers_in_file[n]} (exact duplicate)")
                else:
                    numbers_in_file[n] = r.line
        from renkou.core.models import IdNumberConfirmation

        numbers = list(numbers_in_file)
        taken = self._pairs(Person.objects.all(), "id_number", "source_key", numbers)
        confirmed = set(self._pairs(IdNumberConfirmation.objects.all(), "number", "pk", numbers))
        in_file = set(keys)
        known_links = self._persons_by_key({r.raw.get(c, "") for r in rows for c in LINK_KEYS} - in_file)
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
                if link and link not in in_file and link not in known_links:
                    r.flags.append(f"{col}: 人员编号 {link} 不在登记中，关系未建立 / person {link} is not in the register; "
                                   "the link is left empty")
            old = existing.get(key)
            if old is None:
                r.action = "create"
            else:
                if self.user is not None and not any(code_in_scope(self.user, c, "capture") for c in
                                                     (old.registered_area_id, old.resident_area_id) if c):
                    r.reject("该人员不在您的录入范围内 / the person is outside your capture areas")
                    continue
                r.obj, r.pk = old, old.pk
                if self._same(old, v) and self._same_links(old, r, existing, known_links):
                    r.action = "unchanged"
                else:
                    for k, val in v.items():
                        setattr(old, k, val)
                    r.action = "update"
        self._match_duplicates(rows)

    def _same_links(self, old: Person, r: Row, existing: dict, known: dict) -> bool:
        for col, attr in zip(LINK_KEYS, LINK_ATTRS, strict=True):
            k = r.raw.get(col, "")
            target = existing.get(k) or known.get(k)
            if getattr(old, attr) != (target.pk if target is not None else None):
                return False
        return True

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
            "birth_date": _date(r, "birth_date", required=True),
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

    def _match_duplicates(self, rows: list[Row]) -> None:
        """Probable duplicates among the file's rows and the register (rejected rows are told too)."""
        cands: list[duplicates.Candidate] = []
        by_line: dict[int, Row] = {}
        births = [r.values["birth_date"] for r in rows if r.values.get("birth_date")]
        if not births:
            return
        for r in rows:
            v = r.values
            if not v.get("birth_date") or not v.get("name"):
                continue
            pk = r.pk if r.pk else -r.line
            by_line[pk] = r
            cands.append(duplicates.Candidate(pk, v["name"], v["birth_date"], v["sex"], None,
                                              v.get("registered_area_id") or v.get("resident_area_id") or "",
                                              v.get("id_number")))
        lo, hi = min(births) - dt.timedelta(days=7), max(births) + dt.timedelta(days=7)
        prefixes = {c.area[:6] for c in cands if c.area}
        in_file = {r.pk for r in rows if r.pk}
        if Person.objects.exists():
            for p in prefixes:
                for pk, name, born, sex, mother, reg, res, n in Person.objects.filter(
                        resident_area__pk__startswith=p, birth_date__range=(lo, hi)).exclude(
                        record_state=Person.Record.MERGED).values_list(
                        "pk", "name", "birth_date", "sex", "mother_id", "registered_area_id", "resident_area_id",
                        "id_number").iterator(chunk_size=5000):
                    if pk not in in_file:
                        cands.append(duplicates.Candidate(pk, name, born, sex, mother, reg or res, n))
        self.pairs = []
        for a, b, score, reasons in duplicates.find_pairs(cands):
            ra, rb = by_line.get(a.pk), by_line.get(b.pk)
            if ra is not None and rb is not None and ra.raw.get("mother_key") and \
                    ra.raw.get("mother_key") == rb.raw.get("mother_key"):
                reasons = [*reasons, "same_mother"]
            label = ", ".join(duplicates.REASON_LABELS.get(x, (x, x))[1] for x in reasons)
            for me, other in ((ra, b), (rb, a)):
                if me is None:
                    continue
                other_key = by_line[other.pk].raw["person_key"] if other.pk in by_line else \
                    Person.objects.filter(pk=other.pk).values_list("source_key", flat=True).first() or other.pk
                me.flags.append(f"[probable_duplicate] 疑似与 {other_key} 重复 / probable duplicate of {other_key} "
                                f"({label}) — 由县级管理员在重复审核中合并或排除 / a county officer merges or dismisses it "
                                "in the duplicate queue")
            self.pairs.append((a.pk, b.pk, score, reasons))

    def _write_persons(self, rows: list[Row]) -> None:
        new = [r for r in rows if r.action == "create"]
        big = len(new) >= 10_000
        if big and connection.vendor == "sqlite":
            with connection.cursor() as cur:  # keep the indexes in memory while a large file lands
                cur.execute("PRAGMA cache_size=-262144")
        # on SQLite, the indexes of a (nearly) empty table are dropped and built once at the end,
        # inside this transaction (an interrupted import restores them with everything else)
        rebuild = loader._drop_indexes((Person,), len(new)) if big else []
        for r, pk in zip(new, _reserve_ids(Person, len(new)), strict=True):
            r.pk = pk
        by_key = {r.raw["person_key"]: r.pk for r in rows}
        by_key.pop("", None)
        wanted = {r.raw.get(c, "") for r in rows for c in LINK_KEYS} - set(by_key) - {""}
        by_key.update({k: p.pk for k, p in self._persons_by_key(wanted).items()})
        batch = self.batch_id
        # On SQLite with foreign keys enforced row by row, rows go in without their links, which are set
        # once every row is there: a link to a row not yet inserted would leave a deferred violation
        # open, and SQLite would then look for children of every later row in the unindexed spouse
        # column. PostgreSQL checks at commit; with the checks deferred to the end, links go in at once.
        inline = connection.vendor != "sqlite" or self.deferred_checks
        values, links = [], []
        for r in new:
            raw = r.raw
            m, f, sp = (by_key.get(raw.get(c, "")) for c in LINK_KEYS)
            if inline:
                values.append({**r.values, "source_key": raw["person_key"], "import_batch": batch,
                               "mother_id": m, "father_id": f, "spouse_id": sp})
            else:
                values.append({**r.values, "source_key": raw["person_key"], "import_batch": batch})
                if m or f or sp:
                    links.append((m, f, sp, r.pk))
        insert_rows(Person, values, [r.pk for r in new], progress=self.progress)
        del values
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            for i in range(0, len(links), BATCH):
                cur.executemany(f"UPDATE {qn(Person._meta.db_table)} SET mother_id = %s, father_id = %s, "
                                "spouse_id = %s WHERE id = %s", links[i:i + BATCH])
        for r in rows:
            if r.action == "update":  # audited row by row (before and after) by the model's signals
                for col, attr in zip(LINK_KEYS, LINK_ATTRS, strict=True):
                    setattr(r.obj, attr, by_key.get(r.raw.get(col, "")))
                r.obj.import_batch = batch
                r.obj.save()
        heads = [(r.pk, r.values["household_id"], r.pk) for r in rows
                 if r.values.get("relation_to_head") == "02" and r.values.get("household_id")]
        with connection.cursor() as cur:
            for i in range(0, len(heads), BATCH):
                cur.executemany(f"UPDATE {qn(Household._meta.db_table)} SET head_id = %s WHERE id = %s "
                                "AND (head_id IS NULL OR head_id <> %s)", heads[i:i + BATCH])
        self._findings(rows, "person")
        # probable duplicates between landed rows (rejected rows were told in the report)
        line_pk = {-r.line: r.pk for r in rows}
        existing = set(DuplicateCandidate.objects.values_list("person_a_id", "person_b_id"))
        area_of = {r.pk: r.values["resident_area_id"] or r.values["registered_area_id"] or "" for r in new}
        queue = []
        for a, b, score, reasons in getattr(self, "pairs", []):
            a, b = line_pk.get(a, a), line_pk.get(b, b)
            if a < 0 or b < 0:
                continue
            a, b = min(a, b), max(a, b)
            if (a, b) in existing:
                continue
            existing.add((a, b))
            area = area_of.get(a) or area_of.get(b) or Person.objects.get(pk=a).audit_area()
            queue.append(DuplicateCandidate(person_a_id=a, person_b_id=b, area_id=area, score=score,
                                            reasons=reasons))
        DuplicateCandidate.objects.bulk_create(queue)
        self._bulk_audit(queue)
        if rebuild or big:
            with connection.cursor() as cur:
                for sql in rebuild:
                    cur.execute(sql)
                if connection.vendor == "sqlite":
                    cur.execute("PRAGMA analysis_limit=1000")
                cur.execute(f"ANALYZE {qn(Person._meta.db_table)}")

    # -- events
    def _prepare_events(self, rows: list[Row]) -> None:
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
            r.values = {"kind": kind, "event_date": _date(r, "event_date", required=True),
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
        plural: dict[int, int] = dict(Event.objects.filter(kind="birth", mother_id__in=list(mothers), is_current=True)
                                      .values_list("subject_id", "plurality"))
        subject_events: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
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

    def _write_events(self, rows: list[Row]) -> None:
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

    # -- services
    def _prepare_services(self, rows: list[Row]) -> None:
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

    def _write_services(self, rows: list[Row]) -> None:
        self._create(ServiceRecord, [r.obj for r in rows if r.action == "create"])
        for r in rows:
            if r.action == "update":
                r.obj.save()


def import_file(kind: str, path: str | Path, *, user=None, mode: str = "all-or-nothing", dry_run: bool = False,
                progress: Callable[[int, int], None] | None = None, today: dt.date | None = None) -> ImportResult:
    """Import one file of ``kind`` (persons, households, events, services); see the module docstring."""
    return Importer(kind, Path(path), user=user, mode=mode, dry_run=dry_run, progress=progress, today=today).run()


def write_report(result: ImportResult, path: str | Path) -> int:
    """The rows rejected or flagged, with their original columns plus result and reason. Returns the row count."""
    from .exporter import write_rows

    header = [*result.headers, "结果 result", "原因 reason"]
    rows = []
    for r in result.rows:
        if r.action == "reject" or r.errors:
            rows.append([*r.original, "拒绝 rejected", "；".join(r.errors)])
        elif r.flags:
            rows.append([*r.original, "已导入待审 flagged", "；".join(r.flags)])
    write_rows(Path(path), header, rows)
    return len(rows)
